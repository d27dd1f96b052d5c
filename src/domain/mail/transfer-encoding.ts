// Lenient decoders for base64 and quoted-printable (RFC 2045, RFC 2047 B/Q words). Broken input
// from real mailers (junk characters, padding in the middle, `=` not followed by hex) decodes to
// the best bytes available instead of failing.

const BASE64_VALUES = (() => {
  const table = new Int16Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  // URL-safe variants are accepted as their standard equivalents.
  table['-'.charCodeAt(0)] = 62;
  table['_'.charCodeAt(0)] = 63;
  return table;
})();

/**
 * Base64 to bytes. Characters outside the alphabet are skipped; `=` ends a quantum, so
 * concatenated padded chunks decode chunk by chunk; a dangling single character is dropped.
 */
export function decodeBase64(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let length = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x3d) {
      // Padding: discard the partial quantum's leftover bits and start a new chunk.
      buffer = 0;
      bits = 0;
      continue;
    }
    const value = code < 128 ? (BASE64_VALUES[code] as number) : -1;
    if (value < 0) continue;
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[length++] = (buffer >> bits) & 0xff;
    }
  }
  return out.subarray(0, length);
}

function hexValue(code: number | undefined): number {
  if (code === undefined) return -1;
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/**
 * Quoted-printable to bytes. `=XX` (either case) is a byte, `=` before a line end (optionally
 * after blanks) is a soft break, any other `=` is kept literally. `underscoreIsSpace` is the
 * RFC 2047 Q-word rule.
 */
export function decodeQuotedPrintable(input: Uint8Array, underscoreIsSpace = false): Uint8Array {
  const out = new Uint8Array(input.length);
  let length = 0;
  for (let i = 0; i < input.length; i++) {
    const b = input[i] as number;
    if (b === 0x5f && underscoreIsSpace) {
      out[length++] = 0x20;
      continue;
    }
    if (b !== 0x3d) {
      out[length++] = b;
      continue;
    }
    const hi = hexValue(input[i + 1]);
    const lo = hexValue(input[i + 2]);
    if (hi >= 0 && lo >= 0) {
      out[length++] = (hi << 4) | lo;
      i += 2;
      continue;
    }
    // Soft line break: `=` [blanks] CRLF | LF | end of input.
    let j = i + 1;
    while (input[j] === 0x20 || input[j] === 0x09) j++;
    if (j >= input.length) {
      i = j;
      continue;
    }
    if (input[j] === 0x0d && input[j + 1] === 0x0a) {
      i = j + 1;
      continue;
    }
    if (input[j] === 0x0a) {
      i = j;
      continue;
    }
    out[length++] = b;
  }
  return out.subarray(0, length);
}
