// A small time-bounded cache for Tracker directory data (YT-4: users, statuses and the queue's
// local fields at most 5 minutes old). Concurrent readers of a missing entry share one load.

export const DIRECTORY_CACHE_TTL_MS = 5 * 60 * 1000;

export class TtlCache<T> {
  private entry: { value: T; loadedAt: number } | null = null;
  private loading: Promise<T> | null = null;

  constructor(
    private readonly ttlMs: number = DIRECTORY_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get(load: () => Promise<T>): Promise<T> {
    if (this.entry !== null && this.now() - this.entry.loadedAt < this.ttlMs) return Promise.resolve(this.entry.value);
    this.loading ??= load()
      .then((value) => {
        this.entry = { value, loadedAt: this.now() };
        return value;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  clear(): void {
    this.entry = null;
  }
}
