// The incident rows the incident workflow's activities read and write (DATA-1, DATA-3): the
// incident with its directory names, its linked e-mails, and the few columns the Tracker side owns
// (code, tracker_excluded, pole/BS from extraction, the responsible dispatcher).
import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { EmailClassification, FolderRole } from '../../domain/threading.js';
import { EMAIL_CLASSIFICATIONS, FOLDER_ROLES } from '../../domain/threading.js';

const incidentRow = z.object({
  id: z.number(),
  code: z.string().nullable(),
  registration_time: z.date(),
  is_finished: z.boolean(),
  is_auto: z.boolean(),
  tracker_excluded: z.boolean(),
  primary_email_id: z.number().nullable(),
  pole_id: z.number().nullable(),
  pole_code: z.string().nullable(),
  pole_region: z.string().nullable(),
  contractor_name: z.string().nullable(),
  base_station_id: z.number().nullable(),
  bs_name: z.string().nullable(),
  assignee_login: z.string().nullable(),
  sla_end_at: z.date().nullable(),
  type_name: z.string().nullable(),
  sla_minutes: z.number().nullable(),
  dispatcher_login: z.string().nullable(),
  status_name: z.string(),
});

export interface IncidentRecord {
  id: number;
  code: string | null;
  registrationTime: Date;
  isFinished: boolean;
  isAuto: boolean;
  trackerExcluded: boolean;
  primaryEmailId: number | null;
  poleId: number | null;
  poleCode: string | null;
  /** English TowerStore region of the pole (YT-20). */
  poleRegion: string | null;
  /** The pole's contractor (`undefined` for the default one); null without a pole. */
  contractorName: string | null;
  baseStationId: number | null;
  baseStationName: string | null;
  /** Distinct operator names of the BS, as stored. */
  operatorNames: string[];
  assigneeLogin: string | null;
  /** Login of the responsible dispatcher. */
  dispatcherLogin: string | null;
  /** Current history status (INC-7: `Новый` without rows). */
  statusName: string;
  /** SLA-3 end point; null while the clock runs. */
  slaEndAt: Date | null;
  /** The incident type (DB value, set only after VAL) and its SLA minutes (SLA-1). */
  problemType: string | null;
  slaMinutes: number | null;
}

export async function loadIncident(db: CommonQueryMethods, incidentId: number): Promise<IncidentRecord | null> {
  const row = await db.maybeOne(sql.type(incidentRow)`
    SELECT i.id, i.code, i.registration_time, i.is_finished, i.is_auto, i.tracker_excluded, i.primary_email_id,
           i.pole_id, p.pole AS pole_code, p.region AS pole_region, c.contractor_name,
           i.base_station_id, b.bs_name, i.assignee_login, d.login AS dispatcher_login, cs.status_name,
           i.sla_end_at, t.name AS type_name, t.sla_minutes
    FROM incidents i
    LEFT JOIN incident_types t ON t.id = i.incident_type_id
    LEFT JOIN poles p ON p.id = i.pole_id
    LEFT JOIN contractors c ON c.id = p.avr_contractor_id
    LEFT JOIN base_stations b ON b.id = i.base_station_id
    LEFT JOIN dispatchers d ON d.id = i.responsible_dispatcher_id
    JOIN incident_current_status cs ON cs.incident_id = i.id
    WHERE i.id = ${incidentId}`);
  if (row === null) return null;
  const operatorNames =
    row.base_station_id === null
      ? []
      : [
          ...(await db.anyFirst(sql.type(z.object({ operator_name: z.string() }))`
            SELECT DISTINCT o.operator_name
            FROM base_station_operators bo JOIN operators o ON o.id = bo.operator_id
            WHERE bo.base_station_id = ${row.base_station_id}`)),
        ];
  return {
    id: row.id,
    code: row.code,
    registrationTime: row.registration_time,
    isFinished: row.is_finished,
    isAuto: row.is_auto,
    trackerExcluded: row.tracker_excluded,
    primaryEmailId: row.primary_email_id,
    poleId: row.pole_id,
    poleCode: row.pole_code,
    poleRegion: row.pole_region,
    contractorName: row.pole_id === null ? null : (row.contractor_name ?? null),
    baseStationId: row.base_station_id,
    baseStationName: row.bs_name,
    operatorNames,
    assigneeLogin: row.assignee_login,
    dispatcherLogin: row.dispatcher_login,
    statusName: row.status_name,
    slaEndAt: row.sla_end_at,
    problemType: row.type_name,
    slaMinutes: row.sla_minutes,
  };
}

