// Structured header values with parameters (Content-Type, Content-Disposition): RFC 2045 syntax,
// RFC 2231 continuations and charsets (`filename*0*=utf-8''…`), and RFC 2047 words inside quoted
// values (non-standard, but what many mailers write for `name=`). Used for ATT-1 file names.

import { decodeBytes } from './charset.js';
import { decodeEncodedWords } from './rfc2047.js';

export interface HeaderWithParams {
  /** The main value, lower-cased, without comments (e.g. `text/plain`, `attachment`). */
  value: string;
  /** Parameter values by lower-cased name, fully decoded. */
  params: Record<string, string>;
}

/** Split on `;` outside quoted strings; quotes and backslash escapes are kept for the next step. */
function splitSegments(text: string): string[] {
  const segments: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted && ch === '\\' && i + 1 < text.length) {
      current += ch + (text[i + 1] as string);
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted) {
      segments.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  segments.push(current);
  return segments;
}

function unquote(raw: string): string {
  const value = raw.trim();
  if (value.startsWith('"')) {
    const end = value.lastIndexOf('"');
    const inner = end > 0 ? value.slice(1, end) : value.slice(1);
    // Only `\"` and `\\` are unescaped: Windows mailers write paths (`"C:\Docs\act.pdf"`) without
    // escaping, and the backslashes must survive so ATT-4 keeps only the last path component.
    return inner.replace(/\\(["\\])/g, '$1');
  }
  return value;
}

function stripComments(text: string): string {
  return text.replace(/\([^()]*\)/g, '').trim();
}

function percentBytes(text: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      // Characters outside ASCII should not appear here; keep them as UTF-8.
      for (const b of new TextEncoder().encode(text[i])) bytes.push(b);
    }
  }
  return bytes;
}

interface Piece {
  index: number;
  extended: boolean;
  value: string;
}

/** RFC 2231: join the numbered pieces of one parameter, decoding the extended ones. */
function joinPieces(pieces: Piece[]): string {
  pieces.sort((a, b) => a.index - b.index);
  let charset: string | null = null;
  let result = '';
  let pending: number[] = [];
  const flush = (): void => {
    if (pending.length > 0) result += decodeBytes(Uint8Array.from(pending), charset).text;
    pending = [];
  };
  pieces.forEach((piece, position) => {
    if (!piece.extended) {
      flush();
      result += piece.value;
      return;
    }
    let value = piece.value;
    if (position === 0) {
      const match = /^([^']*)'[^']*'(.*)$/s.exec(value);
      if (match !== null) {
        charset = (match[1] as string) || null;
        value = match[2] as string;
      }
    }
    pending.push(...percentBytes(value));
  });
  flush();
  return result;
}

/** Parse `value; name=param; name*=charset'lang'%XX; name*0*=…` into a value and decoded params. */
export function parseHeaderWithParams(text: string): HeaderWithParams {
  const [first = '', ...rest] = splitSegments(text);
  const plain: Record<string, string> = {};
  const extended = new Map<string, Piece[]>();
  for (const segment of rest) {
    const eq = segment.indexOf('=');
    if (eq <= 0) continue;
    const rawName = segment.slice(0, eq).trim().toLowerCase();
    const value = unquote(segment.slice(eq + 1));
    // `name*` (one extended value), `name*N` / `name*N*` (plain / extended continuation).
    const match = /^([^*]+)\*(?:(\d+)(\*)?)?$/.exec(rawName);
    if (match === null) {
      if (!(rawName in plain)) plain[rawName] = value;
      continue;
    }
    const name = match[1] as string;
    const numbered = match[2];
    const piece: Piece =
      numbered === undefined
        ? { index: 0, extended: true, value }
        : { index: Number(numbered), extended: match[3] === '*', value };
    const list = extended.get(name) ?? [];
    list.push(piece);
    extended.set(name, list);
  }
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(plain)) params[name] = decodeEncodedWords(value);
  for (const [name, pieces] of extended) params[name] = decodeEncodedWords(joinPieces(pieces));
  return { value: stripComments(first).toLowerCase(), params };
}
