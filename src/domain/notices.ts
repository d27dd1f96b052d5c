// Automatic e-mails (NOTIFY-2…NOTIFY-11): who receives them, what they say and how they thread.
// One function per notice kind; each returns the message to put in the outbox, or the error text
// that YT-18 writes to the issue when no recipient can be determined.

import { DEFAULT_TIME_ZONE, formatHumanDateTime } from './datetime.js';
import { fnv1a64Hex } from './stable-hash.js';
import { formatOperatorNames, UNDEFINED_CONTRACTOR_NAME } from './tracker-fields.js';
import type { NoticeKind } from './tracker-statuses.js';
import { cutWithMarker } from './text-limits.js';

/** NOTIFY-7 / NOTIFY-10: texts used when no recipient can be determined. */
export const NOTICE_REFUSAL = {
  manualIncident: 'Нельзя отправить автоматическое уведомление заявителю для заявки, созданной вручную.',
  noRequester: 'Не найден адрес заявителя для автоответа.',
  noPole: 'Чтобы передать заявку подрядчику, необходимо указать шифр опоры и/или номер базовой станции.',
  noContractorEmail: 'Не найден email подрядчика для автоответа.',
} as const;

/** NOTIFY-5: failure texts, followed by a space and the technical reason. */
export const NOTICE_FAILURE: Record<NoticeKind, string> = {
  ack: 'Не удалось уведомить оператора о принятии заявки в работу.',
  close: 'Не удалось уведомить оператора о закрытии заявки.',
  avr: 'Не удалось уведомить подрядчика о заявке.',
};

/** NOTIFY-5: the text YT-18 writes after a permanent sending failure. */
export function noticeFailureText(kind: NoticeKind, reason: string): string {
  const detail = reason.replace(/\s+/g, ' ').trim();
  return detail === '' ? NOTICE_FAILURE[kind] : `${NOTICE_FAILURE[kind]} ${detail}`;
}

/** NOTIFY-2: at most this many of the primary e-mail's References are repeated. */
export const MAX_REFERENCES = 20;

/** The incident's primary e-mail (INC-5) as the notices need it. */
export interface PrimaryEmail {
  /** Normalised, with angle brackets (MAIL-9). */
  messageId: string;
  isSyntheticId: boolean;
  /** Normalised References, oldest first (MAIL-10). */
  references: readonly string[];
  fromAddress: string;
  /** Web-form override (MAIL-12). */
  requesterAddress: string | null;
  to: readonly string[];
  cc: readonly string[];
  observers: readonly string[];
}

/** What every notice needs. */
export interface NoticeContext {
  incidentId: number;
  /** Tracker key, e.g. `AVRSERVICE-123`. */
  issueKey: string;
  /** The issue's current summary (NOTIFY-2). */
  summary: string;
  /** NOTIFY-3: id of the changelog entry that moved the issue into the notify status (fallback: its time). */
  triggerKey: string;
  /** `PARSING_EMAIL_LOGIN`. */
  collectionMailbox: string;
  /** `MAIL_MESSAGE_ID_DOMAIN`. */
  messageIdDomain: string;
  primaryEmail: PrimaryEmail | null;
  /** Hash of the trigger key in the Message-ID; defaults to the stable FNV-1a 64 (stable-hash.ts). */
  hashTriggerKey?: (triggerKey: string) => string;
}

/** A message ready for the outbox; From is the collection mailbox (NOTIFY-2), added by the sender. */
export interface OutgoingNotice {
  to: string[];
  cc: string[];
  subject: string;
  /** UTF-8 plain text, lines joined with LF. */
  text: string;
  /** `In-Reply-To` / `References` (when threading applies) and `Auto-Submitted`. */
  headers: Record<string, string>;
  /** NOTIFY-3, with angle brackets. */
  messageId: string;
}

export type NoticeResult = { ok: true; message: OutgoingNotice } | { ok: false; errorText: string };

// ---------------------------------------------------------------------------------------------
// Common rules (NOTIFY-2, NOTIFY-3, GEN-9)

