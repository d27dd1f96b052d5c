// P1 end to end: a new first mail APPENDed to the sandbox Dovecot INBOX → its issue exists in the
// Tracker emulator. Real worker on the bench's task queue: the INBOX watcher on IDLE (MAIL-3) and the
// incident workflows with every activity (createActivities, worker limits from the config defaults).
// Open-loop offered load of 1, 5 and 20 mails/s; the same mails' APPEND → stored time (the P1 figure)
// is the baseline measured in the same run.
import { randomUUID } from 'node:crypto';

import { sql } from 'slonik';
import { z } from 'zod';

import { createActivities } from '../src/activities/index.js';
import { readCheckpoint } from '../src/adapters/db/mail-bookkeeping.js';
import { startTrackerEmulator } from '../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../src/sandbox/tracker/index.js';
import { mailboxWorkflow } from '../src/workflows/mailbox.js';
import {
  COLLECTION_MAILBOX,
  collectionMailboxClient,
  startIngestionHarness,
} from '../test/integration/ingestion-harness.js';
import type { IngestionHarness } from '../test/integration/ingestion-harness.js';
import { waitFor } from '../test/support/idle-latency.js';
import { connectTemporal } from '../test/support/temporal.js';
import { seedAcceptanceDispatchers } from '../test/workflow/incident-fixtures.js';
import { sleep, terminateAll } from './support/incident-bench.js';
import { round, summarize } from './support/stats.js';
import { describeWorkerLimits, workerDefaults } from './support/worker-limits.js';
import type { LatencySummary } from './support/stats.js';
import type { Benchmark, BenchmarkResult, Figure } from './support/types.js';

const RATES = [1, 5, 20] as const;
const GOAL_RATE = 5;
const GOALS = { p50: 1_000, p99: 3_000 } as const;

interface Sample {
  messageId: string;
  offeredAt: number;
  storedAt?: number;
  issueAt?: number;
}

const emailRow = z.object({ message_id: z.string(), incident_id: z.number().nullable() });

/** Watches the database and the emulator every 20 ms and stamps when each mail is stored and has its issue. */
async function track(
  harness: IngestionHarness,
  emulator: TrackerEmulator,
  samples: Sample[],
  total: number,
  timeoutMs: number,
) {
  const localIdField = emulator.seed.fields.localId;
  const deadline = Date.now() + timeoutMs;
  const incidentOf = new Map<string, number>();
  // Samples are pushed as the mails are offered: tracking runs from the first one.
  while (samples.length < total || samples.some((s) => s.issueAt === undefined)) {
    if (Date.now() > deadline) {
      const missing = samples.filter((s) => s.issueAt === undefined).length;
      throw new Error(`${missing} of ${samples.length} mails have no issue after ${timeoutMs / 1000} s`);
    }
    const pending = samples.filter((s) => s.issueAt === undefined);
    if (pending.length > 0) {
      const rows = await harness.db.pool.any(sql.type(emailRow)`
        SELECT message_id, incident_id FROM emails
        WHERE message_id = ANY(${sql.array(
          pending.map((s) => s.messageId),
          'text',
        )})`);
      const now = performance.now();
      for (const row of rows) {
        const sample = pending.find((s) => s.messageId === row.message_id);
        if (sample === undefined) continue;
        sample.storedAt ??= now;
        if (row.incident_id !== null) incidentOf.set(row.message_id, row.incident_id);
      }
      const withIssue = new Set(emulator.listIssues().map((issue) => String(issue[localIdField])));
      const seen = performance.now();
      for (const sample of pending) {
        const incidentId = incidentOf.get(sample.messageId);
        if (incidentId !== undefined && withIssue.has(String(incidentId))) sample.issueAt = seen;
      }
    }
    await sleep(20);
  }
}

