// Temporal Schedules of the scheduled jobs (OPS-2, TEMPORAL_NOTES §3: Schedules, not cronSchedule):
// TowerStore sync (TS-1), backup (BAK-1) and cleanup (CLEAN-1), created or updated idempotently at
// bootstrap with cron expressions and time zone from the config, overlapping runs skipped and a
// missed run taken late only within one hour. Each can be triggered now (OPS-3).
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { ConnectionLike, ScheduleDescription } from '@temporalio/client';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { createDbPool } from '../adapters/db/pool.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../logger.js';

export const SCHEDULE_NAMES = ['towerstore-sync', 'backup', 'cleanup'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

const WORKFLOW_TYPES: Record<ScheduleName, string> = {
  'towerstore-sync': 'towerStoreSyncWorkflow',
  backup: 'backupWorkflow',
  cleanup: 'cleanupWorkflow',
};

/** OPS-2: a run missed while the server was down is taken late only if less than an hour old. */
const CATCHUP_WINDOW = '1 hour';

/** Schedule id; the task queue keeps installations (and test runs) sharing a namespace apart. */
export function scheduleId(config: Pick<Config, 'temporal'>, name: ScheduleName): string {
  return `${config.temporal.taskQueue}-${name}`;
}

interface ScheduleDefinition {
  name: ScheduleName;
  cron: string;
  timeZone: string;
  workflowType: string;
  taskQueue: string;
}

function definitions(config: Pick<Config, 'temporal' | 'schedules' | 'timeZone'>): ScheduleDefinition[] {
  const cron: Record<ScheduleName, string> = {
    'towerstore-sync': config.schedules.towerStoreSyncCron,
    backup: config.schedules.backupCron,
    cleanup: config.schedules.cleanupCron,
  };
  return SCHEDULE_NAMES.map((name) => ({
    name,
    cron: cron[name],
    timeZone: config.timeZone,
    workflowType: WORKFLOW_TYPES[name],
    taskQueue: config.temporal.taskQueue,
  }));
}

/**
 * The definition as the schedule's note: the server stores cron strings as calendars, so the note
 * is what tells whether the schedule already matches the config.
 */
function fingerprint(definition: ScheduleDefinition): string {
  return `dispatch:${JSON.stringify({ ...definition, overlap: 'SKIP', catchupWindow: CATCHUP_WINDOW })}`;
}

function scheduleOptions(config: Pick<Config, 'temporal'>, definition: ScheduleDefinition) {
  return {
    spec: { cronExpressions: [definition.cron], timezone: definition.timeZone },
    action: {
      type: 'startWorkflow' as const,
      workflowType: definition.workflowType,
      taskQueue: definition.taskQueue,
      workflowId: scheduleId(config, definition.name),
      args: [],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW },
    state: { note: fingerprint(definition), paused: false },
  };
}

export type ScheduleChange = 'created' | 'updated' | 'unchanged';

/** Creates missing schedules and updates those whose definition differs; others are left alone. */
export async function ensureSchedules(
  client: Client,
  config: Pick<Config, 'temporal' | 'schedules' | 'timeZone'>,
  log: Logger,
): Promise<Record<ScheduleName, ScheduleChange>> {
  const changes = {} as Record<ScheduleName, ScheduleChange>;
  for (const definition of definitions(config)) {
    const id = scheduleId(config, definition.name);
    const options = scheduleOptions(config, definition);
    const handle = client.schedule.getHandle(id);
    let current: ScheduleDescription | null = null;
    try {
      current = await handle.describe();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    if (current === null) {
      await client.schedule.create({ scheduleId: id, ...options });
      changes[definition.name] = 'created';
    } else if (current.state.note !== options.state.note || current.state.paused) {
      await handle.update((previous) => ({ ...previous, ...options }));
      changes[definition.name] = 'updated';
    } else {
      changes[definition.name] = 'unchanged';
    }
  }
  log.info({ schedules: changes }, 'schedules present');
  return changes;
}

/**
 * Triggers `name` now (overlap still skipped) and returns the id of the workflow it started, or
 * null when a run was already in progress and the trigger was skipped.
 */
export async function triggerSchedule(
  client: Client,
  config: Pick<Config, 'temporal'>,
  name: ScheduleName,
  options: { waitMs?: number } = {},
): Promise<string | null> {
  const handle = client.schedule.getHandle(scheduleId(config, name));
  const before = await handle.describe();
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  while (Date.now() < deadline) {
    const now = await handle.describe();
    if (now.info.numActionsTaken > before.info.numActionsTaken) {
      const latest = [...now.info.recentActions].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime())[0];
      return latest?.action.workflow.workflowId ?? null;
    }
    if (now.info.numActionsSkippedOverlap > before.info.numActionsSkippedOverlap) return null;
    await sleep(200);
  }
  return null;
}

/** YT-13: the change-detection schedule; an interval, so it stays apart from the cron jobs above. */
export const TRACKER_RECONCILE_SCHEDULE = 'tracker-reconcile';

/** Creates or updates the `tracker-reconcile` schedule (every YT_POLL_INTERVAL_SECONDS, overlap SKIP). */
export async function ensureTrackerReconcileSchedule(
  client: Client,
  config: Pick<Config, 'temporal' | 'tracker'>,
  log: Logger,
): Promise<ScheduleChange> {
  const id = `${config.temporal.taskQueue}-${TRACKER_RECONCILE_SCHEDULE}`;
  const every = `${config.tracker.pollIntervalSeconds}s`;
  const definition = { workflowType: 'trackerReconcileWorkflow', taskQueue: config.temporal.taskQueue, every };
  const options = {
    spec: { intervals: [{ every }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: definition.workflowType,
      taskQueue: definition.taskQueue,
      workflowId: id,
      args: [],
    },
    // A poll missed while the server was down is pointless later: the next one covers it.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    state: { note: `dispatch:${JSON.stringify({ ...definition, overlap: 'SKIP' })}`, paused: false },
  };
  const handle = client.schedule.getHandle(id);
  let current: ScheduleDescription | null = null;
  try {
    current = await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  let change: ScheduleChange = 'unchanged';
  if (current === null) {
    await client.schedule.create({ scheduleId: id, ...options });
    change = 'created';
  } else if (current.state.note !== options.state.note || current.state.paused) {
    await handle.update((previous) => ({ ...previous, ...options }));
    change = 'updated';
  }
  log.info({ schedule: TRACKER_RECONCILE_SCHEDULE, change, every }, 'tracker change-detection schedule present');
  return change;
}

/** Poles loaded from TowerStore (the default pole, site 0, is not one of them). */
export async function directoryPoleCount(db: DatabasePool): Promise<number> {
  const row = await db.one(sql.type(z.object({ n: z.number() }))`
    SELECT count(*)::int AS n FROM poles WHERE site_id <> 0`);
  return row.n;
}

/** TS-1: a fresh installation (only the default pole) gets its directory right away. */
async function directoryIsEmpty(config: Pick<Config, 'database'>): Promise<boolean> {
  const db = await createDbPool(config.database.url, { maxPoolSize: 1 });
  try {
    return (await directoryPoleCount(db)) === 0;
  } finally {
    await db.end();
  }
}

/** The bootstrap step: schedules present and, on an empty directory, a first TowerStore sync. */
export async function bootstrapSchedules(connection: ConnectionLike, config: Config, log: Logger): Promise<void> {
  const client = new Client({ connection, namespace: config.temporal.namespace });
  await ensureSchedules(client, config, log);
  await ensureTrackerReconcileSchedule(client, config, log);
  if (await directoryIsEmpty(config)) {
    const workflowId = await triggerSchedule(client, config, 'towerstore-sync', { waitMs: 5000 });
    log.info({ workflowId }, 'directory empty: TowerStore sync triggered (TS-1)');
  }
}
