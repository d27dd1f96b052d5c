// mailboxWorkflow on a real worker: bootstrap starts one watcher per folder idempotently, the watcher
// picks new mail up through IDLE, and each e-mail reaches its incident workflow (MAIL-3, MAIL-14).
// Prints the APPEND → stored latency (p50/p99) over 200 mails; asserts only correctness.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Connection } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';

import { createIngestionActivities } from '../../src/activities/ingestion.js';
import { loadConfig } from '../../src/config/load.js';
import { readCheckpoint } from '../../src/adapters/db/mail-bookkeeping.js';
import { appendMessage } from '../../src/sandbox/mail/index.js';
import { ensureMailboxWatchers } from '../../src/starters/mailbox-watchers.js';
import { ENV_TEMPORAL_ADDRESS, requireEnv } from '../support/services.js';
import { connectTemporal } from '../support/temporal.js';
import type { TemporalTestContext } from '../support/temporal.js';
import {
  COLLECTION_MAILBOX,
  ingestionEnv,
  signalledEmailIds,
  startIngestionHarness,
} from '../integration/ingestion-harness.js';
import { mailboxWorkflow } from '../../src/workflows/mailbox.js';
import type { IngestionHarness } from '../integration/ingestion-harness.js';

let temporal: TemporalTestContext;
let harness: IngestionHarness;
let connection: Connection;

const MAILS = 200;

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

beforeAll(async () => {
  temporal = await connectTemporal('mailbox-worker');
  harness = await startIngestionHarness(temporal.client, temporal.taskQueue, { MAIL_POLL_INTERVAL_SECONDS: '30' });
  connection = await Connection.connect({ address: requireEnv(ENV_TEMPORAL_ADDRESS) });
}, 60_000);

afterAll(async () => {
  for (const id of ['mailbox-inbox', 'mailbox-sent']) {
    await temporal.client.workflow
      .getHandle(id)
      .terminate('test finished')
      .catch(() => undefined);
  }
  await connection?.close();
  await harness?.close();
  await temporal?.close();
});

describe('mailboxWorkflow on a worker', () => {
  test('bootstrap starts one watcher per folder; a second call reuses them (USE_EXISTING)', async () => {
    const first = await ensureMailboxWatchers(connection, harness.config, harness.log.logger);
    const runs = await Promise.all(
      first.map(async (id) => (await temporal.client.workflow.getHandle(id).describe()).runId),
    );
    const second = await ensureMailboxWatchers(connection, harness.config, harness.log.logger);
    const runsAgain = await Promise.all(
      second.map(async (id) => (await temporal.client.workflow.getHandle(id).describe()).runId),
    );
    expect(first).toEqual(['mailbox-inbox', 'mailbox-sent']);
    expect(runsAgain).toEqual(runs);
    // No worker has run them; the next test watches INBOX with its own watcher.
    for (const id of first) await temporal.client.workflow.getHandle(id).terminate('checked');
  });

  test(`MAIL-3 / MAIL-14: ${MAILS} mails arrive through IDLE, each stored once and signalled to its incident`, async () => {
    // Incident workflows go to a queue without a worker (their logic is another area's): the signals
    // are read from their histories. The watcher runs on this file's worker.
    const config = loadConfig(
      ingestionEnv(harness.mail, harness.db.url, `${temporal.taskQueue}-incidents`, harness.attachmentsDir, {
        MAIL_POLL_INTERVAL_SECONDS: '30',
      }),
      { dotenvPath: null },
    );
    const deps = { config, db: harness.db.pool, log: harness.log.logger, temporal: temporal.client };
    const watcher = await temporal.client.workflow.start(mailboxWorkflow, {
      workflowId: `mailbox-inbox-${randomUUID()}`,
      taskQueue: temporal.taskQueue,
      args: [{ folderKey: 'inbox' }],
    });
    const latencies = await temporal.withWorker(
      async () => {
        // The watchers' first run (MAIL-5) sets the checkpoints of the empty folders.
        await waitFor(() => readCheckpoint(harness.db.pool, 'INBOX'), 30_000, 'the INBOX checkpoint');
        const account = harness.mail.account(COLLECTION_MAILBOX);
        const tag = randomUUID().slice(0, 8);
        const measured: number[] = [];
        for (let i = 1; i <= MAILS; i++) {
          const messageId = `<latency.${i}.${tag}@operator.ru>`;
          const raw = [
            'From: noc@operator.ru',
            `To: ${COLLECTION_MAILBOX}`,
            `Subject: Авария ${i}`,
            `Date: ${new Date().toUTCString()}`,
            `Message-ID: ${messageId}`,
            'Content-Type: text/plain; charset=utf-8',
            '',
            `нет питания на БС ${i}`,
            '',
          ].join('\r\n');
          const appendedAt = Date.now();
          await appendMessage(account, 'INBOX', raw);
          await waitFor(
            () =>
              harness.db.pool.maybeOneFirst(
                sql.type(z.object({ id: z.number() }))`SELECT id FROM emails WHERE message_id = ${messageId}`,
              ),
            30_000,
            `${messageId} to be stored`,
          );
          measured.push(Date.now() - appendedAt);
        }
        return measured;
      },
      { activities: createIngestionActivities(deps) },
    );
    await watcher.terminate('test finished');

    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `IDLE latency APPEND → stored over ${sorted.length} mails: p50 ${percentile(sorted, 50)} ms, ` +
        `p99 ${percentile(sorted, 99)} ms, max ${sorted.at(-1)} ms`,
    );

    const rows = await harness.db.pool.any(
      sql.type(z.object({ id: z.number(), incident_id: z.number().nullable() }))`SELECT id, incident_id FROM emails`,
    );
    expect(rows).toHaveLength(MAILS);
    expect(rows.filter((r) => r.incident_id === null)).toEqual([]);
    expect((await readCheckpoint(harness.db.pool, 'INBOX'))?.lastUid).toBe(MAILS);
    for (const row of rows.slice(0, 20)) {
      expect(await signalledEmailIds(temporal.client, row.incident_id as number)).toEqual([row.id]);
    }
  }, 300_000);
});
