// MIGR-1: the rows the cut-over import reads from the legacy Django database, each checked by a zod
// schema (a row that does not fit fails loudly: the legacy schema is not what this reader expects).
// Table and column names follow Django's defaults for the legacy models (see
// test/fixtures/legacy/schema.sql for the model sources).
import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';

const id = z.number().int();
const text = z.string();
const nullableText = z.string().nullable();
const date = z.date();

export const legacyUser = z.object({
  id,
  username: text,
  email: text,
  first_name: text,
  last_name: text,
  is_active: z.boolean(),
  role: text,
});
export const legacyContractor = z.object({ id, contractor_name: text, is_excluded_from_contract: z.boolean() });
export const legacyContractorValue = z.object({ contractor_id: id, value: text });
export const legacyPole = z.object({
  id,
  site_id: id,
  pole: text,
  bs_name: text,
  pole_status: nullableText,
  pole_latitude: z.number().nullable(),
  pole_longtitude: z.number().nullable(),
  pole_height: z.number().nullable(),
  region: nullableText,
  address: nullableText,
  infrastructure_company: nullableText,
  anchor_operator: nullableText,
  avr_contractor_id: id,
});
export const legacyBaseStation = z.object({ id, bs_name: text, pole_id: id });
export const legacyOperator = z.object({ id, operator_name: text, operator_group: nullableText });
export const legacyBaseStationOperator = z.object({ base_station_id: id, operator_id: id });
export const legacyNamed = z.object({ id, name: text, description: nullableText });
export const legacyIncidentType = legacyNamed.extend({ sla_deadline: z.number().int().nullable() });
export const legacyIncident = z.object({
  id,
  insert_date: date,
  update_date: date,
  incident_date: date,
  is_incident_finish: z.boolean(),
  incident_finish_date: date.nullable(),
  pole_id: id.nullable(),
  base_station_id: id.nullable(),
  responsible_user_id: id.nullable(),
  incident_type_id: id.nullable(),
  is_auto_incident: z.boolean(),
  code: nullableText,
});
export const legacyStatusHistory = z.object({
  id,
  incident_id: id,
  status_id: id,
  insert_date: date,
  comments: nullableText,
});
export const legacyEmail = z.object({
  id,
  email_msg_id: text,
  email_msg_reply_id: nullableText,
  email_subject: nullableText,
  email_from: text,
  email_date: date,
  email_body: nullableText,
  is_first_email: z.boolean(),
  is_email_from_yandex_tracker: z.boolean(),
  was_added_2_yandex_tracker: z.boolean(),
  email_incident_id: id.nullable(),
  folder_name: text,
  created_at: date.nullable(),
});
export const legacyEmailValue = z.object({ email_id: id, value: text });
export const legacyAttachment = z.object({
  email_id: id,
  kind: z.enum(['attachment', 'inline']),
  file_name: text,
  file_url: nullableText,
});

export type LegacyUser = z.infer<typeof legacyUser>;
export type LegacyContractor = z.infer<typeof legacyContractor>;
export type LegacyContractorValue = z.infer<typeof legacyContractorValue>;
export type LegacyPole = z.infer<typeof legacyPole>;
export type LegacyBaseStation = z.infer<typeof legacyBaseStation>;
export type LegacyOperator = z.infer<typeof legacyOperator>;
export type LegacyBaseStationOperator = z.infer<typeof legacyBaseStationOperator>;
export type LegacyNamed = z.infer<typeof legacyNamed>;
export type LegacyIncidentType = z.infer<typeof legacyIncidentType>;
export type LegacyIncident = z.infer<typeof legacyIncident>;
export type LegacyStatusHistory = z.infer<typeof legacyStatusHistory>;
export type LegacyEmail = z.infer<typeof legacyEmail>;
export type LegacyEmailValue = z.infer<typeof legacyEmailValue>;
export type LegacyAttachment = z.infer<typeof legacyAttachment>;

/** Everything the import reads, in legacy id order (rows of child tables in their insertion order). */
export interface LegacyData {
  users: readonly LegacyUser[];
  contractors: readonly LegacyContractor[];
  contractorEmails: readonly LegacyContractorValue[];
  contractorPhones: readonly LegacyContractorValue[];
  poles: readonly LegacyPole[];
  baseStations: readonly LegacyBaseStation[];
  operators: readonly LegacyOperator[];
  baseStationOperators: readonly LegacyBaseStationOperator[];
  incidentTypes: readonly LegacyIncidentType[];
  incidentStatuses: readonly LegacyNamed[];
  incidents: readonly LegacyIncident[];
  statusHistory: readonly LegacyStatusHistory[];
  emails: readonly LegacyEmail[];
  references: readonly LegacyEmailValue[];
  to: readonly LegacyEmailValue[];
  cc: readonly LegacyEmailValue[];
  attachments: readonly LegacyAttachment[];
}

