// Processing of a Tracker issue snapshot by the incident workflow (YT-16 steps 1–6, without the
// e-mails of step 6, which the notices own), and the SLA field writes its timers trigger (SLA-5,
// SLA-6). The activity fetches the CURRENT issue itself: a signal only says "something changed".
// Every step is safe to repeat, since Temporal retries the activity as a whole: compare-before-write
// PATCHes (YT-12), history rows "unless current" (INC-8), errors per YT-18.
import { ApplicationFailure } from '@temporalio/common';
import { incidentTypeNames, loadIncident, syncAssigneeLogin } from '../adapters/db/incident-store.js';
import type { IncidentRecord } from '../adapters/db/incident-store.js';
import {
  addHistoryRowUnlessCurrent,
  clearSite,
  currentHistoryRow,
  directoryForValidation,
  loadFinishState,
  loadTrackerState,
  recordProcessedSnapshot,
  recordValidatedValues,
  updateIncidentCode,
  writeFinishState,
  writeIncidentType,
  writeValidatedSite,
} from '../adapters/db/snapshot-store.js';
import { createAlerts } from '../adapters/telegram/alerts.js';
import type { TrackerClient, TrackerIssue } from '../adapters/tracker/client.js';
import { assigneeLogin, problemTypeFieldId, trackerFieldIds, trackerStatusKeys } from '../adapters/tracker/fields.js';
import { createTrackerClient } from '../adapters/tracker/index.js';
import { readTrackerDateTime } from '../domain/datetime.js';
import { buildDirectoryIndex } from '../domain/directory-index.js';
import { evaluateSla, slaEndAtAfterStatus } from '../domain/sla.js';
import type { SlaStatus } from '../domain/sla.js';
import { finishStateAfterStatus, rowForObservedStatus } from '../domain/status-history.js';
import type { FinishChange } from '../domain/status-history.js';
import { deriveTrackerFields, fieldsToWrite, readDropdown, readFieldString } from '../domain/tracker-fields.js';
import type { DerivedFieldInputs, TrackerFieldIds } from '../domain/tracker-fields.js';
import { noticeForStatus } from '../domain/tracker-statuses.js';
import type { NoticeKind } from '../domain/tracker-statuses.js';
import { needsValidation, validateDispatcherInput } from '../domain/validation.js';
import type { DispatcherFields, ValidatedField, ValidationFailure } from '../domain/validation.js';
import { INCIDENT_FAILURE_TYPES } from '../workflows/incident.js';
import { atBoundary } from './incident.js';
import type { ActivityDependencies } from './index.js';
import { issueStatusKey, reportSystemError } from './issue-status.js';
import type { IssueWriter } from './issue-status.js';

export interface SlaSnapshot {
  registrationTime: string;
  deadline: string | null;
  slaEndAt: string | null;
  isFinished: boolean;
  /** SLA-4 status at the `at` of the call. */
  status: SlaStatus;
}

export interface SnapshotOutcome {
  /** False: issue version ≤ incidents.tracker_version (YT-13 de-dup), nothing done. */
  processed: boolean;
  version: number | null;
  statusKey: string | null;
  /** YT-13: the changelog entry that moved the issue into its current status. */
  statusEntryId: string | null;
  /** Its time (fallback: status start time, then updatedAt). */
  statusChangedAt: string | null;
  finishChange: FinishChange;
  /** VAL-9 text when validation failed (then no notice). */
  validationError: string | null;
  /** NOTIFY-1/3: the issue is in a notify status and validation passed; triggerKey = statusEntryId ?? statusChangedAt. */
  notice: { kind: NoticeKind; triggerKey: string } | null;
  sla: SlaSnapshot;
}

/** YT-13: the id and time of the changelog entry that moved the issue into `statusKey` (latest). */
export function statusEntryOf(
  changelog: readonly Record<string, unknown>[],
  statusKey: string,
): { id: string; at: Date | null } | null {
  let found: { id: string; at: Date | null } | null = null;
  for (const entry of changelog) {
    const fields = Array.isArray(entry['fields']) ? (entry['fields'] as Record<string, unknown>[]) : [];
    const movedHere = fields.some((change) => {
      const field = change['field'] as { id?: unknown } | undefined;
      const to = change['to'] as { key?: unknown } | string | null | undefined;
      const toKey = typeof to === 'object' && to !== null ? to.key : to;
      return field?.id === 'status' && toKey === statusKey;
    });
    if (movedHere) found = { id: String(entry['id']), at: readTrackerDateTime(entry['updatedAt']) };
  }
  return found;
}

