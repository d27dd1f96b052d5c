// mailboxWorkflow on a real worker: bootstrap starts one watcher per folder idempotently, the watcher
// picks new mail up through IDLE, and each e-mail reaches its incident workflow (MAIL-3, MAIL-14).
// The APPEND → stored latency is measured by bench/p1-idle-latency.ts, not here (issue 9).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Connection } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';

import { readCheckpoint } from '../../src/adapters/db/mail-bookkeeping.js';
import { ensureMailboxWatchers } from '../../src/starters/mailbox-watchers.js';
import { ENV_TEMPORAL_ADDRESS, requireEnv } from '../support/services.js';
import { recordHistory } from '../support/replay.js';
import { connectTemporal } from '../support/temporal.js';
import type { TemporalTestContext } from '../support/temporal.js';
import { measureIdleDelivery } from '../support/idle-latency.js';
import { signalledEmailIds, startIngestionHarness } from '../integration/ingestion-harness.js';
import type { IngestionHarness } from '../integration/ingestion-harness.js';

let temporal: TemporalTestContext;
let harness: IngestionHarness;
let connection: Connection;

// Correctness only; the APPEND → stored latency over 200 mails is bench/p1-idle-latency.ts (P1).
const MAILS = 20;

beforeAll(async () => {
  temporal = await connectTemporal('mailbox-worker');
  harness = await startIngestionHarness(temporal.client, temporal.taskQueue, { MAIL_POLL_INTERVAL_SECONDS: '30' });
  connection = await Connection.connect({ address: requireEnv(ENV_TEMPORAL_ADDRESS) });
}, 60_000);

afterAll(async () => {
  await recordHistory(temporal.client, 'mailbox-inbox', 'mailbox-inbox-idle', 'MAIL-3 IDLE delivery (mailbox-worker)');
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
    const latencies = await measureIdleDelivery(temporal, harness, MAILS);
    expect(latencies).toHaveLength(MAILS);

    const rows = await harness.db.pool.any(
      sql.type(z.object({ id: z.number(), incident_id: z.number().nullable() }))`SELECT id, incident_id FROM emails`,
    );
    expect(rows).toHaveLength(MAILS);
    expect(rows.filter((r) => r.incident_id === null)).toEqual([]);
    expect((await readCheckpoint(harness.db.pool, 'INBOX'))?.lastUid).toBe(MAILS);
    for (const row of rows.slice(0, 20)) {
      expect(await signalledEmailIds(temporal.client, row.incident_id as number)).toEqual([row.id]);
    }
    // OPS-1: the Web UI shows what started the incident's workflow.
    const first = await temporal.client.workflow.getHandle(`incident-${rows[0]?.incident_id}`).describe();
    expect(await first.staticSummary()).toBe(`Инцидент ${rows[0]?.incident_id} · started by e-mail`);
  }, 300_000);
});
