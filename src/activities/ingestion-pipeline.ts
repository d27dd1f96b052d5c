// Plumbing of the ingestion pipeline (issue 9, P2): read-ahead of an async source, and concurrent
// signalling that keeps the order within one incident (the workflow handles e-mails in arrival order).

/**
 * Yields the items of `source` in order while pulling up to `depth` items ahead of the consumer,
 * so the source's work (IMAP reads, parsing) overlaps the consumer's waits. Closing the result
 * stops the source.
 */
export async function* aheadBy<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const buffer: T[] = [];
  let finished = false;
  let stopped = false;
  let failure: { error: unknown } | null = null;
  let wakeConsumer: (() => void) | null = null;
  let wakeProducer: (() => void) | null = null;
  const wake = (which: 'consumer' | 'producer'): void => {
    const fn = which === 'consumer' ? wakeConsumer : wakeProducer;
    if (which === 'consumer') wakeConsumer = null;
    else wakeProducer = null;
    fn?.();
  };

  const pump = (async () => {
    try {
      for await (const item of source) {
        buffer.push(item);
        wake('consumer');
        while (buffer.length >= depth && !stopped) {
          await new Promise<void>((resolve) => (wakeProducer = resolve));
        }
        if (stopped) break;
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wake('consumer');
    }
  })();

  try {
    for (;;) {
      const item = buffer.shift();
      if (item !== undefined) {
        wake('producer');
        yield item;
        continue;
      }
      if (failure !== null) throw (failure as { error: unknown }).error;
      if (finished) return;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
  } finally {
    stopped = true;
    wake('producer');
    await pump;
  }
}

/**
 * Runs tasks with at most `concurrency` in flight; tasks with the same key run one after another
 * in the order they were added. The first failure is kept for `failure()`; nothing is unhandled.
 */
export class SignalQueue {
  private readonly tails = new Map<number, Promise<void>>();
  private readonly waiting: Array<() => void> = [];
  private active = 0;
  private firstFailure: { error: unknown } | null = null;

  constructor(private readonly concurrency: number) {}

  /**
   * Settles when the task has run; rejects with its failure (also recorded for `throwIfFailed`).
   * A failed task does not stop the later tasks of its key.
   */
  add(key: number, task: () => Promise<unknown>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.withSlot(task));
    const settled = run.then(
      () => undefined,
      (error: unknown) => {
        this.firstFailure ??= { error };
      },
    );
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return run;
  }

  /** Throws the first failure of any task so far. */
  throwIfFailed(): void {
    if (this.firstFailure !== null) throw this.firstFailure.error;
  }

  private async withSlot(task: () => Promise<unknown>): Promise<void> {
    if (this.active >= this.concurrency) {
      // The finishing task hands its slot over: `active` stays as it is.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      await task();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.active--;
    }
  }
}
