// GEN-9: lists rendered for people are sorted by Unicode code point. JavaScript's default string
// order compares UTF-16 code units, which puts astral characters before U+E000–U+FFFF; this
// comparator walks code points instead. Code-point order is also UTF-8 byte order (ASSIGN-3).

export function compareByCodePoint(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Only a surrogate against a unit in U+E000–U+FFFF disagrees with code-unit order.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca < cb ? -1 : 1;
  }
  return a.length - b.length;
}

/** Sorted copy, code-point order, duplicates removed. */
export function sortedDistinctByCodePoint(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareByCodePoint);
}
