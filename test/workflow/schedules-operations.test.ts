// OPS-2 / TS-1 schedules created at bootstrap (idempotent), and the scheduled jobs run through
// their schedule triggers on a real worker: TowerStore sync with TS-9 signals and TS-8 alerts,
// a backup that restores into a scratch database with identical row counts, cleanup's summary.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';
import { createAlertActivities } from '../../src/activities/alerts.js';
import { createOperationsActivities } from '../../src/activities/operations.js';
import { restoreBackup, tableRowCounts } from '../../src/adapters/backup/restore.js';
import { createDatabase, databaseUrl, dropDatabase } from '../../src/adapters/db/admin.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { startTelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';
import type { TelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';
import { startTowerStoreFeedServer } from '../../src/sandbox/towerstore/feed-server.js';
import type { TowerStoreFeedServer } from '../../src/sandbox/towerstore/feed-server.js';
import {
  bootstrapSchedules,
  ensureSchedules,
  scheduleId,
  SCHEDULE_NAMES,
  triggerSchedule,
} from '../../src/starters/schedules.js';
import type { ScheduleName } from '../../src/starters/schedules.js';
import { completeEnv } from '../fixtures/config/env.js';
import { createTestDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/db.js';
import { ENV_PG_ADMIN_URL, requireEnv } from '../support/services.js';
import { recordHistory } from '../support/replay.js';
import { connectTemporal } from '../support/temporal.js';
import type { TemporalTestContext } from '../support/temporal.js';

const log = createLogger({ destination: { write: () => true } as unknown as NodeJS.WritableStream });

const poleRow = (siteId: number, code: string, bs: string) => ({
  SiteId: siteId,
  Шифр: code,
  'Имя БС': bs,
  'Статус опоры': null,
  Широта: 55.7,
  Долгота: 37.6,
  'Высота опоры': 40,
  Регион: 'Moscow',
  Адрес: null,
  'Инфраструктурная компания': null,
  'Якорный оператор': null,
  RegionRu: 'Москва',
});
const avrRow = (name: string, code: string) => ({
  Подрядчик: name,
  'Исключен из договора': 'Нет',
  'Шифр опоры': code,
  'Контактные данные подрядчика Email': 'avr@remont.ru',
  'Контактные данные подрядчика Телефон': '',
});
const bsRow = (code: string, name: string) => ({
  'Шифр опоры': code,
  'Имя БС/Оборудование': name,
  Оператор: 'МТС',
  'Группа операторов': 'МТС',
});

let telegram: TelegramFake;
let feeds: TowerStoreFeedServer;
let database: TestDatabase;
let temporal: TemporalTestContext;
let config: Config;
let backupDir: string;
let attachmentsDir: string;

beforeAll(async () => {
  telegram = await startTelegramFake();
  feeds = await startTowerStoreFeedServer({
    feeds: {
      poles: [poleRow(101, '20001-MSK-01', 'MSK2001'), poleRow(102, '20002-MSK-01', 'MSK2002')],
      avr: [avrRow('ООО Ремонт', '20001-MSK-01'), avrRow('ООО Север', '20002-MSK-01')],
      bs: [bsRow('20001-MSK-01', 'MSK2001'), bsRow('20002-MSK-01', 'MSK2002')],
    },
  });
  database = await createTestDatabase('ops');
  temporal = await connectTemporal('ops');
  backupDir = await mkdtemp(join(tmpdir(), 'dispatch-ops-backup-'));
  attachmentsDir = await mkdtemp(join(tmpdir(), 'dispatch-ops-attachments-'));
  config = loadConfig(
    {
      ...completeEnv(),
      ...telegram.env,
      ...feeds.env,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: requireEnv('DISPATCH_TEST_TEMPORAL_ADDRESS'),
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: temporal.taskQueue,
      TG_ALERT_COOLDOWN_MINUTES: '0',
      TS_MAX_SHRINK_RATIO: '0.9',
      BACKUP_DIR: backupDir,
      ATTACHMENTS_DIR: attachmentsDir,
      TS_SYNC_CRON: '0 20 * * *',
      BACKUP_CRON: '0 1,10 * * *',
      CLEANUP_CRON: '0 2 * * *',
      DISPATCH_TIME_ZONE: 'Europe/Moscow',
    },
    { dotenvPath: null },
  );
});

afterAll(async () => {
  for (const name of SCHEDULE_NAMES) {
    await temporal.client.schedule
      .getHandle(scheduleId(config, name))
      .delete()
      .catch(() => undefined);
  }
  await temporal.close();
  await feeds.close();
  await telegram.close();
  await database.drop();
  await rm(backupDir, { recursive: true, force: true });
  await rm(attachmentsDir, { recursive: true, force: true });
});

function activities() {
  const deps = { config, db: database.pool, log, temporal: temporal.client };
  return { ...createOperationsActivities(deps), ...createAlertActivities(deps) };
}

/** Triggers a schedule and waits for the workflow it started. */
async function runScheduled<T>(name: ScheduleName): Promise<T> {
  const workflowId = await triggerSchedule(temporal.client, config, name);
  expect(workflowId).not.toBeNull();
  const result = (await temporal.client.workflow.getHandle(workflowId ?? '').result()) as T;
  await recordHistory(
    temporal.client,
    workflowId ?? '',
    `scheduled-${name}`,
    `schedule ${name} (schedules-operations)`,
  );
  return result;
}

describe('OPS-2 schedules', () => {
  test('OPS-2/TS-1: bootstrap creates the three schedules (cron and time zone from config, overlap SKIP, 1 h catch-up) and triggers the first sync on an empty directory', async () => {
    await bootstrapSchedules(temporal.client.connection, config, log);
    const expected: Record<ScheduleName, [string, string]> = {
      'towerstore-sync': ['towerStoreSyncWorkflow', '0 20 * * *'],
      backup: ['backupWorkflow', '0 1,10 * * *'],
      cleanup: ['cleanupWorkflow', '0 2 * * *'],
    };
    for (const name of SCHEDULE_NAMES) {
      const description = await temporal.client.schedule.getHandle(scheduleId(config, name)).describe();
      expect(description.action).toMatchObject({
        type: 'startWorkflow',
        workflowType: expected[name][0],
        taskQueue: temporal.taskQueue,
      });
      expect(description.policies).toMatchObject({ overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 3_600_000 });
      expect(description.spec.timezone).toBe('Europe/Moscow');
      expect(description.state.note).toContain(`"cron":"${expected[name][1]}"`);
      expect(description.state.paused).toBe(false);
    }
    const sync = await temporal.client.schedule.getHandle(scheduleId(config, 'towerstore-sync')).describe();
    expect(sync.info.numActionsTaken).toBe(1);
  });

  test('OPS-2: re-running bootstrap changes nothing; a changed cron updates only its schedule', async () => {
    const before = await Promise.all(
      SCHEDULE_NAMES.map((name) => temporal.client.schedule.getHandle(scheduleId(config, name)).describe()),
    );
    expect(await ensureSchedules(temporal.client, config, log)).toEqual({
      'towerstore-sync': 'unchanged',
      backup: 'unchanged',
      cleanup: 'unchanged',
    });
    const after = await Promise.all(
      SCHEDULE_NAMES.map((name) => temporal.client.schedule.getHandle(scheduleId(config, name)).describe()),
    );
    expect(after.map((d) => d.info.lastUpdatedAt?.getTime())).toEqual(
      before.map((d) => d.info.lastUpdatedAt?.getTime()),
    );
    const changed = { ...config, schedules: { ...config.schedules, cleanupCron: '30 3 * * *' } };
    expect(await ensureSchedules(temporal.client, changed, log)).toEqual({
      'towerstore-sync': 'unchanged',
      backup: 'unchanged',
      cleanup: 'updated',
    });
    expect(await ensureSchedules(temporal.client, config, log)).toMatchObject({ cleanup: 'updated' });
  });
});

describe('scheduled jobs on a worker', () => {
  test('TS-1/TS-8/TS-9: the sync signals changed running incidents, skips the others, and alerts the summary', async () => {
    await temporal.withWorker(
      async () => {
        // The first sync, triggered by bootstrap, runs as soon as a worker polls.
        const sync = await temporal.client.schedule.getHandle(scheduleId(config, 'towerstore-sync')).describe();
        const first = sync.info.recentActions[0]?.action.workflow.workflowId ?? '';
        expect(await temporal.client.workflow.getHandle(first).result()).toMatchObject({ status: 'applied' });

        // Ids far from other test files' incidents: workflow ids are shared within the namespace.
        const base = 900_000_000 + randomInt(1_000_000) * 10;
        const poleId = (siteId: number) =>
          database.pool.oneFirst(
            sql.type(z.object({ id: z.number() }))`SELECT id FROM poles WHERE site_id = ${siteId}`,
          );
        for (const [offset, siteId] of [
          [1, 101],
          [2, 102],
          [3, 102],
        ] as const) {
          await database.pool.query(sql.unsafe`
            INSERT INTO incidents (id, registration_time, is_auto, pole_id) VALUES (${base + offset}, now(), true, ${await poleId(siteId)})`);
        }
        // A running incident workflow (on a queue nobody polls, so it just waits) for incidents 1 and 2;
        // incident 3 has none.
        const idle = `${temporal.taskQueue}-idle`;
        const running = await Promise.all(
          [1, 2].map((offset) =>
            temporal.client.workflow.start('incidentWorkflow', {
              workflowId: `incident-${base + offset}`,
              taskQueue: idle,
              args: [{ incidentId: base + offset }],
            }),
          ),
        );
        try {
          // 20002-MSK-01's contractor disappears; pole 101 is untouched.
          feeds.setFeed('avr', [avrRow('ООО Ремонт', '20001-MSK-01')]);
          telegram.reset();
          const summary = await runScheduled<{
            status: string;
            runId: number;
            signalledIncidentIds: number[];
            skippedIncidentIds: number[];
          }>('towerstore-sync');
          expect(summary.status).toBe('applied');
          expect(summary.signalledIncidentIds).toEqual([base + 2]);
          expect(summary.skippedIncidentIds).toEqual([base + 3]);
          const history = await running[1]?.fetchHistory();
          const signals = (history?.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
          expect(signals.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)).toEqual([
            'directoryChanged',
          ]);
          expect(telegram.messages).toHaveLength(1);
          expect(telegram.messages[0]?.text).toMatch(
            new RegExp(
              `^💡 INFO · towerstore\\.sync\\n\\nСинхронизация TowerStore выполнена \\(запуск ${summary.runId},`,
            ),
          );
          expect(telegram.messages[0]?.text).toContain(
            'подрядчики АВР (avr): загружено 1, принято 1, пропущено 0, добавлено 0, изменено 0, удалено 1',
          );
        } finally {
          await Promise.all(running.map((h) => h.terminate('test done')));
        }
      },
      { activities: activities() },
    );
  });

  test('BAK-1/BAK-2: a backup through the schedule trigger restores into a scratch database with identical row counts', async () => {
    telegram.reset();
    const result = await temporal.withWorker(
      () => runScheduled<{ status: string; file: string | null; error: string | null }>('backup'),
      { activities: activities() },
    );
    expect(result.error).toBeNull();
    expect(result.status).toBe('succeeded');
    expect(telegram.messages.map((m) => m.text.split('\n')[0])).toEqual(['💡 INFO · backup.succeeded']);
    const adminUrl = requireEnv(ENV_PG_ADMIN_URL);
    const scratch = `${database.name}_scratch`;
    await createDatabase(adminUrl, scratch);
    try {
      await restoreBackup(result.file ?? '', databaseUrl(adminUrl, scratch));
      const restored = await tableRowCounts(databaseUrl(adminUrl, scratch));
      const source = await tableRowCounts(database.url);
      // The success alert's de-duplication row is written after the dump; everything else is identical.
      expect(restored).toEqual({ ...source, alert_states: (source.alert_states ?? 0) - 1 });
      expect(restored.poles).toBe(3);
      expect(restored.incidents).toBe(3);
    } finally {
      await dropDatabase(adminUrl, scratch);
    }
  });

  test('CLEAN-1/CLEAN-2: cleanup through the schedule records its run and alerts the summary', async () => {
    telegram.reset();
    const result = await temporal.withWorker(() => runScheduled<{ runId: number; status: string }>('cleanup'), {
      activities: activities(),
    });
    expect(result.status).toBe('succeeded');
    expect(telegram.messages.map((m) => m.text)).toEqual([
      `💡 INFO · cleanup.succeeded\n\nОчистка выполнена (запуск ${result.runId}): удалено файлов вложений 0, ` +
        'пустых каталогов 0; отмечено отсутствующих вложений 0; удалено записей об ошибках почты 0, ' +
        'отправленных писем из очереди 0.',
    ]);
  });
});
