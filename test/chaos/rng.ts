// Seeded randomness for the chaos run: the same seed gives the same kill moments, mail pacing and
// dispatcher choices, so a failing run can be repeated (the seed is printed in every report).
import { seededRandomFunction } from '../../src/sandbox/fixtures/random.js';

/** The fixture generator's mulberry32 (same seed, same sequence). */
export const seededRandom = seededRandomFunction;

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
