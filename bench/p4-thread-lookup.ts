// P4: thread resolution per incoming mail (MAIL-13 / THREAD-1…8: storeAndRouteEmail = upsert, the
// recursive thread query, resolveThread, linking) with 10,000 vs 1,000,000 stored e-mails. Goal: the
// time per mail grows at most 2× when the mailbox grows 100×.
import { sql } from 'slonik';

import { loadThread } from '../src/adapters/db/emails.js';
import { storeAndRouteEmail } from '../src/adapters/db/emails-routing.js';
import { parseRawMessage } from '../src/adapters/mail/parse-message.js';
import type { ParsedEmail } from '../src/adapters/mail/parse-message.js';
import { createTestDatabase } from '../test/support/db.js';
import type { TestDatabase } from '../test/support/db.js';
import { round, summarize } from './support/stats.js';
import type { LatencySummary } from './support/stats.js';
import type { Benchmark, BenchmarkResult } from './support/types.js';

/** Synthetic conversations of this many mails: a root and replies, each referencing root and parent. */
const THREAD_SIZE = 5;
const mid = (n: number): string => `<bench.${n}@operator.ru>`;

// Bulk rows take ids above this; the probes get theirs from the identity sequence (1, 2, …).
const BULK_ID_BASE = 100_000_000;

/** Stores e-mails number `from`…`to - 1` (id BULK_ID_BASE + n) with In-Reply-To and References, in SQL. */
async function bulkInsert(db: TestDatabase, from: number, to: number): Promise<void> {
  const chunk = 100_000;
  for (let start = from; start < to; start += chunk) {
    const end = Math.min(to, start + chunk) - 1;
    await db.pool.query(sql.unsafe`
      INSERT INTO emails (id, message_id, in_reply_to, subject, from_address, effective_date, folder_role,
                          classification, body)
      SELECT ${BULK_ID_BASE}::bigint + g, format('<bench.%s@operator.ru>', g),
             CASE WHEN g % ${THREAD_SIZE} <> 0 THEN format('<bench.%s@operator.ru>', g - 1) END,
             'Авария на опоре ' || (g / ${THREAD_SIZE}), 'noc@operator.ru',
             timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second', 'INBOX', 'normal',
             'нет питания'
      FROM generate_series(${start}::int, ${end}::int) g`);
    await db.pool.query(sql.unsafe`
      INSERT INTO email_references (email_id, position, ref_message_id)
      SELECT ${BULK_ID_BASE}::bigint + g, 0, format('<bench.%s@operator.ru>', g - g % ${THREAD_SIZE})
      FROM generate_series(${start}::int, ${end}::int) g WHERE g % ${THREAD_SIZE} <> 0
      UNION ALL
      SELECT ${BULK_ID_BASE}::bigint + g, 1, format('<bench.%s@operator.ru>', g - 1)
      FROM generate_series(${start}::int, ${end}::int) g WHERE g % ${THREAD_SIZE} > 1`);
  }
  await db.pool.query(sql.unsafe`ANALYZE emails`);
  await db.pool.query(sql.unsafe`ANALYZE email_references`);
}

