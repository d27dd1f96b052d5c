// The incident columns and history rows the processing of a Tracker snapshot reads and writes
// (DATA-1, DATA-2; YT-13, YT-16, INC-8…INC-10, SLA-3, VAL). Every write is safe to repeat: the
// activity that calls these is retried as a whole.
import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { BaseStation, DirectorySnapshot, Pole } from '../../domain/directory.js';
import { directoryKey } from '../../domain/directory-index.js';
import type { HistoryStatusName } from '../../domain/reference-data.js';
import { STATUS } from '../../domain/reference-data.js';
import type { CurrentHistoryRow, HistoryRow } from '../../domain/status-history.js';
import type { DispatcherFields } from '../../domain/validation.js';
import { ensureIncidentStatusId } from './defaults.js';
import { poleRow } from './directory-store.js';

const currentRow = z.object({
  status_name: z.string(),
  comment: z.string().nullable(),
  history_id: z.number().nullable(),
});

/** INC-7 / INC-8: the current history row (DATA-2 order); null when the incident has none. */
export async function currentHistoryRow(db: CommonQueryMethods, incidentId: number): Promise<CurrentHistoryRow | null> {
  const row = await db.maybeOne(sql.type(currentRow)`
    SELECT status_name, comment, history_id FROM incident_current_status WHERE incident_id = ${incidentId}`);
  if (row === null || row.history_id === null) return null;
  return { name: row.status_name, comment: row.comment };
}

/** YT-18: the text of the last error the system wrote for the incident (its latest system `Ошибка` row). */
export async function lastSystemErrorComment(db: CommonQueryMethods, incidentId: number): Promise<string | null> {
  return db.maybeOneFirst(sql.type(z.object({ comment: z.string().nullable() }))`
    SELECT h.comment FROM incident_status_history h JOIN incident_statuses s ON s.id = h.status_id
    WHERE h.incident_id = ${incidentId} AND s.name = ${STATUS.error} AND h.source = 'system' AND h.comment IS NOT NULL
    ORDER BY h.inserted_at DESC, h.id DESC
    LIMIT 1`);
}

/**
 * INC-8 / INC-9: adds `row` unless the current row already has its name (and, with
 * `sameCommentOnly`, the identical comment). One statement, so a repeat never adds a duplicate.
 * True when a row was added.
 */
export async function addHistoryRowUnlessCurrent(
  db: CommonQueryMethods,
  incidentId: number,
  row: HistoryRow,
  options: { source: 'system' | 'tracker'; changelogId?: string | null; sameCommentOnly?: boolean },
): Promise<boolean> {
  const statusId = await ensureIncidentStatusId(db, row.name as HistoryStatusName);
  const sameComment = options.sameCommentOnly === true;
  const added = await db.anyFirst(sql.type(z.object({ id: z.number() }))`
    INSERT INTO incident_status_history (incident_id, status_id, comment, source, tracker_changelog_id)
    SELECT ${incidentId}, ${statusId}, ${row.comment}, ${options.source}, ${options.changelogId ?? null}
    WHERE NOT EXISTS (
      SELECT 1 FROM incident_current_status c
      WHERE c.incident_id = ${incidentId} AND c.status_name = ${row.name}
        AND (NOT ${sameComment} OR c.comment IS NOT DISTINCT FROM ${row.comment})
    )
    RETURNING id`);
  return added.length > 0;
}

/** The history of an incident in order (names and comments), for checks and views. */
export async function historyRows(
  db: CommonQueryMethods,
  incidentId: number,
): Promise<{ name: string; comment: string | null; source: string }[]> {
  const rows = await db.any(sql.type(
    z.object({ name: z.string(), comment: z.string().nullable(), source: z.string() }),
  )`
    SELECT s.name, h.comment, h.source
    FROM incident_status_history h JOIN incident_statuses s ON s.id = h.status_id
    WHERE h.incident_id = ${incidentId}
    ORDER BY h.inserted_at, h.id`);
  return rows.map((r) => ({ name: r.name, comment: r.comment, source: r.source }));
}

