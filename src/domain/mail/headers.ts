// MAIL-11 header values: raw 8-bit bytes (old Russian mailers and 1C write cp1251/koi8-r bytes
// without encoded-words), the subject, and — re-exported — addresses and the Date rule.

import { decodeBytes, isValidUtf8, supportedCharset } from './charset.js';
import { decodeEncodedWords } from './rfc2047.js';
import { limitSubject } from './text-limits.js';

export { collectAddresses, isValidAddress, normaliseAddress, parseAddressList, parseFromAddress } from './addresses.js';
export type { AddressList, FromAddress, Mailbox } from './addresses.js';
export { effectiveDate, parseMailDate } from './date-header.js';
export type { EffectiveDate } from './date-header.js';

function isAscii(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b >= 0x80) return false;
  return true;
}

/**
 * The text of a raw header value. 8-bit bytes are UTF-8 when valid (RFC 6532); otherwise they are
 * read with `hintCharset` (the message's declared body charset, which the same mailer wrote) or,
 * without a usable hint, detected between windows-1251 and koi8-r. Encoded-words stay encoded.
 */
export function decodeRawHeaderValue(bytes: Uint8Array, hintCharset?: string | null): string {
  if (isAscii(bytes)) {
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    return text;
  }
  if (isValidUtf8(bytes)) return decodeBytes(bytes, 'utf-8').text;
  const hint = supportedCharset(hintCharset);
  const usableHint = hint !== null && hint !== 'utf-8' && hint !== 'us-ascii' ? hint : null;
  return decodeBytes(bytes, usableHint).text;
}

/** Collapse folding and blanks to single spaces; control characters become blanks. */
function collapseBlanks(text: string): string {
  return text
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface DecodedSubject {
  subject: string;
  truncated: boolean;
}

/**
 * MAIL-11 subject: all encoded-words decoded (each with its own charset, adjacent ones joined),
 * unfolded, blanks collapsed, trimmed, NFC, at most 1024 characters (GEN-8).
 */
export function decodeSubject(value: string | null | undefined): DecodedSubject {
  if (value === null || value === undefined) return { subject: '', truncated: false };
  const text = collapseBlanks(decodeEncodedWords(collapseBlanks(value))).normalize('NFC');
  const limited = limitSubject(text);
  return { subject: limited.value, truncated: limited.truncated };
}