/** The dispatcher-owned values of a snapshot (YT-7: dropdowns read from a string or an array). */
function dispatcherFields(issue: TrackerIssue, ids: TrackerFieldIds): DispatcherFields {
  return {
    problemType: readDropdown(issue[ids.problemType]),
    pole: readFieldString(issue[ids.poleNumber]),
    baseStation: readFieldString(issue[ids.baseStation]),
  };
}

/** VAL-9 "Fields cleared": the Tracker field of each. */
const CLEARED_FIELD: Record<ValidatedField, keyof TrackerFieldIds> = {
  problemType: 'problemType',
  pole: 'poleNumber',
  baseStation: 'baseStation',
  contractor: 'contractor',
  operator: 'operator',
};

/** VAL-8 / VAL-7: the values left in the issue after the corrective PATCH, recorded as validated. */
function valuesAfterError(failure: ValidationFailure, lastValidated: DispatcherFields | null): DispatcherFields {
  const problemType =
    failure.problemTypeResetTo !== undefined ? failure.problemTypeResetTo : (failure.validatedTypeName ?? null);
  // A value this snapshot did not reach keeps the last validated one, so the next snapshot validates it.
  const unreached = (field: 'pole' | 'baseStation') =>
    failure.clear.includes(field) ? null : (lastValidated?.[field] ?? null);
  return {
    problemType,
    pole: unreached('pole'),
    baseStation: unreached('baseStation'),
  };
}

