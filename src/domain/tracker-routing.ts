// Change detection (YT-13) and routing of an observed Tracker issue (YT-15): pure decisions. The
// caller reads the issue, looks the incident up by local id and by code, and carries out the
// decision; the clock is passed in.

/** YT-13: the search re-reads this much before the cursor (Tracker's search index lags behind). */
export const CURSOR_OVERLAP_MS = 2 * 60_000;

/** YT-13: "once a day" for the reconciliation of all open issues. */
export const FULL_RECONCILE_INTERVAL_MS = 24 * 60 * 60_000;

/** What the local-id field of an issue holds. */
export type LocalIdValue =
  | { kind: 'empty' }
  | { kind: 'id'; id: number }
  /** Something that is not a positive integer: treated like an id unknown in the DB (YT-15 step 2). */
  | { kind: 'invalid'; text: string };

/** YT-15: the local-id field value (integer; a numeric string is tolerated). */
export function readLocalIdValue(value: unknown): LocalIdValue {
  if (value === null || value === undefined) return { kind: 'empty' };
  if (typeof value === 'string' && value.trim() === '') return { kind: 'empty' };
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number === 'number' && Number.isSafeInteger(number) && number > 0) return { kind: 'id', id: number };
  return { kind: 'invalid', text: typeof value === 'string' ? value : JSON.stringify(value) };
}

/** The incident row a lookup found (by local id or by code). */
export interface RoutedIncident {
  id: number;
  /** `incidents.tracker_version`: the last issue version the workflow processed; null = never. */
  trackerVersion: number | null;
  trackerExcluded: boolean;
}

export interface RoutingInput {
  issueVersion: number;
  localId: LocalIdValue;
  /** The incident whose id is the local-id value (null when the field is empty or the id is unknown). */
  incidentByLocalId: RoutedIncident | null;
  /** The incident whose `code` is the issue key. */
  incidentByCode: RoutedIncident | null;
  /** INC-10: the issue is in `closed` or the on-generation status. */
  finishing: boolean;
  /** The issue is already in `error`. */
  inError: boolean;
}

export type RoutingDecision =
  /** YT-15 steps 1 and 2: the incident with this code exists: write its id into the local-id field. */
  | { kind: 'writeLocalId'; incidentId: number }
  /** YT-15 step 1, INC-1 b: a manual issue: import it as an incident. */
  | { kind: 'importManual' }
  /** YT-15 step 2: an open issue with an unknown local id goes to `error` with VAL-E1. */
  | { kind: 'transitionToError' }
  /** YT-15 step 2: already in `error`: nothing to do (the VAL-E1 transition happened before). */
  | { kind: 'skipAlreadyInError' }
  /** YT-15 step 2: a finished issue with an unknown local id: one alert, nothing changed. */
  | { kind: 'alertUnknownLocalId' }
  /** YT-15 step 3: deliver the snapshot to the incident workflow. */
  | { kind: 'signal'; incidentId: number }
  /** YT-13: the version is not greater than the one the incident last processed. */
  | { kind: 'skipOldVersion'; incidentId: number }
  /** YT-20: an excluded incident never has an issue; an issue pointing at one is left alone. */
  | { kind: 'skipExcluded'; incidentId: number };

/** YT-13: a snapshot is worth delivering only when its version is greater than the last processed one. */
export function isNewerVersion(issueVersion: number, processedVersion: number | null): boolean {
  return processedVersion === null || issueVersion > processedVersion;
}

/** YT-15: what to do with an observed issue. */
export function routeIssue(input: RoutingInput): RoutingDecision {
  if (input.localId.kind === 'empty') {
    return input.incidentByCode === null
      ? { kind: 'importManual' }
      : { kind: 'writeLocalId', incidentId: input.incidentByCode.id };
  }
  const incident = input.incidentByLocalId;
  if (incident === null) {
    if (input.incidentByCode !== null) return { kind: 'writeLocalId', incidentId: input.incidentByCode.id };
    if (input.finishing) return { kind: 'alertUnknownLocalId' };
    return input.inError ? { kind: 'skipAlreadyInError' } : { kind: 'transitionToError' };
  }
  if (incident.trackerExcluded) return { kind: 'skipExcluded', incidentId: incident.id };
  return isNewerVersion(input.issueVersion, incident.trackerVersion)
    ? { kind: 'signal', incidentId: incident.id }
    : { kind: 'skipOldVersion', incidentId: incident.id };
}

// ---------------------------------------------------------------------------------------------
// Cursor arithmetic (YT-13)

/** YT-13: the cursor of a first start: now − YT_INITIAL_SYNC_DAYS. */
export function initialCursor(now: Date, initialSyncDays: number): Date {
  return new Date(now.getTime() - initialSyncDays * 24 * 60 * 60_000);
}

/** YT-13: the search covers `updatedAt` ≥ cursor − 2 minutes. */
export function searchFrom(cursor: Date): Date {
  return new Date(cursor.getTime() - CURSOR_OVERLAP_MS);
}

/** One issue of a poll: its `updatedAt` and whether routing it succeeded. */
export interface SeenUpdate {
  updatedAt: Date;
  routed: boolean;
}

/**
 * YT-13: the cursor after a poll: the largest `updatedAt` seen, never moving back. An issue whose
 * routing failed holds the cursor at its `updatedAt`, so the next poll reads it again.
 */
export function advanceCursor(cursor: Date, seen: readonly SeenUpdate[]): Date {
  let largest = cursor.getTime();
  let firstFailed = Number.POSITIVE_INFINITY;
  for (const update of seen) {
    const at = update.updatedAt.getTime();
    if (update.routed) largest = Math.max(largest, at);
    else firstFailed = Math.min(firstFailed, at);
  }
  return new Date(Math.max(cursor.getTime(), Math.min(largest, firstFailed)));
}

/** YT-13: the daily reconciliation is due when it never ran or ran at least a day ago. */
export function fullReconcileDue(lastReconciledAt: Date | null, now: Date): boolean {
  return lastReconciledAt === null || now.getTime() - lastReconciledAt.getTime() >= FULL_RECONCILE_INTERVAL_MS;
}

// ---------------------------------------------------------------------------------------------
// Status entry (YT-13, INC-10)

/** A status change of the issue's changelog: the entry id, its time and the status it moved to. */
export interface StatusChange {
  id: string;
  at: Date | null;
  toStatusKey: string | null;
}

/**
 * YT-13 / INC-10: when the issue entered its current status: the last changelog entry that moved
 * it there; fallback the issue's status start time, then `fallbackAt` (createdAt for an import).
 */
export function statusEntry(
  statusKey: string,
  changes: readonly StatusChange[],
  statusStartTime: Date | null,
  fallbackAt: Date,
): { at: Date; changelogId: string | null } {
  for (let i = changes.length - 1; i >= 0; i--) {
    const change = changes[i];
    if (change?.toStatusKey === statusKey && change.at !== null) return { at: change.at, changelogId: change.id };
  }
  return { at: statusStartTime ?? fallbackAt, changelogId: null };
}
