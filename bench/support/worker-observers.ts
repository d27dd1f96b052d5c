// What a benchmark records while a real worker runs: Tracker requests by endpoint and status (from
// the emulator's log), the worker's log levels, the wall time of every activity and, afterwards, the
// shape of the incident workflow histories.
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';

import type { Client } from '@temporalio/client';

import { createLogger } from '../../src/logger.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { forEachLimited } from './incident-bench.js';
import { round, summarize } from './stats.js';
import type { LatencySummary } from './stats.js';

const CREATE_ISSUE = 'POST /issues';
const POST_COMMENT = 'POST /issues/:issue/comments';

/** Tracker requests drained from the emulator's log (it keeps 10,000 entries) on every poll. */
export class RequestTally {
  readonly counts: Record<string, number> = {};
  readonly serverMs: Record<string, number> = {};
  readonly statuses: Record<string, number> = {};
  /** 429 and 5xx answers, by endpoint. */
  readonly throttledOrFailed: Record<string, number> = {};
  created = 0;
  commented = 0;

  drain(emulator: TrackerEmulator): void {
    // Synchronous read-and-clear: the emulator answers on this event loop, nothing slips in between.
    const entries = emulator.requestLog();
    emulator.clearRequestLog();
    for (const e of entries) {
      this.counts[e.endpoint] = (this.counts[e.endpoint] ?? 0) + 1;
      this.serverMs[e.endpoint] = (this.serverMs[e.endpoint] ?? 0) + e.durationMs;
      this.statuses[String(e.status)] = (this.statuses[String(e.status)] ?? 0) + 1;
      if (e.status === 429 || e.status >= 500 || e.outcome !== 'answered') {
        this.throttledOrFailed[e.endpoint] = (this.throttledOrFailed[e.endpoint] ?? 0) + 1;
      }
      if (e.status === 201 && e.endpoint === CREATE_ISSUE) this.created++;
      if (e.status === 201 && e.endpoint === POST_COMMENT) this.commented++;
    }
  }
}

/**
 * The worker's log: counted per level, warnings and errors kept (a few). The harness's CapturedLog
 * parses and keeps every line, a cost the product (pino to stdout) does not have.
 */
export class LogTally {
  readonly levels: Record<string, number> = {};
  readonly problems: string[] = [];
  readonly logger = createLogger({
    name: 'bench-worker',
    destination: new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          const level = /"level":"(\w+)"/.exec(line)?.[1];
          if (level === undefined) continue;
          this.levels[level] = (this.levels[level] ?? 0) + 1;
          if (level !== 'info' && level !== 'debug' && this.problems.length < 20)
            this.problems.push(line.slice(0, 300));
        }
        done();
      },
    }),
  });
}

/** Wall time of every activity the worker runs (they overlap: sums exceed the wall time). */
export class ActivityClock {
  private readonly samples = new Map<string, number[]>();
  private readonly failures = new Map<string, number>();

  wrap<T extends object>(activities: T): T {
    const wrapped: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(activities)) {
      if (typeof fn !== 'function') {
        wrapped[name] = fn;
        continue;
      }
      wrapped[name] = async (...args: unknown[]): Promise<unknown> => {
        const started = performance.now();
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        } catch (error) {
          this.failures.set(name, (this.failures.get(name) ?? 0) + 1);
          throw error;
        } finally {
          const list = this.samples.get(name) ?? [];
          list.push(performance.now() - started);
          this.samples.set(name, list);
        }
      };
    }
    return wrapped as T;
  }

  summary(): Record<string, LatencySummary & { totalS: number; failures: number }> {
    return Object.fromEntries(
      [...this.samples]
        .map(([name, ms]) => ({ name, ms, total: ms.reduce((a, b) => a + b, 0) }))
        .sort((a, b) => b.total - a.total)
        .map(({ name, ms, total }) => [
          name,
          { ...summarize(ms), totalS: round(total / 1000), failures: this.failures.get(name) ?? 0 },
        ]),
    );
  }
}

/** Per incident workflow: history events, workflow tasks and activities by type, for a sample of them. */
export async function historySample(
  temporal: Client,
  incidentIds: readonly number[],
  size: number,
): Promise<{ workflows: number; perWorkflow: Record<string, number> }> {
  const step = Math.max(1, Math.floor(incidentIds.length / size));
  const sample = incidentIds.filter((_, i) => i % step === 0).slice(0, size);
  const totals: Record<string, number> = {};
  const add = (name: string): void => {
    totals[name] = (totals[name] ?? 0) + 1;
  };
  await forEachLimited(sample, 8, async (id) => {
    const history = await temporal.workflow.getHandle(`incident-${id}`).fetchHistory();
    for (const event of history.events ?? []) {
      add('events');
      if (event.workflowTaskCompletedEventAttributes) add('workflow tasks');
      if (event.workflowExecutionSignaledEventAttributes) add('signals');
      const activity = event.activityTaskScheduledEventAttributes?.activityType?.name;
      if (activity) add(`activity ${activity}`);
    }
  });
  return {
    workflows: sample.length,
    perWorkflow: Object.fromEntries(
      Object.entries(totals)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, round(v / Math.max(1, sample.length))]),
    ),
  };
}