function addressKey(address: string): string {
  return address.trim().toLowerCase();
}

/** GEN-9: addresses de-duplicated case-insensitively, first spelling and order kept, blanks dropped. */
export function uniqueAddresses(addresses: Iterable<string>): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const address of addresses) {
    const key = addressKey(address);
    if (key === '' || seen.has(key)) continue;
    seen.add(key);
    result.push(address.trim());
  }
  return result;
}

function without(addresses: readonly string[], excluded: readonly string[]): string[] {
  const keys = new Set(excluded.map(addressKey));
  return addresses.filter((address) => !keys.has(addressKey(address)));
}

/** NOTIFY-2: the collection mailbox is added to Cc unless already in To or Cc. */
function ccWithCollectionMailbox(to: readonly string[], cc: readonly string[], mailbox: string): string[] {
  return uniqueAddresses(without([...cc, mailbox], to));
}

/** NOTIFY-3: `<dispatch.<kind>.<incidentId>.<hash of trigger key>@<domain>>`. */
export function noticeMessageId(
  kind: NoticeKind,
  incidentId: number,
  triggerKey: string,
  domain: string,
  hash: (triggerKey: string) => string = fnv1a64Hex,
): string {
  return `<dispatch.${kind}.${incidentId}.${hash(triggerKey)}@${domain}>`;
}

/** NOTIFY-2: `Re: <KEY>: <summary>` on one line. */
export function noticeSubject(issueKey: string, summary: string): string {
  return `Re: ${issueKey}: ${summary.replace(/\s+/g, ' ').trim()}`.trimEnd();
}

/**
 * NOTIFY-2: threading headers from the primary e-mail (In-Reply-To = its Message-ID, References =
 * its last 20 References then its Message-ID), omitted without a primary e-mail or when its id is
 * synthetic; `Auto-Submitted: auto-generated` always.
 */
export function noticeHeaders(primary: PrimaryEmail | null): Record<string, string> {
  const headers: Record<string, string> = {};
  if (primary !== null && !primary.isSyntheticId && primary.messageId.trim() !== '') {
    const ownId = primary.messageId.trim();
    const references = primary.references.map((r) => r.trim()).filter((r) => r !== '' && r !== ownId);
    headers['In-Reply-To'] = ownId;
    headers.References = [...references.slice(-MAX_REFERENCES), ownId].join(' ');
  }
  headers['Auto-Submitted'] = 'auto-generated';
  return headers;
}

