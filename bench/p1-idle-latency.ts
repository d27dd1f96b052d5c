// P1: new mail → stored e-mail through IDLE (MAIL-3): a mailboxWorkflow watcher on a real worker,
// sandbox Dovecot, PostgreSQL; 200 mails APPENDed one at a time, each awaited until its row exists.
import { startIngestionHarness } from '../test/integration/ingestion-harness.js';
import { measureIdleDelivery } from '../test/support/idle-latency.js';
import { connectTemporal } from '../test/support/temporal.js';
import { summarize } from './support/stats.js';
import type { Benchmark, BenchmarkResult } from './support/types.js';

export const p1IdleLatency: Benchmark = {
  id: 'P1',
  title: 'New mail → stored e-mail through IDLE (APPEND → row), p50/p95/p99',
  async run({ quick, log }): Promise<BenchmarkResult> {
    const mails = quick ? 50 : 200;
    const temporal = await connectTemporal('bench-p1');
    const harness = await startIngestionHarness(temporal.client, temporal.taskQueue, {
      MAIL_POLL_INTERVAL_SECONDS: '30',
    });
    try {
      log(`P1: ${mails} mails through the IDLE watcher`);
      const idle = summarize(await measureIdleDelivery(temporal, harness, mails));
      return {
        id: 'P1',
        title: this.title,
        figures: (['p50', 'p95', 'p99'] as const).map((p) => ({
          what: `APPEND → stored through IDLE, ${p}`,
          value: idle[p],
          unit: 'ms',
          goal: null,
          baseline: null,
          ratio: null,
          met: null,
        })),
        raw: { mails, idleMs: idle },
        notes: [
          'No goal and no baseline yet: issue 9 gives no numeric P1 goal in this brief, and a same-run baseline (APPEND + one direct syncMailbox per mail) hung in its first attempt and was removed; figures are raw.',
          'Each measured time includes the 10 ms polling of the database for the row.',
        ],
      };
    } finally {
      await harness.close();
      await temporal.close();
    }
  },
};