const emailRow = z.object({
  id: z.number(),
  incident_id: z.number().nullable(),
  subject: z.string(),
  from_address: z.string(),
  requester_address: z.string().nullable(),
  effective_date: z.date(),
  body: z.string().nullable(),
  folder_role: z.enum(FOLDER_ROLES),
  classification: z.enum(EMAIL_CLASSIFICATIONS),
  to_addresses: z.array(z.string()),
  cc_addresses: z.array(z.string()),
  observer_addresses: z.array(z.string()),
});

export interface EmailRecord {
  id: number;
  incidentId: number | null;
  subject: string;
  fromAddress: string;
  requesterAddress: string | null;
  effectiveDate: Date;
  body: string | null;
  folderRole: FolderRole;
  classification: EmailClassification;
  to: string[];
  cc: string[];
  observers: string[];
}

const emailColumns = sql.fragment`
  e.id, e.incident_id, e.subject, e.from_address, e.requester_address, e.effective_date, e.body,
  e.folder_role, e.classification,
  coalesce((SELECT array_agg(r.address ORDER BY r.position) FROM email_recipients r
            WHERE r.email_id = e.id AND r.kind = 'to'), '{}') AS to_addresses,
  coalesce((SELECT array_agg(r.address ORDER BY r.position) FROM email_recipients r
            WHERE r.email_id = e.id AND r.kind = 'cc'), '{}') AS cc_addresses,
  coalesce((SELECT array_agg(o.address ORDER BY o.position) FROM email_observers o
            WHERE o.email_id = e.id), '{}') AS observer_addresses`;

function toEmail(row: z.infer<typeof emailRow>): EmailRecord {
  return {
    id: row.id,
    incidentId: row.incident_id,
    subject: row.subject,
    fromAddress: row.from_address,
    requesterAddress: row.requester_address,
    effectiveDate: row.effective_date,
    body: row.body,
    folderRole: row.folder_role,
    classification: row.classification,
    to: row.to_addresses,
    cc: row.cc_addresses,
    observers: row.observer_addresses,
  };
}

export async function loadEmail(db: CommonQueryMethods, emailId: number): Promise<EmailRecord | null> {
  const row = await db.maybeOne(sql.type(emailRow)`SELECT ${emailColumns} FROM emails e WHERE e.id = ${emailId}`);
  return row === null ? null : toEmail(row);
}

/** YT-8 / EXTR-6: the incident's e-mails in (effective date, id) order. */
export async function linkedEmails(db: CommonQueryMethods, incidentId: number): Promise<EmailRecord[]> {
  const rows = await db.any(sql.type(emailRow)`
    SELECT ${emailColumns} FROM emails e WHERE e.incident_id = ${incidentId} ORDER BY e.effective_date, e.id`);
  return rows.map(toEmail);
}

/** Ids of linked e-mails that have a `posted` comment record (YT-10). */
export async function postedEmailIds(db: CommonQueryMethods, incidentId: number): Promise<number[]> {
  const ids = await db.anyFirst(sql.type(z.object({ id: z.number() }))`
    SELECT e.id FROM emails e JOIN tracker_comments t ON t.email_id = e.id
    WHERE e.incident_id = ${incidentId} AND t.state = 'posted' ORDER BY e.id`);
  return [...ids];
}

/** The issue key of the incident (YT-8); a key is never replaced by another here. */
export async function setIncidentCode(db: CommonQueryMethods, incidentId: number, code: string): Promise<void> {
  await db.query(
    sql.unsafe`UPDATE incidents SET code = ${code} WHERE id = ${incidentId} AND code IS DISTINCT FROM ${code}`,
  );
}

