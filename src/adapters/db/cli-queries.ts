// Read and update queries of the admin CLI (OPS-3): dispatchers (ASSIGN-6), thread conflicts
// (THREAD-7), the incident view and the status counts.
import { sql } from 'slonik';
import type { CommonQueryMethods, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';

export interface DispatcherRow {
  login: string;
  email: string | null;
  displayName: string | null;
  isActive: boolean;
}

const dispatcherRow = z.object({
  login: z.string(),
  email: z.string().nullable(),
  display_name: z.string().nullable(),
  is_active: z.boolean(),
});

export async function listDispatchers(db: CommonQueryMethods): Promise<DispatcherRow[]> {
  const rows = await db.any(sql.type(dispatcherRow)`
    SELECT login, email, display_name, is_active FROM dispatchers ORDER BY login`);
  return rows.map((r) => ({ login: r.login, email: r.email, displayName: r.display_name, isActive: r.is_active }));
}

/** ASSIGN-6: activates or deactivates a dispatcher; false when the login does not exist. */
export async function setDispatcherActive(db: CommonQueryMethods, login: string, isActive: boolean): Promise<boolean> {
  const row = await db.maybeOne(sql.type(z.object({ id: z.number() }))`
    UPDATE dispatchers SET is_active = ${isActive} WHERE login = ${login} RETURNING id`);
  return row !== null;
}

export interface ThreadConflict {
  id: number;
  emailId: number;
  messageId: string;
  subject: string;
  candidateIncidentIds: number[];
  chosenIncidentId: number;
  rule: 'thread' | 'subject_key';
  state: 'open' | 'resolved';
  resolvedIncidentId: number | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  insertedAt: Date;
}

const conflictRow = z.object({
  id: z.number(),
  email_id: z.number(),
  message_id: z.string(),
  subject: z.string(),
  candidate_incident_ids: z.array(z.coerce.number()),
  chosen_incident_id: z.number(),
  resolution_rule: z.enum(['thread', 'subject_key']),
  state: z.enum(['open', 'resolved']),
  resolved_incident_id: z.number().nullable(),
  resolved_by: z.string().nullable(),
  resolved_at: z.date().nullable(),
  inserted_at: z.date(),
});

function toConflict(r: z.infer<typeof conflictRow>): ThreadConflict {
  return {
    id: r.id,
    emailId: r.email_id,
    messageId: r.message_id,
    subject: r.subject,
    candidateIncidentIds: r.candidate_incident_ids,
    chosenIncidentId: r.chosen_incident_id,
    rule: r.resolution_rule,
    state: r.state,
    resolvedIncidentId: r.resolved_incident_id,
    resolvedBy: r.resolved_by,
    resolvedAt: r.resolved_at,
    insertedAt: r.inserted_at,
  };
}

/** THREAD-7: conflicts, newest first, optionally of one state. */
export async function listThreadConflicts(
  db: CommonQueryMethods,
  filter: { state?: 'open' | 'resolved' } = {},
): Promise<ThreadConflict[]> {
  const where = filter.state === undefined ? sql.fragment`true` : sql.fragment`c.state = ${filter.state}`;
  const rows = await db.any(sql.type(conflictRow)`
    SELECT c.id, c.email_id, e.message_id, e.subject, c.candidate_incident_ids, c.chosen_incident_id,
      c.resolution_rule, c.state, c.resolved_incident_id, c.resolved_by, c.resolved_at, c.inserted_at
    FROM thread_conflicts c JOIN emails e ON e.id = c.email_id
    WHERE ${where}
    ORDER BY c.inserted_at DESC, c.id DESC`);
  return rows.map(toConflict);
}

export type ConflictResolution =
  | { outcome: 'resolved'; emailId: number; movedFrom: number | null }
  | { outcome: 'not_found' | 'already_resolved' | 'no_such_incident' };

/**
 * THREAD-7: an operator resolves a conflict by linking its e-mail to a named incident; who did it
 * and when are recorded. One e-mail is moved (the thread stays where it is).
 */
export async function resolveThreadConflict(
  db: DatabaseTransactionConnection,
  conflictId: number,
  incidentId: number,
  resolvedBy: string,
  now: Date,
): Promise<ConflictResolution> {
  const conflict = await db.maybeOne(sql.type(
    z.object({ email_id: z.number(), state: z.string(), incident_id: z.number().nullable() }),
  )`
    SELECT c.email_id, c.state, e.incident_id FROM thread_conflicts c JOIN emails e ON e.id = c.email_id
    WHERE c.id = ${conflictId} FOR UPDATE OF c, e`);
  if (conflict === null) return { outcome: 'not_found' };
  if (conflict.state === 'resolved') return { outcome: 'already_resolved' };
  const incident = await db.maybeOne(sql.type(z.object({ id: z.number() }))`
    SELECT id FROM incidents WHERE id = ${incidentId}`);
  if (incident === null) return { outcome: 'no_such_incident' };
  await db.query(sql.unsafe`
    UPDATE emails SET incident_id = ${incidentId} WHERE id = ${conflict.email_id}`);
  await db.query(sql.unsafe`
    UPDATE thread_conflicts
    SET state = 'resolved', resolved_incident_id = ${incidentId}, resolved_by = ${resolvedBy},
      resolved_at = ${sql.timestamp(now)}
    WHERE id = ${conflictId}`);
  return {
    outcome: 'resolved',
    emailId: conflict.email_id,
    movedFrom: conflict.incident_id === incidentId ? null : conflict.incident_id,
  };
}