// ---------------------------------------------------------------------------------------------
// Snapshot bookkeeping (YT-13, YT-16)

const trackerStateRow = z.object({
  tracker_version: z.number().nullable(),
  tracker_status_key: z.string().nullable(),
  tracker_status_entry_id: z.string().nullable(),
  validated_problem_type: z.string().nullable(),
  validated_pole: z.string().nullable(),
  validated_base_station: z.string().nullable(),
  validated_at: z.date().nullable(),
});

export interface TrackerState {
  /** YT-13: the last processed issue version. */
  version: number | null;
  statusKey: string | null;
  statusEntryId: string | null;
  /** YT-16 step 4: values last validated; null when never validated. */
  lastValidated: DispatcherFields | null;
}

export async function loadTrackerState(db: CommonQueryMethods, incidentId: number): Promise<TrackerState | null> {
  const row = await db.maybeOne(sql.type(trackerStateRow)`
    SELECT tracker_version, tracker_status_key, tracker_status_entry_id,
           validated_problem_type, validated_pole, validated_base_station, validated_at
    FROM incidents WHERE id = ${incidentId}`);
  if (row === null) return null;
  return {
    version: row.tracker_version,
    statusKey: row.tracker_status_key,
    statusEntryId: row.tracker_status_entry_id,
    lastValidated:
      row.validated_at === null
        ? null
        : {
            problemType: row.validated_problem_type,
            pole: row.validated_pole,
            baseStation: row.validated_base_station,
          },
  };
}

/**
 * YT-13: records the processed snapshot. Never moves the version backwards, so a late retry of an
 * older snapshot cannot undo a newer one.
 */
export async function recordProcessedSnapshot(
  db: CommonQueryMethods,
  incidentId: number,
  snapshot: { version: number; statusKey: string | null; statusEntryId: string | null },
): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE incidents
    SET tracker_version = ${snapshot.version}, tracker_status_key = ${snapshot.statusKey},
        tracker_status_entry_id = ${snapshot.statusEntryId}
    WHERE id = ${incidentId} AND (tracker_version IS NULL OR tracker_version <= ${snapshot.version})`);
}

/** YT-16 step 4: the dispatcher values validated (or left after an error's corrective PATCH). */
export async function recordValidatedValues(
  db: CommonQueryMethods,
  incidentId: number,
  values: DispatcherFields,
): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE incidents
    SET validated_problem_type = ${values.problemType}, validated_pole = ${values.pole},
        validated_base_station = ${values.baseStation}, validated_at = now()
    WHERE id = ${incidentId}`);
}

/** INC-1 / YT-16 step 1: the incident's code follows the issue key. */
export async function updateIncidentCode(db: CommonQueryMethods, incidentId: number, code: string): Promise<boolean> {
  const updated = await db.anyFirst(sql.type(z.object({ id: z.number() }))`
    UPDATE incidents SET code = ${code} WHERE id = ${incidentId} AND code IS DISTINCT FROM ${code} RETURNING id`);
  return updated.length > 0;
}

/** INC-10 + SLA-3: finish flag, finish time and SLA end in one update. */
export async function writeFinishState(
  db: CommonQueryMethods,
  incidentId: number,
  state: { isFinished: boolean; finishedAt: Date | null; slaEndAt: Date | null },
): Promise<void> {
  const finishedAt = state.finishedAt === null ? null : sql.timestamp(state.finishedAt);
  const slaEndAt = state.slaEndAt === null ? null : sql.timestamp(state.slaEndAt);
  await db.query(sql.unsafe`
    UPDATE incidents
    SET is_finished = ${state.isFinished}, finished_at = ${finishedAt}, sla_end_at = ${slaEndAt}
    WHERE id = ${incidentId}
      AND (is_finished IS DISTINCT FROM ${state.isFinished} OR finished_at IS DISTINCT FROM ${finishedAt}
           OR sla_end_at IS DISTINCT FROM ${slaEndAt})`);
}

const finishRow = z.object({
  is_finished: z.boolean(),
  finished_at: z.date().nullable(),
  sla_end_at: z.date().nullable(),
});

