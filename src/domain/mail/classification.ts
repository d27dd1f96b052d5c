// NOISE-1: exactly one class per stored message, the first rule that applies wins. Kept free of
// charset and MIME code (it works on already-decoded values) so any caller can use it.

import type { EmailClassification, FolderRole } from '../threading.js';
import { senderMatches } from '../sender-patterns.js';
import { containsIncidentKey } from './incident-key.js';

export interface ClassificationInput {
  /** Normalised (or synthetic) Message-ID. */
  messageId: string;
  /** Message-IDs of our outbox (DATA-7), or a lookup over them. */
  outboxMessageIds: ReadonlySet<string> | ((messageId: string) => boolean);
  /** `MAIL_MESSAGE_ID_DOMAIN`. */
  messageIdDomain: string;
  /** Names of all top-level headers, in any case. */
  headerNames: readonly string[];
  /** First value of a top-level header by lower-case name, null when absent. */
  header: (lowerCaseName: string) => string | null;
  subject: string;
  /** `YT_QUEUE`. */
  queue: string;
  /** Content types of the message and its parts outside embedded messages, lower-case. */
  contentTypes: readonly string[];
  fromAddress: string | null;
  folderRole: FolderRole;
  /** `PARSING_EMAIL_LOGIN`. */
  ownAddress: string;
  /** `MAIL_SENDER_DENY` patterns (NOISE-4). */
  senderDeny: readonly string[];
}

/** NOISE-1 #1: a Message-ID of our own automatic e-mails, `<dispatch.…@MAIL_MESSAGE_ID_DOMAIN>`. */
export function isOwnMessageIdPattern(messageId: string, messageIdDomain: string): boolean {
  const prefix = '<dispatch.';
  const at = messageId.lastIndexOf('@');
  if (!messageId.startsWith(prefix) || !messageId.endsWith('>') || at <= prefix.length) return false;
  return messageId.slice(at + 1, -1).toLowerCase() === messageIdDomain.trim().toLowerCase();
}

/** GEN-9: addresses compare case-insensitively. */
function sameAddress(a: string | null, b: string): boolean {
  return a !== null && a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** NOISE-1 #2/#3: any `X-Yandex-Tracker-*` or `X-Tracker-*` header. */
export function hasTrackerHeaders(headerNames: readonly string[]): boolean {
  return headerNames.some((name) => /^x-(?:yandex-)?tracker-/i.test(name.trim()));
}

/** NOISE-1 #4. */
export function isBounce(input: Pick<ClassificationInput, 'contentTypes' | 'fromAddress' | 'subject'>): boolean {
  if (input.contentTypes.some((t) => t === 'multipart/report' || t === 'message/delivery-status')) return true;
  const from = input.fromAddress ?? '';
  const at = from.lastIndexOf('@');
  const local = (at < 0 ? from : from.slice(0, at)).toLowerCase();
  if (local === 'mailer-daemon' || local === 'postmaster') return true;
  return input.subject.toLowerCase().includes('undeliverable mail');
}

/** A header's value without comments or parameters, lower-case (`Auto-Submitted: auto-replied; x=1`). */
function keyword(value: string): string {
  const [first = ''] = value.replace(/\([^()]*\)/g, '').split(';');
  return first.trim().toLowerCase();
}

/** NOISE-1 #5. */
export function isAutoReply(header: (lowerCaseName: string) => string | null): boolean {
  const autoSubmitted = header('auto-submitted');
  if (autoSubmitted !== null && keyword(autoSubmitted) !== 'no') return true;
  if (header('x-autoreply') !== null || header('x-autorespond') !== null) return true;
  const precedence = header('precedence');
  return precedence !== null && ['bulk', 'auto_reply', 'junk'].includes(keyword(precedence));
}

/** NOISE-1: own, tracker, foreign_tracker, bounce, auto_reply, self_sent, denied, normal — in this order. */
export function classifyEmail(input: ClassificationInput): EmailClassification {
  const inOutbox =
    typeof input.outboxMessageIds === 'function'
      ? input.outboxMessageIds(input.messageId)
      : input.outboxMessageIds.has(input.messageId);
  if (inOutbox || isOwnMessageIdPattern(input.messageId, input.messageIdDomain)) return 'own';
  if (hasTrackerHeaders(input.headerNames)) {
    return containsIncidentKey(input.subject, input.queue) ? 'tracker' : 'foreign_tracker';
  }
  if (isBounce(input)) return 'bounce';
  if (isAutoReply(input.header)) return 'auto_reply';
  if (input.folderRole === 'SENT' || sameAddress(input.fromAddress, input.ownAddress)) return 'self_sent';
  if (input.fromAddress !== null && senderMatches(input.fromAddress, input.senderDeny)) return 'denied';
  return 'normal';
}