/** Reads the legacy tables; `progress` is told each table as it is read. */
export async function readLegacyData(
  db: CommonQueryMethods,
  progress: (table: string, rows: number) => void = () => undefined,
): Promise<LegacyData> {
  const read = async <T>(table: string, rows: Promise<readonly T[]>): Promise<readonly T[]> => {
    const result = await rows;
    progress(table, result.length);
    return result;
  };
  return {
    users: await read(
      'users_user',
      db.any(sql.type(legacyUser)`
      SELECT id, username, email, first_name, last_name, is_active, role FROM users_user ORDER BY id`),
    ),
    contractors: await read(
      'ts_avrcontractor',
      db.any(sql.type(legacyContractor)`
      SELECT id, contractor_name, is_excluded_from_contract FROM ts_avrcontractor ORDER BY id`),
    ),
    contractorEmails: await read(
      'ts_avrcontractor_emails',
      db.any(sql.type(legacyContractorValue)`
      SELECT l.avrcontractor_id AS contractor_id, e.email AS value
      FROM ts_avrcontractor_emails l JOIN ts_contractoremail e ON e.id = l.contractoremail_id
      ORDER BY l.avrcontractor_id, e.id`),
    ),
    contractorPhones: await read(
      'ts_avrcontractor_phones',
      db.any(sql.type(legacyContractorValue)`
      SELECT l.avrcontractor_id AS contractor_id, p.phone AS value
      FROM ts_avrcontractor_phones l JOIN ts_contractorphone p ON p.id = l.contractorphone_id
      ORDER BY l.avrcontractor_id, p.id`),
    ),
    poles: await read(
      'ts_pole',
      db.any(sql.type(legacyPole)`
      SELECT id, site_id::bigint AS site_id, pole, bs_name, pole_status, pole_latitude, pole_longtitude, pole_height,
        region, address, infrastructure_company, anchor_operator, avr_contractor_id
      FROM ts_pole ORDER BY id`),
    ),
    baseStations: await read(
      'ts_basestation',
      db.any(sql.type(legacyBaseStation)`
      SELECT id, bs_name, pole_id FROM ts_basestation ORDER BY id`),
    ),
    operators: await read(
      'ts_basestationoperator',
      db.any(sql.type(legacyOperator)`
      SELECT id, operator_name, operator_group FROM ts_basestationoperator ORDER BY id`),
    ),
    baseStationOperators: await read(
      'ts_basestation_operator',
      db.any(sql.type(legacyBaseStationOperator)`
      SELECT basestation_id AS base_station_id, basestationoperator_id AS operator_id
      FROM ts_basestation_operator ORDER BY id`),
    ),
    incidentTypes: await read(
      'incidents_incidenttype',
      db.any(sql.type(legacyIncidentType)`
      SELECT id, name, description, sla_deadline FROM incidents_incidenttype ORDER BY id`),
    ),
    incidentStatuses: await read(
      'incidents_incidentstatus',
      db.any(sql.type(legacyNamed)`
      SELECT id, name, description FROM incidents_incidentstatus ORDER BY id`),
    ),
    incidents: await read(
      'incidents_incident',
      db.any(sql.type(legacyIncident)`
      SELECT id, insert_date, update_date, incident_date, is_incident_finish, incident_finish_date, pole_id,
        base_station_id, responsible_user_id, incident_type_id, is_auto_incident, code
      FROM incidents_incident ORDER BY id`),
    ),
    statusHistory: await read(
      'incidents_incidentstatushistory',
      db.any(sql.type(legacyStatusHistory)`
      SELECT id, incident_id, status_id, insert_date, comments FROM incidents_incidentstatushistory ORDER BY id`),
    ),
    emails: await read(
      'emails_emailmessage',
      db.any(sql.type(legacyEmail)`
      SELECT m.id, m.email_msg_id, m.email_msg_reply_id, m.email_subject, m.email_from, m.email_date, m.email_body,
        m.is_first_email, m.is_email_from_yandex_tracker, m.was_added_2_yandex_tracker, m.email_incident_id,
        f.name AS folder_name, m.created_at
      FROM emails_emailmessage m JOIN emails_emailfolder f ON f.id = m.folder_id ORDER BY m.id`),
    ),
    references: await read(
      'emails_emailreference',
      db.any(sql.type(legacyEmailValue)`
      SELECT email_msg_id AS email_id, email_msg_references AS value FROM emails_emailreference ORDER BY id`),
    ),
    to: await read(
      'emails_emailto',
      db.any(sql.type(legacyEmailValue)`
      SELECT email_msg_id AS email_id, email_to AS value FROM emails_emailto ORDER BY id`),
    ),
    cc: await read(
      'emails_emailtocc',
      db.any(sql.type(legacyEmailValue)`
      SELECT email_msg_id AS email_id, email_to AS value FROM emails_emailtocc ORDER BY id`),
    ),
    // Attachments first, inline images after: that order gives each its part_index (DATA-4).
    attachments: await read(
      'emails_emailattachment+emails_emailintextattachment',
      db.any(sql.type(legacyAttachment)`
      SELECT email_id, kind, file_name, file_url FROM (
        SELECT email_msg_id AS email_id, 'attachment' AS kind, 0 AS k, id, file_name, file_url FROM emails_emailattachment
        UNION ALL
        SELECT email_msg_id, 'inline', 1, id, file_name, file_url FROM emails_emailintextattachment
      ) a ORDER BY email_id, k, id`),
    ),
  };
}
