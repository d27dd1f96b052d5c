// Batched ingestion (issue 9, P2): one UID FETCH per batch, storing strictly in UID order, signals
// running behind (concurrent, in order per incident) and the checkpoint moving once per batch —
// MAIL-4, MAIL-7, MAIL-14 on a backlog spanning several batches, and the pipeline's parts alone.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';

import { MailboxSync, watchedFolders } from '../../src/activities/ingestion.js';
import type { IngestionOptions } from '../../src/activities/ingestion.js';
import { aheadBy, SignalQueue } from '../../src/activities/ingestion-pipeline.js';
import { readCheckpoint } from '../../src/adapters/db/mail-bookkeeping.js';
import { uidSet } from '../../src/adapters/mail/imap-session.js';
import { connectTemporal } from '../support/temporal.js';
import type { TemporalTestContext } from '../support/temporal.js';
import {
  appendInOrder,
  COLLECTION_MAILBOX,
  signalledEmailIds,
  startIngestionHarness,
  storedEmails,
  storedIncidents,
  tableCounts,
} from './ingestion-harness.js';
import type { IngestionHarness } from './ingestion-harness.js';

const CONVERSATIONS = 5;
const REPLIES = 3;
/** 20 messages in batches of 3: the last batch is partial. */
const BATCH: IngestionOptions = { batchSize: 3, signalConcurrency: 3 };

