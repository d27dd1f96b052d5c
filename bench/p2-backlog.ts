// P2: backlog throughput. One generated corpus in the sandbox Dovecot, read twice in the same run:
// a raw imapflow fetch + simpleParser (the baseline) and DISPATCH ingestion (syncMailbox logic).
import { performance } from 'node:perf_hooks';

import { simpleParser } from 'mailparser';
import { sql } from 'slonik';
import { z } from 'zod';

import type { MailboxFolderKey } from '../src/activities/ingestion.js';
import { folderName } from '../src/sandbox/mail/index.js';
import { generateFixtures } from '../src/sandbox/fixtures/index.js';
import type { Fixtures } from '../src/sandbox/fixtures/index.js';
import {
  appendInOrder,
  collectionMailboxClient,
  startIngestionHarness,
} from '../test/integration/ingestion-harness.js';
import type { IngestionHarness } from '../test/integration/ingestion-harness.js';
import { connectTemporal } from '../test/support/temporal.js';
import { round } from './support/stats.js';
import type { Benchmark, BenchmarkResult } from './support/types.js';

const FOLDERS = ['Sent', 'INBOX'] as const;

/** The corpus into the sandbox Dovecot (also used by P2E, which reads the same backlog end to end). */
export async function appendCorpus(harness: IngestionHarness, fixtures: Fixtures): Promise<void> {
  const bytes = new Map(fixtures.corpus.files.map((f) => [f.path, f.bytes]));
  // The generator's processing assumption: Sent before INBOX, each in UID order.
  for (const folder of FOLDERS) {
    const mails = fixtures.expected.mails.filter((m) => m.folder === folder);
    const uids = await appendInOrder(
      harness.mail,
      folder,
      mails.map((m) => ({ raw: bytes.get(m.file) ?? Buffer.alloc(0), internalDate: new Date(m.internalDate) })),
    );
    if (uids.some((uid, i) => uid !== mails[i]?.uid)) throw new Error(`${folder}: UIDs differ from the corpus plan`);
  }
}

/** Baseline: every message of both folders, BODY.PEEK[] in ascending UID, each through simpleParser. */
export async function rawFetchAndParse(harness: IngestionHarness): Promise<{ messages: number; ms: number }> {
  const client = collectionMailboxClient(harness.mail);
  const started = performance.now();
  await client.connect();
  let messages = 0;
  try {
    for (const folder of FOLDERS) {
      const lock = await client.getMailboxLock(folderName(folder), { readOnly: true });
      try {
        for await (const message of client.fetch('1:*', { uid: true, source: true }, { uid: true })) {
          await simpleParser(message.source ?? Buffer.alloc(0));
          messages++;
        }
      } finally {
        lock.release();
      }
    }
  } finally {
    await client.logout();
  }
  return { messages, ms: performance.now() - started };
}

/** DISPATCH ingestion: syncMailbox runs per folder (Sent first) until the backlog is drained. */
async function ingest(
  harness: IngestionHarness,
): Promise<{ stored: number; failed: number; runs: number; ms: number; phasesMs: Record<string, number> }> {
  const phasesMs: Record<string, number> = {};
  const onPhase = (phase: string, ms: number): void => {
    phasesMs[phase] = (phasesMs[phase] ?? 0) + ms;
  };
  const started = performance.now();
  let stored = 0;
  let failed = 0;
  let runs = 0;
  for (const key of ['sent', 'inbox'] as const satisfies readonly MailboxFolderKey[]) {
    for (;;) {
      const result = await harness.sync(key, { onPhase });
      runs++;
      stored += result.stored;
      failed += result.failed;
      if (!result.budgetExhausted) break;
    }
  }
  const ms = performance.now() - started;
  for (const phase of Object.keys(phasesMs)) phasesMs[phase] = round(phasesMs[phase] ?? 0);
  return { stored, failed, runs, ms, phasesMs };
}

export const perSecond = (messages: number, ms: number): number => round(messages / (ms / 1000));

