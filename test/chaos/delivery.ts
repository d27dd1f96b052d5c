// Delivers the generated mailbox over time through IMAP APPEND, in the generator's delivery order.
// The expected outcome assumes each folder is processed in UID order and that a folder's mails are
// processed before the other folder's later ones (fixtures PROCESSING_ASSUMPTION): at each switch
// of folder the run waits until the watchers' checkpoint has passed what was appended.
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { ExpectedMail, Fixtures } from '../../src/sandbox/fixtures/index.js';
import type { MailServers } from '../../src/sandbox/mail/index.js';
import { appendInOrder } from '../integration/ingestion-harness.js';

export interface DeliveryOptions {
  fixtures: Fixtures;
  mail: () => MailServers;
  db: () => DatabasePool;
  /** Spread the mails over about this long. */
  durationMs: number;
  random: () => number;
  /** Held while appending: a mail-server restart must not cut an APPEND in half. */
  exclusive: <T>(work: () => Promise<T>) => Promise<T>;
  log: (line: string) => void;
}

export interface Delivered {
  /** UID each appended mail got, by expected mail id. */
  uids: Map<string, number>;
  /** Folder-switch waits that ran out (the outcome may then differ from the expectation). */
  orderWaitTimeouts: number;
}

const checkpointRow = z.object({ last_uid: z.number() });

async function checkpointOf(db: DatabasePool, folder: string): Promise<number> {
  const row = await db.maybeOne(
    sql.type(checkpointRow)`SELECT last_uid FROM mail_folder_checkpoints WHERE folder_name = ${folder}`,
  );
  return row?.last_uid ?? 0;
}

/** Waits until the watchers processed `uid` in `folder` (the database may be restarting meanwhile). */
export async function waitForCheckpoint(
  db: () => DatabasePool,
  folder: string,
  uid: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await checkpointOf(db(), folder)) >= uid) return true;
    } catch {
      // PostgreSQL restarting
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

/** Consecutive mails of one folder, cut into small batches. */
function batches(mails: ExpectedMail[], random: () => number): ExpectedMail[][] {
  const out: ExpectedMail[][] = [];
  let current: ExpectedMail[] = [];
  let size = 1 + Math.floor(random() * 6);
  for (const mail of mails) {
    if (current.length > 0 && (current[0]?.folder !== mail.folder || current.length >= size)) {
      out.push(current);
      current = [];
      size = 1 + Math.floor(random() * 6);
    }
    current.push(mail);
  }
  if (current.length > 0) out.push(current);
  return out;
}

export async function deliverMailbox(options: DeliveryOptions): Promise<Delivered> {
  const { fixtures, random, log } = options;
  const bytes = new Map(fixtures.corpus.files.map((f) => [f.path, f.bytes]));
  const ordered = [...fixtures.expected.mails].sort((a, b) => a.deliveryIndex - b.deliveryIndex);
  const plan = batches(ordered, random);
  const uids = new Map<string, number>();
  const lastUid = new Map<string, number>();
  let orderWaitTimeouts = 0;
  let previousFolder: string | null = null;
  const pause = options.durationMs / Math.max(1, plan.length);
  for (const batch of plan) {
    const folder = batch[0]?.folder as 'INBOX' | 'Sent';
    if (previousFolder !== null && previousFolder !== folder) {
      const target = lastUid.get(previousFolder) ?? 0;
      if (!(await waitForCheckpoint(options.db, previousFolder, target, 180_000))) {
        orderWaitTimeouts += 1;
        log(`delivery: ${previousFolder} checkpoint did not reach uid ${target} in 180 s`);
      }
    }
    previousFolder = folder;
    const assigned = await appendWithRetry(options, folder, batch, bytes);
    batch.forEach((mail, i) => uids.set(mail.id, assigned[i] ?? -1));
    lastUid.set(folder, Math.max(lastUid.get(folder) ?? 0, ...assigned));
    await new Promise((r) => setTimeout(r, pause * (0.5 + random())));
  }
  return { uids, orderWaitTimeouts };
}

async function appendWithRetry(
  options: DeliveryOptions,
  folder: 'INBOX' | 'Sent',
  batch: ExpectedMail[],
  bytes: Map<string, Buffer>,
): Promise<number[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await options.exclusive(() =>
        appendInOrder(
          options.mail(),
          folder,
          batch.map((m) => ({ raw: bytes.get(m.file) ?? Buffer.alloc(0), internalDate: new Date(m.internalDate) })),
        ),
      );
    } catch (error) {
      // Only a connection failure before the first APPEND is retried; the lock keeps restarts out.
      if (attempt >= 5) throw error;
      options.log(`delivery: append to ${folder} failed (${String(error)}); retrying`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}
