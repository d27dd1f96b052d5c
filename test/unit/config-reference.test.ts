import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../src/config/load.js';
import { renderConfigReference, renderConfigurationDoc, renderEnvExample } from '../../src/config/reference.js';
import { VARIABLE_LIST } from '../../src/config/variables.js';

const projectRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** The `# NAME=value` lines of `.env.example`, uncommented. */
function exampleAssignments(text: string): [string, string][] {
  return text
    .split('\n')
    .filter((line) => /^# [A-Z][A-Z0-9_]*=/.test(line))
    .map((line) => {
      const assignment = line.slice(2);
      const eq = assignment.indexOf('=');
      return [assignment.slice(0, eq), assignment.slice(eq + 1)];
    });
}

describe('.env.example', () => {
  const text = renderEnvExample();

  test('the committed .env.example equals renderEnvExample() (regenerate with write-env-example)', () => {
    expect(readFileSync(`${projectRoot}.env.example`, 'utf8')).toBe(text);
  });

  test('every registry variable appears exactly once, in registry order', () => {
    expect(exampleAssignments(text).map(([name]) => name)).toEqual(VARIABLE_LIST.map((variable) => variable.name));
  });

  test('defaults are shown as values and required variables get a placeholder', () => {
    const values = new Map(exampleAssignments(text));
    expect(values.get('PARSING_EMAIL_PORT')).toBe('993');
    expect(values.get('TS_SYNC_CRON')).toBe('0 20 * * *');
    expect(values.get('PARSING_EMAIL_LOGIN')).toBe('dispatch@example.ru');
    expect(values.get('PARSING_EMAIL_PSWD')).toBe('<app-password>');
    expect(values.get('YT_QUEUE')).toBe('AVRSERVICE');
    expect(values.get('SECRET_KEY')).toBe('');
  });

  test('a variable block carries its meaning, form and requirement', () => {
    expect(text).toContain(
      [
        '# TowerStore poles report URL (TS-3).',
        '# Expected: an http(s) URL. Required.',
        '# TS_POLES_TL_URL=https://towerstore.example.ru/reports/poles.json',
      ].join('\n'),
    );
    expect(text).toContain(
      [
        '# SMTP host of the collection mailbox.',
        '# Expected: a host name or IP address (no scheme, no port). Default: PARSING_EMAIL_SERVER with a leading "imap." replaced by "smtp.".',
        '# PARSING_EMAIL_SMTP_SERVER=smtp.example.ru',
      ].join('\n'),
    );
  });

  test('with every line uncommented, the example is a valid configuration', () => {
    const config = loadConfig(Object.fromEntries(exampleAssignments(text)), { dotenvPath: null, cwd: '/srv/dispatch' });
    expect(config.mail.login).toBe('dispatch@example.ru');
    expect(config.database.url).toBe('postgres://dispatch:change-me@localhost:5432/dispatch');
    expect(config.ignoredLegacyVariables).toHaveLength(10);
  });
});

describe('configuration reference table', () => {
  const table = renderConfigReference();

  test('one row per variable', () => {
    const rows = table.split('\n').filter((line) => line.startsWith('| `'));
    expect(rows.map((row) => row.slice(3, row.indexOf('`', 3)))).toEqual(
      VARIABLE_LIST.map((variable) => variable.name),
    );
  });

  test('rows give meaning, default or requirement, and whether the value is secret', () => {
    const rows = table.split('\n');
    expect(rows).toContain('| `TS_POLES_TL_URL` | TowerStore poles report URL (TS-3). | required | no |');
    expect(rows).toContain('| `PARSING_EMAIL_PORT` | IMAP port. | `993` | no |');
    expect(rows).toContain(
      '| `PARSING_EMAIL_SMTP_SERVER` | SMTP host of the collection mailbox. | derived: PARSING_EMAIL_SERVER with a leading "imap." replaced by "smtp." | no |',
    );
    expect(rows).toContain(
      '| `DATABASE_URL` | PostgreSQL URL; overrides the POSTGRES_*/DB_* set. | not set | yes (password part) |',
    );
    expect(rows).toContain('| `PARSING_EMAIL_PSWD` | Collection mailbox password, an app password. | required | yes |');
    expect(rows).toContain(
      '| `TG_TOKEN` | Telegram bot token for alerts (ALERT-1). Leave TG_TOKEN and TG_DEFAULT_USER_ID both empty to disable Telegram alerts (start-up warning). | required with TG_DEFAULT_USER_ID (empty = alerts disabled) | yes |',
    );
    expect(rows).toContain('| `SECRET_KEY` | Legacy Django secret key. | ignored | yes |');
  });
});

describe('registry', () => {
  test.each(
    VARIABLE_LIST.flatMap((variable) =>
      variable.default.kind === 'value' ? [[variable.name, variable.default.value] as const] : [],
    ),
  )('%s: the default %j is valid for its form', (name, value) => {
    const variable = VARIABLE_LIST.find((candidate) => candidate.name === name);
    expect(variable?.form.parse(value).ok).toBe(true);
  });

  test('secret variables are the SPEC secrets', () => {
    expect(VARIABLE_LIST.filter((variable) => variable.secret !== undefined).map((variable) => variable.name)).toEqual([
      'DATABASE_URL',
      'POSTGRES_PASSWORD',
      'PARSING_EMAIL_PSWD',
      'YT_CLIENT_SECRET',
      'YT_ACCESS_TOKEN',
      'YT_REFRESH_TOKEN',
      'TG_TOKEN',
      'WEBHOOK_SECRET',
      'LEGACY_DATABASE_URL',
      'SECRET_KEY',
      'EMAIL_HOST_PASSWORD',
      'ADMIN_PASSWORD',
    ]);
  });
});

describe('docs/CONFIGURATION.md', () => {
  test('the committed reference equals renderConfigurationDoc() (regenerate with write-env-example)', () => {
    expect(readFileSync(`${projectRoot}docs/CONFIGURATION.md`, 'utf8')).toBe(renderConfigurationDoc());
  });
});
