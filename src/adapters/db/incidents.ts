// Incident rows as mail ingestion touches them: lookup by code (THREAD-4), creation from an e-mail
// (THREAD-8, INC-1 a, INC-6), linking e-mails without ever moving a linked one (THREAD-6), the
// primary e-mail and registration time (INC-4, INC-5) and thread conflict records (THREAD-7).
// Every function runs inside the caller's transaction.

import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';

import { onEmailLinked } from '../../domain/primary-email.js';
import type { LinkedEmail, RegistrationState } from '../../domain/primary-email.js';
import { STATUS } from '../../domain/reference-data.js';
import type { ThreadConflict } from '../../domain/threading.js';
import { ensureIncidentStatusId } from './defaults.js';

const idRow = z.object({ id: z.number() });

/**
 * THREAD-8 / THREAD-9 / INC-1 a: a new e-mail incident, registered at the opening e-mail's effective
 * date (INC-4) with it as primary e-mail (INC-5), and its one `Новый` history row (INC-6).
 */
export async function createEmailIncident(
  tx: CommonQueryMethods,
  opening: { emailId: number; effectiveDate: Date },
): Promise<number> {
  const incidentId = await tx.oneFirst(sql.type(idRow)`
    INSERT INTO incidents (registration_time, is_auto, primary_email_id)
    VALUES (${sql.timestamp(opening.effectiveDate)}, true, ${opening.emailId})
    RETURNING id`);
  const statusId = await ensureIncidentStatusId(tx, STATUS.new);
  await tx.query(sql.unsafe`
    INSERT INTO incident_status_history (incident_id, status_id, source)
    VALUES (${incidentId}, ${statusId}, 'system')`);
  return incidentId;
}

/**
 * THREAD-8 + THREAD-6 in one round trip: the new e-mail incident (as `createEmailIncident`) and
 * the still-unlinked e-mails of `emailIds` linked to it (ascending ids).
 */
export async function createEmailIncidentLinking(
  tx: CommonQueryMethods,
  opening: { emailId: number; effectiveDate: Date },
  emailIds: readonly number[],
): Promise<{ incidentId: number; linked: number[] }> {
  // The statements are the migration's create_email_incident() (0007): planned once per connection.
  const row = await tx.one(sql.type(
    z.object({ id: z.number(), history_rows: z.number(), linked: z.array(z.number()) }),
  )`
    SELECT incident_id AS id, history_rows, linked
    FROM create_email_incident(
      ${opening.emailId}, ${sql.timestamp(opening.effectiveDate)}, ${sql.array(emailIds, 'int8')}, ${STATUS.new}
    )`);
  if (row.history_rows === 0) {
    // INC-6 without the default status row (never bootstrapped): create it, then the history row.
    const statusId = await ensureIncidentStatusId(tx, STATUS.new);
    await tx.query(sql.unsafe`
      INSERT INTO incident_status_history (incident_id, status_id, source)
      VALUES (${row.id}, ${statusId}, 'system')`);
  }
  return { incidentId: row.id, linked: [...row.linked].sort((a, b) => a - b) };
}

const registrationRow = z.object({
  registration_time: z.date(),
  is_auto: z.boolean(),
  primary_email_id: z.number().nullable(),
  primary_effective_date: z.date().nullable(),
});

/**
 * THREAD-6 + the INC-4/INC-5 starting point in one round trip: links the still-unlinked e-mails of
 * `emailIds` to the existing incident (ascending ids) and returns its registration state, locked
 * for the rest of the transaction.
 */
export async function linkToIncident(
  tx: CommonQueryMethods,
  incidentId: number,
  emailIds: readonly number[],
): Promise<{ linked: number[]; registration: RegistrationState }> {
  const row = await tx.one(sql.type(registrationRow.extend({ linked: z.array(z.number()) }))`
    WITH linked AS (
      UPDATE emails SET incident_id = ${incidentId}
      WHERE id = ANY(${sql.array(emailIds, 'int8')}) AND incident_id IS NULL
      RETURNING id
    )
    SELECT i.registration_time, i.is_auto, i.primary_email_id, p.effective_date AS primary_effective_date,
           coalesce((SELECT array_agg(linked.id::int8) FROM linked), '{}') AS linked
    FROM incidents i LEFT JOIN emails p ON p.id = i.primary_email_id
    WHERE i.id = ${incidentId}
    FOR UPDATE OF i`);
  return { linked: [...row.linked].sort((a, b) => a - b), registration: registrationState(row) };
}

function registrationState(row: z.infer<typeof registrationRow>): RegistrationState {
  return {
    primary:
      row.primary_email_id === null || row.primary_effective_date === null
        ? null
        : { id: row.primary_email_id, effectiveDate: row.primary_effective_date },
    registrationTime: row.registration_time,
    isAuto: row.is_auto,
  };
}

export interface RegistrationUpdate {
  primaryEmailId: number | null;
  registrationTime: Date;
  changed: boolean;
}

/**
 * INC-4 / INC-5 after e-mails were linked: an earlier `normal` INBOX e-mail becomes the primary
 * e-mail and (e-mail incidents only) moves the registration time earlier, never later (AC-5).
 */
export async function updatePrimaryEmail(
  tx: CommonQueryMethods,
  incidentId: number,
  newlyLinked: readonly LinkedEmail[],
  /** The incident's registration state when the caller knows it (it created the row): no SELECT. */
  known?: RegistrationState,
): Promise<RegistrationUpdate> {
  let start: RegistrationState;
  if (known !== undefined) {
    start = known;
  } else {
    const row = await tx.one(sql.type(registrationRow)`
      SELECT i.registration_time, i.is_auto, i.primary_email_id, p.effective_date AS primary_effective_date
      FROM incidents i LEFT JOIN emails p ON p.id = i.primary_email_id
      WHERE i.id = ${incidentId}
      FOR UPDATE OF i`);
    start = registrationState(row);
  }
  let state = start;
  let changed = false;
  for (const email of newlyLinked) {
    const change = onEmailLinked(state, email);
    if (change.primaryChanged || change.registrationChanged) {
      changed = true;
      state = { ...state, primary: change.primary, registrationTime: change.registrationTime };
    }
  }
  const registrationTime = state.registrationTime ?? start.registrationTime;
  if (changed && registrationTime !== null) {
    await tx.query(sql.unsafe`
      UPDATE incidents
      SET primary_email_id = ${state.primary?.id ?? null}, registration_time = ${sql.timestamp(registrationTime)}
      WHERE id = ${incidentId}`);
  }
  if (registrationTime === null) throw new Error(`incident ${incidentId} has no registration time`);
  return { primaryEmailId: state.primary?.id ?? null, registrationTime, changed };
}

/** THREAD-7: one open conflict record per e-mail (re-running resolution does not add a second). */
export async function recordThreadConflict(tx: CommonQueryMethods, conflict: ThreadConflict): Promise<boolean> {
  const inserted = await tx.maybeOneFirst(sql.type(idRow)`
    INSERT INTO thread_conflicts (email_id, candidate_incident_ids, chosen_incident_id, resolution_rule)
    VALUES (
      ${conflict.emailId}, ${sql.array(conflict.candidateIncidentIds, 'int8')}, ${conflict.chosenIncidentId},
      ${conflict.rule === 'THREAD-3' ? 'thread' : 'subject_key'}
    )
    ON CONFLICT (email_id) WHERE state = 'open' DO NOTHING
    RETURNING id`);
  return inserted !== null;
}
