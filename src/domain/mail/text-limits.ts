// GEN-8 limits for values taken from e-mails. Over-long values are truncated, never rejected;
// the result says whether something was cut so the caller can log it. Character limits count
// UTF-16 code units like the rest of DISPATCH (../text-limits.ts); file names count UTF-8 bytes.

import { cutToLength } from '../text-limits.js';

export const MAIL_LIMITS = {
  subjectChars: 1024,
  addressChars: 254,
  statusCommentChars: 512,
  incidentCodeChars: 32,
  fileNameBytes: 255,
  /** MAIL-9 / GEN-8: a longer Message-ID is replaced by a synthetic one (not truncated). */
  messageIdChars: 998,
} as const;

export interface Limited {
  value: string;
  truncated: boolean;
}

/** At most `max` characters; a surrogate pair is never split. */
export function limitChars(value: string, max: number): Limited {
  if (value.length <= max) return { value, truncated: false };
  return { value: cutToLength(value, max), truncated: true };
}

/** UTF-8 length of one code point. */
function utf8Width(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

export function utf8ByteLength(value: string): number {
  let bytes = 0;
  for (const ch of value) bytes += utf8Width(ch.codePointAt(0) as number);
  return bytes;
}

/** At most `maxBytes` bytes of UTF-8; a character is either kept whole or dropped. */
export function limitUtf8Bytes(value: string, maxBytes: number): Limited {
  let bytes = 0;
  let end = 0;
  for (const ch of value) {
    const width = utf8Width(ch.codePointAt(0) as number);
    if (bytes + width > maxBytes) return { value: value.slice(0, end), truncated: true };
    bytes += width;
    end += ch.length;
  }
  return { value, truncated: false };
}

export const limitSubject = (subject: string): Limited => limitChars(subject, MAIL_LIMITS.subjectChars);
export const limitAddress = (address: string): Limited => limitChars(address, MAIL_LIMITS.addressChars);
export const limitIncidentCode = (code: string): Limited => limitChars(code, MAIL_LIMITS.incidentCodeChars);
export const limitStatusComment = (comment: string): Limited => limitChars(comment, MAIL_LIMITS.statusCommentChars);
export const limitFileName = (name: string): Limited => limitUtf8Bytes(name, MAIL_LIMITS.fileNameBytes);
