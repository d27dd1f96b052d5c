// Tracker change detection (YT-13) and routing (YT-15) against the Tracker emulator, a real
// PostgreSQL and the Temporal dev server: manual-issue import (AC-20 import part, INC-1 b, INC-6),
// local-id write-back, unknown local ids (AC-21), the cursor with its 2-minute overlap, the daily
// reconciliation, the reconcile workflow and its schedule. Incident workflows are started on a task
// queue without a worker: the tests read the `trackerChanged` signals from their histories.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { ScheduleOverlapPolicy, WorkflowFailedError } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTrackerRouterFor, createTrackerSyncActivities } from '../../src/activities/tracker-sync.js';
import type { PollResult } from '../../src/activities/tracker-sync.js';
import { createAlertActivities } from '../../src/activities/alerts.js';
import { createAlerts } from '../../src/adapters/telegram/alerts.js';
import type { Config } from '../../src/config/load.js';
import { readTrackerDateTime } from '../../src/domain/datetime.js';
import { unknownLocalIdMessage } from '../../src/domain/validation.js';
import { startTelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';
import type { TelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';
import { startTrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { ensureTrackerReconcileSchedule } from '../../src/starters/schedules.js';
import type { TrackerChangedSignal } from '../../src/workflows/signals.js';
import { trackerReconcileWorkflow } from '../../src/workflows/tracker-sync.js';
import { createTestDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/db.js';
import { recordHistory } from '../support/replay.js';
import { connectTemporal } from '../support/temporal.js';
import type { TemporalTestContext } from '../support/temporal.js';
import { emulatorConfig, quietLogger } from '../workflow/incident-fixtures.js';

const MANUAL_COMMENT = 'Заявка была заведена через YandexTracker';
const HOUR = 60 * 60_000;

let temporal: TemporalTestContext;
let telegram: TelegramFake;
const workflowIds = new Set<string>();
const scheduleIds: string[] = [];

interface Stage {
  emulator: TrackerEmulator;
  database: TestDatabase;
  config: Config;
  /** Freezes the emulator's clock (the time Tracker stamps on createdAt / updatedAt); null = real time. */
  clock: { at: number | null };
  poll(full?: boolean): Promise<PollResult>;
  close(): Promise<void>;
}

let stage: Stage | undefined;

async function startStage(): Promise<Stage> {
  const clock: { at: number | null } = { at: null };
  const emulator = await startTrackerEmulator({ now: () => clock.at ?? Date.now() });
  const database = await createTestDatabase('tracker_sync');
  const config = emulatorConfig(emulator, database.url, {
    ...telegram.env,
    // Incident workflows land on a queue without a worker; only their histories are read.
    TEMPORAL_TASK_QUEUE: `${temporal.taskQueue}-incidents`,
  });
  const deps = { config, db: database.pool, log: quietLogger(), temporal: temporal.client };
  const activities = createTrackerSyncActivities({ ...deps, alerts: createAlerts(deps) });
  stage = {
    emulator,
    database,
    config,
    clock,
    poll: (full = false) => activities.pollTrackerChanges({ full }),
    async close() {
      await emulator.close();
      await database.drop();
    },
  };
  return stage;
}

beforeAll(async () => {
  temporal = await connectTemporal('tracker-change-detection');
  telegram = await startTelegramFake();
});

afterEach(async () => {
  if (stage === undefined) return;
  const ids = await stage.database.pool.anyFirst(sql.type(z.object({ id: z.number() }))`SELECT id FROM incidents`);
  for (const id of ids) workflowIds.add(`incident-${id}`);
  await stage.close();
  stage = undefined;
  telegram.reset();
});

afterAll(async () => {
  for (const id of workflowIds) {
    await temporal.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  }
  for (const id of scheduleIds) {
    await temporal.client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
  }
  await temporal.close();
  await telegram.close();
});

/** `trackerChanged` signals in the workflow history of `incident-<id>`, in order. */
async function trackerSignals(incidentId: number): Promise<TrackerChangedSignal[]> {
  const history = await temporal.client.workflow.getHandle(`incident-${incidentId}`).fetchHistory();
  const signals: TrackerChangedSignal[] = [];
  for (const event of history.events ?? []) {
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName !== 'trackerChanged') continue;
    const data = signal.input?.payloads?.[0]?.data;
    if (data) signals.push(JSON.parse(Buffer.from(data).toString('utf8')) as TrackerChangedSignal);
  }
  return signals;
}

const incidentRow = z.object({
  id: z.number(),
  code: z.string().nullable(),
  registration_time: z.date(),
  is_auto: z.boolean(),
  is_finished: z.boolean(),
  finished_at: z.date().nullable(),
});

const incidentsOf = (s: Stage) =>
  s.database.pool.any(sql.type(incidentRow)`
    SELECT id, code, registration_time, is_auto, is_finished, finished_at FROM incidents ORDER BY id`);

const historyOf = (s: Stage, incidentId: number) =>
  s.database.pool.any(sql.type(z.object({ name: z.string(), comment: z.string().nullable(), source: z.string() }))`
    SELECT s.name, h.comment, h.source FROM incident_status_history h JOIN incident_statuses s ON s.id = h.status_id
    WHERE h.incident_id = ${incidentId} ORDER BY h.id`);

const cursorOf = (s: Stage) =>
  s.database.pool.one(sql.type(z.object({ updated_at_cursor: z.date(), last_reconciled_at: z.date().nullable() }))`
    SELECT updated_at_cursor, last_reconciled_at FROM tracker_change_cursors WHERE queue = ${s.config.tracker.queue}`);

const issueOf = (s: Stage, key: string): Record<string, unknown> => {
  const issue = s.emulator.getIssue(key);
  if (issue === undefined) throw new Error(`no issue ${key}`);
  return issue;
};

const statusOf = (s: Stage, key: string): unknown => (issueOf(s, key)['status'] as { key?: unknown } | undefined)?.key;

/** A dispatcher's issue at a fixed emulator time; `fields` may carry a local id. */
function createIssueAt(s: Stage, at: number, fields: Record<string, unknown> = {}): string {
  s.clock.at = at;
  try {
    const issue = s.emulator.dispatcher.createIssue({ login: 'ivanov', summary: 'Нет питания на опоре', fields });
    return String(issue['key']);
  } finally {
    s.clock.at = null;
  }
}

/** An incident row as an earlier import or e-mail left it (code = issue key). */
async function insertIncident(s: Stage, code: string | null, trackerVersion: number | null = null): Promise<number> {
  return s.database.pool.oneFirst(sql.type(z.object({ id: z.number() }))`
    INSERT INTO incidents (code, registration_time, is_auto, tracker_version)
    VALUES (${code}, now() - interval '1 day', true, ${trackerVersion}) RETURNING id`);
}

/** Yesterday 09:00 UTC: a fixed, whole-minute creation time inside YT_INITIAL_SYNC_DAYS. */
function yesterdayAtNine(): number {
  const d = new Date(Date.now() - 24 * HOUR);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 9, 0, 0);
}

describe('YT-15 step 1: issues without a local id', () => {
  test('AC-20 / INC-1 b / INC-6: a manual issue seen by three polls and the webhook at once becomes exactly one incident', async () => {
    const s = await startStage();
    const createdAt = yesterdayAtNine();
    const key = createIssueAt(s, createdAt);
    // The webhook path shares the router (routeIssueByKey); the poll runs three times (search lag).
    const router = createTrackerRouterFor({
      config: s.config,
      db: s.database.pool,
      log: quietLogger(),
      temporal: temporal.client,
    });
    const [webhook, ...polls] = await Promise.all([router.routeIssueByKey(key), s.poll(), s.poll(), s.poll()]);

    const incidents = await incidentsOf(s);
    expect(incidents).toHaveLength(1);
    const incident = incidents[0];
    if (incident === undefined) throw new Error('unreachable');
    expect(incident).toEqual({
      id: incident.id,
      code: key,
      registration_time: new Date(createdAt),
      is_auto: false,
      is_finished: false,
      finished_at: null,
    });
    expect(await historyOf(s, incident.id)).toEqual([{ name: 'Новый', comment: MANUAL_COMMENT, source: 'system' }]);
    expect(issueOf(s, key)[s.config.tracker.fieldIds.localId]).toBe(incident.id);
    // Exactly one of the four observers created the row.
    expect((webhook.imported ? 1 : 0) + polls.reduce((n, p) => n + p.imported, 0)).toBe(1);
    expect(webhook.incidentId).toBe(incident.id);

    const description = await temporal.client.workflow.getHandle(`incident-${incident.id}`).describe();
    expect(description.type).toBe('incidentWorkflow');
    const signals = await trackerSignals(incident.id);
    expect(signals.length).toBeGreaterThanOrEqual(1);
    expect(signals.every((sig) => sig.issueKey === key)).toBe(true);

    // A later poll finds the local id: no second import, no second `Новый`.
    await s.poll();
    expect(await incidentsOf(s)).toHaveLength(1);
    expect(await historyOf(s, incident.id)).toHaveLength(1);
  });

  test('INC-10: a manual issue imported while closed is finished at the time it was closed', async () => {
    const s = await startStage();
    const createdAt = yesterdayAtNine();
    const key = createIssueAt(s, createdAt);
    const closedAt = createdAt + 2 * HOUR;
    s.clock.at = createdAt + HOUR;
    s.emulator.dispatcher.executeTransition({ login: 'ivanov', issue: key, status: 'inProgress' });
    s.clock.at = closedAt;
    s.emulator.dispatcher.executeTransition({ login: 'ivanov', issue: key, status: 'closed' });
    s.clock.at = null;

    const result = await s.poll();
    expect(result).toMatchObject({ seen: 1, imported: 1, signalled: 1, errors: 0 });
    const [incident] = await incidentsOf(s);
    expect(incident).toMatchObject({
      code: key,
      registration_time: new Date(createdAt),
      is_auto: false,
      is_finished: true,
      finished_at: new Date(closedAt),
    });
  });

  test('YT-15 step 1: an incident already has the key as code → its id is written into the issue, nothing imported', async () => {
    const s = await startStage();
    const key = createIssueAt(s, Date.now() - HOUR);
    const incidentId = await insertIncident(s, key);

    const result = await s.poll();
    expect(result).toMatchObject({ seen: 1, imported: 0, localIdsWritten: 1, signalled: 1, errors: 0 });
    expect(issueOf(s, key)[s.config.tracker.fieldIds.localId]).toBe(incidentId);
    expect(await incidentsOf(s)).toHaveLength(1);
    expect((await trackerSignals(incidentId)).map((sig) => [sig.issueKey, sig.source])).toEqual([[key, 'poll']]);
  });
});

describe('YT-15 step 2 / AC-21: unknown local id', () => {
  test('AC-21: an open issue with local id 999999 moves to error once, with VAL-E1, across repeated polls', async () => {
    const s = await startStage();
    const key = createIssueAt(s, Date.now() - HOUR, { [s.config.tracker.fieldIds.localId]: 999999 });
    const results = [await s.poll(), await s.poll(), await s.poll()];

    expect(results.map((r) => r.transitionedToError)).toEqual([1, 0, 0]);
    expect(statusOf(s, key)).toBe('error');
    const history = s.emulator.issueHistory(key);
    const toError = (history?.changelog ?? []).filter((entry) =>
      ((entry['fields'] ?? []) as Array<{ field: { id: string }; to: { key?: string } | null }>).some(
        (f) => f.field.id === 'status' && f.to?.key === 'error',
      ),
    );
    expect(toError).toHaveLength(1);
    const text = unknownLocalIdMessage(s.config.tracker.fieldIds.localId);
    expect(text).toBe(`Неизвестный ${s.config.tracker.fieldIds.localId} для внутреннего номера инцидента.`);
    expect((history?.comments ?? []).map((c) => c['text'])).toEqual([text]);
    expect(await incidentsOf(s)).toEqual([]);
    expect(issueOf(s, key)[s.config.tracker.fieldIds.localId]).toBe(999999);
  });

  test('AC-21: a closed issue with an unknown local id gets one alert and is not changed', async () => {
    const s = await startStage();
    const key = createIssueAt(s, Date.now() - HOUR, { [s.config.tracker.fieldIds.localId]: 999999 });
    s.emulator.dispatcher.executeTransition({ login: 'ivanov', issue: key, status: 'inProgress' });
    s.emulator.dispatcher.executeTransition({ login: 'ivanov', issue: key, status: 'closed' });
    const before = issueOf(s, key);

    const results = [await s.poll(), await s.poll(), await s.poll()];
    expect(results.map((r) => r.alerted)).toEqual([1, 1, 1]);
    const alerts = telegram.messages.filter((m) => m.text.includes(key));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.text).toContain(unknownLocalIdMessage(s.config.tracker.fieldIds.localId));
    expect(issueOf(s, key)['version']).toBe(before['version']);
    expect(statusOf(s, key)).toBe('closed');
    expect(await incidentsOf(s)).toEqual([]);
  });

  test('YT-15 step 2: an unknown local id on an issue whose key is an incident code is rewritten to that incident', async () => {
    const s = await startStage();
    const key = createIssueAt(s, Date.now() - HOUR, { [s.config.tracker.fieldIds.localId]: 999999 });
    const incidentId = await insertIncident(s, key);
    const result = await s.poll();
    expect(result).toMatchObject({ localIdsWritten: 1, transitionedToError: 0, signalled: 1 });
    expect(issueOf(s, key)[s.config.tracker.fieldIds.localId]).toBe(incidentId);
    expect(statusOf(s, key)).toBe('open');
  });
});

describe('YT-13 cursor, version check and daily reconciliation', () => {
  test('YT-13: the first poll starts YT_INITIAL_SYNC_DAYS back; an empty queue leaves the cursor there', async () => {
    const s = await startStage();
    const before = Date.now();
    const result = await s.poll();
    const after = Date.now();
    expect(result).toMatchObject({ full: true, seen: 0, errors: 0 });
    const { updated_at_cursor: cursor, last_reconciled_at: reconciled } = await cursorOf(s);
    const days30 = 30 * 24 * HOUR;
    expect(cursor.getTime()).toBeGreaterThanOrEqual(before - days30);
    expect(cursor.getTime()).toBeLessThanOrEqual(after - days30);
    expect(reconciled?.getTime()).toBeGreaterThanOrEqual(before);
  });

  test('YT-13 / YT-15 step 3: a changed issue is signalled once per version; the 2-minute overlap re-reads it without a new signal', async () => {
    const s = await startStage();
    const incidentId = await insertIncident(s, null);
    const key = createIssueAt(s, Date.now() - HOUR, { [s.config.tracker.fieldIds.localId]: incidentId });
    await s.database.pool.query(sql.unsafe`UPDATE incidents SET code = ${key} WHERE id = ${incidentId}`);

    const first = await s.poll();
    expect(first).toMatchObject({ seen: 1, signalled: 1, skippedOldVersion: 0 });
    const created = issueOf(s, key);
    expect((await cursorOf(s)).updated_at_cursor).toEqual(readTrackerDateTime(created['updatedAt']));

    // The workflow processed that version (it records it in tracker_version).
    await s.database.pool.query(
      sql.unsafe`UPDATE incidents SET tracker_version = ${Number(created['version'])} WHERE id = ${incidentId}`,
    );
    const overlap = await s.poll();
    expect(overlap).toMatchObject({ seen: 1, signalled: 0, skippedOldVersion: 1 });

    s.emulator.dispatcher.executeTransition({ login: 'ivanov', issue: key, status: 'inProgress' });
    const changed = issueOf(s, key);
    const third = await s.poll();
    expect(third).toMatchObject({ seen: 1, signalled: 1, skippedOldVersion: 0 });
    expect((await cursorOf(s)).updated_at_cursor).toEqual(readTrackerDateTime(changed['updatedAt']));
    expect(await trackerSignals(incidentId)).toEqual([
      { issueKey: key, version: Number(created['version']), updatedAt: created['updatedAt'], source: 'poll' },
      { issueKey: key, version: Number(changed['version']), updatedAt: changed['updatedAt'], source: 'poll' },
    ]);
  });

  test('YT-13: the daily reconciliation picks up an open issue whose updatedAt is older than the cursor', async () => {
    const s = await startStage();
    const openId = await insertIncident(s, null);
    const closedId = await insertIncident(s, null);
    const localId = s.config.tracker.fieldIds.localId;
    const openKey = createIssueAt(s, Date.now() - 3 * HOUR, { [localId]: openId });
    const closedKey = createIssueAt(s, Date.now() - 3 * HOUR, { [localId]: closedId });
    s.clock.at = Date.now() - 3 * HOUR;
    s.emulator.dispatcher.executeTransition({ login: 'ivanov', issue: closedKey, status: 'inProgress' });
    s.emulator.dispatcher.executeTransition({ login: 'ivanov', issue: closedKey, status: 'closed' });
    s.clock.at = null;
    const now = new Date();
    await s.database.pool.query(sql.unsafe`
      INSERT INTO tracker_change_cursors (queue, updated_at_cursor, last_reconciled_at)
      VALUES (${s.config.tracker.queue}, ${sql.timestamp(now)}, ${sql.timestamp(now)})`);

    expect(await s.poll()).toMatchObject({ full: false, seen: 0, signalled: 0 });
    expect(await trackerSignals(openId).catch(() => [])).toEqual([]);

    await s.database.pool.query(sql.unsafe`
      UPDATE tracker_change_cursors SET last_reconciled_at = now() - interval '25 hours'`);
    const daily = await s.poll();
    expect(daily).toMatchObject({ full: true, seen: 1, signalled: 1 });
    expect((await trackerSignals(openId)).map((sig) => [sig.issueKey, sig.source])).toEqual([[openKey, 'reconcile']]);
    expect((await cursorOf(s)).last_reconciled_at?.getTime()).toBeGreaterThanOrEqual(now.getTime());
    // The closed issue is left to the cursor: its workflow was never started.
    await expect(temporal.client.workflow.getHandle(`incident-${closedId}`).describe()).rejects.toThrow();
  });
});

describe('trackerReconcileWorkflow and the tracker-reconcile schedule (YT-13, OPS-2)', () => {
  test('YT-13: the workflow runs the poll on a worker and returns its counts', async () => {
    const s = await startStage();
    const key = createIssueAt(s, Date.now() - HOUR);
    const deps = { config: s.config, db: s.database.pool, log: quietLogger(), temporal: temporal.client };
    const workflowId = `tracker-reconcile-test-${key}-${Date.now()}`;
    const result = await temporal.withWorker(
      () =>
        temporal.client.workflow.execute(trackerReconcileWorkflow, {
          taskQueue: temporal.taskQueue,
          workflowId,
          args: [{}],
        }),
      { activities: createTrackerSyncActivities({ ...deps, alerts: createAlerts(deps) }) },
    );
    await recordHistory(temporal.client, workflowId, 'tracker-reconcile-poll', 'YT-13 poll (tracker-change-detection)');
    expect(result).toMatchObject({ full: true, seen: 1, imported: 1, signalled: 1, errors: 0 });
    const [incident] = await incidentsOf(s);
    expect(incident?.code).toBe(key);
  });

  test('ALERT-3: a poll that exhausts its attempts fails the run and is alerted once per cool-down; the next good poll sends the recovery', async () => {
    const s = await startStage();
    const deps = { config: s.config, db: s.database.pool, log: quietLogger(), temporal: temporal.client };
    const alerts = createAlerts(deps);
    const activities = {
      ...createTrackerSyncActivities({ ...deps, alerts }),
      ...createAlertActivities({ ...deps, alerts }),
    };
    const stamp = Date.now();
    const failedId = (n: number) => `tracker-reconcile-alert-test-${n}-${stamp}`;
    const run = (n: number) =>
      temporal.client.workflow.execute(trackerReconcileWorkflow, {
        taskQueue: temporal.taskQueue,
        workflowId: failedId(n),
        args: [{}],
      });
    const fault = s.emulator.addFault({ path: '/issues/_search', serverErrorRate: 1 });
    await temporal.withWorker(
      async () => {
        await expect(run(1)).rejects.toThrow(WorkflowFailedError);
        await recordHistory(
          temporal.client,
          failedId(1),
          'tracker-reconcile-failed-alerted',
          'ALERT-3 failed poll (tracker-change-detection)',
        );
        await expect(run(2)).rejects.toThrow(WorkflowFailedError);
        s.emulator.removeFault(fault.id);
        await run(3);
        await run(4);
      },
      { activities },
    );
    const messages = telegram.messages.map((m) => m.text).filter((text) => text.includes('tracker_poll_failed'));
    // Two failed runs within TG_ALERT_COOLDOWN_MINUTES: one alert; two good runs: one recovery.
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain('Отслеживание изменений в Трекере не удалось (YT-13)');
    expect(messages[0]).toContain('500');
    expect(messages[1]).toContain('Восстановлено. Отслеживание изменений в Трекере снова работает (YT-13).');
  }, 120_000);

  test('OPS-2: the schedule runs every YT_POLL_INTERVAL_SECONDS with overlap SKIP and is left alone when unchanged', async () => {
    const s = await startStage();
    const config = { ...s.config, temporal: { ...s.config.temporal, taskQueue: `${temporal.taskQueue}-schedule` } };
    scheduleIds.push(`${config.temporal.taskQueue}-tracker-reconcile`);
    expect(await ensureTrackerReconcileSchedule(temporal.client, config, quietLogger())).toBe('created');
    expect(await ensureTrackerReconcileSchedule(temporal.client, config, quietLogger())).toBe('unchanged');
    const description = await temporal.client.schedule
      .getHandle(`${config.temporal.taskQueue}-tracker-reconcile`)
      .describe();
    expect(description.spec.intervals?.map((i) => i.every)).toEqual([s.config.tracker.pollIntervalSeconds * 1000]);
    expect(description.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'trackerReconcileWorkflow',
      taskQueue: config.temporal.taskQueue,
    });
    const slower = { ...config, tracker: { ...config.tracker, pollIntervalSeconds: 30 } };
    expect(await ensureTrackerReconcileSchedule(temporal.client, slower, quietLogger())).toBe('updated');
    await temporal.client.schedule.getHandle(`${config.temporal.taskQueue}-tracker-reconcile`).delete();
  });
});
