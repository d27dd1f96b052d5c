import { describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../src/config/load.js';
import { describeConfig, describeConfigJson, redactUrl, secretValues } from '../../src/config/redact.js';
import { VARIABLE_LIST } from '../../src/config/variables.js';
import { completeEnv, legacyEnvPath, requiredEnv } from '../fixtures/config/env.js';

const load = (env: Record<string, string>) => loadConfig(env, { dotenvPath: null, cwd: '/srv/dispatch' });

/** Every secret of `completeEnv()` as written in the environment. */
const SECRETS = [
  'imap-app-password-1',
  'client-secret-1',
  'access-token-1',
  'refresh-token-1',
  '123456:telegram-token-1',
  'webhook-secret-1',
  'db-pass-1',
  'legacy-pass-1',
];

describe('secret values are never printed', () => {
  const config = load(completeEnv());
  const text = describeConfig(config);
  const json = JSON.stringify(describeConfigJson(config));

  test.each(SECRETS)('describeConfig and its JSON form do not contain %j', (secret) => {
    expect(text).not.toContain(secret);
    expect(json).not.toContain(secret);
  });

  test('secretValues lists exactly the non-empty secrets of the config', () => {
    expect(secretValues(config)).toEqual([
      'db-pass-1',
      'imap-app-password-1',
      'client-secret-1',
      'access-token-1',
      'refresh-token-1',
      '123456:telegram-token-1',
      'webhook-secret-1',
      'legacy-pass-1',
    ]);
  });

  test('secrets print as ***, URL passwords masked inside the URL', () => {
    const lines = text.split('\n');
    expect(lines).toContain('database.url = postgres://dispatch:***@db.internal:6432/dispatch');
    expect(lines).toContain('database.password = ***');
    expect(lines).toContain('mail.password = ***');
    expect(lines).toContain('tracker.clientSecret = ***');
    expect(lines).toContain('tracker.accessToken = ***');
    expect(lines).toContain('tracker.refreshToken = ***');
    expect(lines).toContain('telegram.token = ***');
    expect(lines).toContain('http.webhookSecret = ***');
    expect(lines).toContain('migration.legacyDatabaseUrl = postgresql://django:***@legacy.internal/django');
  });

  test('non-secret values print as they are', () => {
    const lines = text.split('\n');
    expect(lines).toContain('mail.imap.host = imap.example.ru');
    expect(lines).toContain('mail.senders.allow = noc@operator.ru, @mts.ru');
    expect(lines).toContain('tracker.fieldIds.localId = localId');
    expect(lines).toContain('schedules.backupCron = 0 3 * * 1-5');
    expect(lines).toContain('telegram.chatId = -100200300');
  });

  test('the JSON form keeps the structure and masks secrets', () => {
    const redacted = describeConfigJson(config) as Record<string, Record<string, unknown>>;
    expect(redacted.tracker?.accessToken).toBe('***');
    expect(redacted.tracker?.queue).toBe('AVRSERVICE');
    expect(redacted.database).toEqual({
      url: 'postgres://dispatch:***@db.internal:6432/dispatch',
      host: 'db.internal',
      port: 6432,
      name: 'dispatch',
      user: 'dispatch',
      password: '***',
      source: 'DATABASE_URL',
    });
  });
});

describe('empty and absent secrets', () => {
  const config = load({ ...requiredEnv(), TG_TOKEN: '', TG_DEFAULT_USER_ID: '' });
  const lines = describeConfig(config).split('\n');

  test('empty secrets print as (empty), absent values as (not set)', () => {
    expect(lines).toContain('telegram.token = (empty)');
    expect(lines).toContain('http.webhookSecret = (empty)');
    expect(lines).toContain('database.password = (empty)');
    expect(lines).toContain('database.url = postgres://django@localhost:5432/django');
    expect(lines).toContain('migration.legacyDatabaseUrl = (not set)');
  });

  test('secretValues skips empty secrets', () => {
    expect(secretValues(config)).toEqual([
      'imap-app-password-1',
      'client-secret-1',
      'access-token-1',
      'refresh-token-1',
    ]);
  });
});

describe('the legacy .env', () => {
  const config = loadConfig({}, { dotenvPath: legacyEnvPath, cwd: '/srv/dispatch' });

  test('the URL-encoded database password built from POSTGRES_PASSWORD is masked in both forms', () => {
    const text = describeConfig(config);
    expect(text).not.toContain('Pg:s3cret/w0rd@2024');
    expect(text).not.toContain('Pg%3As3cret%2Fw0rd%402024');
    expect(text.split('\n')).toContain('database.url = postgres://dispatch_user:***@dispatch_db:5432/dispatch');
    expect(secretValues(config)).toContain('Pg%3As3cret%2Fw0rd%402024');
    expect(secretValues(config)).toContain('Pg:s3cret/w0rd@2024');
  });

  test('ignored legacy secrets are not kept in the config at all', () => {
    const json = JSON.stringify(config);
    for (const secret of [
      'django-insecure-q7!x2v#k9m@w3e$r5t^y6u&i8o*p0a=zz',
      'webmail-Pa55word',
      'Adm1n-Secret-2024',
    ]) {
      expect(json).not.toContain(secret);
    }
  });
});

describe('redactUrl', () => {
  test.each([
    ['postgres://u:p@h:5432/db', 'postgres://u:***@h:5432/db'],
    ['postgres://u:p@ss@h/db', 'postgres://u:***@h/db'],
    ['postgres://u@h/db', 'postgres://u@h/db'],
    ['postgres://h/db?user=u&password=pw&sslmode=require', 'postgres://h/db?user=u&password=***&sslmode=require'],
    ['not a url with secret', '***'],
  ])('%j → %j', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('the registry names where each secret lives', () => {
  const config = load(completeEnv());

  test.each(
    VARIABLE_LIST.filter((variable) => typeof variable.secret?.at === 'string').map((variable) => variable.name),
  )('%s: its config path holds a string', (name) => {
    const at = VARIABLE_LIST.find((variable) => variable.name === name)?.secret?.at ?? '';
    let node: unknown = config;
    for (const key of at.split('.')) node = (node as Record<string, unknown>)[key];
    expect(typeof node).toBe('string');
  });
});