/** YT-20: no issue for this incident. */
export async function markTrackerExcluded(db: CommonQueryMethods, incidentId: number): Promise<void> {
  await db.query(
    sql.unsafe`UPDATE incidents SET tracker_excluded = true WHERE id = ${incidentId} AND NOT tracker_excluded`,
  );
}

/** EXTR-6: fills pole and BS only while the incident has no pole; true when this call set them. */
export async function fillPoleAndBaseStation(
  db: CommonQueryMethods,
  incidentId: number,
  poleId: number,
  baseStationId: number | null,
): Promise<boolean> {
  const updated = await db.anyFirst(sql.type(z.object({ id: z.number() }))`
    UPDATE incidents SET pole_id = ${poleId}, base_station_id = ${baseStationId}
    WHERE id = ${incidentId} AND pole_id IS NULL
    RETURNING id`);
  return updated.length > 0;
}

/** ASSIGN-3/4: records the chosen dispatcher (and when, for the "recent assignments" tie-breaker). */
export async function setResponsibleDispatcher(
  db: CommonQueryMethods,
  incidentId: number,
  login: string,
): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE incidents i
    SET responsible_dispatcher_id = d.id, assignee_login = d.login, dispatcher_assigned_at = now()
    FROM dispatchers d
    WHERE i.id = ${incidentId} AND d.login = ${login} AND i.responsible_dispatcher_id IS DISTINCT FROM d.id`);
}

/**
 * ASSIGN-5: the Tracker assignee mirrored into the DB; the responsible dispatcher is the matching
 * active dispatcher, or none.
 */
export async function syncAssigneeLogin(
  db: CommonQueryMethods,
  incidentId: number,
  login: string | null,
): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE incidents i
    SET assignee_login = ${login},
        responsible_dispatcher_id = (SELECT d.id FROM dispatchers d WHERE d.login = ${login} AND d.is_active),
        dispatcher_assigned_at = CASE
          WHEN i.responsible_dispatcher_id IS DISTINCT FROM
               (SELECT d.id FROM dispatchers d WHERE d.login = ${login} AND d.is_active)
          THEN now() ELSE i.dispatcher_assigned_at END
    WHERE i.id = ${incidentId}`);
}

const uploadRow = z.object({
  id: z.number(),
  original_name: z.string(),
  mime_type: z.string(),
  size: z.number(),
  sha256: z.string(),
});

export interface StoredAttachment {
  id: number;
  name: string;
  mimeType: string;
  size: number;
  sha256: string;
}

/** ATT-6: stored files of an e-mail up to `maxBytes`, in MIME part order. */
export async function uploadableAttachments(
  db: CommonQueryMethods,
  emailId: number,
  maxBytes: number,
): Promise<StoredAttachment[]> {
  const rows = await db.any(sql.type(uploadRow)`
    SELECT id, original_name, mime_type, size, sha256 FROM attachments
    WHERE email_id = ${emailId} AND status = 'stored' AND sha256 IS NOT NULL AND size <= ${maxBytes}
    ORDER BY part_index`);
  return rows.map((r) => ({ id: r.id, name: r.original_name, mimeType: r.mime_type, size: r.size, sha256: r.sha256 }));
}

/** ATT-6: the blob of a stored attachment is gone. */
export async function markAttachmentMissing(db: CommonQueryMethods, attachmentId: number): Promise<void> {
  await db.query(
    sql.unsafe`UPDATE attachments SET status = 'missing' WHERE id = ${attachmentId} AND status = 'stored'`,
  );
}

/** DEF-3 / YT-5: incident type names, which must be values of the problem-type dropdown. */
export async function incidentTypeNames(db: CommonQueryMethods): Promise<string[]> {
  return [
    ...(await db.anyFirst(sql.type(z.object({ name: z.string() }))`SELECT name FROM incident_types ORDER BY id`)),
  ];
}
