// Tracker change detection (YT-13) and routing of observed issues (YT-15): the poll activity of the
// `tracker-reconcile` schedule, and the router the trigger webhook shares with it (one code path).
// Every step is safe to repeat: imports are idempotent by issue key (UNIQUE code), field writes
// compare before writing (YT-12), and the VAL-E1 transition happens only outside `error`.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { createAlerts } from '../adapters/telegram/alerts.js';
import type { Alerts } from '../adapters/telegram/alerts.js';
import {
  importManualIncident,
  readChangeCursor,
  routedIncidentByCode,
  routedIncidentById,
  saveChangeCursor,
} from '../adapters/db/tracker-sync-store.js';
import type { DbPool } from '../adapters/db/pool.js';
import { createTrackerClient } from '../adapters/tracker/index.js';
import type { TrackerClient, TrackerIssue } from '../adapters/tracker/client.js';
import { trackerFieldIds, trackerStatusKeys } from '../adapters/tracker/fields.js';
import type { Config } from '../config/load.js';
import { readTrackerDateTime } from '../domain/datetime.js';
import { fieldsToWrite } from '../domain/tracker-fields.js';
import type { TrackerFieldIds } from '../domain/tracker-fields.js';
import {
  advanceCursor,
  fullReconcileDue,
  initialCursor,
  readLocalIdValue,
  routeIssue,
  searchFrom,
  statusEntry,
} from '../domain/tracker-routing.js';
import type { RoutingDecision, SeenUpdate, StatusChange } from '../domain/tracker-routing.js';
import { FIXED_STATUS_KEYS, isFinishingStatus } from '../domain/tracker-statuses.js';
import { unknownLocalIdMessage } from '../domain/validation.js';
import { formatTrackerDateTime } from '../domain/datetime.js';
import type { Logger } from '../logger.js';
import { incidentWorkflow } from '../workflows/incident.js';
import { incidentStartOptions, TRACKER_POLL_FAILED_ALERT, trackerChangedSignal } from '../workflows/signals.js';
import type { TrackerChangeSource } from '../workflows/signals.js';
import { atBoundary } from './incident.js';
import type { ActivityDependencies } from './index.js';

/** What routing one issue did (YT-15). */
export interface RouteResult {
  issueKey: string;
  decision: RoutingDecision['kind'];
  incidentId: number | null;
  /** A `trackerChanged` signal was sent (signalWithStart). */
  signalled: boolean;
  /** A new incident was imported (INC-1 b); false when another import created it first. */
  imported: boolean;
}

export interface PollResult {
  full: boolean;
  seen: number;
  signalled: number;
  imported: number;
  localIdsWritten: number;
  transitionedToError: number;
  alerted: number;
  skippedOldVersion: number;
  skipped: number;
  errors: number;
  /** The stored cursor after the poll (ISO). */
  cursor: string;
}

/** The status key of an issue snapshot (`status` is a reference `{key, …}`). */
function statusKeyOf(issue: TrackerIssue): string | null {
  const status = issue['status'];
  if (typeof status === 'string') return status;
  if (status !== null && typeof status === 'object') {
    const key = (status as { key?: unknown }).key;
    if (typeof key === 'string') return key;
  }
  return null;
}

/** Status changes of a changelog (entries read with `field=status`). */
function statusChanges(entries: readonly Record<string, unknown>[]): StatusChange[] {
  const changes: StatusChange[] = [];
  for (const entry of entries) {
    const fields = Array.isArray(entry['fields']) ? (entry['fields'] as unknown[]) : [];
    for (const change of fields) {
      if (change === null || typeof change !== 'object') continue;
      const { field, to } = change as { field?: { id?: unknown }; to?: unknown };
      if (field?.id !== 'status') continue;
      const toKey =
        to !== null && typeof to === 'object' ? (to as { key?: unknown }).key : typeof to === 'string' ? to : null;
      changes.push({
        id: String(entry['id']),
        at: readTrackerDateTime(entry['updatedAt']),
        toStatusKey: typeof toKey === 'string' ? toKey : null,
      });
    }
  }
  return changes;
}

