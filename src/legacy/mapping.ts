// MIGR-1 / MIGR-2: how legacy rows become DISPATCH rows. Pure: ids and names in, rows and problems
// out; the import (import.ts) does the I/O. A legacy row that cannot be imported is never dropped
// silently: it becomes a LegacyProblem naming its table, legacy id and reason.
import { isValidAddress, normaliseAddress } from '../domain/mail/addresses.js';
import { sanitiseFileName } from '../domain/mail/attachments.js';
import { normaliseMessageId } from '../domain/mail/message-id.js';
import { parseInReplyTo, parseReferences } from '../domain/mail/threading-headers.js';
import { STATUS } from '../domain/reference-data.js';
import { cutToLength, truncateHistoryComment } from '../domain/text-limits.js';
import type {
  LegacyAttachment,
  LegacyContractor,
  LegacyContractorValue,
  LegacyData,
  LegacyEmail,
  LegacyIncident,
  LegacyPole,
  LegacyUser,
} from './legacy-rows.js';

export interface LegacyProblem {
  table: string;
  legacyId: number | string;
  reason: string;
}

/** DATA-9 / DEF-4: DISPATCH's own default contractor and pole, which the legacy defaults map onto. */
export const DEFAULT_CONTRACTOR_ID = 0;
export const DEFAULT_POLE_ID = 0;
const UNDEFINED = 'undefined';
const LEGACY_DISPATCH_ROLE = 'dispatch';
const LOGIN = /^[a-zA-Z0-9._-]+$/;
const MESSAGE_ID_MAX = 1000;
const SUBJECT_MAX = 1024;
const ADDRESS_MAX = 254;

export interface DispatcherRow {
  id: number;
  login: string;
  email: string | null;
  displayName: string | null;
  isActive: boolean;
}

/** MIGR-1: legacy users with role `dispatch` (login = username, active flag kept, DATA-8 login rule). */
export function mapDispatchers(users: readonly LegacyUser[], problems: LegacyProblem[]): DispatcherRow[] {
  const rows: DispatcherRow[] = [];
  for (const user of users) {
    if (user.role !== LEGACY_DISPATCH_ROLE) continue;
    if (!LOGIN.test(user.username) || user.username.length < 4) {
      problems.push({
        table: 'users_user',
        legacyId: user.id,
        reason: `username ${JSON.stringify(user.username)} is not a valid Tracker login`,
      });
      continue;
    }
    const name = `${user.first_name} ${user.last_name}`.trim();
    const email = user.email.trim();
    rows.push({
      id: user.id,
      login: user.username,
      email: email === '' || email.length > ADDRESS_MAX ? null : email,
      displayName: name === '' ? null : name,
      isActive: user.is_active,
    });
  }
  return rows;
}

export interface ContractorRow {
  id: number;
  name: string;
  isExcluded: boolean;
}

export interface DirectoryRows {
  contractors: ContractorRow[];
  contractorEmails: { contractorId: number; email: string }[];
  contractorPhones: { contractorId: number; phone: string }[];
  poles: PoleRow[];
  baseStations: { id: number; bsName: string; poleId: number }[];
  operators: { id: number; name: string; group: string | null }[];
  baseStationOperators: { baseStationId: number; operatorId: number }[];
  /** Legacy pole id → DISPATCH pole id (the legacy default pole maps to ours). */
  poleIds: ReadonlyMap<number, number>;
  baseStationIds: ReadonlySet<number>;
}

export interface PoleRow {
  id: number;
  siteId: number;
  pole: string;
  bsName: string;
  poleStatus: string | null;
  region: string | null;
  address: string | null;
  infrastructureCompany: string | null;
  anchorOperator: string | null;
  latitude: number | null;
  longitude: number | null;
  height: number | null;
  contractorId: number;
}

/** TS-6 phone normalisation: the digits, a leading 8 of a Russian number read as 7; 11 digits or null. */
export function normalisePhone(value: string): string | null {
  let digits = value.replace(/\D/g, '');
  if (digits.length === 10) digits = `7${digits}`;
  if (digits.length === 11 && digits.startsWith('8')) digits = `7${digits.slice(1)}`;
  return digits.length === 11 ? digits : null;
}

