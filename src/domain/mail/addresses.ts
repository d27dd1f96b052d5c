// Addresses in From / To / Cc / Bcc (MAIL-11, GEN-9). A small RFC 5322 address-list reader
// that tolerates what real mailers write: groups, comments, routes, unquoted commas in names are
// not supported (they are rare), missing brackets are.

import { limitAddress } from './text-limits.js';
import { decodeEncodedWords } from './rfc2047.js';

export interface Mailbox {
  /** Display name as written (quotes removed, encoded-words not decoded). */
  name: string;
  /** The addr-spec as written, unvalidated. */
  address: string;
}

// `local@domain.tld`: no blanks or specials in the local part, dotted domain with a letter TLD
// (or an IDN `xn--` label). Unicode letters are allowed (RFC 6531 addresses exist in Russia).
const VALID_ADDRESS =
  /^[^\s@<>()[\]\\,;:"]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}_-]*[\p{L}\p{N}])?\.)+(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})$/iu;

export const MAX_ADDRESS_LENGTH = 254;

/** MAIL-11: a syntactically usable `local@domain.tld` of at most 254 characters. */
export function isValidAddress(address: string): boolean {
  return address.length <= MAX_ADDRESS_LENGTH && VALID_ADDRESS.test(address);
}

/** Domain lower-cased, local part preserved (MAIL-11); surrounding blanks and quotes dropped. */
export function normaliseAddress(address: string): string {
  const trimmed = address.trim().replace(/^['"]+|['"]+$/g, '');
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return trimmed;
  return trimmed.slice(0, at) + '@' + trimmed.slice(at + 1).toLowerCase();
}

/** The addr-spec inside `<…>`, without an obsolete source route (`<@relay:user@host>`). */
function angleAddress(inner: string): string {
  const trimmed = inner.trim();
  if (trimmed.startsWith('@')) {
    const colon = trimmed.indexOf(':');
    if (colon >= 0) return trimmed.slice(colon + 1).trim();
  }
  return trimmed;
}

function entryToMailbox(entry: string, angle: string | null): Mailbox | null {
  if (angle !== null) {
    const name = entry.replace(/\s+/g, ' ').trim();
    return { name, address: angleAddress(angle) };
  }
  const words = entry
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words.length === 0) return null;
  const address = words.find((w) => w.includes('@')) ?? words.join(' ');
  const name = words.filter((w) => w !== address).join(' ');
  return { name, address };
}

/** Parse an address-list (one header value) into mailboxes, in order; group names are dropped. */
export function parseAddressList(text: string): Mailbox[] {
  const result: Mailbox[] = [];
  let entry = '';
  let angle: string | null = null;
  let inAngle = false;
  let quoted = false;
  let comment = 0;
  const finish = (): void => {
    const mailbox = entryToMailbox(entry, angle);
    if (mailbox !== null && mailbox.address !== '') result.push(mailbox);
    entry = '';
    angle = null;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '\\' && i + 1 < text.length) entry += text[++i] as string;
      else if (ch === '"') quoted = false;
      else entry += ch;
      continue;
    }
    if (comment > 0) {
      if (ch === '(') comment++;
      else if (ch === ')') comment--;
      continue;
    }
    if (inAngle) {
      if (ch === '>') inAngle = false;
      else angle = (angle ?? '') + ch;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === '(') comment = 1;
    else if (ch === '<') {
      // A second `<…>` in one entry means a missing comma: close the previous mailbox.
      if (angle !== null) finish();
      inAngle = true;
      angle = '';
    } else if (ch === ',' || ch === ';') finish();
    else if (ch === ':' && angle === null && !entry.includes('@')) entry = '';
    else entry += ch;
  }
  finish();
  return result;
}

export interface AddressList {
  /** Valid, normalised, de-duplicated case-insensitively (first spelling kept), in order. */
  addresses: string[];
  /** Entries that were not usable addresses (for a warning). */
  rejected: string[];
}

/** MAIL-11 To / Cc / Bcc: all headers of one kind merged, valid addresses only, each once. */
export function collectAddresses(headerValues: readonly string[]): AddressList {
  const seen = new Set<string>();
  const addresses: string[] = [];
  const rejected: string[] = [];
  for (const value of headerValues) {
    let mailboxes = parseAddressList(value);
    if (!mailboxes.some((m) => isValidAddress(normaliseAddress(m.address)))) {
      // Whole addresses hidden in encoded-words: decode and try again.
      const decoded = decodeEncodedWords(value);
      if (decoded !== value) mailboxes = parseAddressList(decoded);
    }
    for (const { address } of mailboxes) {
      const normalised = normaliseAddress(address);
      if (!isValidAddress(normalised)) {
        rejected.push(address);
        continue;
      }
      const key = normalised.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      addresses.push(normalised);
    }
  }
  return { addresses, rejected };
}

export interface FromAddress {
  /** The sender address, or the raw header text when no address can be found; null when empty. */
  address: string | null;
  /** How it was found: the first mailbox, the last address-like token, or the raw header. */
  source: 'mailbox' | 'token' | 'raw' | 'none';
  truncated: boolean;
}

const ADDRESS_TOKEN = /[^\s<>()[\]\\,;:"']+@[^\s<>()[\]\\,;:"']+/gu;

/**
 * MAIL-11 From: the first mailbox's address; if unparsable, the last token that looks like an
 * address; if none, the raw header (decoded, blanks collapsed) truncated to 254 characters.
 */
export function parseFromAddress(value: string | null): FromAddress {
  if (value === null || value.trim() === '') return { address: null, source: 'none', truncated: false };
  const decoded = decodeEncodedWords(value);
  for (const text of decoded === value ? [value] : [value, decoded]) {
    const first = parseAddressList(text)[0];
    if (first !== undefined) {
      const normalised = normaliseAddress(first.address);
      if (isValidAddress(normalised)) return { address: normalised, source: 'mailbox', truncated: false };
    }
  }
  const tokens = [...decoded.matchAll(ADDRESS_TOKEN)]
    .map((m) => normaliseAddress(m[0].replace(/\.+$/, '')))
    .filter(isValidAddress);
  const last = tokens[tokens.length - 1];
  if (last !== undefined) return { address: last, source: 'token', truncated: false };
  const raw = decoded
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .normalize('NFC');
  if (raw === '') return { address: null, source: 'none', truncated: false };
  const limited = limitAddress(raw);
  return { address: limited.value, source: 'raw', truncated: limited.truncated };
}
