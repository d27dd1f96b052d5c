// Scroll pagination of `_search` (for more than 10 000 results): the first request snapshots the
// result set; each follow-up with `scrollId` returns the next `perScroll` issues until the end.
import { randomBytes } from 'node:crypto';
import type { Clock } from './time.js';

interface Scroll {
  issueIds: string[];
  position: number;
  perScroll: number;
  ttlMs: number;
  expiresAt: number;
  token: string;
}

export interface ScrollPage {
  scrollId: string;
  issueIds: string[];
  total: number;
  /** Token for the next page; absent on the last page. */
  nextToken?: string;
}

export class ScrollRegistry {
  private readonly scrolls = new Map<string, Scroll>();

  constructor(private readonly clock: Clock) {}

  start(issueIds: string[], perScroll: number, ttlMs: number): ScrollPage {
    this.evictExpired();
    const scrollId = randomBytes(12).toString('hex');
    const scroll: Scroll = { issueIds, position: 0, perScroll, ttlMs, expiresAt: 0, token: '' };
    this.scrolls.set(scrollId, scroll);
    return this.advance(scrollId, scroll, ttlMs);
  }

  /** The next page of a scroll; undefined when the id is unknown or its TTL ran out. */
  continue(scrollId: string, ttlMs: number | undefined): ScrollPage | undefined {
    this.evictExpired();
    const scroll = this.scrolls.get(scrollId);
    if (!scroll) return undefined;
    return this.advance(scrollId, scroll, ttlMs ?? scroll.ttlMs);
  }

  clear(scrollId: string): boolean {
    return this.scrolls.delete(scrollId);
  }

  clearAll(): void {
    this.scrolls.clear();
  }

  private advance(scrollId: string, scroll: Scroll, ttlMs: number): ScrollPage {
    const issueIds = scroll.issueIds.slice(scroll.position, scroll.position + scroll.perScroll);
    scroll.position += issueIds.length;
    scroll.ttlMs = ttlMs;
    scroll.expiresAt = this.clock() + ttlMs;
    const more = scroll.position < scroll.issueIds.length;
    scroll.token = more ? randomBytes(12).toString('hex') : '';
    return {
      scrollId,
      issueIds,
      total: scroll.issueIds.length,
      ...(more ? { nextToken: scroll.token } : {}),
    };
  }

  private evictExpired(): void {
    const now = this.clock();
    for (const [id, scroll] of this.scrolls) if (scroll.expiresAt <= now) this.scrolls.delete(id);
  }
}