export async function loadFinishState(
  db: CommonQueryMethods,
  incidentId: number,
): Promise<{ isFinished: boolean; finishedAt: Date | null; slaEndAt: Date | null } | null> {
  const row = await db.maybeOne(sql.type(finishRow)`
    SELECT is_finished, finished_at, sla_end_at FROM incidents WHERE id = ${incidentId}`);
  return row === null ? null : { isFinished: row.is_finished, finishedAt: row.finished_at, slaEndAt: row.sla_end_at };
}

/** VAL-2 / VAL-3…VAL-5: the DB type, pole and BS after a successful validation. */
export async function writeValidatedSite(
  db: CommonQueryMethods,
  incidentId: number,
  set: { typeName: string | null; poleId: number | null; baseStationId: number | null },
): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE incidents
    SET incident_type_id = (SELECT id FROM incident_types WHERE name = ${set.typeName}),
        pole_id = ${set.poleId}, base_station_id = ${set.baseStationId}
    WHERE id = ${incidentId}`);
}

/** VAL-8: after a pole or BS error the DB drops what the corrective PATCH clears. */
export async function clearSite(
  db: CommonQueryMethods,
  incidentId: number,
  clear: { pole: boolean; baseStation: boolean },
): Promise<void> {
  if (!clear.pole && !clear.baseStation) return;
  await db.query(sql.unsafe`
    UPDATE incidents
    SET pole_id = CASE WHEN ${clear.pole} THEN NULL ELSE pole_id END,
        base_station_id = CASE WHEN ${clear.pole} OR ${clear.baseStation} THEN NULL ELSE base_station_id END
    WHERE id = ${incidentId}`);
}

/** VAL-7: a problem type validated before a later step failed is still applied. */
export async function writeIncidentType(
  db: CommonQueryMethods,
  incidentId: number,
  typeName: string | null,
): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE incidents SET incident_type_id = (SELECT id FROM incident_types WHERE name = ${typeName})
    WHERE id = ${incidentId}`);
}

// ---------------------------------------------------------------------------------------------
// Directory candidates for VAL (VAL-1: trimmed, case-insensitive exact or prefix matches)

const bsRow = z.object({ id: z.number(), bs_name: z.string(), pole_id: z.number() });

const likePrefix = (key: string): string => `${key.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * VAL-3 / VAL-4: the directory slice validation of one snapshot needs — poles whose code starts with
 * the pole value, base stations whose name starts with the BS value (exact matches are prefixes
 * too), and the poles those base stations sit on.
 */
export async function directoryForValidation(
  db: CommonQueryMethods,
  values: { pole: string | null; baseStation: string | null },
): Promise<DirectorySnapshot> {
  const poleKey = directoryKey(values.pole ?? '');
  const bsKey = directoryKey(values.baseStation ?? '');
  const baseStations =
    bsKey === ''
      ? []
      : await db.any(sql.type(bsRow)`
          SELECT id, bs_name, pole_id FROM base_stations WHERE lower(bs_name) LIKE ${likePrefix(bsKey)}`);
  const bsPoleIds = baseStations.map((b) => b.pole_id);
  const poles = await db.any(sql.type(poleRow)`
    SELECT p.id, p.site_id, p.pole, p.bs_name, p.region, p.region_ru, p.address, p.avr_contractor_id
    FROM poles p
    WHERE (${poleKey} <> '' AND lower(p.pole) LIKE ${likePrefix(poleKey)})
       OR lower(p.pole) IN (SELECT lower(q.pole) FROM poles q WHERE q.id = ANY(${sql.array(bsPoleIds, 'int8')}))`);
  return {
    poles: poles.map((r): Pole => ({
      id: r.id,
      siteId: r.site_id,
      code: r.pole,
      bsName: r.bs_name,
      region: r.region,
      regionRu: r.region_ru,
      address: r.address,
      contractorId: r.avr_contractor_id,
    })),
    baseStations: baseStations.map((b): BaseStation => ({
      id: b.id,
      name: b.bs_name,
      poleId: b.pole_id,
      operatorIds: [],
    })),
    operators: [],
    contractors: [],
  };
}
