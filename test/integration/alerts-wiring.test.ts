// ALERT-3 wiring against the Telegram fake: alert kinds raised by ingestion (MAIL-17) and by the
// incident activities (ASSIGN-4) reach Telegram through the Alerts service, and a failing Bot API
// never fails the activity (ALERT-1).
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';

import { createIncidentActivities } from '../../src/activities/incident.js';
import { MailboxSync, watchedFolders } from '../../src/activities/ingestion.js';
import { listMailFailures } from '../../src/adapters/db/mail-bookkeeping.js';
import { createAlerts } from '../../src/adapters/telegram/alerts.js';
import { createTelegramBot } from '../../src/adapters/telegram/bot-api.js';
import { startTelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';
import type { TelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';
import { startTrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { connectTemporal } from '../support/temporal.js';
import type { TemporalTestContext } from '../support/temporal.js';
import { insertIncident } from '../workflow/incident-fixtures.js';
import { appendInOrder, startIngestionHarness } from './ingestion-harness.js';
import type { IngestionHarness } from './ingestion-harness.js';

let fake: TelegramFake;
let emulator: TrackerEmulator;
let temporal: TemporalTestContext;
let harness: IngestionHarness;

beforeAll(async () => {
  fake = await startTelegramFake();
  emulator = await startTrackerEmulator();
  temporal = await connectTemporal('alerts-wiring');
  harness = await startIngestionHarness(temporal.client, temporal.taskQueue, {
    ...emulator.env(),
    ...fake.env,
    TG_ALERT_COOLDOWN_MINUTES: '60',
  });
}, 60_000);

afterAll(async () => {
  await harness?.close();
  await temporal?.close();
  await emulator?.close();
  await fake?.close();
});

beforeEach(() => {
  fake.reset();
});

/** An incident no dispatcher can take: the ingestion database has no dispatchers (ASSIGN-4). */
async function incidentWithoutDispatcher(tag: string): Promise<number> {
  const { incidentId } = await insertIncident(harness.db.pool, {
    messageId: `<${tag}@operator.ru>`,
    subject: 'Нет связи',
    from: 'noc@operator.ru',
    date: new Date('2026-03-01T10:00:00Z'),
    body: 'текст без номеров',
  });
  return incidentId;
}

function incidentActivities(alerts?: ReturnType<typeof createAlerts>) {
  return createIncidentActivities({
    config: harness.config,
    db: harness.db.pool,
    log: harness.log.logger,
    temporal: temporal.client,
    ...(alerts === undefined ? {} : { alerts }),
  });
}

/** A local port nothing listens on (IMAP down). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ALERT-3 alert kinds reach Telegram', () => {
  test('MAIL-16 / ALERT-2: IMAP down for 15 minutes alerts once per folder, and the next connection sends one recovery', async () => {
    const inbox = watchedFolders(harness.config).find((f) => f.key === 'inbox');
    if (inbox === undefined) throw new Error('no inbox folder');
    const deps = { config: harness.config, db: harness.db.pool, log: harness.log.logger, temporal: temporal.client };
    const down = { heartbeat: () => undefined, progress: { connectedAt: Date.now() - 16 * 60_000 } };
    const port = await closedPort();
    const failing = () => new MailboxSync(deps, inbox, down, { imap: { port } }).run();
    await expect(failing()).rejects.toThrow();
    await expect(failing()).rejects.toThrow();
    expect(fake.messages.map((m) => m.text.split('\n')[0])).toEqual(['🥊 ERROR · imap_down']);
    expect(fake.messages[0]?.text).toContain('Папка INBOX: нет подключения к IMAP 16 мин.');

    await harness.sync('inbox');
    await harness.sync('inbox');
    expect(fake.messages.map((m) => m.text.split('\n')[0])).toEqual(['🥊 ERROR · imap_down', '💡 INFO · imap_down']);
    expect(fake.messages[1]?.text).toContain('Восстановлено. Папка INBOX: подключение к IMAP восстановлено.');
    expect(fake.messages[1]?.text).toContain('Повторов подавлено с прошлого уведомления: 1');
  }, 60_000);

  test('MAIL-17 / ALERT-3: a mail failure abandoned after its last retry sends one Telegram message naming the folder', async () => {
    await harness.sync('inbox');
    await appendInOrder(harness.mail, 'INBOX', [{ raw: Buffer.alloc(0), internalDate: new Date() }]);
    let clock = Date.now();
    const now = () => new Date(clock);
    await harness.sync('inbox', { now });
    for (let retry = 1; retry <= 5; retry++) {
      const failure = (await listMailFailures(harness.db.pool))[0];
      clock = (failure?.nextRetryAt?.getTime() ?? clock) + 1_000;
      await harness.sync('inbox', { now });
    }
    expect((await listMailFailures(harness.db.pool))[0]?.state).toBe('abandoned');
    expect(harness.log.alerts('mail_failure_abandoned')).toHaveLength(1);
    expect(fake.messages).toHaveLength(1);
    const [text] = fake.messages.map((m) => m.text);
    expect(text?.split('\n')[0]).toBe('🥊 ERROR · mail_failure_abandoned');
    expect(text).toContain('Папка INBOX: письмо UID 1 не обработано после 5 попыток и оставлено.');
    expect(text).toContain('Причина: empty message (0 bytes)');
  }, 90_000);

  test('ASSIGN-4 / ALERT-3: no dispatcher available sends one Telegram message naming the incident id', async () => {
    const incidentId = await incidentWithoutDispatcher('no-dispatcher');
    expect(await incidentActivities().chooseDispatcher(incidentId)).toBeNull();
    expect(harness.log.alerts('no_dispatcher').filter((line) => line['incidentId'] === incidentId)).toHaveLength(1);
    expect(fake.messages).toHaveLength(1);
    const lines = fake.messages[0]?.text.split('\n') ?? [];
    expect(lines.slice(0, 2)).toEqual(['🥊 ERROR · no_dispatcher', `Инцидент: #${incidentId}`]);
  });

  test('ALERT-1: a Bot API answering 500 to every attempt does not fail the activity', async () => {
    const incidentId = await incidentWithoutDispatcher('no-dispatcher-500');
    fake.failNext({ kind: 'server-error', status: 500 }, 4);
    const bot = createTelegramBot({ ...harness.config.telegram, log: harness.log.logger, retryDelaysMs: [20, 20, 20] });
    const alerts = createAlerts({ config: harness.config, db: harness.db.pool, log: harness.log.logger, bot });
    await expect(incidentActivities(alerts).chooseDispatcher(incidentId)).resolves.toBeNull();
    expect(fake.calls.map((call) => call.outcome)).toEqual([
      'server-error',
      'server-error',
      'server-error',
      'server-error',
    ]);
    expect(fake.messages).toHaveLength(0);
  });
});