export interface TrackerRouterDependencies {
  config: Config;
  db: DbPool;
  log: Logger;
  temporal: Client;
  alerts: Alerts;
  tracker: () => TrackerClient;
}

export type TrackerRouter = ReturnType<typeof createTrackerRouter>;

/** YT-15: routes observed issues; shared by the poll (YT-13) and the trigger webhook. */
export function createTrackerRouter(deps: TrackerRouterDependencies) {
  const { config, db } = deps;
  const tracker = config.tracker;
  const statusKeys = trackerStatusKeys(tracker);
  // Only the local-id field is written here: the unresolved problem-type id is never used.
  const fieldIds: TrackerFieldIds = trackerFieldIds(tracker, tracker.fieldIds.typeOfProblem);

  /** YT-12: writes the incident id into the local-id field unless it already holds it. */
  const writeLocalId = async (issue: TrackerIssue, incidentId: number): Promise<TrackerIssue> => {
    const patch = fieldsToWrite(issue, { [fieldIds.localId]: incidentId }, fieldIds);
    if (Object.keys(patch).length === 0) return issue;
    return deps.tracker().updateIssue(issue.key, patch);
  };

  /** YT-15 step 3 / INC-12: signalWithStart, so a completed workflow gets a new run. */
  const signal = async (incidentId: number, issue: TrackerIssue, source: TrackerChangeSource): Promise<void> => {
    await deps.temporal.workflow.signalWithStart(incidentWorkflow, {
      ...incidentStartOptions(incidentId, config.temporal.taskQueue, 'Tracker'),
      signal: trackerChangedSignal,
      signalArgs: [
        {
          issueKey: issue.key,
          version: issue.version,
          updatedAt: typeof issue['updatedAt'] === 'string' ? issue['updatedAt'] : '',
          source,
        },
      ],
    });
  };

  /** INC-1 b / INC-6 / INC-10: the incident of a manual issue, then its id in the issue, then its workflow. */
  const importIssue = async (issue: TrackerIssue, statusKey: string | null, log: Logger) => {
    const createdAt = readTrackerDateTime(issue['createdAt']);
    if (createdAt === null) throw new Error(`issue ${issue.key} has no readable createdAt`);
    let finishedAt: Date | null = null;
    if (statusKey !== null && isFinishingStatus(statusKey, statusKeys)) {
      const changes = statusChanges(await deps.tracker().changelog(issue.key, { field: 'status' }));
      finishedAt = statusEntry(statusKey, changes, readTrackerDateTime(issue['statusStartTime']), createdAt).at;
    }
    const { incidentId, created } = await importManualIncident(db, {
      code: issue.key,
      registrationTime: createdAt,
      finishedAt,
    });
    // YT-19: the DB row does not depend on the write; a failed write is redone by the next
    // observation (step 1 finds the incident by code).
    const written = await writeLocalId(issue, incidentId);
    await signal(incidentId, written, 'import');
    log.info({ incidentId, created, finished: finishedAt !== null }, 'manual issue imported (INC-1 b)');
    return { incidentId, created };
  };

  /** YT-15 step 2 / YT-17: VAL-E1 as the comment of the transition to `error`. */
  const transitionToError = async (issue: TrackerIssue, log: Logger): Promise<boolean> => {
    const transition = (await deps.tracker().transitions(issue.key)).find((t) => t.toKey === FIXED_STATUS_KEYS.error);
    if (transition === undefined) {
      log.error({ alert: 'tracker_transition_unavailable' }, 'no transition to error (YT-17)');
      await deps.alerts.alert({
        level: 'error',
        kind: 'tracker_transition_unavailable',
        issueKey: issue.key,
        subject: issue.key,
        text: `Задачу ${issue.key} нельзя перевести в статус ${FIXED_STATUS_KEYS.error}: переход недоступен (YT-17).`,
      });
      return false;
    }
    await deps.tracker().executeTransition(issue.key, transition.id, {
      comment: unknownLocalIdMessage(tracker.fieldIds.localId),
    });
    log.info('unknown local id: issue moved to error (VAL-E1)');
    return true;
  };

  const routeObserved = async (issue: TrackerIssue, source: TrackerChangeSource): Promise<RouteResult> => {
    const log = deps.log.child({ issueKey: issue.key, source });
    const statusKey = statusKeyOf(issue);
    const localId = readLocalIdValue(issue[fieldIds.localId]);
    const incidentByLocalId = localId.kind === 'id' ? await routedIncidentById(db, localId.id) : null;
    const incidentByCode = incidentByLocalId === null ? await routedIncidentByCode(db, issue.key) : null;
    const decision = routeIssue({
      issueVersion: issue.version,
      localId,
      incidentByLocalId,
      incidentByCode,
      finishing: statusKey !== null && isFinishingStatus(statusKey, statusKeys),
      inError: statusKey === FIXED_STATUS_KEYS.error,
    });
    const result = (incidentId: number | null, signalled = false, imported = false): RouteResult => ({
      issueKey: issue.key,
      decision: decision.kind,
      incidentId,
      signalled,
      imported,
    });
    switch (decision.kind) {
      case 'importManual': {
        const { incidentId, created } = await importIssue(issue, statusKey, log);
        return result(incidentId, true, created);
      }
      case 'writeLocalId': {
        const written = await writeLocalId(issue, decision.incidentId);
        log.info({ incidentId: decision.incidentId }, 'local id written to the issue of the incident with this key');
        await signal(decision.incidentId, written, source);
        return result(decision.incidentId, true);
      }
      case 'transitionToError':
        await transitionToError(issue, log);
        return result(null);
      case 'alertUnknownLocalId':
        log.warn({ alert: 'tracker_unknown_local_id', localId }, 'finished issue with an unknown local id');
        await deps.alerts.alert({
          level: 'warning',
          kind: 'tracker_unknown_local_id',
          issueKey: issue.key,
          subject: issue.key,
          text:
            `Закрытая задача ${issue.key}: ${unknownLocalIdMessage(tracker.fieldIds.localId)} ` +
            'Инцидент не создан, задача не изменена.',
        });
        return result(null);
      case 'signal':
        await signal(decision.incidentId, issue, source);
        log.debug({ incidentId: decision.incidentId, version: issue.version }, 'tracker change signalled');
        return result(decision.incidentId, true);
      case 'skipOldVersion':
      case 'skipExcluded':
        log.debug(
          { incidentId: decision.incidentId, version: issue.version, decision: decision.kind },
          'issue skipped',
        );
        return result(decision.incidentId);
      case 'skipAlreadyInError':
        log.debug({ decision: decision.kind }, 'issue skipped');
        return result(null);
    }
  };

  return {
    /** YT-15 for an issue snapshot just read. */
    routeIssue: routeObserved,
    /** The webhook's path: the current snapshot of the issue, routed like a polled one. */
    async routeIssueByKey(issueKey: string, source: TrackerChangeSource = 'webhook'): Promise<RouteResult> {
      return routeObserved(await deps.tracker().getIssue(issueKey), source);
    },
  };
}

