// Change detection bookkeeping (YT-13) and the import of manual incidents (YT-15, INC-1 b, INC-6):
// the per-queue cursor, incident lookups by local id and by code, and the idempotent import.
import { sql } from 'slonik';
import type { CommonQueryMethods, DatabasePool } from 'slonik';
import { z } from 'zod';

import { STATUS } from '../../domain/reference-data.js';
import { newIncidentRow } from '../../domain/status-history.js';
import type { RoutedIncident } from '../../domain/tracker-routing.js';
import { ensureIncidentStatusId } from './defaults.js';

export interface ChangeCursor {
  /** The largest issue `updatedAt` seen. */
  cursor: Date;
  /** When the daily reconciliation of open issues last ran; null = never. */
  lastReconciledAt: Date | null;
}

const cursorRow = z.object({ updated_at_cursor: z.date(), last_reconciled_at: z.date().nullable() });

export async function readChangeCursor(db: CommonQueryMethods, queue: string): Promise<ChangeCursor | null> {
  const row = await db.maybeOne(sql.type(cursorRow)`
    SELECT updated_at_cursor, last_reconciled_at FROM tracker_change_cursors WHERE queue = ${queue}`);
  return row === null ? null : { cursor: row.updated_at_cursor, lastReconciledAt: row.last_reconciled_at };
}

/** YT-13: stores the cursor (never moving it back) and, after a full reconciliation, its time. */
export async function saveChangeCursor(
  db: CommonQueryMethods,
  queue: string,
  cursor: Date,
  reconciledAt: Date | null,
): Promise<void> {
  await db.query(sql.unsafe`
    INSERT INTO tracker_change_cursors (queue, updated_at_cursor, last_reconciled_at)
    VALUES (${queue}, ${sql.timestamp(cursor)}, ${reconciledAt === null ? null : sql.timestamp(reconciledAt)})
    ON CONFLICT (queue) DO UPDATE SET
      updated_at_cursor = GREATEST(tracker_change_cursors.updated_at_cursor, EXCLUDED.updated_at_cursor),
      last_reconciled_at = COALESCE(EXCLUDED.last_reconciled_at, tracker_change_cursors.last_reconciled_at)`);
}

const routedRow = z.object({ id: z.number(), tracker_version: z.number().nullable(), tracker_excluded: z.boolean() });

const toRouted = (row: z.infer<typeof routedRow> | null): RoutedIncident | null =>
  row === null ? null : { id: row.id, trackerVersion: row.tracker_version, trackerExcluded: row.tracker_excluded };

export async function routedIncidentById(db: CommonQueryMethods, incidentId: number): Promise<RoutedIncident | null> {
  return toRouted(
    await db.maybeOne(sql.type(routedRow)`
      SELECT id, tracker_version, tracker_excluded FROM incidents WHERE id = ${incidentId}`),
  );
}

export async function routedIncidentByCode(db: CommonQueryMethods, code: string): Promise<RoutedIncident | null> {
  return toRouted(
    await db.maybeOne(sql.type(routedRow)`
      SELECT id, tracker_version, tracker_excluded FROM incidents WHERE code = ${code}`),
  );
}

export interface ManualIncident {
  code: string;
  /** INC-4: the createdAt. */
  registrationTime: Date;
  /** INC-10: the time the issue entered its finishing status; null when it is not finishing. */
  finishedAt: Date | null;
}

const idRow = z.object({ id: z.number() });

/**
 * INC-1 b / INC-6: the incident of a manual issue with its one `Новый` row. Idempotent by the
 * UNIQUE code: a concurrent or repeated import returns the existing incident (`created` false).
 */
export async function importManualIncident(
  db: DatabasePool,
  incident: ManualIncident,
): Promise<{ incidentId: number; created: boolean }> {
  return db.transaction(async (tx) => {
    const inserted = await tx.maybeOneFirst(sql.type(idRow)`
      INSERT INTO incidents (code, registration_time, is_auto, is_finished, finished_at)
      VALUES (${incident.code}, ${sql.timestamp(incident.registrationTime)}, false, ${incident.finishedAt !== null},
              ${incident.finishedAt === null ? null : sql.timestamp(incident.finishedAt)})
      ON CONFLICT (code) DO NOTHING
      RETURNING id`);
    if (inserted === null) {
      // Another import committed first; this statement's snapshot sees its row.
      const existing = await tx.oneFirst(sql.type(idRow)`SELECT id FROM incidents WHERE code = ${incident.code}`);
      return { incidentId: existing, created: false };
    }
    const row = newIncidentRow(false);
    const statusId = await ensureIncidentStatusId(tx, STATUS.new);
    await tx.query(sql.unsafe`
      INSERT INTO incident_status_history (incident_id, status_id, comment, source)
      VALUES (${inserted}, ${statusId}, ${row.comment}, 'system')`);
    return { incidentId: inserted, created: true };
  });
}
