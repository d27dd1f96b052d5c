// Seeded randomness for the chaos run: the same seed gives the same kill moments, mail pacing and
// dispatcher choices, so a failing run can be repeated (the seed is printed in every report).

/** mulberry32: small and deterministic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct sorted instants in [from, to), at least `minGapMs` apart when they fit. */
export function spreadMoments(
  random: () => number,
  count: number,
  from: number,
  to: number,
  minGapMs: number,
): number[] {
  if (count <= 0) return [];
  const slot = (to - from) / count;
  const jitter = Math.max(0, slot - minGapMs);
  return Array.from({ length: count }, (_, i) => Math.round(from + i * slot + random() * jitter));
}