export const p2Backlog: Benchmark = {
  id: 'P2',
  title: 'Backlog throughput: 5,000 mails, DISPATCH ingestion vs raw IMAP fetch + parse',
  async run({ quick, log }): Promise<BenchmarkResult> {
    const mails = quick ? 1000 : 5000;
    const fixtures = generateFixtures({ seed: 9202, mails, poles: mails });
    const temporal = await connectTemporal('bench-p2');
    const harness = await startIngestionHarness(temporal.client, temporal.taskQueue);
    try {
      for (const seed of fixtures.expected.seedIssues) {
        await harness.db.pool.query(sql.unsafe`
          INSERT INTO incidents (code, registration_time, is_auto)
          VALUES (${seed.key}, ${sql.timestamp(new Date(seed.createdAt))}, false)`);
      }
      // MAIL-5 with MAIL_INITIAL_BACKFILL_DAYS = 0: the first runs only set the checkpoints.
      await harness.sync('sent');
      await harness.sync('inbox');
      log(`P2: appending ${fixtures.expected.mails.length} mails`);
      await appendCorpus(harness, fixtures);

      log('P2: baseline, raw fetch + simpleParser (cold)');
      const rawCold = await rawFetchAndParse(harness);
      log('P2: DISPATCH ingestion');
      const ingestion = await ingest(harness);
      log('P2: baseline again (warm)');
      const rawWarm = await rawFetchAndParse(harness);

      const rawRate = Math.max(perSecond(rawCold.messages, rawCold.ms), perSecond(rawWarm.messages, rawWarm.ms));
      // Every appended message is read and handled (stored, recorded as a failure or a known duplicate).
      const ingestRate = perSecond(fixtures.expected.mails.length, ingestion.ms);
      const ratio = round(ingestRate / rawRate);
      // The same run without the quiet IDLE/poll periods that end each folder's last run (nothing to do).
      const busyMs = ingestion.ms - (ingestion.phasesMs['quiet-wait'] ?? 0);
      const busyRate = perSecond(fixtures.expected.mails.length, busyMs);
      const busyRatio = round(busyRate / rawRate);
      const baseline = { what: 'raw imapflow BODY.PEEK[] + simpleParser (mails/s, faster of 2 runs)', value: rawRate };
      const count = sql.type(z.object({ n: z.number() }));
      const incidents = await harness.db.pool.oneFirst(count`SELECT count(*) AS n FROM incidents`);
      const emails = await harness.db.pool.oneFirst(count`SELECT count(*) AS n FROM emails`);
      return {
        id: 'P2',
        title: this.title,
        figures: [
          {
            what: 'raw imapflow fetch + simpleParser',
            value: rawRate,
            unit: 'mails/s',
            goal: null,
            baseline: null,
            ratio: null,
            met: null,
          },
          {
            what: 'DISPATCH ingestion (syncMailbox, no Tracker), until the backlog is drained',
            value: busyRate,
            unit: 'mails/s',
            goal: '≥ 25 % of raw (end-to-end goal; this figure is ingestion only)',
            baseline,
            ratio: busyRatio,
            met: busyRatio >= 0.25,
          },
          {
            what: 'DISPATCH ingestion (syncMailbox, no Tracker), including the final quiet periods',
            value: ingestRate,
            unit: 'mails/s',
            goal: '≥ 25 % of raw (end-to-end goal; this figure is ingestion only)',
            baseline,
            ratio,
            met: ratio >= 0.25,
          },
        ],
        raw: {
          mails: fixtures.expected.mails.length,
          rawCold,
          rawWarm,
          ingestion,
          storedEmails: emails,
          incidents,
        },
        notes: [
          `Corpus: generateFixtures seed 9202, ${fixtures.expected.mails.length} mails (INBOX and Sent, every fixture kind, duplicates and unparseable ones included), appended Sent before INBOX in UID order; checkpoints set first by empty MAIL-5 runs (backfill 0 days), so both passes read the same backlog.`,
          'Ingestion is MailboxSync.run (the syncMailbox activity logic) called directly, repeated per folder while its 1000-message budget is exhausted: UID FETCH per batch of 100 (parsed ahead while earlier messages are stored), attachments, one transaction per message (lock, outbox, upsert, thread, incident creation or link), signalWithStart to incident-<id> (16 in flight, in order per incident, after a WAL flush per batch), checkpoint per batch. No worker polls the incident task queue, so the incident workflows and Tracker are NOT part of this figure; issue 9 states the 25 % goal for the end-to-end path including Tracker, which is not measured here.',
          'Each folder run ends on one quiet period of MAIL_POLL_INTERVAL_SECONDS = 1 s with nothing to do (about 2 s in total): the first figure leaves these waits out (time until the backlog is drained), the second includes them. raw.ingestion.phasesMs has the wall time per phase summed over messages (fetch+parse runs ahead, concurrently with store; signal-wait is time spent waiting for signals at batch ends).',
          'Before the issue-9 work (commit 2ecd6c3, same bench): 51.79 mails/s = 0.0383 of raw 1351.97 mails/s; per mail: store transaction 9.0 ms, signalWithStart 3.8 ms, checkpoint 1.4 ms, fetchOne 1.1 ms, failure resolve 1.0 ms, parse 0.5 ms (1000-mail profile).',
          'The baseline ran before (cold) and after (warm Dovecot cache) ingestion; the faster of the two is used, which makes the ratio conservative.',
        ],
      };
    } finally {
      await harness.close();
      await temporal.close();
    }
  },
};
