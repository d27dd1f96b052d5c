// New mail through IDLE: a mailboxWorkflow watcher on a real worker, mails APPENDed one at a time,
// each awaited until it is stored. Returns the APPEND → stored time of each mail (ms). Shared by
// test/workflow/mailbox-worker.test.ts (correctness, few mails) and bench/p1-idle-latency.ts (P1).
import { randomUUID } from 'node:crypto';

import { sql } from 'slonik';
import { z } from 'zod';

import { createIngestionActivities } from '../../src/activities/ingestion.js';
import { readCheckpoint } from '../../src/adapters/db/mail-bookkeeping.js';
import { loadConfig } from '../../src/config/load.js';
import { appendMessage } from '../../src/sandbox/mail/index.js';
import { mailboxWorkflow } from '../../src/workflows/mailbox.js';
import { COLLECTION_MAILBOX, ingestionEnv } from '../integration/ingestion-harness.js';
import type { IngestionHarness } from '../integration/ingestion-harness.js';
import type { TemporalTestContext } from './temporal.js';

export async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function measureIdleDelivery(
  temporal: TemporalTestContext,
  harness: IngestionHarness,
  mails: number,
): Promise<number[]> {
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
  try {
    return await temporal.withWorker(
      async () => {
        // The watchers' first run (MAIL-5) sets the checkpoints of the empty folders.
        await waitFor(() => readCheckpoint(harness.db.pool, 'INBOX'), 30_000, 'the INBOX checkpoint');
        const account = harness.mail.account(COLLECTION_MAILBOX);
        const tag = randomUUID().slice(0, 8);
        const measured: number[] = [];
        for (let i = 1; i <= mails; i++) {
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
          const appendedAt = performance.now();
          await appendMessage(account, 'INBOX', raw);
          await waitFor(
            () =>
              harness.db.pool.maybeOneFirst(
                sql.type(z.object({ id: z.number() }))`SELECT id FROM emails WHERE message_id = ${messageId}`,
              ),
            30_000,
            `${messageId} to be stored`,
          );
          measured.push(performance.now() - appendedAt);
        }
        return measured;
      },
      { activities: createIngestionActivities(deps) },
    );
  } finally {
    await watcher.terminate('finished').catch(() => undefined);
  }
}