function buildMessage(
  kind: NoticeKind,
  context: NoticeContext,
  recipients: { to: string[]; cc: string[] },
  text: string,
): NoticeResult {
  return {
    ok: true,
    message: {
      to: recipients.to,
      cc: recipients.cc,
      subject: noticeSubject(context.issueKey, context.summary),
      text,
      headers: noticeHeaders(context.primaryEmail),
      messageId: noticeMessageId(
        kind,
        context.incidentId,
        context.triggerKey,
        context.messageIdDomain,
        context.hashTriggerKey,
      ),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Requester notices (NOTIFY-6…NOTIFY-9)

/** Facts of the incident the requester notices check (NOTIFY-7). */
export interface RequesterNoticeInput extends NoticeContext {
  /** false for incidents imported from a manual Tracker issue (INC-1 b). */
  isAuto: boolean;
}

/**
 * NOTIFY-6 / NOTIFY-7: To = the requester (primary e-mail's requester address, else its From);
 * Cc = its observers, To and Cc minus the requester, plus the collection mailbox.
 */
export function requesterRecipients(
  input: Pick<RequesterNoticeInput, 'isAuto' | 'primaryEmail' | 'collectionMailbox'>,
): { ok: true; to: string[]; cc: string[] } | { ok: false; errorText: string } {
  if (!input.isAuto) return { ok: false, errorText: NOTICE_REFUSAL.manualIncident };
  const primary = input.primaryEmail;
  const requester = (primary?.requesterAddress ?? '').trim() || (primary?.fromAddress ?? '').trim();
  if (primary === null || requester === '') return { ok: false, errorText: NOTICE_REFUSAL.noRequester };
  const to = [requester];
  const others = without(uniqueAddresses([...primary.observers, ...primary.to, ...primary.cc]), to);
  return { ok: true, to, cc: ccWithCollectionMailbox(to, others, input.collectionMailbox) };
}

function requesterNotice(kind: 'ack' | 'close', input: RequesterNoticeInput, text: string): NoticeResult {
  const recipients = requesterRecipients(input);
  if (!recipients.ok) return recipients;
  return buildMessage(kind, input, recipients, text);
}

/** NOTIFY-8: acceptance notice, one line `Заявка "<KEY>" принята в работу.` */
export function acceptanceNotice(input: RequesterNoticeInput): NoticeResult {
  return requesterNotice('ack', input, `Заявка "${input.issueKey}" принята в работу.`);
}

/** NOTIFY-9: closure notice, one line `Заявка "<KEY>" закрыта.` */
export function closureNotice(input: RequesterNoticeInput): NoticeResult {
  return requesterNotice('close', input, `Заявка "${input.issueKey}" закрыта.`);
}

// ---------------------------------------------------------------------------------------------
// Contractor hand-over (NOTIFY-10, NOTIFY-11)

export interface NoticePole {
  code: string;
  region: string | null;
  regionRu: string | null;
  address: string | null;
  /** DB numerics may arrive as strings; NaN / empty count as unknown. */
  latitude: number | string | null;
  longitude: number | string | null;
}

export interface NoticeBaseStation {
  name: string;
  operatorNames: readonly string[];
}

/** An e-mail linked to the incident, as the correspondence history needs it. */
export interface NoticeHistoryEmail {
  id: number;
  effectiveDate: Date;
  body: string | null;
  /** NOISE-1 class. */
  classification: string;
}

export interface ContractorNoticeDetails {
  pole: NoticePole | null;
  baseStation: NoticeBaseStation | null;
  registrationTime: Date;
  slaDeadline: Date | null;
  incidentType: { name: string; description: string | null } | null;
  /** All e-mails linked to the incident; the history selects and orders them. */
  emails: readonly NoticeHistoryEmail[];
}

export interface ContractorNoticeInput extends NoticeContext {
  details: ContractorNoticeDetails;
  /** The pole's contractor; null = the default contractor. */
  contractor: { name: string; emails: readonly string[] } | null;
  /** `DEFAULT_CONTRACTOR_EMAILS`. */
  defaultContractorEmails: readonly string[];
  /** `DISPATCH_TIME_ZONE`. */
  timeZone?: string;
}

/**
 * NOTIFY-10: no pole → refusal; To = the contractor's e-mails, or `DEFAULT_CONTRACTOR_EMAILS` for
 * the `undefined` contractor or one without e-mails; still none → refusal. Cc = collection mailbox.
 */
export function contractorRecipients(
  input: Pick<ContractorNoticeInput, 'details' | 'contractor' | 'defaultContractorEmails' | 'collectionMailbox'>,
): { ok: true; to: string[]; cc: string[] } | { ok: false; errorText: string } {
  if (input.details.pole === null) return { ok: false, errorText: NOTICE_REFUSAL.noPole };
  const contractor = input.contractor;
  const own =
    contractor === null || contractor.name.trim() === UNDEFINED_CONTRACTOR_NAME
      ? []
      : uniqueAddresses(contractor.emails);
  const to = own.length > 0 ? own : uniqueAddresses(input.defaultContractorEmails);
  if (to.length === 0) return { ok: false, errorText: NOTICE_REFUSAL.noContractorEmail };
  return { ok: true, to, cc: ccWithCollectionMailbox(to, [], input.collectionMailbox) };
}

/** NOTIFY-11: classes never shown in the correspondence history. */
const HISTORY_EXCLUDED_CLASSES: ReadonlySet<string> = new Set(['own', 'bounce', 'auto_reply', 'denied']);

/** NOTIFY-11: each history body is cut to this many characters + ` ...`. */
export const HISTORY_BODY_MAX_LENGTH = 1024;

function known(value: string | null | undefined): string | null {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

function coordinate(value: number | string | null): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  const text = known(value);
  return text === null || Number.isNaN(Number(text)) ? null : text;
}

function bullet(label: string, value: string | null): string[] {
  return value === null ? [] : [`   • ${label}: ${value}`];
}

/** NOTIFY-11: the hand-over body, exactly in the SPEC layout. */
export function contractorNoticeBody(details: ContractorNoticeDetails, timeZone: string = DEFAULT_TIME_ZONE): string {
  const sections: string[][] = [['На вас назначен новый инцидент.']];
  const { pole, baseStation, incidentType } = details;
  if (pole !== null) {
    const latitude = coordinate(pole.latitude);
    const longitude = coordinate(pole.longitude);
    sections.push([
      'ИНФОРМАЦИЯ ОБ ОПОРЕ:',
      ...bullet('Шифр опоры', pole.code.trim()),
      ...bullet('Регион', known(pole.regionRu) ?? known(pole.region)),
      ...bullet('Адрес', known(pole.address)),
      ...bullet('Координаты', latitude !== null && longitude !== null ? `${latitude}, ${longitude}` : null),
    ]);
  }
  if (baseStation !== null) {
    sections.push([
      'ИНФОРМАЦИЯ О БАЗОВОЙ СТАНЦИИ:',
      ...bullet('Номер БС', baseStation.name.trim()),
      ...bullet('Операторы', known(formatOperatorNames(baseStation.operatorNames))),
    ]);
  }
  sections.push([
    'ДЕТАЛИ ИНЦИДЕНТА:',
    ...bullet('Дата регистрации', formatHumanDateTime(details.registrationTime, timeZone)),
    ...bullet('SLA дедлайн', details.slaDeadline === null ? null : formatHumanDateTime(details.slaDeadline, timeZone)),
    ...bullet('Тип инцидента', known(incidentType?.name)),
    ...bullet('Описание типа', known(incidentType?.description)),
  ]);

  // Sections are separated by one blank line.
  const lines = sections.flatMap((section, index) => (index === 0 ? section : ['', ...section]));
  const history = correspondenceHistory(details.emails);
  if (history.length > 0) {
    lines.push('', 'ИСТОРИЯ ПЕРЕПИСКИ:', '-'.repeat(30));
    history.forEach((email, index) => {
      const date = formatHumanDateTime(email.effectiveDate, timeZone);
      lines.push(
        '',
        `*Сообщение №${index + 1}* (${date}):`,
        cutWithMarker(email.body, HISTORY_BODY_MAX_LENGTH, ' ...'),
      );
    });
  }
  lines.push('', '', 'ВАЖНО: НЕ МЕНЯЙТЕ ТЕМУ ПИСЬМА ПРИ ОТВЕТЕ');
  return lines.join('\n');
}

/** NOTIFY-11: e-mails with a non-empty body, own/bounce/auto_reply/denied excluded, in (effective date, id) order. */
export function correspondenceHistory(
  emails: readonly NoticeHistoryEmail[],
): { id: number; effectiveDate: Date; body: string }[] {
  return emails
    .filter((email) => !HISTORY_EXCLUDED_CLASSES.has(email.classification))
    .map((email) => ({ id: email.id, effectiveDate: email.effectiveDate, body: (email.body ?? '').trim() }))
    .filter((email) => email.body !== '')
    .sort((a, b) => a.effectiveDate.getTime() - b.effectiveDate.getTime() || a.id - b.id);
}

/** NOTIFY-10 / NOTIFY-11: the contractor hand-over e-mail. Allowed for manual incidents too. */
export function contractorNotice(input: ContractorNoticeInput): NoticeResult {
  const recipients = contractorRecipients(input);
  if (!recipients.ok) return recipients;
  return buildMessage('avr', input, recipients, contractorNoticeBody(input.details, input.timeZone));
}
