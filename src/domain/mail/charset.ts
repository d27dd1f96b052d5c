// Charset handling for MAIL-11 / MAIL-12: honour the declared charset when iconv-lite knows it,
// otherwise detect between UTF-8, windows-1251 and koi8-r (what Russian mailers actually send).
// Decoding never fails: undecodable bytes become U+FFFD.

import iconv from 'iconv-lite';

export interface DecodedText {
  text: string;
  /** The charset actually used (iconv-lite name as given, or the detected one). */
  charset: string;
  /** True when the declared charset was absent, unknown or unusable and detection chose instead. */
  detected: boolean;
}

// Labels seen in the wild that iconv-lite does not know under that spelling.
const CHARSET_ALIASES: Readonly<Record<string, string>> = {
  'x-mac-cyrillic': 'maccyrillic',
  'x-cp1251': 'windows-1251',
  'win-1251': 'windows-1251',
  windows1251: 'windows-1251',
  'cp-1251': 'windows-1251',
  koi8r: 'koi8-r',
  'x-koi8-r': 'koi8-r',
  utf8mb4: 'utf-8',
  'unicode-1-1-utf-8': 'utf-8',
  'ansi_x3.4-1968': 'us-ascii',
  ascii: 'us-ascii',
};

// Labels that carry no information: treat like an absent charset.
const MEANINGLESS = new Set(['', 'default', 'unknown', 'unknown-8bit', 'x-unknown', 'x-user-defined', 'charset']);

/**
 * The iconv-lite name for a declared charset label, or null when it is absent or not supported.
 * RFC 2231 language suffixes (`utf-8*ru`) and stray quotes are ignored.
 */
export function supportedCharset(label: string | null | undefined): string | null {
  if (label === null || label === undefined) return null;
  let name = label
    .trim()
    .replace(/^["']+|["']+$/g, '')
    .toLowerCase();
  const star = name.indexOf('*');
  if (star >= 0) name = name.slice(0, star);
  if (MEANINGLESS.has(name)) return null;
  name = CHARSET_ALIASES[name] ?? name;
  return iconv.encodingExists(name) ? name : null;
}

function isAscii(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b >= 0x80) return false;
  return true;
}

/** Strict UTF-8 validity (no overlongs, no surrogates, nothing above U+10FFFF). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
      cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
      cp = b & 0x07;
    } else {
      return false;
    }
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

/**
 * UTF-8 text with a few stray bytes (Dovecot serves a NUL as 0x80): at least four valid multi-byte
 * sequences per invalid byte. Russian single-byte text almost never forms a valid sequence, so it
 * does not qualify; the stray bytes become U+FFFD instead of turning the whole text to mojibake.
 */
export function isMostlyUtf8(bytes: Uint8Array): boolean {
  let valid = 0;
  let invalid = 0;
  for (const ch of iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), 'utf-8')) {
    if (ch === '\uFFFD') invalid++;
    else if ((ch.codePointAt(0) as number) >= 0x80) valid++;
  }
  return valid > 0 && invalid * 4 <= valid;
}

const CYRILLIC_UPPER = /[\u0410-\u042f\u0401]/u;
const CYRILLIC_LOWER = /[\u0430-\u044f\u0451]/u;
// The ten most frequent Russian letters: real text is dominated by them, a wrong decoding is not.
const FREQUENT = new Set('оеаинтсрвлОЕАИНТСРВЛ');

/** How much a decoding looks like Russian text: frequent letters and lower case score. */
function russianScore(text: string): number {
  let score = 0;
  let previous = '';
  for (const ch of text) {
    if (CYRILLIC_LOWER.test(ch)) {
      score += 2;
      if (CYRILLIC_UPPER.test(previous) || CYRILLIC_LOWER.test(previous)) score += 1;
    } else if (CYRILLIC_UPPER.test(ch)) {
      // Capitals inside a word are typical of a koi8-r/cp1251 mix-up.
      score += CYRILLIC_LOWER.test(previous) ? -2 : 1;
    } else if (ch.charCodeAt(0) >= 0x80 && !/[\p{L}\p{N}\s«»№–—…“”„]/u.test(ch)) {
      score -= 3;
    }
    if (FREQUENT.has(ch)) score += 1;
    previous = ch;
  }
  return score;
}

/**
 * MAIL-11 / MAIL-12 detection: ASCII and valid UTF-8 are UTF-8; otherwise the better-scoring
 * Russian single-byte charset (windows-1251 wins ties, it is far more common).
 */
export function detectCharset(bytes: Uint8Array): 'utf-8' | 'windows-1251' | 'koi8-r' {
  if (isAscii(bytes) || isValidUtf8(bytes) || isMostlyUtf8(bytes)) return 'utf-8';
  const cp1251 = russianScore(iconv.decode(bytes, 'windows-1251'));
  const koi8 = russianScore(iconv.decode(bytes, 'koi8-r'));
  return koi8 > cp1251 ? 'koi8-r' : 'windows-1251';
}

/**
 * Decode with the declared charset if iconv-lite supports it, else detect. A declared US-ASCII
 * with 8-bit bytes is a mislabel (common with old Russian mailers) and is detected instead.
 */
export function decodeBytes(bytes: Uint8Array, declared?: string | null): DecodedText {
  let charset = supportedCharset(declared);
  if (charset === 'us-ascii' && !isAscii(bytes)) charset = null;
  if (charset !== null) return { text: iconv.decode(bytes, charset), charset, detected: false };
  const found = detectCharset(bytes);
  return { text: iconv.decode(bytes, found), charset: found, detected: true };
}

/** The bytes of a string whose characters are all U+0000..U+00FF (one byte each). */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