function rawMail(messageId: string, subject: string, body: string): string {
  return [
    'From: noc@operator.ru',
    `To: ${COLLECTION_MAILBOX}`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${messageId}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');
}

export const p1EndToEnd: Benchmark = {
  id: 'P1E',
  title: 'New first mail → issue in Tracker (APPEND → issue exists), at 1, 5 and 20 mails/s',
  async run({ quick, log }): Promise<BenchmarkResult> {
    const mailsPerRate = quick ? 15 : 60;
    const temporal = await connectTemporal('bench-p1e');
    const emulator = await startTrackerEmulator();
    const limits = workerDefaults();
    const harness = await startIngestionHarness(temporal.client, temporal.taskQueue, {
      ...emulator.env(),
      // IDLE carries the new mail; the poll is the fallback only (MAIL-3).
      MAIL_POLL_INTERVAL_SECONDS: '30',
      ...limits,
    });
    await seedAcceptanceDispatchers(harness.db.pool);
    const watcherId = `mailbox-inbox-${randomUUID()}`;
    const deps = { config: harness.config, db: harness.db.pool, log: harness.log.logger, temporal: temporal.client };
    const appender = collectionMailboxClient(harness.mail);
    try {
      const perRate = await temporal.withWorker(
        async () => {
          await temporal.client.workflow.start(mailboxWorkflow, {
            workflowId: watcherId,
            taskQueue: temporal.taskQueue,
            args: [{ folderKey: 'inbox' }],
          });
          // The watcher's first run (MAIL-5) sets the checkpoint of the empty INBOX.
          await waitFor(() => readCheckpoint(harness.db.pool, 'INBOX'), 30_000, 'the INBOX checkpoint');
          await appender.connect();
          const results: Array<{ rate: number; e2e: LatencySummary; stored: LatencySummary; wallMs: number }> = [];
          for (const rate of RATES) {
            log(`P1E: ${mailsPerRate} new mails at ${rate} mails/s`);
            const tag = randomUUID().slice(0, 8);
            const samples: Sample[] = [];
            const start = performance.now() + 200;
            const appends: Array<Promise<unknown>> = [];
            const tracking = track(harness, emulator, samples, mailsPerRate, 240_000);
            // An early failure surfaces at `await tracking` below, not as an unhandled rejection.
            tracking.catch(() => undefined);
            for (let i = 0; i < mailsPerRate; i++) {
              const offeredAt = start + (i * 1000) / rate;
              const wait = offeredAt - performance.now();
              if (wait > 0) await sleep(wait);
              const messageId = `<e2e.${rate}.${i}.${tag}@operator.ru>`;
              samples.push({ messageId, offeredAt: performance.now() });
              // Open loop: the next APPEND does not wait for this one (one IMAP connection queues them).
              appends.push(
                appender.append(
                  'INBOX',
                  rawMail(messageId, `Авария ${tag}-${rate}-${i}`, `нет питания на БС X${rate}${i}${tag}`),
                  [],
                  new Date(),
                ),
              );
            }
            await Promise.all(appends);
            await tracking;
            const e2e = summarize(samples.map((s) => (s.issueAt as number) - s.offeredAt));
            const stored = summarize(samples.map((s) => (s.storedAt as number) - s.offeredAt));
            const wallMs = round(Math.max(...samples.map((s) => s.issueAt as number)) - (samples[0]?.offeredAt ?? 0));
            log(`P1E: ${rate}/s e2e p50 ${e2e.p50} p99 ${e2e.p99} ms; stored p50 ${stored.p50} ms`);
            results.push({ rate, e2e, stored, wallMs });
            await sleep(2_000);
          }
          // Stopped while the worker runs, so its IMAP activity ends cleanly.
          await temporal.client.workflow
            .getHandle(watcherId)
            .terminate('benchmark done')
            .catch(() => undefined);
          return results;
        },
        { activities: createActivities(deps), ...harness.config.temporal.worker },
      );
      const figures: Figure[] = [];
      for (const { rate, e2e, stored } of perRate) {
        for (const p of ['p50', 'p95', 'p99'] as const) {
          const goal = rate === GOAL_RATE && p !== 'p95' ? GOALS[p] : null;
          figures.push({
            what: `APPEND → issue exists at ${rate} mails/s, ${p}`,
            value: e2e[p],
            unit: 'ms',
            goal: goal === null ? null : `≤ ${goal} ms`,
            baseline: { what: `APPEND → stored through IDLE, same mails, ${p} (ms)`, value: stored[p] },
            ratio: round(e2e[p] / stored[p]),
            met: goal === null ? null : e2e[p] <= goal,
          });
        }
      }
      return {
        id: 'P1E',
        title: this.title,
        figures,
        raw: { mailsPerRate, perRate },
        notes: [
          `${mailsPerRate} new first mails per rate (distinct subjects, no In-Reply-To: each opens an incident), APPENDed open loop at the offered rate over one IMAP connection; the time runs from the moment each APPEND is issued.`,
          'Issue detection: the bench reads the e-mail rows and the emulator issues (by the local-id field) every 20 ms, so figures include up to ~20 ms of polling and the cost of these reads on the same 2 cores.',
          'Baseline = APPEND → stored e-mail row for the same mails (the P1 figure, IDLE path, measured under the same load); ratio = end-to-end / stored. The difference is the incident workflow: start by signalWithStart, loadIncidentContext, extraction, dispatcher choice, issue creation in the emulator.',
          `Worker limits are the config defaults (${describeWorkerLimits(limits)}), in the bench process with the emulator, Dovecot and PostgreSQL on the same machine.`,
        ],
      };
    } finally {
      await appender.logout().catch(() => undefined);
      const incidentIds = await harness.db.pool
        .anyFirst(sql.type(z.object({ id: z.number() }))`SELECT id FROM incidents`)
        .catch(() => [] as readonly number[]);
      await terminateAll(temporal.client, [watcherId, ...incidentIds.map((id) => `incident-${id}`)]);
      await harness.close();
      await emulator.close();
      await temporal.close();
    }
  },
};