function mapContractorValues(
  values: readonly LegacyContractorValue[],
  contractorIds: ReadonlyMap<number, number>,
  table: string,
  normalise: (value: string) => string | null,
  problems: LegacyProblem[],
): { contractorId: number; value: string }[] {
  const seen = new Set<string>();
  const rows: { contractorId: number; value: string }[] = [];
  for (const link of values) {
    const contractorId = contractorIds.get(link.contractor_id);
    const value = normalise(link.value);
    if (contractorId === undefined) continue;
    if (value === null) {
      problems.push({
        table,
        legacyId: `${link.contractor_id}:${link.value}`,
        reason: `unusable value ${JSON.stringify(link.value)}`,
      });
      continue;
    }
    const key = `${contractorId}:${value.toLowerCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({ contractorId, value });
  }
  return rows;
}

function isDefaultPole(pole: LegacyPole): boolean {
  return pole.site_id === 0;
}

function isDefaultContractor(contractor: LegacyContractor): boolean {
  return contractor.contractor_name === UNDEFINED;
}

/** MIGR-1 the TowerStore directory (DATA-9), ids preserved; legacy defaults map onto DEF-4 rows. */
export function mapDirectory(data: LegacyData, problems: LegacyProblem[]): DirectoryRows {
  const contractorIds = new Map<number, number>();
  const contractors: ContractorRow[] = [];
  for (const c of data.contractors) {
    if (isDefaultContractor(c)) {
      contractorIds.set(c.id, DEFAULT_CONTRACTOR_ID);
      continue;
    }
    if (c.contractor_name.trim() === '') {
      problems.push({ table: 'ts_avrcontractor', legacyId: c.id, reason: 'empty contractor name' });
      continue;
    }
    contractorIds.set(c.id, c.id);
    contractors.push({ id: c.id, name: c.contractor_name, isExcluded: c.is_excluded_from_contract });
  }
  const contractorEmails = mapContractorValues(
    data.contractorEmails,
    contractorIds,
    'ts_avrcontractor_emails',
    (value) => {
      const address = normaliseAddress(value);
      return isValidAddress(address) ? address : null;
    },
    problems,
  ).map((row) => ({ contractorId: row.contractorId, email: row.value }));
  const contractorPhones = mapContractorValues(
    data.contractorPhones,
    contractorIds,
    'ts_avrcontractor_phones',
    normalisePhone,
    problems,
  ).map((row) => ({ contractorId: row.contractorId, phone: row.value }));

  const poleIds = new Map<number, number>();
  const poles: PoleRow[] = [];
  for (const p of data.poles) {
    if (isDefaultPole(p)) {
      poleIds.set(p.id, DEFAULT_POLE_ID);
      continue;
    }
    if (p.pole.length < 1 || p.pole.length > 32 || p.bs_name.length < 1 || p.bs_name.length > 256) {
      problems.push({
        table: 'ts_pole',
        legacyId: p.id,
        reason: 'pole code must have 1-32 and BS name 1-256 characters',
      });
      continue;
    }
    poleIds.set(p.id, p.id);
    poles.push({
      id: p.id,
      siteId: p.site_id,
      pole: p.pole,
      bsName: p.bs_name,
      poleStatus: p.pole_status,
      region: p.region,
      address: p.address,
      infrastructureCompany: p.infrastructure_company,
      anchorOperator: p.anchor_operator,
      latitude: p.pole_latitude,
      longitude: p.pole_longtitude,
      height: p.pole_height,
      contractorId: contractorIds.get(p.avr_contractor_id) ?? DEFAULT_CONTRACTOR_ID,
    });
  }
  const baseStations: { id: number; bsName: string; poleId: number }[] = [];
  for (const bs of data.baseStations) {
    const poleId = poleIds.get(bs.pole_id);
    if (poleId === undefined) {
      problems.push({ table: 'ts_basestation', legacyId: bs.id, reason: `its pole ${bs.pole_id} was not imported` });
      continue;
    }
    baseStations.push({ id: bs.id, bsName: bs.bs_name, poleId });
  }
  const baseStationIds = new Set(baseStations.map((bs) => bs.id));
  const operators = data.operators.map((o) => ({ id: o.id, name: o.operator_name, group: o.operator_group }));
  const operatorIds = new Set(operators.map((o) => o.id));
  const baseStationOperators = data.baseStationOperators
    .filter((link) => baseStationIds.has(link.base_station_id) && operatorIds.has(link.operator_id))
    .map((link) => ({ baseStationId: link.base_station_id, operatorId: link.operator_id }));
  return {
    contractors,
    contractorEmails,
    contractorPhones,
    poles,
    baseStations,
    operators,
    baseStationOperators,
    poleIds,
    baseStationIds,
  };
}

/** INC-8 / DEF-2: the only status names the history may hold. */
const KNOWN_STATUS_NAMES: ReadonlySet<string> = new Set(Object.values(STATUS));

export function isKnownStatusName(name: string): boolean {
  return KNOWN_STATUS_NAMES.has(name);
}

export interface IncidentRow {
  id: number;
  code: string | null;
  registrationTime: Date;
  insertedAt: Date;
  isFinished: boolean;
  finishedAt: Date | null;
  poleId: number | null;
  baseStationId: number | null;
  incidentTypeId: number | null;
  assigneeLogin: string | null;
  responsibleDispatcherId: number | null;
  isAuto: boolean;
}

export interface IncidentContext {
  /** Legacy incident type id → DISPATCH id (matched by name). */
  typeIds: ReadonlyMap<number, number>;
  poleIds: ReadonlyMap<number, number>;
  baseStationIds: ReadonlySet<number>;
  dispatcherIds: ReadonlySet<number>;
  usernames: ReadonlyMap<number, string>;
}

/** MIGR-1 incidents: code, dates, finish flag and date, type, pole/BS, responsible user, is_auto. */
export function mapIncident(
  incident: LegacyIncident,
  context: IncidentContext,
  problems: LegacyProblem[],
): IncidentRow | null {
  const code = incident.code === null || incident.code.trim() === '' ? null : incident.code.trim();
  if (code !== null && code.length > 32) {
    problems.push({
      table: 'incidents_incident',
      legacyId: incident.id,
      reason: `code ${JSON.stringify(code)} is longer than 32 characters`,
    });
    return null;
  }
  const user = incident.responsible_user_id;
  return {
    id: incident.id,
    code,
    registrationTime: incident.incident_date,
    insertedAt: incident.insert_date,
    isFinished: incident.is_incident_finish,
    // The legacy save() stamped the finish date; an old row without one gets its last update time.
    finishedAt: incident.is_incident_finish ? (incident.incident_finish_date ?? incident.update_date) : null,
    poleId: incident.pole_id === null ? null : (context.poleIds.get(incident.pole_id) ?? null),
    baseStationId:
      incident.base_station_id !== null && context.baseStationIds.has(incident.base_station_id)
        ? incident.base_station_id
        : null,
    incidentTypeId:
      incident.incident_type_id === null ? null : (context.typeIds.get(incident.incident_type_id) ?? null),
    assigneeLogin: user === null ? null : (context.usernames.get(user) ?? null),
    responsibleDispatcherId: user !== null && context.dispatcherIds.has(user) ? user : null,
    isAuto: incident.is_auto_incident,
  };
}

export function historyComment(comment: string | null): string | null {
  return comment === null || comment.trim() === '' ? null : truncateHistoryComment(comment);
}

export interface EmailRow {
  id: number;
  messageId: string;
  inReplyTo: string | null;
  subject: string;
  fromAddress: string;
  date: Date;
  insertedAt: Date;
  body: string | null;
  folderRole: 'INBOX' | 'SENT';
  folderName: string;
  classification: 'tracker' | 'normal';
  incidentId: number | null;
  references: string[];
  recipients: { kind: 'to' | 'cc'; address: string }[];
}

export interface EmailContext {
  sentFolder: string;
  incidentIds: ReadonlySet<number>;
}

function recipientList(
  emailId: number,
  kind: 'to' | 'cc',
  values: readonly string[],
  problems: LegacyProblem[],
): { kind: 'to' | 'cc'; address: string }[] {
  const seen = new Set<string>();
  const rows: { kind: 'to' | 'cc'; address: string }[] = [];
  for (const value of values) {
    const address = normaliseAddress(value);
    if (!isValidAddress(address)) {
      problems.push({
        table: kind === 'to' ? 'emails_emailto' : 'emails_emailtocc',
        legacyId: emailId,
        reason: `unusable address ${JSON.stringify(value)}`,
      });
      continue;
    }
    if (seen.has(address.toLowerCase())) continue;
    seen.add(address.toLowerCase());
    rows.push({ kind, address });
  }
  return rows;
}

/**
 * MIGR-1 / MIGR-2 one e-mail: Message-ID normalised (MAIL-9), threading headers (MAIL-10),
 * recipients (DATA-3), folder, incident link; e-mails the legacy system saw coming from Tracker are
 * classified `tracker`.
 */
export function mapEmail(
  email: LegacyEmail,
  related: { references: readonly string[]; to: readonly string[]; cc: readonly string[] },
  context: EmailContext,
  problems: LegacyProblem[],
): EmailRow | null {
  const messageId = normaliseMessageId(email.email_msg_id);
  if (messageId === null || messageId.length > MESSAGE_ID_MAX) {
    problems.push({
      table: 'emails_emailmessage',
      legacyId: email.id,
      reason: `no usable Message-ID (${JSON.stringify(email.email_msg_id)})`,
    });
    return null;
  }
  const from = normaliseAddress(email.email_from);
  const incidentId = email.email_incident_id;
  if (incidentId !== null && !context.incidentIds.has(incidentId)) {
    problems.push({
      table: 'emails_emailmessage',
      legacyId: email.id,
      reason: `its incident ${incidentId} was not imported; the e-mail is imported unlinked`,
    });
  }
  return {
    id: email.id,
    messageId,
    inReplyTo: parseInReplyTo(email.email_msg_reply_id, messageId),
    subject: cutToLength(email.email_subject ?? '', SUBJECT_MAX),
    fromAddress: from.length <= ADDRESS_MAX ? from : '',
    date: email.email_date,
    insertedAt: email.created_at ?? email.email_date,
    body: email.email_body,
    folderRole: email.folder_name === context.sentFolder ? 'SENT' : 'INBOX',
    folderName: email.folder_name,
    classification: email.is_email_from_yandex_tracker ? 'tracker' : 'normal',
    incidentId: incidentId !== null && context.incidentIds.has(incidentId) ? incidentId : null,
    // A legacy row holds one id each; MAIL-10 normalises, de-duplicates and drops the own id.
    references: parseReferences(
      related.references.map((value) => normaliseMessageId(value) ?? ''),
      messageId,
    ),
    recipients: [
      ...recipientList(email.id, 'to', related.to, problems),
      ...recipientList(email.id, 'cc', related.cc, problems),
    ],
  };
}

/**
 * MIGR-2 / INC-4: the primary e-mail of each incident is its e-mail the legacy system marked as the
 * first one (the earliest such one, by date then id, if several were marked).
 */
export function primaryEmails(emails: readonly (EmailRow & { isFirst: boolean })[]): Map<number, number> {
  const best = new Map<number, EmailRow>();
  for (const email of emails) {
    if (!email.isFirst || email.incidentId === null) continue;
    const current = best.get(email.incidentId);
    if (
      current === undefined ||
      email.date < current.date ||
      (email.date.getTime() === current.date.getTime() && email.id < current.id)
    ) {
      best.set(email.incidentId, email);
    }
  }
  return new Map([...best].map(([incidentId, email]) => [incidentId, email.id]));
}

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  txt: 'text/plain',
  csv: 'text/csv',
  zip: 'application/zip',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  eml: 'message/rfc822',
};

/** The legacy system stored no MIME type: it is guessed from the file name's extension. */
export function mimeTypeForName(name: string): string {
  const extension = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  return MIME_BY_EXTENSION[extension] ?? 'application/octet-stream';
}

/**
 * Where a legacy attachment's file is, relative to LEGACY_MEDIA_ROOT: the path of its `file_url`
 * (MEDIA_URL + relative path) without the leading `media/` segment. Null when there is none, or
 * when it would leave the media root.
 */
export function mediaRelativePath(fileUrl: string | null): string | null {
  if (fileUrl === null || fileUrl.trim() === '') return null;
  let path: string;
  try {
    path = decodeURIComponent(new URL(fileUrl.trim(), 'http://legacy.invalid/').pathname);
  } catch {
    return null;
  }
  const segments = path.split('/').filter((s) => s !== '');
  if (segments[0] === 'media') segments.shift();
  if (segments.length === 0 || segments.some((s) => s === '..' || s === '.')) return null;
  return segments.join('/');
}

export interface AttachmentPlan {
  emailId: number;
  partIndex: number;
  kind: 'attachment' | 'inline';
  originalName: string;
  mimeType: string;
  relativePath: string | null;
}

/** DATA-4: each e-mail's attachments, then its inline images, numbered from 0 as part_index. */
export function planAttachments(
  attachments: readonly LegacyAttachment[],
  emailIds: ReadonlySet<number>,
): AttachmentPlan[] {
  const next = new Map<number, number>();
  const plans: AttachmentPlan[] = [];
  for (const a of attachments) {
    if (!emailIds.has(a.email_id)) continue;
    const partIndex = next.get(a.email_id) ?? 0;
    next.set(a.email_id, partIndex + 1);
    const originalName = sanitiseFileName(a.file_name);
    plans.push({
      emailId: a.email_id,
      partIndex,
      kind: a.kind,
      originalName,
      mimeType: mimeTypeForName(originalName),
      relativePath: mediaRelativePath(a.file_url),
    });
  }
  return plans;
}
