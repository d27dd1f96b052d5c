// MIGR-1 / MIGR-2: the cut-over import into DISPATCH's database. All writes run in one transaction
// (a dry run rolls it back, so its counts are exactly what a real run would do). Every write is an
// upsert by id or natural key that changes a row only when a value differs: a second run changes
// nothing and its summary says so. Attachment files are copied into content-addressed storage
// (ATT-3) before the transaction commits; a failed run leaves at most unreferenced blobs.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { sql } from 'slonik';
import type { CommonQueryMethods, DatabasePool, QuerySqlToken } from 'slonik';
import { z } from 'zod';
import { storeBlob } from '../adapters/mail/attachment-store.js';
import { ensureIncidentStatusId } from '../adapters/db/defaults.js';
import type { HistoryStatusName } from '../domain/reference-data.js';
import { readLegacyData, type LegacyData } from './legacy-rows.js';
import {
  historyComment,
  isKnownStatusName,
  mapDirectory,
  mapDispatchers,
  mapEmail,
  mapIncident,
  planAttachments,
  primaryEmails,
  type EmailRow,
  type IncidentRow,
  type LegacyProblem,
} from './mapping.js';

export interface TableCount {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface LegacyImportSummary {
  dryRun: boolean;
  /** Per DISPATCH table: rows offered, and what the upserts did with them. */
  tables: Record<string, TableCount>;
  /** Identity sequences moved above the highest imported id: table → next value. */
  sequences: Record<string, number>;
  /** Attachments whose legacy file was absent (stored with status `missing`). */
  missingFiles: { emailId: number; partIndex: number; path: string | null }[];
  problems: LegacyProblem[];
  /** Imported incidents that are not finished (MIGR-3 starts their workflows). */
  openIncidentIds: number[];
  /** False when the run wrote nothing (or would write nothing, for a dry run). */
  changed: boolean;
}

export interface LegacyImportOptions {
  legacy: CommonQueryMethods;
  db: DatabasePool;
  mediaRoot: string;
  attachmentsDir: string;
  /** The configured Sent folder: legacy e-mails of that folder are SENT, the others INBOX. */
  sentFolder: string;
  dryRun: boolean;
  /** One line per step (the CLI prints them on stderr). */
  progress?: (line: string) => void;
}

const upserted = z.object({ inserted: z.boolean() });
const idRow = z.object({ id: z.number() });
const sequenceRow = z.object({ max_id: z.number().nullable(), next_value: z.number() });
const existingEmail = z.object({ id: z.number(), message_id: z.string() });

class DryRunRollback extends Error {}

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

function sha256(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Counts of one table, filled in as its rows are written. */
class Counter {
  readonly tables: Record<string, TableCount> = {};

  table(name: string): TableCount {
    this.tables[name] ??= { read: 0, inserted: 0, updated: 0, unchanged: 0 };
    return this.tables[name];
  }

  /** Runs an upsert that RETURNING (xmax = 0) AS inserted for each changed row. */
  async upsert(tx: CommonQueryMethods, name: string, query: QuerySqlToken<typeof upserted>): Promise<void> {
    const count = this.table(name);
    count.read++;
    const row = await tx.maybeOne(query);
    if (row === null) count.unchanged++;
    else if (row.inserted) count.inserted++;
    else count.updated++;
  }

  get changed(): boolean {
    return Object.values(this.tables).some((t) => t.inserted > 0 || t.updated > 0);
  }
}

async function importDirectory(tx: CommonQueryMethods, data: LegacyData, problems: LegacyProblem[], counter: Counter) {
  const directory = mapDirectory(data, problems);
  for (const c of directory.contractors) {
    await counter.upsert(
      tx,
      'contractors',
      sql.type(upserted)`
      INSERT INTO contractors (id, contractor_name, is_excluded_from_contract) VALUES (${c.id}, ${c.name}, ${c.isExcluded})
      ON CONFLICT (id) DO UPDATE SET contractor_name = EXCLUDED.contractor_name, is_excluded_from_contract = EXCLUDED.is_excluded_from_contract
      WHERE (contractors.contractor_name, contractors.is_excluded_from_contract) IS DISTINCT FROM (EXCLUDED.contractor_name, EXCLUDED.is_excluded_from_contract)
      RETURNING (xmax = 0) AS inserted`,
    );
  }
  for (const e of directory.contractorEmails) {
    await counter.upsert(
      tx,
      'contractor_emails',
      sql.type(upserted)`
      INSERT INTO contractor_emails (contractor_id, email) VALUES (${e.contractorId}, ${e.email})
      ON CONFLICT DO NOTHING RETURNING (xmax = 0) AS inserted`,
    );
  }
  for (const p of directory.contractorPhones) {
    await counter.upsert(
      tx,
      'contractor_phones',
      sql.type(upserted)`
      INSERT INTO contractor_phones (contractor_id, phone) VALUES (${p.contractorId}, ${p.phone})
      ON CONFLICT DO NOTHING RETURNING (xmax = 0) AS inserted`,
    );
  }
  for (const p of directory.poles) {
    await counter.upsert(
      tx,
      'poles',
      sql.type(upserted)`
      INSERT INTO poles AS t (id, site_id, pole, bs_name, pole_status, region, address, infrastructure_company,
        anchor_operator, latitude, longitude, height, avr_contractor_id)
      VALUES (${p.id}, ${p.siteId}, ${p.pole}, ${p.bsName}, ${p.poleStatus}, ${p.region}, ${p.address},
        ${p.infrastructureCompany}, ${p.anchorOperator}, ${p.latitude}, ${p.longitude}, ${p.height}, ${p.contractorId})
      ON CONFLICT (id) DO UPDATE SET site_id = EXCLUDED.site_id, pole = EXCLUDED.pole, bs_name = EXCLUDED.bs_name,
        pole_status = EXCLUDED.pole_status, region = EXCLUDED.region, address = EXCLUDED.address,
        infrastructure_company = EXCLUDED.infrastructure_company, anchor_operator = EXCLUDED.anchor_operator,
        latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, height = EXCLUDED.height,
        avr_contractor_id = EXCLUDED.avr_contractor_id
      WHERE (t.site_id, t.pole, t.bs_name, t.pole_status, t.region, t.address, t.infrastructure_company,
          t.anchor_operator, t.latitude, t.longitude, t.height, t.avr_contractor_id)
        IS DISTINCT FROM (EXCLUDED.site_id, EXCLUDED.pole, EXCLUDED.bs_name, EXCLUDED.pole_status, EXCLUDED.region,
          EXCLUDED.address, EXCLUDED.infrastructure_company, EXCLUDED.anchor_operator, EXCLUDED.latitude,
          EXCLUDED.longitude, EXCLUDED.height, EXCLUDED.avr_contractor_id)
      RETURNING (xmax = 0) AS inserted`,
    );
  }
  for (const bs of directory.baseStations) {
    await counter.upsert(
      tx,
      'base_stations',
      sql.type(upserted)`
      INSERT INTO base_stations AS t (id, bs_name, pole_id) VALUES (${bs.id}, ${bs.bsName}, ${bs.poleId})
      ON CONFLICT (id) DO UPDATE SET bs_name = EXCLUDED.bs_name, pole_id = EXCLUDED.pole_id
      WHERE (t.bs_name, t.pole_id) IS DISTINCT FROM (EXCLUDED.bs_name, EXCLUDED.pole_id)
      RETURNING (xmax = 0) AS inserted`,
    );
  }
  for (const o of directory.operators) {
    await counter.upsert(
      tx,
      'operators',
      sql.type(upserted)`
      INSERT INTO operators AS t (id, operator_name, operator_group) VALUES (${o.id}, ${o.name}, ${o.group})
      ON CONFLICT (id) DO UPDATE SET operator_name = EXCLUDED.operator_name, operator_group = EXCLUDED.operator_group
      WHERE (t.operator_name, t.operator_group) IS DISTINCT FROM (EXCLUDED.operator_name, EXCLUDED.operator_group)
      RETURNING (xmax = 0) AS inserted`,
    );
  }
  for (const link of directory.baseStationOperators) {
    await counter.upsert(
      tx,
      'base_station_operators',
      sql.type(upserted)`
      INSERT INTO base_station_operators (base_station_id, operator_id) VALUES (${link.baseStationId}, ${link.operatorId})
      ON CONFLICT DO NOTHING RETURNING (xmax = 0) AS inserted`,
    );
  }
  return directory;
}

/** MIGR-1: incident types by name; DEF-1: an existing type's description and SLA stay as edited. */
async function importIncidentTypes(
  tx: CommonQueryMethods,
  data: LegacyData,
  counter: Counter,
): Promise<Map<number, number>> {
  const ids = new Map<number, number>();
  for (const type of data.incidentTypes) {
    const sla = type.sla_deadline !== null && type.sla_deadline > 0 ? type.sla_deadline : null;
    await counter.upsert(
      tx,
      'incident_types',
      sql.type(upserted)`
      INSERT INTO incident_types (name, description, sla_minutes) VALUES (${type.name}, ${type.description ?? ''}, ${sla})
      ON CONFLICT (name) DO NOTHING RETURNING (xmax = 0) AS inserted`,
    );
    ids.set(type.id, await tx.oneFirst(sql.type(idRow)`SELECT id FROM incident_types WHERE name = ${type.name}`));
  }
  return ids;
}

/** MIGR-1: statuses by name; only the INC-8 / DEF-2 names exist in DISPATCH (others are problems). */
async function importIncidentStatuses(
  tx: CommonQueryMethods,
  data: LegacyData,
  problems: LegacyProblem[],
  counter: Counter,
): Promise<Map<number, number>> {
  const ids = new Map<number, number>();
  const count = counter.table('incident_statuses');
  for (const status of data.incidentStatuses) {
    if (!isKnownStatusName(status.name)) {
      problems.push({
        table: 'incidents_incidentstatus',
        legacyId: status.id,
        reason: `unknown status name ${JSON.stringify(status.name)}`,
      });
      continue;
    }
    count.read++;
    const existed = await tx.exists(sql.unsafe`SELECT 1 FROM incident_statuses WHERE name = ${status.name}`);
    ids.set(status.id, await ensureIncidentStatusId(tx, status.name as HistoryStatusName));
    if (existed) count.unchanged++;
    else count.inserted++;
  }
  return ids;
}

async function upsertIncident(tx: CommonQueryMethods, i: IncidentRow, counter: Counter): Promise<void> {
  await counter.upsert(
    tx,
    'incidents',
    sql.type(upserted)`
    INSERT INTO incidents AS t (id, code, registration_time, inserted_at, is_finished, finished_at, pole_id, base_station_id,
      incident_type_id, assignee_login, responsible_dispatcher_id, is_auto)
    VALUES (${i.id}, ${i.code}, ${iso(i.registrationTime)}::timestamptz, ${iso(i.insertedAt)}::timestamptz, ${i.isFinished},
      ${iso(i.finishedAt)}::timestamptz, ${i.poleId}, ${i.baseStationId}, ${i.incidentTypeId}, ${i.assigneeLogin},
      ${i.responsibleDispatcherId}, ${i.isAuto})
    ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, registration_time = EXCLUDED.registration_time,
      inserted_at = EXCLUDED.inserted_at, is_finished = EXCLUDED.is_finished, finished_at = EXCLUDED.finished_at,
      pole_id = EXCLUDED.pole_id, base_station_id = EXCLUDED.base_station_id, incident_type_id = EXCLUDED.incident_type_id,
      assignee_login = EXCLUDED.assignee_login, responsible_dispatcher_id = EXCLUDED.responsible_dispatcher_id,
      is_auto = EXCLUDED.is_auto
    WHERE (t.code, t.registration_time, t.inserted_at, t.is_finished, t.finished_at, t.pole_id, t.base_station_id,
        t.incident_type_id, t.assignee_login, t.responsible_dispatcher_id, t.is_auto)
      IS DISTINCT FROM (EXCLUDED.code, EXCLUDED.registration_time, EXCLUDED.inserted_at, EXCLUDED.is_finished,
        EXCLUDED.finished_at, EXCLUDED.pole_id, EXCLUDED.base_station_id, EXCLUDED.incident_type_id,
        EXCLUDED.assignee_login, EXCLUDED.responsible_dispatcher_id, EXCLUDED.is_auto)
    RETURNING (xmax = 0) AS inserted`,
  );
}

async function upsertEmail(tx: CommonQueryMethods, e: EmailRow, counter: Counter): Promise<void> {
  await counter.upsert(
    tx,
    'emails',
    sql.type(upserted)`
    INSERT INTO emails AS t (id, message_id, in_reply_to, subject, from_address, date_header, effective_date, body,
      folder_role, folder_name, classification, incident_id, inserted_at)
    VALUES (${e.id}, ${e.messageId}, ${e.inReplyTo}, ${e.subject}, ${e.fromAddress}, ${iso(e.date)}::timestamptz,
      ${iso(e.date)}::timestamptz, ${e.body}, ${e.folderRole}, ${e.folderName}, ${e.classification}, ${e.incidentId},
      ${iso(e.insertedAt)}::timestamptz)
    ON CONFLICT (id) DO UPDATE SET message_id = EXCLUDED.message_id, in_reply_to = EXCLUDED.in_reply_to,
      subject = EXCLUDED.subject, from_address = EXCLUDED.from_address, date_header = EXCLUDED.date_header,
      effective_date = EXCLUDED.effective_date, body = EXCLUDED.body, folder_role = EXCLUDED.folder_role,
      folder_name = EXCLUDED.folder_name, classification = EXCLUDED.classification, incident_id = EXCLUDED.incident_id,
      inserted_at = EXCLUDED.inserted_at
    WHERE (t.message_id, t.in_reply_to, t.subject, t.from_address, t.date_header, t.effective_date, t.body,
        t.folder_role, t.folder_name, t.classification, t.incident_id, t.inserted_at)
      IS DISTINCT FROM (EXCLUDED.message_id, EXCLUDED.in_reply_to, EXCLUDED.subject, EXCLUDED.from_address,
        EXCLUDED.date_header, EXCLUDED.effective_date, EXCLUDED.body, EXCLUDED.folder_role, EXCLUDED.folder_name,
        EXCLUDED.classification, EXCLUDED.incident_id, EXCLUDED.inserted_at)
    RETURNING (xmax = 0) AS inserted`,
  );
  const positions = { to: 0, cc: 0 };
  for (const r of e.recipients) {
    const position = positions[r.kind]++;
    await counter.upsert(
      tx,
      'email_recipients',
      sql.type(upserted)`
      INSERT INTO email_recipients (email_id, kind, position, address) VALUES (${e.id}, ${r.kind}, ${position}, ${r.address})
      ON CONFLICT DO NOTHING RETURNING (xmax = 0) AS inserted`,
    );
  }
  for (const [position, ref] of e.references.entries()) {
    await counter.upsert(
      tx,
      'email_references',
      sql.type(upserted)`
      INSERT INTO email_references (email_id, position, ref_message_id) VALUES (${e.id}, ${position}, ${ref})
      ON CONFLICT DO NOTHING RETURNING (xmax = 0) AS inserted`,
    );
  }
}

function groupValues(rows: readonly { email_id: number; value: string }[]): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const row of rows) {
    const list = groups.get(row.email_id) ?? [];
    list.push(row.value);
    groups.set(row.email_id, list);
  }
  return groups;
}