export function createSnapshotActivities(deps: ActivityDependencies) {
  const { config, db } = deps;
  const tracker = config.tracker;
  const keys = trackerStatusKeys(tracker);
  const alerts = deps.alerts ?? createAlerts({ config, db, log: deps.log });
  let client: TrackerClient | undefined;
  const trackerClient = (): TrackerClient => (client ??= createTrackerClient(tracker, db, deps.log));
  let fieldIds: TrackerFieldIds | undefined;
  // YT-7: the problem-type field is queue-local; its full id is discovered once per worker.
  const resolveFieldIds = async (): Promise<TrackerFieldIds> =>
    (fieldIds ??= trackerFieldIds(tracker, await problemTypeFieldId(trackerClient(), tracker)));
  const writer = (): IssueWriter => ({ client: trackerClient(), db, log: deps.log, alerts, config });

  const requireIncident = async (incidentId: number): Promise<IncidentRecord> => {
    const incident = await loadIncident(db, incidentId);
    if (incident === null) {
      throw ApplicationFailure.create({
        message: `incident ${incidentId} does not exist`,
        type: INCIDENT_FAILURE_TYPES.incidentNotFound,
        nonRetryable: true,
      });
    }
    return incident;
  };

  /** SLA-1…SLA-4 at `at` from the DB (registration time, type minutes, SLA end). */
  const slaOf = (incident: IncidentRecord, at: Date): SlaSnapshot & { deadlineDate: Date | null } => {
    const sla = evaluateSla(
      { registrationTime: incident.registrationTime, slaMinutes: incident.slaMinutes, slaEndAt: incident.slaEndAt },
      at,
    );
    return {
      registrationTime: incident.registrationTime.toISOString(),
      deadline: sla.deadline?.toISOString() ?? null,
      deadlineDate: sla.deadline,
      slaEndAt: incident.slaEndAt?.toISOString() ?? null,
      isFinished: incident.isFinished,
      status: sla.status,
    };
  };

  const publicSla = ({ deadlineDate: _omit, ...sla }: SlaSnapshot & { deadlineDate: Date | null }): SlaSnapshot => sla;

  /** YT-14 values from the DB, SLA at `at`; dispatcher fields only when VAL decided them. */
  const derivedFields = (
    incident: IncidentRecord,
    at: Date,
    ids: TrackerFieldIds,
    validated: Pick<DerivedFieldInputs, 'problemTypeName' | 'poleCode' | 'bsName'>,
  ) => {
    const sla = slaOf(incident, at);
    return deriveTrackerFields(
      {
        registrationTime: incident.registrationTime,
        slaDeadline: sla.deadlineDate,
        slaStatus: sla.status,
        hasPole: incident.poleId !== null,
        contractorName: incident.contractorName,
        operatorNames: incident.operatorNames,
        ...validated,
      },
      ids,
    );
  };

  /** YT-12: one PATCH of what differs; returns the issue after it (or null when nothing was written). */
  const patchDiff = async (
    key: string,
    issue: TrackerIssue,
    desired: Record<string, string | number | null>,
    ids: TrackerFieldIds,
  ): Promise<TrackerIssue | null> => {
    const patch = fieldsToWrite(issue, desired, ids);
    if (Object.keys(patch).length === 0) return null;
    return trackerClient().updateIssue(key, patch);
  };

  return {
    /** YT-16 steps 1–6 (no e-mails) over the current issue; see SnapshotOutcome. */
    async processIssueSnapshot(input: { incidentId: number; at: string }): Promise<SnapshotOutcome> {
      return atBoundary(async () => {
        const { incidentId } = input;
        const at = new Date(input.at);
        let incident = await requireIncident(incidentId);
        const stored = await loadTrackerState(db, incidentId);
        const skipped = (): SnapshotOutcome => ({
          processed: false,
          version: stored?.version ?? null,
          statusKey: stored?.statusKey ?? null,
          statusEntryId: stored?.statusEntryId ?? null,
          statusChangedAt: null,
          finishChange: 'unchanged',
          validationError: null,
          notice: null,
          sla: publicSla(slaOf(incident, at)),
        });
        if (incident.code === null || incident.trackerExcluded || stored === null) return skipped();
        const ids = await resolveFieldIds();
        const issue = await trackerClient().getIssue(incident.code);
        // YT-13: a snapshot not newer than the last processed one is ignored.
        if (stored.version !== null && issue.version <= stored.version) return skipped();
        const log = deps.log.child({ incidentId, issueKey: issue.key });

        // 1. code follows the key (e.g. the issue moved queues)
        if (issue.key !== incident.code) await updateIncidentCode(db, incidentId, issue.key);

        // 2. finishing / reopening (INC-10) and SLA end (SLA-3) at the Tracker change time (YT-13)
        const statusKey = issueStatusKey(issue) ?? '';
        const notify = noticeForStatus(statusKey, keys);
        let statusEntryId = stored.statusEntryId;
        let entryAt: Date | null = null;
        if (statusKey !== stored.statusKey || notify !== null) {
          const entry = statusEntryOf(await trackerClient().changelog(issue.key, { field: 'status' }), statusKey);
          statusEntryId = entry?.id ?? null;
          entryAt = entry?.at ?? null;
        }
        const statusChangedAt =
          entryAt ?? readTrackerDateTime(issue['statusStartTime']) ?? readTrackerDateTime(issue['updatedAt']) ?? at;
        const finish = (await loadFinishState(db, incidentId)) ?? {
          isFinished: false,
          finishedAt: null,
          slaEndAt: null,
        };
        const next = finishStateAfterStatus(finish, statusKey, keys, statusChangedAt);
        const slaEndAt = slaEndAtAfterStatus({
          statusKey,
          keys,
          onGenerationStopsSla: config.incidents.onGenerationStopsSla,
          currentSlaEndAt: finish.slaEndAt,
          statusChangedAt,
        });
        await writeFinishState(db, incidentId, { ...next.state, slaEndAt });
        if (next.change !== 'unchanged')
          log.info({ statusKey, change: next.change }, 'incident finish state changed (INC-10)');

        // 3. assignee (ASSIGN-5)
        await syncAssigneeLogin(db, incidentId, await assigneeLogin(trackerClient(), issue));

        // 4. validation of dispatcher input (VAL), open incidents only, when the values changed
        let validated: Pick<DerivedFieldInputs, 'problemTypeName' | 'poleCode' | 'bsName'> = {};
        let validationError: string | null = null;
        const current = dispatcherFields(issue, ids);
        if (!next.state.isFinished && needsValidation(current, stored.lastValidated)) {
          const result = validateDispatcherInput({
            current,
            lastValidated: stored.lastValidated,
            incidentTypeNames: await incidentTypeNames(db),
            currentTypeName: incident.problemType,
            directory: buildDirectoryIndex(await directoryForValidation(db, current)),
          });
          if (result.ok && result.status === 'valid') {
            await writeValidatedSite(db, incidentId, result.set);
            validated = {
              problemTypeName: result.set.typeName,
              poleCode: result.canonical.pole,
              bsName: result.canonical.bs,
            };
            await recordValidatedValues(db, incidentId, {
              problemType: result.set.typeName,
              pole: result.canonical.pole,
              baseStation: result.canonical.bs,
            });
          } else if (!result.ok) {
            validationError = result.message;
            // VAL-7: a type validated before the failing step still applies; the cleared site goes.
            if (result.validatedTypeName !== undefined)
              await writeIncidentType(db, incidentId, result.validatedTypeName);
            await clearSite(db, incidentId, {
              pole: result.clear.includes('pole'),
              baseStation: result.clear.includes('baseStation'),
            });
            // YT-18 goes first: after the corrective PATCH the cleared fields would validate, so a
            // retry following a lost PATCH answer could no longer see the error.
            await reportSystemError(writer(), { incidentId, issueKey: issue.key, errorText: result.message });
            incident = await requireIncident(incidentId);
            const desired = derivedFields(incident, at, ids, {});
            for (const field of result.clear) desired[ids[CLEARED_FIELD[field]]] = null;
            if (result.problemTypeResetTo !== undefined) desired[ids.problemType] = result.problemTypeResetTo;
            else if (result.validatedTypeName !== undefined) desired[ids.problemType] = result.validatedTypeName;
            await patchDiff(issue.key, await trackerClient().getIssue(issue.key), desired, ids);
            await recordValidatedValues(db, incidentId, valuesAfterError(result, stored.lastValidated));
            await recordProcessedSnapshot(db, incidentId, { version: issue.version, statusKey, statusEntryId });
            log.warn({ errorId: result.errorId }, 'dispatcher input rejected (VAL-8)');
            return {
              processed: true,
              version: issue.version,
              statusKey,
              statusEntryId,
              statusChangedAt: statusChangedAt.toISOString(),
              finishChange: next.change,
              validationError,
              notice: null,
              sla: publicSla(slaOf(incident, at)),
            };
          }
        }

        // 5. one PATCH of the derived values (YT-14, YT-12), SLA at `at`
        incident = await requireIncident(incidentId);
        const patched = await patchDiff(issue.key, issue, derivedFields(incident, at, ids, validated), ids);

        // 6. status history (INC-8); notify statuses write their rows with the notice (NOTIFY-4)
        const row = rowForObservedStatus(await currentHistoryRow(db, incidentId), statusKey, keys);
        if (row !== null) {
          await addHistoryRowUnlessCurrent(db, incidentId, row, { source: 'tracker', changelogId: statusEntryId });
        }
        // Our own PATCH is the only change in the version right after the snapshot's: skip it.
        const version = patched !== null && patched.version === issue.version + 1 ? patched.version : issue.version;
        await recordProcessedSnapshot(db, incidentId, { version, statusKey, statusEntryId });
        return {
          processed: true,
          version,
          statusKey,
          statusEntryId,
          statusChangedAt: statusChangedAt.toISOString(),
          finishChange: next.change,
          validationError,
          notice:
            notify === null ? null : { kind: notify.kind, triggerKey: statusEntryId ?? statusChangedAt.toISOString() },
          sla: publicSla(slaOf(incident, at)),
        };
      });
    },

    /** SLA-5 / SLA-6: deadline and status at `at` (workflow time), written compare-before-write. */
    async writeSlaFields(input: { incidentId: number; at: string }): Promise<SlaSnapshot & { written: string[] }> {
      return atBoundary(async () => {
        const incident = await requireIncident(input.incidentId);
        const sla = slaOf(incident, new Date(input.at));
        if (incident.code === null || incident.trackerExcluded) return { ...publicSla(sla), written: [] };
        const ids = await resolveFieldIds();
        const issue = await trackerClient().getIssue(incident.code);
        const desired = derivedFields(incident, new Date(input.at), ids, {});
        const slaOnly = {
          [ids.slaDeadline]: desired[ids.slaDeadline] ?? null,
          [ids.slaStatus]: desired[ids.slaStatus] ?? null,
        };
        const patch = fieldsToWrite(issue, slaOnly, ids);
        if (Object.keys(patch).length > 0) await trackerClient().updateIssue(incident.code, patch);
        return { ...publicSla(sla), written: Object.keys(patch) };
      });
    },
  };
}

export type SnapshotActivities = ReturnType<typeof createSnapshotActivities>;