/** A heartbeat when running as an activity; a no-op when called directly (webhook, CLI). */
function heartbeat(details: unknown): void {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    return;
  }
  context.heartbeat(details);
}

export function createTrackerSyncActivities(deps: ActivityDependencies) {
  const { config, db } = deps;
  const tracker = config.tracker;
  const alerts = deps.alerts ?? createAlerts({ config, db, log: deps.log });
  let client: TrackerClient | undefined;
  const trackerClient = (): TrackerClient => (client ??= createTrackerClient(tracker, db, deps.log));
  const router = createTrackerRouter({ ...deps, alerts, tracker: trackerClient });
  const statusKeys = trackerStatusKeys(tracker);

  return {
    /**
     * YT-13: issues updated since the cursor (− 2 min), and once a day every open issue, each routed
     * (YT-15); then the cursor moves to the largest `updatedAt` seen. `full` forces the reconciliation.
     */
    async pollTrackerChanges(input: { full?: boolean } = {}): Promise<PollResult> {
      return atBoundary(async () => {
        const now = new Date();
        const stored = await readChangeCursor(db, tracker.queue);
        const cursor = stored?.cursor ?? initialCursor(now, tracker.initialSyncDays);
        const full = input.full === true || fullReconcileDue(stored?.lastReconciledAt ?? null, now);
        const log = deps.log.child({ queue: tracker.queue, full });

        const changed = await trackerClient().searchIssues(
          { queue: tracker.queue, updatedAt: { from: formatTrackerDateTime(searchFrom(cursor)) } },
          '+updatedAt',
        );
        heartbeat({ phase: 'searched', found: changed.length });
        const issues = new Map<string, { issue: TrackerIssue; source: TrackerChangeSource }>(
          changed.map((issue) => [issue.key, { issue, source: 'poll' }]),
        );
        if (full) {
          // YT-13: open issues regardless of updatedAt (finished ones are left to the cursor).
          for (const issue of await trackerClient().searchIssues({ queue: tracker.queue }, '+key')) {
            const key = statusKeyOf(issue);
            if (issues.has(issue.key) || (key !== null && isFinishingStatus(key, statusKeys))) continue;
            issues.set(issue.key, { issue, source: 'reconcile' });
          }
          heartbeat({ phase: 'reconcile searched', found: issues.size });
        }

        const result: PollResult = {
          full,
          seen: issues.size,
          signalled: 0,
          imported: 0,
          localIdsWritten: 0,
          transitionedToError: 0,
          alerted: 0,
          skippedOldVersion: 0,
          skipped: 0,
          errors: 0,
          cursor: cursor.toISOString(),
        };
        const seen: SeenUpdate[] = [];
        let done = 0;
        for (const { issue, source } of issues.values()) {
          const updatedAt = readTrackerDateTime(issue['updatedAt']);
          let routed = false;
          try {
            const outcome = await router.routeIssue(issue, source);
            routed = true;
            if (outcome.signalled) result.signalled++;
            if (outcome.imported) result.imported++;
            if (outcome.decision === 'writeLocalId') result.localIdsWritten++;
            if (outcome.decision === 'transitionToError') result.transitionedToError++;
            if (outcome.decision === 'alertUnknownLocalId') result.alerted++;
            if (outcome.decision === 'skipOldVersion') result.skippedOldVersion++;
            if (outcome.decision === 'skipExcluded' || outcome.decision === 'skipAlreadyInError') result.skipped++;
          } catch (error) {
            result.errors++;
            log.error({ err: error, issueKey: issue.key }, 'routing the issue failed; it is read again next poll');
          }
          if (updatedAt !== null) seen.push({ updatedAt, routed });
          heartbeat({ phase: 'routing', done: ++done, of: issues.size });
        }

        const next = advanceCursor(cursor, seen);
        await saveChangeCursor(db, tracker.queue, next, full ? now : null);
        await alerts.recovered(
          TRACKER_POLL_FAILED_ALERT.kind,
          TRACKER_POLL_FAILED_ALERT.subject,
          'Отслеживание изменений в Трекере снова работает (YT-13).',
        );
        result.cursor = next.toISOString();
        // Every YT_POLL_INTERVAL_SECONDS: an idle poll is logged at debug only.
        const busy = result.seen > 0 || full;
        log[busy ? 'info' : 'debug']({ result }, 'tracker changes polled (YT-13)');
        return result;
      });
    },
  };
}

/** The router the webhook handler uses, built from the worker's dependencies. */
export function createTrackerRouterFor(deps: ActivityDependencies & { alerts?: Alerts }): TrackerRouter {
  const alerts = deps.alerts ?? createAlerts({ config: deps.config, db: deps.db, log: deps.log });
  let client: TrackerClient | undefined;
  const trackerClient = (): TrackerClient => (client ??= createTrackerClient(deps.config.tracker, deps.db, deps.log));
  return createTrackerRouter({ ...deps, alerts, tracker: trackerClient });
}

export type TrackerSyncActivities = ReturnType<typeof createTrackerSyncActivities>;
