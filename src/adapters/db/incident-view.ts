// The incident as the admin command shows it (OPS-3): the row with names resolved, linked e-mails,
// status history, outbox rows and Tracker comment records.
import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';

const incidentRow = z.object({
  id: z.number(),
  code: z.string().nullable(),
  registration_time: z.date(),
  is_finished: z.boolean(),
  finished_at: z.date().nullable(),
  sla_end_at: z.date().nullable(),
  pole: z.string().nullable(),
  base_station: z.string().nullable(),
  incident_type: z.string().nullable(),
  assignee_login: z.string().nullable(),
  responsible_dispatcher: z.string().nullable(),
  is_auto: z.boolean(),
  primary_email_id: z.number().nullable(),
  status: z.string(),
  tracker_status_key: z.string().nullable(),
});

const emailRow = z.object({
  id: z.number(),
  effective_date: z.date(),
  from_address: z.string(),
  subject: z.string(),
  classification: z.string(),
  folder_role: z.string(),
});

const historyRow = z.object({
  inserted_at: z.date(),
  status: z.string(),
  source: z.string(),
  comment: z.string().nullable(),
});

const outboxRow = z.object({
  id: z.number(),
  kind: z.string(),
  trigger_key: z.string(),
  state: z.string(),
  subject: z.string(),
  to_addresses: z.array(z.string()),
  attempts: z.number(),
  sent_at: z.date().nullable(),
  last_error: z.string().nullable(),
});

const commentRow = z.object({
  email_id: z.number(),
  issue_key: z.string(),
  state: z.string(),
  tracker_comment_id: z.string().nullable(),
  posted_at: z.date().nullable(),
});

export interface IncidentView {
  incident: z.infer<typeof incidentRow>;
  emails: Array<z.infer<typeof emailRow>>;
  statusHistory: Array<z.infer<typeof historyRow>>;
  outbox: Array<z.infer<typeof outboxRow>>;
  comments: Array<z.infer<typeof commentRow>>;
}

/** `ref` is the incident id (digits) or its Tracker key; null when there is no such incident. */
export async function readIncidentView(db: CommonQueryMethods, ref: string): Promise<IncidentView | null> {
  const where = /^\d{1,15}$/.test(ref) ? sql.fragment`i.id = ${Number(ref)}` : sql.fragment`i.code = ${ref}`;
  const incident = await db.maybeOne(sql.type(incidentRow)`
    SELECT i.id, i.code, i.registration_time, i.is_finished, i.finished_at, i.sla_end_at,
      p.pole, b.bs_name AS base_station, t.name AS incident_type, i.assignee_login,
      d.login AS responsible_dispatcher, i.is_auto, i.primary_email_id, cs.status_name AS status,
      i.tracker_status_key
    FROM incidents i
    LEFT JOIN poles p ON p.id = i.pole_id
    LEFT JOIN base_stations b ON b.id = i.base_station_id
    LEFT JOIN incident_types t ON t.id = i.incident_type_id
    LEFT JOIN dispatchers d ON d.id = i.responsible_dispatcher_id
    JOIN incident_current_status cs ON cs.incident_id = i.id
    WHERE ${where}`);
  if (incident === null) return null;
  const emails = await db.any(sql.type(emailRow)`
    SELECT id, effective_date, from_address, subject, classification, folder_role
    FROM emails WHERE incident_id = ${incident.id} ORDER BY effective_date, id`);
  const statusHistory = await db.any(sql.type(historyRow)`
    SELECT h.inserted_at, s.name AS status, h.source, h.comment
    FROM incident_status_history h JOIN incident_statuses s ON s.id = h.status_id
    WHERE h.incident_id = ${incident.id} ORDER BY h.inserted_at, h.id`);
  const outbox = await db.any(sql.type(outboxRow)`
    SELECT id, kind, trigger_key, state, subject, to_addresses, attempts, sent_at, last_error
    FROM outbox WHERE incident_id = ${incident.id} ORDER BY inserted_at, id`);
  const comments = await db.any(sql.type(commentRow)`
    SELECT c.email_id, c.issue_key, c.state, c.tracker_comment_id, c.posted_at
    FROM tracker_comments c JOIN emails e ON e.id = c.email_id
    WHERE e.incident_id = ${incident.id} ORDER BY c.email_id`);
  return {
    incident,
    emails: [...emails],
    statusHistory: [...statusHistory],
    outbox: [...outbox],
    comments: [...comments],
  };
}

export interface StatusCounts {
  checkpoints: Array<{ folderName: string; uidValidity: number; lastUid: number; updatedAt: Date }>;
  mailFailures: { open: number; abandoned: number };
  openConflicts: number;
  outboxPending: number;
}

/** The DB part of `dispatch status`. */
export async function readStatusCounts(db: CommonQueryMethods): Promise<StatusCounts> {
  const checkpoints = await db.any(
    sql.type(
      z.object({ folder_name: z.string(), uidvalidity: z.number(), last_uid: z.number(), updated_at: z.date() }),
    )`SELECT folder_name, uidvalidity, last_uid, updated_at FROM mail_folder_checkpoints ORDER BY folder_name`,
  );
  const counts = await db.one(sql.type(
    z.object({ open: z.number(), abandoned: z.number(), conflicts: z.number(), outbox: z.number() }),
  )`
    SELECT
      (SELECT count(*) FROM mail_failures WHERE state = 'open') AS open,
      (SELECT count(*) FROM mail_failures WHERE state = 'abandoned') AS abandoned,
      (SELECT count(*) FROM thread_conflicts WHERE state = 'open') AS conflicts,
      (SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')) AS outbox`);
  return {
    checkpoints: checkpoints.map((c) => ({
      folderName: c.folder_name,
      uidValidity: c.uidvalidity,
      lastUid: c.last_uid,
      updatedAt: c.updated_at,
    })),
    mailFailures: { open: counts.open, abandoned: counts.abandoned },
    openConflicts: counts.conflicts,
    outboxPending: counts.outbox,
  };
}