/** A reply to the last mail of a stored conversation, parsed as the ingestion activity does. */
function replyTo(thread: number, probe: string): ParsedEmail {
  const root = thread * THREAD_SIZE;
  const last = root + THREAD_SIZE - 1;
  const raw = [
    'From: noc@operator.ru',
    'To: disp@example.ru',
    `Subject: Re: Авария на опоре ${thread}`,
    'Date: Thu, 15 Jan 2026 10:00:00 +0000',
    `Message-ID: <probe.${probe}@operator.ru>`,
    `In-Reply-To: ${mid(last)}`,
    `References: ${mid(root)} ${mid(last)}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'питание восстановлено',
    '',
  ].join('\r\n');
  const parsed = parseRawMessage(Buffer.from(raw, 'utf8'), {
    folderRole: 'INBOX',
    folderName: 'INBOX',
    uid: 1,
    uidValidity: 1,
    internalDate: new Date('2026-01-15T10:00:00Z'),
    ownAddress: 'disp@example.ru',
    queueKey: 'AVRSERVICE',
    maxDateSkewHours: 24,
  });
  if (!('subject' in parsed)) throw new Error(`P4: probe mail does not parse: ${JSON.stringify(parsed)}`);
  return parsed;
}

interface Measured {
  route: LatencySummary;
  loadThread: LatencySummary;
}

/** Probes spread over the stored conversations (deterministic), each a new reply. */
async function measure(db: TestDatabase, stored: number, probes: number, tag: string): Promise<Measured> {
  const threads = Math.floor(stored / THREAD_SIZE);
  const pick = (i: number): number => Math.floor((((i * 7919 + 13) % 1000) / 1000) * threads);
  const options = { queue: 'AVRSERVICE', senderAllowList: [] };
  for (let i = 0; i < 10; i++)
    await storeAndRouteEmail(db.pool, replyTo(pick(i + probes), `${tag}.warm.${i}`), options);
  const route: number[] = [];
  const lookup: number[] = [];
  for (let i = 0; i < probes; i++) {
    const thread = pick(i);
    const email = replyTo(thread, `${tag}.${i}`);
    const s = performance.now();
    const result = await storeAndRouteEmail(db.pool, email, options);
    route.push(performance.now() - s);
    if (result.incidentId === null) throw new Error(`P4: probe ${i} was not linked (${result.reason})`);
    const t = performance.now();
    const thread2 = await loadThread(db.pool, [email.messageId]);
    lookup.push(performance.now() - t);
    // The stored conversation plus this reply (and any earlier probe into the same conversation).
    if (thread2.length < THREAD_SIZE + 1) {
      throw new Error(`P4: probe ${i} thread has ${thread2.length} mails`);
    }
  }
  return { route: summarize(route), loadThread: summarize(lookup) };
}

export const p4ThreadLookup: Benchmark = {
  id: 'P4',
  title: 'Thread resolution per incoming mail, 10,000 vs 1,000,000 stored e-mails',
  async run({ quick, log }): Promise<BenchmarkResult> {
    const small = 10_000;
    const large = quick ? 300_000 : 1_000_000;
    const probes = quick ? 100 : 300;
    const db = await createTestDatabase('bench_p4');
    try {
      log(`P4: storing ${small} e-mails`);
      await bulkInsert(db, 0, small);
      const atSmall = await measure(db, small, probes, 'small');
      log(`P4: growing to ${large} e-mails`);
      const t0 = performance.now();
      await bulkInsert(db, small, large);
      const loadSeconds = (performance.now() - t0) / 1000;
      const atLarge = await measure(db, large, probes, 'large');
      const growth = atLarge.route.mean / atSmall.route.mean;
      const lookupGrowth = atLarge.loadThread.mean / atSmall.loadThread.mean;
      return {
        id: 'P4',
        title: this.title,
        figures: [
          {
            what: `storeAndRouteEmail per mail at ${large.toLocaleString('en')} stored (mean)`,
            value: atLarge.route.mean,
            unit: 'ms',
            goal: '≤ 2× the 10,000 figure',
            baseline: { what: 'same at 10,000 stored (mean, ms)', value: atSmall.route.mean },
            ratio: round(growth),
            met: growth <= 2,
          },
          {
            what: `recursive thread query alone at ${large.toLocaleString('en')} stored (mean)`,
            value: atLarge.loadThread.mean,
            unit: 'ms',
            goal: '≤ 2× the 10,000 figure',
            baseline: { what: 'same at 10,000 stored (mean, ms)', value: atSmall.loadThread.mean },
            ratio: round(lookupGrowth),
            met: lookupGrowth <= 2,
          },
        ],
        raw: {
          threadSize: THREAD_SIZE,
          probes,
          small: { stored: small, ...atSmall },
          large: { stored: large, ...atLarge, bulkLoadSeconds: round(loadSeconds) },
        },
        notes: [
          `Synthetic conversations of ${THREAD_SIZE} stored mails (root + replies, each with In-Reply-To and References), bulk-inserted with generate_series; each probe is a new reply parsed by parseRawMessage and stored through storeAndRouteEmail (one transaction, advisory lock, upsert, recursive thread query, resolveThread, incident creation or link), then its thread is loaded once more with loadThread alone.`,
          ...(quick ? [`Quick mode: ${large.toLocaleString('en')} instead of 1,000,000 stored e-mails.`] : []),
        ],
      };
    } finally {
      await db.drop();
    }
  },
};
