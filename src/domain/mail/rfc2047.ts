// RFC 2047 encoded-words (MAIL-11): every word is decoded with its own charset; whitespace
// between adjacent encoded-words is dropped. Adjacent words of the same charset are decoded as
// one byte run, so a multi-byte character split across two words (as some mailers fold) survives.

import { decodeBytes, latin1Bytes } from './charset.js';
import { decodeBase64, decodeQuotedPrintable } from './transfer-encoding.js';

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=/g;

interface Segment {
  /** Plain text, or null for an encoded word. */
  text: string | null;
  charset: string;
  bytes: Uint8Array;
}

function wordBytes(encoding: string, payload: string): Uint8Array {
  return encoding.toLowerCase() === 'b' ? decodeBase64(payload) : decodeQuotedPrintable(latin1Bytes(payload), true);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** True when the text contains at least one RFC 2047 encoded-word. */
export function hasEncodedWords(text: string): boolean {
  return /=\?[^?\s]+\?[bBqQ]\?[^?]*\?=/.test(text);
}

/** Decode all encoded-words in a header value; text outside them is kept as it is. */
export function decodeEncodedWords(text: string): string {
  if (!text.includes('=?')) return text;
  const segments: Segment[] = [];
  let last = 0;
  for (const match of text.matchAll(ENCODED_WORD)) {
    const between = text.slice(last, match.index);
    const previous = segments[segments.length - 1];
    const adjacent = previous !== undefined && previous.text === null && /^\s*$/.test(between);
    if (!adjacent && between !== '') segments.push({ text: between, charset: '', bytes: new Uint8Array() });
    const charset = (match[1] as string).toLowerCase();
    const bytes = wordBytes(match[2] as string, match[3] as string);
    if (adjacent && previous.charset === charset) previous.bytes = concat([previous.bytes, bytes]);
    else segments.push({ text: null, charset, bytes });
    last = match.index + match[0].length;
  }
  if (last < text.length) segments.push({ text: text.slice(last), charset: '', bytes: new Uint8Array() });
  return segments.map((s) => s.text ?? decodeBytes(s.bytes, s.charset).text).join('');
}
