// SPEC §19 against the Telegram fake: plain-text format (ALERT-1), de-duplication with cool-down,
// suppressed counts and recovery (ALERT-2), retries, and a failing Bot API never failing the caller.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { createAlerts } from '../../src/adapters/telegram/alerts.js';
import { createTelegramBot } from '../../src/adapters/telegram/bot-api.js';
import { formatAlert, MAX_ALERT_LENGTH } from '../../src/adapters/telegram/format.js';
import { startTelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';
import type { TelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';
import { completeEnv } from '../fixtures/config/env.js';
import { createTestDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/db.js';

const log = createLogger({ destination: { write: () => true } as unknown as NodeJS.WritableStream });

let fake: TelegramFake;
let database: TestDatabase;
let config: Config;
let clock: Date;

function alertsWith(overrides: Record<string, string> = {}) {
  const cfg = loadConfig(
    { ...completeEnv(), ...fake.env, TG_ALERT_COOLDOWN_MINUTES: '60', ...overrides },
    { dotenvPath: null },
  );
  const bot = cfg.telegram.enabled
    ? createTelegramBot({ ...cfg.telegram, log, retryDelaysMs: [20, 20, 20] })
    : undefined;
  return createAlerts({ config: cfg, db: database.pool, log, now: () => clock, ...(bot ? { bot } : {}) });
}

beforeAll(async () => {
  fake = await startTelegramFake();
  database = await createTestDatabase('alerts');
  config = loadConfig({ ...completeEnv(), ...fake.env }, { dotenvPath: null });
});

afterAll(async () => {
  await fake.close();
  await database.drop();
});

beforeEach(() => {
  fake.reset();
  clock = new Date('2026-03-01T10:00:00Z');
});

describe('ALERT-1 message', () => {
  test('ALERT-1: plain text to the configured chat, level marker first, kind, incident id and key', async () => {
    const alerts = alertsWith();
    const outcome = await alerts.alert({
      level: 'error',
      kind: 'sla.breach',
      incidentId: 42,
      issueKey: 'AVRSERVICE-7',
      text: 'SLA нарушен: тема с _подчёркиванием_ и *звёздочками*',
    });
    expect(outcome).toBe('sent');
    expect(fake.messages).toHaveLength(1);
    const [message] = fake.messages;
    expect(message?.chatId).toBe(config.telegram.chatId);
    expect(message?.parseMode).toBeNull();
    expect(message?.text).toBe(
      '🥊 ERROR · sla.breach\nИнцидент: #42, AVRSERVICE-7\n\nSLA нарушен: тема с _подчёркиванием_ и *звёздочками*',
    );
  });

  test('ALERT-1: the three level markers', () => {
    expect(formatAlert({ level: 'info', kind: 'k', text: 't' }).startsWith('💡 INFO')).toBe(true);
    expect(formatAlert({ level: 'warning', kind: 'k', text: 't' }).startsWith('⚠️ WARNING')).toBe(true);
    expect(formatAlert({ level: 'error', kind: 'k', text: 't' }).startsWith('🥊 ERROR')).toBe(true);
  });

  test('ALERT-1: a long text is cut to 4096 characters ending with "..." and still accepted', async () => {
    const alerts = alertsWith();
    await alerts.alert({ level: 'warning', kind: 'long.text', text: 'я'.repeat(6000) });
    expect(fake.messages).toHaveLength(1);
    const text = fake.messages[0]?.text ?? '';
    expect(text.length).toBe(MAX_ALERT_LENGTH);
    expect(text.endsWith('я...')).toBe(true);
  });
});

describe('ALERT-2 de-duplication', () => {
  test('ALERT-2: one alert per (kind, incident) per cool-down; the next one carries the suppressed count', async () => {
    const alerts = alertsWith();
    const raise = () => alerts.alert({ level: 'warning', kind: 'dedup.kind', incidentId: 7, text: 'повтор' });
    expect(await raise()).toBe('sent');
    clock = new Date('2026-03-01T10:01:00Z');
    expect(await raise()).toBe('suppressed');
    clock = new Date('2026-03-01T10:59:00Z');
    expect(await raise()).toBe('suppressed');
    // Another incident is another key.
    expect(await alerts.alert({ level: 'warning', kind: 'dedup.kind', incidentId: 8, text: 'другой' })).toBe('sent');
    clock = new Date('2026-03-01T11:00:00Z');
    expect(await raise()).toBe('sent');
    expect(fake.messages.map((m) => m.text)).toEqual([
      '⚠️ WARNING · dedup.kind\nИнцидент: #7\n\nповтор',
      '⚠️ WARNING · dedup.kind\nИнцидент: #8\n\nдругой',
      '⚠️ WARNING · dedup.kind\nИнцидент: #7\n\nповтор\n\nПовторов подавлено с прошлого уведомления: 2',
    ]);
    const state = await database.pool.query(
      sql.unsafe`SELECT suppressed_count FROM alert_states WHERE kind = 'dedup.kind' AND incident_id = 7`,
    );
    expect(state.rows).toEqual([{ suppressed_count: 0 }]);
  });

  test('ALERT-2: a recovery sends one message and resets the state', async () => {
    const alerts = alertsWith();
    const down = () => alerts.alert({ level: 'error', kind: 'imap.down', subject: 'INBOX', text: 'IMAP недоступен' });
    expect(await down()).toBe('sent');
    clock = new Date('2026-03-01T10:05:00Z');
    expect(await down()).toBe('suppressed');
    expect(await alerts.recovered('imap.down', 'INBOX', 'IMAP снова доступен')).toBe('sent');
    expect(await alerts.recovered('imap.down', 'INBOX')).toBe('nothing-to-recover');
    // The state was reset: the next failure within the old cool-down is sent again.
    clock = new Date('2026-03-01T10:06:00Z');
    expect(await down()).toBe('sent');
    expect(fake.messages.map((m) => m.text)).toEqual([
      '🥊 ERROR · imap.down\n\nIMAP недоступен',
      '💡 INFO · imap.down\n\nВосстановлено. IMAP снова доступен\n\nПовторов подавлено с прошлого уведомления: 1',
      '🥊 ERROR · imap.down\n\nIMAP недоступен',
    ]);
  });

  test('ALERT-2: cool-down 0 sends every occurrence', async () => {
    const alerts = alertsWith({ TG_ALERT_COOLDOWN_MINUTES: '0' });
    await alerts.alert({ level: 'info', kind: 'no.cooldown', text: 'a' });
    await alerts.alert({ level: 'info', kind: 'no.cooldown', text: 'a' });
    expect(fake.messages).toHaveLength(2);
  });
});

describe('ALERT-1 sending failures', () => {
  test('ALERT-1: failures are retried (up to 3 retries) and the message goes out', async () => {
    const alerts = alertsWith();
    fake.failNext({ kind: 'server-error' }, 2);
    fake.failNext({ kind: 'rate-limit', retryAfter: 1 });
    expect(await alerts.alert({ level: 'info', kind: 'retry.ok', text: 'после повторов' })).toBe('sent');
    expect(fake.calls.map((c) => c.outcome)).toEqual(['server-error', 'server-error', 'rate-limited', 'ok']);
    expect(fake.messages).toHaveLength(1);
  });

  test('ALERT-1: a Bot API that keeps failing never fails the caller', async () => {
    const alerts = alertsWith();
    fake.failNext({ kind: 'drop' }, 10);
    await expect(alerts.alert({ level: 'error', kind: 'retry.fail', text: 'не дойдёт' })).resolves.toBe('failed');
    expect(fake.calls).toHaveLength(4);
    expect(fake.messages).toHaveLength(0);
  });

  test('ALERT-1: an unreachable Bot API is swallowed too', async () => {
    const unreachable = loadConfig(
      { ...completeEnv(), ...fake.env, TG_API_BASE_URL: 'http://127.0.0.1:9' },
      { dotenvPath: null },
    );
    const bot = createTelegramBot({ ...unreachable.telegram, log, retryDelaysMs: [1, 1, 1] });
    const alerts = createAlerts({ config: unreachable, db: database.pool, log, now: () => clock, bot });
    await expect(alerts.alert({ level: 'error', kind: 'unreachable', text: 'x' })).resolves.toBe('failed');
  });

  test('CONF-4: an empty TG_TOKEN disables alerts without calling the Bot API', async () => {
    const alerts = alertsWith({ TG_TOKEN: '', TG_DEFAULT_USER_ID: '' });
    expect(await alerts.alert({ level: 'error', kind: 'disabled', text: 'x' })).toBe('disabled');
    expect(fake.calls).toHaveLength(0);
  });
});
