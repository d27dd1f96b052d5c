// MAIL-9 Message-ID normalisation and the synthetic id for messages without a usable one.
// The SHA-256 function is a parameter (`Sha256Hex`): domain code stays free of node:crypto, and
// the adapter passes `(text) => createHash('sha256').update(text, 'utf8').digest('hex')`.

import { decodeEncodedWords } from './rfc2047.js';
import { MAIL_LIMITS } from './text-limits.js';

/** SHA-256 of a string's UTF-8 bytes, as 64 lower-case hex digits. */
export type Sha256Hex = (text: string) => string;

/**
 * MAIL-9: trim, decode RFC 2047, take the last `<…>` token; a value without brackets is trimmed
 * and wrapped. Returns null when nothing usable remains (empty, blanks or brackets inside).
 * Length is not checked here (see `resolveMessageId`).
 */
export function normaliseMessageId(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = decodeEncodedWords(value.trim()).trim();
  const tokens = [...text.matchAll(/<([^<>]*)>/g)];
  const last = tokens[tokens.length - 1];
  const inner = (last !== undefined ? (last[1] as string) : text.replace(/^<+|>+$/g, '')).trim();
  if (inner === '' || /[\s<>\p{Cc}]/u.test(inner)) return null;
  return `<${inner}>`;
}

/** The raw header values (as written, unfolded) and the normalised body the synthetic id covers. */
export interface SyntheticIdSource {
  from: string | null;
  date: string | null;
  subject: string | null;
  body: string | null;
}

/**
 * MAIL-9: `<synthetic.<sha256 hex>@dispatch.invalid>` over the raw From, Date and Subject values
 * and the normalised body. The four values are hashed as a JSON array so that no two different
 * inputs share a hash input; the same bytes always give the same id (MAIL-8 de-duplication).
 */
export function syntheticMessageId(source: SyntheticIdSource, sha256: Sha256Hex): string {
  const input = JSON.stringify([source.from, source.date, source.subject, source.body]);
  return `<synthetic.${sha256(input)}@dispatch.invalid>`;
}

export interface ResolvedMessageId {
  messageId: string;
  isSynthetic: boolean;
  /** Why the header value was not used, for a warning; null when it was used. */
  problem: 'missing' | 'unusable' | 'too-long' | null;
}

/** MAIL-9 + GEN-8: the header's id when usable and at most 998 characters, else the synthetic id. */
export function resolveMessageId(
  headerValue: string | null | undefined,
  source: SyntheticIdSource,
  sha256: Sha256Hex,
): ResolvedMessageId {
  const normalised = normaliseMessageId(headerValue);
  if (normalised !== null && normalised.length <= MAIL_LIMITS.messageIdChars) {
    return { messageId: normalised, isSynthetic: false, problem: null };
  }
  const problem =
    normalised !== null
      ? 'too-long'
      : headerValue === null || headerValue === undefined || headerValue.trim() === ''
        ? 'missing'
        : 'unusable';
  return { messageId: syntheticMessageId(source, sha256), isSynthetic: true, problem };
}
