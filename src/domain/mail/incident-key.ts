// THREAD-5 incident keys (`<QUEUE>-<n>`) in subjects. `\b` is spelled as Unicode-aware
// look-arounds: JavaScript's `\b` only knows ASCII word characters, so a key right after a
// Cyrillic letter (`ЗаявкаAVRSERVICE-1`) would otherwise count, and a Cyrillic queue never would.

// Only syntax characters: with the `u` flag any other escaped character is a SyntaxError.
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const WORD = '[\\p{L}\\p{N}_]';

/** THREAD-5: `\b<QUEUE>-\d+\b`, queue escaped, case-insensitive. */
export function incidentKeyPattern(queue: string): RegExp {
  return new RegExp(`(?<!${WORD})${escapeRegExp(queue.trim())}-\\d+(?!${WORD})`, 'giu');
}

/** THREAD-5: keys of `queue` in `text`, upper-cased, in order of first occurrence, each once. */
export function findIncidentKeys(text: string | null | undefined, queue: string): string[] {
  if (text === null || text === undefined || text === '' || queue.trim() === '') return [];
  const keys: string[] = [];
  for (const match of text.matchAll(incidentKeyPattern(queue))) {
    const key = match[0].toUpperCase();
    if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}

/** True when `text` carries at least one key of `queue` (NOISE-1 `tracker` vs `foreign_tracker`). */
export function containsIncidentKey(text: string | null | undefined, queue: string): boolean {
  return findIncidentKeys(text, queue).length > 0;
}