/** The legacy file of an attachment under the media root, or null when it is not there (→ `missing`). */
async function readMediaFile(mediaRoot: string, relativePath: string | null): Promise<Uint8Array | null> {
  if (relativePath === null) return null;
  const root = resolve(mediaRoot);
  const path = resolve(root, relativePath);
  if (!path.startsWith(root + sep)) return null;
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/** Identity columns whose ids the import preserves: their sequences must continue above them. */
const PRESERVED_ID_TABLES = [
  'dispatchers',
  'contractors',
  'poles',
  'base_stations',
  'operators',
  'incidents',
  'incident_status_history',
  'emails',
] as const;

async function moveSequences(tx: CommonQueryMethods, dryRun: boolean): Promise<Record<string, number>> {
  const moved: Record<string, number> = {};
  for (const table of PRESERVED_ID_TABLES) {
    const row = await tx.one(sql.type(sequenceRow)`
      SELECT (SELECT max(id) FROM ${sql.identifier([table])}) AS max_id,
        (SELECT coalesce(s.last_value + 1, s.start_value) FROM pg_sequences s
          WHERE format('%I.%I', s.schemaname, s.sequencename) = pg_get_serial_sequence(${table}, 'id')) AS next_value`);
    if (row.max_id === null || row.next_value > row.max_id) continue;
    // setval is not undone by a rollback, so a dry run only reports the move.
    if (!dryRun) await tx.query(sql.unsafe`SELECT setval(pg_get_serial_sequence(${table}, 'id'), ${row.max_id})`);
    moved[table] = row.max_id + 1;
  }
  return moved;
}

/** MIGR-1 / MIGR-2: reads the legacy database and imports it (see the module comment). */
export async function importLegacy(options: LegacyImportOptions): Promise<LegacyImportSummary> {
  const progress = options.progress ?? (() => undefined);
  const data = await readLegacyData(options.legacy, (table, rows) => progress(`read ${table}: ${rows} rows`));
  const problems: LegacyProblem[] = [];
  const counter = new Counter();
  const missingFiles: LegacyImportSummary['missingFiles'] = [];
  let sequences: Record<string, number> = {};
  let openIncidentIds: number[] = [];
  const step = (table: string) => {
    const t = counter.table(table);
    progress(`${table}: ${t.inserted} inserted, ${t.updated} updated, ${t.unchanged} unchanged`);
  };

  try {
    await options.db.transaction(async (tx) => {
      const dispatchers = mapDispatchers(data.users, problems);
      for (const d of dispatchers) {
        await counter.upsert(
          tx,
          'dispatchers',
          sql.type(upserted)`
          INSERT INTO dispatchers AS t (id, login, email, display_name, is_active)
          VALUES (${d.id}, ${d.login}, ${d.email}, ${d.displayName}, ${d.isActive})
          ON CONFLICT (id) DO UPDATE SET login = EXCLUDED.login, email = EXCLUDED.email,
            display_name = EXCLUDED.display_name, is_active = EXCLUDED.is_active
          WHERE (t.login, t.email, t.display_name, t.is_active)
            IS DISTINCT FROM (EXCLUDED.login, EXCLUDED.email, EXCLUDED.display_name, EXCLUDED.is_active)
          RETURNING (xmax = 0) AS inserted`,
        );
      }
      step('dispatchers');

      const directory = await importDirectory(tx, data, problems, counter);
      for (const table of [
        'contractors',
        'contractor_emails',
        'contractor_phones',
        'poles',
        'base_stations',
        'operators',
        'base_station_operators',
      ]) {
        step(table);
      }
      const typeIds = await importIncidentTypes(tx, data, counter);
      step('incident_types');
      const statusIds = await importIncidentStatuses(tx, data, problems, counter);
      step('incident_statuses');

      const incidents: IncidentRow[] = [];
      const context = {
        typeIds,
        poleIds: directory.poleIds,
        baseStationIds: directory.baseStationIds,
        dispatcherIds: new Set(dispatchers.map((d) => d.id)),
        usernames: new Map(data.users.map((u) => [u.id, u.username])),
      };
      for (const legacy of data.incidents) {
        const row = mapIncident(legacy, context, problems);
        if (row === null) continue;
        incidents.push(row);
        await upsertIncident(tx, row, counter);
      }
      step('incidents');
      const incidentIds = new Set(incidents.map((i) => i.id));

      for (const h of data.statusHistory) {
        const statusId = statusIds.get(h.status_id);
        if (statusId === undefined || !incidentIds.has(h.incident_id)) {
          problems.push({
            table: 'incidents_incidentstatushistory',
            legacyId: h.id,
            reason:
              statusId === undefined
                ? `its status ${h.status_id} has an unknown name`
                : `its incident ${h.incident_id} was not imported`,
          });
          continue;
        }
        await counter.upsert(
          tx,
          'incident_status_history',
          sql.type(upserted)`
          INSERT INTO incident_status_history AS t (id, incident_id, status_id, inserted_at, comment, source)
          VALUES (${h.id}, ${h.incident_id}, ${statusId}, ${iso(h.insert_date)}::timestamptz, ${historyComment(h.comments)}, 'system')
          ON CONFLICT (id) DO UPDATE SET incident_id = EXCLUDED.incident_id, status_id = EXCLUDED.status_id,
            inserted_at = EXCLUDED.inserted_at, comment = EXCLUDED.comment
          WHERE (t.incident_id, t.status_id, t.inserted_at, t.comment)
            IS DISTINCT FROM (EXCLUDED.incident_id, EXCLUDED.status_id, EXCLUDED.inserted_at, EXCLUDED.comment)
          RETURNING (xmax = 0) AS inserted`,
        );
      }
      step('incident_status_history');

      const references = groupValues(data.references);
      const to = groupValues(data.to);
      const cc = groupValues(data.cc);
      const emails: (EmailRow & { isFirst: boolean; addedToTracker: boolean })[] = [];
      const seenMessageIds = new Map<string, number>();
      for (const legacy of data.emails) {
        const row = mapEmail(
          legacy,
          { references: references.get(legacy.id) ?? [], to: to.get(legacy.id) ?? [], cc: cc.get(legacy.id) ?? [] },
          { sentFolder: options.sentFolder, incidentIds },
          problems,
        );
        if (row === null) continue;
        const duplicateOf = seenMessageIds.get(row.messageId);
        if (duplicateOf !== undefined) {
          problems.push({
            table: 'emails_emailmessage',
            legacyId: legacy.id,
            reason: `Message-ID ${row.messageId} is also e-mail ${duplicateOf}`,
          });
          continue;
        }
        seenMessageIds.set(row.messageId, row.id);
        emails.push({ ...row, isFirst: legacy.is_first_email, addedToTracker: legacy.was_added_2_yandex_tracker });
      }
      // MAIL-8: a Message-ID already stored under another id (e.g. fetched from IMAP) stays that row.
      const taken = await tx.any(sql.type(existingEmail)`
        SELECT id, message_id FROM emails WHERE message_id = ANY(${sql.array(
          emails.map((e) => e.messageId),
          'text',
        )})`);
      const takenBy = new Map(taken.map((row) => [row.message_id, row.id]));
      const imported: typeof emails = [];
      for (const email of emails) {
        const owner = takenBy.get(email.messageId);
        if (owner !== undefined && owner !== email.id) {
          problems.push({
            table: 'emails_emailmessage',
            legacyId: email.id,
            reason: `Message-ID ${email.messageId} is already stored as e-mail ${owner}`,
          });
          continue;
        }
        imported.push(email);
        await upsertEmail(tx, email, counter);
      }
      for (const table of ['emails', 'email_recipients', 'email_references']) step(table);

      // MIGR-2: the legacy "first e-mail" marker gives the primary e-mail (INC-4).
      for (const [incidentId, emailId] of primaryEmails(imported)) {
        await counter.upsert(
          tx,
          'incidents.primary_email_id',
          sql.type(upserted)`
          UPDATE incidents SET primary_email_id = ${emailId}
          WHERE id = ${incidentId} AND primary_email_id IS DISTINCT FROM ${emailId}
          RETURNING false AS inserted`,
        );
      }
      step('incidents.primary_email_id');

      // MIGR-2 / DATA-5: e-mails the legacy system added to Tracker are posted comments (no id, no hash).
      const codes = new Map(incidents.map((i) => [i.id, i.code]));
      for (const email of imported) {
        if (!email.addedToTracker) continue;
        const code = email.incidentId === null ? null : (codes.get(email.incidentId) ?? null);
        if (code === null) {
          problems.push({
            table: 'emails_emailmessage',
            legacyId: email.id,
            reason: 'marked as added to Tracker, but its incident has no Tracker key',
          });
          continue;
        }
        await counter.upsert(
          tx,
          'tracker_comments',
          sql.type(upserted)`
          INSERT INTO tracker_comments (email_id, issue_key, state) VALUES (${email.id}, ${code}, 'posted')
          ON CONFLICT (email_id) DO NOTHING RETURNING (xmax = 0) AS inserted`,
        );
      }
      step('tracker_comments');

      // DATA-4 / ATT-3: files copied by hash; an absent file is recorded as `missing`.
      const plans = planAttachments(data.attachments, new Set(imported.map((e) => e.id)));
      for (const plan of plans) {
        const content = await readMediaFile(options.mediaRoot, plan.relativePath);
        const hash = content === null ? null : sha256(content);
        if (content !== null && hash !== null && !options.dryRun)
          await storeBlob(options.attachmentsDir, hash, content);
        if (content === null) {
          missingFiles.push({
            emailId: plan.emailId,
            partIndex: plan.partIndex,
            path: plan.relativePath === null ? null : join(options.mediaRoot, plan.relativePath),
          });
        }
        const status = content === null ? 'missing' : 'stored';
        await counter.upsert(
          tx,
          'attachments',
          sql.type(upserted)`
          INSERT INTO attachments AS t (email_id, part_index, kind, original_name, mime_type, size, sha256, status)
          VALUES (${plan.emailId}, ${plan.partIndex}, ${plan.kind}, ${plan.originalName}, ${plan.mimeType},
            ${content?.byteLength ?? 0}, ${hash}, ${status})
          ON CONFLICT (email_id, part_index) DO UPDATE SET kind = EXCLUDED.kind, original_name = EXCLUDED.original_name,
            mime_type = EXCLUDED.mime_type, size = EXCLUDED.size, sha256 = EXCLUDED.sha256, status = EXCLUDED.status
          WHERE (t.kind, t.original_name, t.mime_type, t.size, t.sha256, t.status)
            IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.original_name, EXCLUDED.mime_type, EXCLUDED.size, EXCLUDED.sha256, EXCLUDED.status)
          RETURNING (xmax = 0) AS inserted`,
        );
      }
      step('attachments');

      sequences = await moveSequences(tx, options.dryRun);
      progress(`sequences moved: ${Object.keys(sequences).length}`);
      openIncidentIds = incidents.filter((i) => !i.isFinished).map((i) => i.id);
      if (options.dryRun) throw new DryRunRollback();
    });
  } catch (error) {
    if (!(error instanceof DryRunRollback)) throw error;
  }
  return {
    dryRun: options.dryRun,
    tables: counter.tables,
    sequences,
    missingFiles,
    problems,
    openIncidentIds,
    changed: counter.changed || Object.keys(sequences).length > 0,
  };
}
