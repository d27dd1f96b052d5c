// MAIL-10 In-Reply-To and References, normalised for the thread graph (THREAD-2).

import { decodeEncodedWords } from './rfc2047.js';
import { MAIL_LIMITS } from './text-limits.js';

// Placeholder ids some mailers and ticket systems write; linking through them would merge
// unrelated conversations.
const PLACEHOLDERS = new Set(['<null>', '<0>', '<none>']);

function isPlaceholder(id: string): boolean {
  const lower = id.toLowerCase();
  return PLACEHOLDERS.has(lower) || lower.startsWith('<auto-');
}

/** Every `<…>` token in order, each trimmed inside its brackets; empty or blank-containing ones dropped. */
function bracketTokens(value: string): string[] {
  const tokens: string[] = [];
  for (const match of decodeEncodedWords(value).matchAll(/<([^<>]*)>/g)) {
    const inner = (match[1] as string).trim();
    if (inner !== '' && !/[\s\p{Cc}]/u.test(inner) && inner.length + 2 <= MAIL_LIMITS.messageIdChars) {
      tokens.push(`<${inner}>`);
    }
  }
  return tokens;
}

/**
 * MAIL-10 In-Reply-To: the first `<…>` token (a lone bare id is wrapped, as in MAIL-9). Absent
 * when it equals the message's own id, starts with `<auto-`, or is `<null>`, `<0>`, `<none>`
 * (case-insensitive). Ids over 998 characters (GEN-8) are absent too.
 */
export function parseInReplyTo(value: string | null | undefined, ownMessageId: string): string | null {
  if (value === null || value === undefined) return null;
  let first = bracketTokens(value)[0];
  if (first === undefined) {
    const bare = decodeEncodedWords(value).trim();
    if (bare !== '' && !/[\s<>\p{Cc}]/u.test(bare) && bare.length + 2 <= MAIL_LIMITS.messageIdChars) {
      first = `<${bare}>`;
    }
  }
  if (first === undefined || first === ownMessageId || isPlaceholder(first)) return null;
  return first;
}

/**
 * MAIL-10 References: every `<…>` token of all References headers, in order, own id removed,
 * duplicates removed (first occurrence kept). The placeholder ids that make an In-Reply-To absent
 * are dropped here as well, for the same reason (they would join unrelated threads).
 */
export function parseReferences(values: readonly string[], ownMessageId: string): string[] {
  const seen = new Set<string>([ownMessageId]);
  const references: string[] = [];
  for (const value of values) {
    for (const token of bracketTokens(value)) {
      if (seen.has(token) || isPlaceholder(token)) continue;
      seen.add(token);
      references.push(token);
    }
  }
  return references;
}
