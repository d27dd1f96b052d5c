/** One API request as the emulator saw it. */
export interface RequestLogEntry {
  seq: number;
  at: string;
  method: string;
  /** Path as requested, without the query string. */
  path: string;
  /** Route template, e.g. `POST /issues/:issue/comments`; `unmatched` for unknown paths. */
  endpoint: string;
  /** Status answered (or that would have been answered before a drop); 0 for a reset. */
  status: number;
  outcome: 'answered' | 'dropped' | 'reset';
  durationMs: number;
  /** Id of the fault rule that acted on the request, if any. */
  fault?: string;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  constructor(private readonly capacity = 10_000) {}

  record(entry: Omit<RequestLogEntry, 'seq'>): void {
    this.seq += 1;
    this.entries.push({ seq: this.seq, ...entry });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  list(): RequestLogEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  /** Requests per endpoint template, e.g. `{ "POST /issues": 3 }`. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const e of this.entries) counts[e.endpoint] = (counts[e.endpoint] ?? 0) + 1;
    return counts;
  }

  clear(): void {
    this.entries = [];
  }
}
