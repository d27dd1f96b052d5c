// A tiny, pure, stable hash for identifiers that must be derived from data (NOTIFY-3). src/domain
// runs inside Temporal workflows too, where node:crypto is unavailable, so this is plain code.
//
// FNV-1a, 64 bit, over the UTF-8 bytes of the text, as 16 lower-case hex digits. It is not a
// cryptographic hash and does not need to be: its inputs (Tracker changelog ids or status-entry
// times) are already unique within one (incident, notice kind); the hash only gives them a fixed
// length and Message-ID-safe characters. With at most a handful of triggers per incident and kind,
// an accidental 64-bit collision is negligible. The output must never change: outbox rows and
// already-sent Message-IDs are matched by it after a crash.

const FNV_OFFSET_BASIS = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;

function utf8Bytes(text: string): number[] {
  const bytes: number[] = [];
  for (const char of text) {
    const cp = char.codePointAt(0) ?? 0xfffd;
    // Lone surrogates are encoded as U+FFFD, like TextEncoder does.
    const code = cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else
      bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  }
  return bytes;
}

/** FNV-1a 64-bit of the UTF-8 encoding of `text`, 16 hex digits. */
export function fnv1a64Hex(text: string): string {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of utf8Bytes(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK_64;
  }
  return hash.toString(16).padStart(16, '0');
}