function message(id: string, subject: string, minute: number, inReplyTo?: string): Buffer {
  const lines = [
    'From: noc@operator.ru',
    `To: ${COLLECTION_MAILBOX}`,
    `Subject: ${subject}`,
    `Date: Mon, 24 Nov 2025 10:${String(minute).padStart(2, '0')}:00 +0300`,
    `Message-ID: ${id}`,
    ...(inReplyTo === undefined ? [] : [`In-Reply-To: ${inReplyTo}`, `References: ${inReplyTo}`]),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `нет питания на БС MSK01${minute}`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

/** Roots of the conversations first (UIDs 1–5), then their replies round by round. */
function backlog(run: string): Array<{ raw: Buffer; internalDate: Date }> {
  const mails: Array<{ raw: Buffer; internalDate: Date }> = [];
  for (let round = 0; round <= REPLIES; round++) {
    for (let c = 0; c < CONVERSATIONS; c++) {
      const root = `<root-${run}-${c}@operator.ru>`;
      const minute = round * CONVERSATIONS + c;
      const raw =
        round === 0
          ? message(root, `Авария ${run} ${c}`, minute)
          : message(`<reply-${run}-${c}-${round}@operator.ru>`, `Re: Авария ${run} ${c}`, minute, root);
      mails.push({ raw, internalDate: new Date(Date.UTC(2025, 10, 24, 7, minute)) });
    }
  }
  return mails;
}

let temporal: TemporalTestContext;

beforeAll(async () => {
  temporal = await connectTemporal('ingestion-batch');
}, 60_000);

afterAll(async () => {
  await temporal?.close();
});

describe('batched ingestion against Dovecot', () => {
  let harness: IngestionHarness;

  beforeAll(async () => {
    harness = await startIngestionHarness(temporal.client, temporal.taskQueue);
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
  });

  const syncWith = (client: Client, options: IngestionOptions) => {
    const folder = watchedFolders(harness.config).find((f) => f.key === 'inbox');
    if (folder === undefined) throw new Error('no inbox');
    const deps = { config: harness.config, db: harness.db.pool, log: harness.log.logger, temporal: client };
    return new MailboxSync(deps, folder, { heartbeat: () => undefined, progress: undefined }, options).run();
  };

  test('MAIL-7 / MAIL-14 / MAIL-4: a backlog over several batches is stored in UID order, every linked e-mail reaches its workflow in UID order, the checkpoint ends on the last UID', async () => {
    await harness.sync('inbox'); // MAIL-5 first run, backfill 0 days: checkpoint only
    const uids = await appendInOrder(harness.mail, 'INBOX', backlog('a'));

    const result = await harness.sync('inbox', BATCH);

    expect(result).toMatchObject({ stored: 20, failed: 0, lastUid: uids.at(-1), budgetExhausted: false });
    const emails = await storedEmails(harness);
    // MAIL-7: rows were written one at a time in ascending UID order.
    expect(emails.map((e) => e.uid)).toEqual(uids);
    const incidents = await storedIncidents(harness);
    expect(incidents).toHaveLength(CONVERSATIONS);
    for (const incident of incidents) {
      const linked = emails.filter((e) => e.incident_id === incident.id).map((e) => e.id);
      expect(linked).toHaveLength(REPLIES + 1);
      // The earlier message (the root) opened the incident.
      expect(incident.primary_email_id).toBe(linked[0]);
      expect(await signalledEmailIds(temporal.client, incident.id)).toEqual(linked);
    }
    expect((await readCheckpoint(harness.db.pool, 'INBOX'))?.lastUid).toBe(uids.at(-1));
  }, 120_000);

  test('MAIL-4: a signal that fails stops the run with the checkpoint before its batch; the re-run stores nothing twice and every linked e-mail reaches its workflow', async () => {
    const uids = await appendInOrder(harness.mail, 'INBOX', backlog('b'));
    const seventh = uids[6] ?? 0;
    const uidOf = sql.type(z.object({ uid: z.number() }));
    // Temporal refuses every signal of the third batch's messages and later ones.
    const failing = {
      workflow: {
        signalWithStart: async (...args: Parameters<Client['workflow']['signalWithStart']>) => {
          const [, options] = args;
          const emailId = (options.signalArgs as [{ emailId: number }])[0].emailId;
          const uid = await harness.db.pool.oneFirst(uidOf`SELECT uid FROM emails WHERE id = ${emailId}`);
          if (uid >= seventh) throw new Error('Temporal unavailable');
          return temporal.client.workflow.signalWithStart(...args);
        },
      },
    } as unknown as Client;

    await expect(syncWith(failing, BATCH)).rejects.toThrow('Temporal unavailable');
    // The first two batches were signalled completely; the third was not.
    expect((await readCheckpoint(harness.db.pool, 'INBOX'))?.lastUid).toBe(uids[5]);

    const rerun = await syncWith(temporal.client, BATCH);

    expect(rerun).toMatchObject({ failed: 0, lastUid: uids.at(-1) });
    const counts = await tableCounts(harness);
    expect(counts).toMatchObject({ emails: 40, incidents: 2 * CONVERSATIONS, mail_failures: 0 });
    const emails = (await storedEmails(harness)).filter((e) => e.message_id.includes('-b-'));
    expect(emails.map((e) => e.uid)).toEqual(uids);
    const incidentIds = [...new Set(emails.map((e) => e.incident_id))];
    expect(incidentIds).toHaveLength(CONVERSATIONS);
    for (const incidentId of incidentIds) {
      if (incidentId === null) throw new Error('an e-mail of the backlog stayed unlinked');
      const linked = emails.filter((e) => e.incident_id === incidentId).map((e) => e.id);
      const signalled = await signalledEmailIds(temporal.client, incidentId);
      expect([...new Set(signalled)].sort((a, b) => a - b)).toEqual(linked);
    }
  }, 120_000);

  test('MAIL-13 / MAIL-17: when the database refuses one message of a batch, only that one becomes a failure; the others are stored, linked and signalled', async () => {
    // A stand-in for a row the database refuses (the parser already cleans what it can).
    await harness.db.pool.query(sql.unsafe`
      CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.message_id = '<poison@operator.ru>' THEN
          RAISE EXCEPTION 'refused' USING ERRCODE = '23514';
        END IF;
        RETURN NEW;
      END $$`);
    await harness.db.pool.query(sql.unsafe`
      CREATE TRIGGER refuse_poison BEFORE INSERT ON emails FOR EACH ROW EXECUTE FUNCTION refuse_poison()`);
    const mails = [
      message('<c-1@operator.ru>', 'Авария c 1', 1),
      message('<c-2@operator.ru>', 'Re: Авария c 1', 2, '<c-1@operator.ru>'),
      message('<poison@operator.ru>', 'Авария c 3', 3),
      message('<c-4@operator.ru>', 'Re: Авария c 1', 4, '<c-1@operator.ru>'),
    ].map((raw, i) => ({ raw, internalDate: new Date(Date.UTC(2025, 10, 25, 7, i)) }));
    const uids = await appendInOrder(harness.mail, 'INBOX', mails);

    const result = await syncWith(temporal.client, { batchSize: 10 });

    expect(result).toMatchObject({ stored: 3, failed: 1, lastUid: uids.at(-1) });
    const failures = await harness.db.pool.any(
      sql.type(z.object({ uid: z.number(), message_id: z.string().nullable(), error: z.string() }))`
        SELECT uid, message_id, error FROM mail_failures`,
    );
    expect(failures.map((f) => [f.uid, f.message_id, f.error.startsWith('storage error:')])).toEqual([
      [uids[2], '<poison@operator.ru>', true],
    ]);
    const emails = (await storedEmails(harness)).filter((e) => e.message_id.startsWith('<c-'));
    expect(emails.map((e) => e.uid)).toEqual([uids[0], uids[1], uids[3]]);
    const incidentId = emails[0]?.incident_id ?? null;
    expect(emails.map((e) => e.incident_id)).toEqual([incidentId, incidentId, incidentId]);
    if (incidentId === null) throw new Error('the conversation opened no incident');
    expect(await signalledEmailIds(temporal.client, incidentId)).toEqual(emails.map((e) => e.id));
  }, 120_000);
});

describe('pipeline parts', () => {
  test('MAIL-7: a UID FETCH set compresses consecutive UIDs and ignores order and repeats', () => {
    expect(uidSet([7, 1, 2, 3, 5, 8, 3])).toBe('1:3,5,7:8');
    expect(uidSet([42])).toBe('42');
  });

  test('MAIL-14: signals run at most N at a time and one after another per incident, in the order added', async () => {
    const queue = new SignalQueue(2);
    const events: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const task = (name: string, ms: number) => async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      events.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      events.push(`end ${name}`);
      inFlight--;
    };
    await Promise.all([
      queue.add(1, task('1a', 60)),
      queue.add(2, task('2a', 10)),
      queue.add(1, task('1b', 10)),
      queue.add(3, task('3a', 10)),
      queue.add(2, task('2b', 10)),
    ]);
    expect(maxInFlight).toBe(2);
    expect(events.indexOf('start 1b')).toBeGreaterThan(events.indexOf('end 1a'));
    expect(events.indexOf('start 2b')).toBeGreaterThan(events.indexOf('end 2a'));
    expect(events.filter((e) => e.startsWith('end'))).toHaveLength(5);
  });

  test('MAIL-4: a failed signal rejects its own promise and is reported by throwIfFailed; later signals of the incident still run', async () => {
    const queue = new SignalQueue(4);
    const ran: string[] = [];
    const failed = queue.add(7, () => Promise.reject(new Error('refused')));
    const next = queue.add(7, () => {
      ran.push('after');
      return Promise.resolve();
    });
    await expect(failed).rejects.toThrow('refused');
    await next;
    expect(ran).toEqual(['after']);
    expect(() => queue.throwIfFailed()).toThrow('refused');
  });

  test('read-ahead yields every item in order and stops the source when the consumer stops', async () => {
    const pulled: number[] = [];
    const closed: boolean[] = [];
    async function* source() {
      try {
        for (let i = 1; i <= 100; i++) {
          pulled.push(i);
          yield await Promise.resolve(i);
        }
      } finally {
        closed.push(true);
      }
    }
    const all: number[] = [];
    for await (const item of aheadBy(source(), 4)) all.push(item);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));

    pulled.length = 0;
    closed.length = 0;
    const seen: number[] = [];
    for await (const item of aheadBy(source(), 4)) {
      seen.push(item);
      if (item === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(closed).toEqual([true]);
    // Never more than the read-ahead depth beyond what the consumer took.
    expect(pulled.length).toBeLessThanOrEqual(3 + 4 + 1);
  });
});
