// TS-5 anomaly guard: decided over all three feeds before anything is applied.
import type { FeedName } from './validate.js';
import { FEED_NAMES } from './validate.js';

export interface GuardRefusal {
  feed: FeedName;
  valid: number;
  /** Last accepted count; null for the empty-feed check. */
  lastAccepted: number | null;
  /** Smallest acceptable count. */
  minimum: number;
}

/**
 * Refusals for every feed that is empty or shrank below (1 − maxShrinkRatio) × its last accepted
 * count; `lastAccepted` null = first run, when only the empty check applies.
 */
export function checkFeedAnomalies(
  valid: Record<FeedName, number>,
  lastAccepted: Record<FeedName, number> | null,
  maxShrinkRatio: number,
): GuardRefusal[] {
  const refusals: GuardRefusal[] = [];
  for (const feed of FEED_NAMES) {
    if (valid[feed] === 0) {
      refusals.push({ feed, valid: 0, lastAccepted: lastAccepted?.[feed] ?? null, minimum: 1 });
      continue;
    }
    if (lastAccepted === null) continue;
    const minimum = Math.ceil((1 - maxShrinkRatio) * lastAccepted[feed] - 1e-9);
    if (valid[feed] < minimum) refusals.push({ feed, valid: valid[feed], lastAccepted: lastAccepted[feed], minimum });
  }
  return refusals;
}

export const FEED_TITLES: Record<FeedName, string> = {
  poles: 'опоры (poles)',
  avr: 'подрядчики АВР (avr)',
  bs: 'базовые станции (bs)',
};

/** Russian, naming the feed and both counts (AC-22). */
export function describeRefusal(refusal: GuardRefusal): string {
  const title = FEED_TITLES[refusal.feed];
  if (refusal.valid === 0) return `фид ${title} пуст: 0 корректных строк`;
  return (
    `фид ${title}: ${refusal.valid} корректных строк при последнем принятом ${refusal.lastAccepted ?? 0} ` +
    `(допустимо не меньше ${refusal.minimum})`
  );
}
