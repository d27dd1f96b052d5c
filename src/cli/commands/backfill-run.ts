// MAIL-17 backfill: re-read a folder's messages with INTERNALDATE ≥ since (read-only, MAIL-2) and
// run each through the ingestion building blocks — parseRawMessage (MAIL-9…12), the attachment
// blobs (ATT-3), storeAndRouteEmail (MAIL-13, THREAD) and the incident signals (MAIL-14). Stored
// Message-IDs are skipped (MAIL-8), so a backfill only adds what is missing. The folder checkpoint
// and the mail-failure records stay the watcher's: an unreadable message is only counted here.
import type { Client } from '@temporalio/client';
import { unstoredMessageIds } from '../../adapters/db/cli-maintenance.js';
import { storeAndRouteEmail } from '../../adapters/db/emails-routing.js';
import type { DbPool } from '../../adapters/db/pool.js';
import { storeAttachmentBlobs } from '../../adapters/mail/attachment-store.js';
import { ImapFolderSession, type ImapSettings } from '../../adapters/mail/imap-session.js';
import { parseRawMessage } from '../../adapters/mail/parse-message.js';
import type { WatchedFolder } from '../../activities/ingestion.js';
import type { Config } from '../../config/load.js';
import type { Logger } from '../../logger.js';
import { incidentWorkflow, mailSignal } from '../../workflows/incident.js';
import { incidentStartOptions } from '../../workflows/signals.js';

export interface BackfillProgress {
  done: number;
  total: number;
  /** Messages whose Message-ID was not stored: stored now (or, in a dry run, that would be). */
  fresh: number;
}

export interface BackfillFailure {
  uid: number;
  messageId: string | null;
  reason: string;
}

export interface BackfillSummary {
  folder: string;
  role: WatchedFolder['role'];
  since: string;
  dryRun: boolean;
  /** Messages in the folder with INTERNALDATE ≥ since. */
  messages: number;
  /** Not stored before this run (dry run: would be stored). */
  fresh: number;
  alreadyStored: number;
  /** Messages that could not be parsed or stored. */
  failures: BackfillFailure[];
  /** Gone from the folder before they could be read. */
  vanished: number;
}

export interface BackfillInput {
  config: Config;
  db: DbPool;
  temporal: Client;
  log: Logger;
  folder: WatchedFolder;
  since: Date;
  dryRun: boolean;
  /** Extra IMAP settings (e.g. short timeouts). */
  imap?: Partial<ImapSettings>;
  onProgress?: (progress: BackfillProgress) => void;
}

type Outcome = { kind: 'new' | 'known' | 'vanished' } | { kind: 'failed'; failure: BackfillFailure };

export async function runBackfill(input: BackfillInput): Promise<BackfillSummary> {
  const { config, folder } = input;
  const { imap, login, password } = config.mail;
  const session = await ImapFolderSession.open(
    {
      host: imap.host,
      port: imap.port,
      secure: imap.secure,
      startTls: imap.startTls,
      user: login,
      password,
      ...input.imap,
    },
    folder.name,
  );
  const summary: BackfillSummary = {
    folder: folder.name,
    role: folder.role,
    since: input.since.toISOString(),
    dryRun: input.dryRun,
    messages: 0,
    fresh: 0,
    alreadyStored: 0,
    failures: [],
    vanished: 0,
  };
  try {
    const uids = await session.uidsReceivedSince(input.since);
    summary.messages = uids.length;
    let done = 0;
    for (const uid of uids) {
      const outcome = await backfillOne(input, session, uid);
      if (outcome.kind === 'failed') summary.failures.push(outcome.failure);
      else if (outcome.kind === 'new') summary.fresh++;
      else if (outcome.kind === 'known') summary.alreadyStored++;
      else summary.vanished++;
      input.onProgress?.({ done: ++done, total: uids.length, fresh: summary.fresh });
    }
    return summary;
  } finally {
    await session.close();
  }
}

async function backfillOne(input: BackfillInput, session: ImapFolderSession, uid: number): Promise<Outcome> {
  const { config, db, folder } = input;
  const log = input.log.child({ folder: folder.name, uid, uidValidity: session.uidValidity });
  const message = await session.fetch(uid);
  if (message === null) return { kind: 'vanished' };
  const parsed = parseRawMessage(message.raw, {
    folderRole: folder.role,
    folderName: folder.name,
    uid,
    uidValidity: session.uidValidity,
    internalDate: message.internalDate,
    ownAddress: config.mail.login,
    queueKey: config.tracker.queue,
    senderDeny: config.mail.senders.deny,
    maxDateSkewHours: config.mail.ingestion.dateMaxSkewHours,
    messageIdDomain: config.mail.messageIdDomain,
    attachmentMaxStoreBytes: config.attachments.maxStoreBytes,
  });
  if (!parsed.ok) {
    log.warn({ messageId: parsed.messageId, reason: parsed.reason }, 'backfill: message cannot be parsed');
    return { kind: 'failed', failure: { uid, messageId: parsed.messageId, reason: parsed.reason } };
  }
  // MAIL-8: a stored Message-ID is left as it is.
  if ((await unstoredMessageIds(db, [parsed.messageId])).length === 0) return { kind: 'known' };
  if (input.dryRun) return { kind: 'new' };

  const mailLog = log.child({ messageId: parsed.messageId });
  let result;
  try {
    await storeAttachmentBlobs(config.attachments.dir, parsed.attachments);
    result = await storeAndRouteEmail(db, parsed, {
      queue: config.tracker.queue,
      senderAllowList: config.mail.senders.allow,
    });
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    mailLog.warn({ reason }, 'backfill: message cannot be stored');
    return { kind: 'failed', failure: { uid, messageId: parsed.messageId, reason } };
  }
  mailLog.info(
    { emailId: result.emailId, incidentId: result.incidentId ?? undefined, classification: result.classification },
    result.inserted ? 'backfill: e-mail stored' : 'backfill: e-mail already stored (MAIL-8)',
  );
  for (const conflict of result.conflicts) {
    mailLog.warn(
      { alert: 'thread_conflict', ...conflict },
      'thread conflict: e-mail linked to one of several incidents',
    );
  }
  // MAIL-14: the incident workflows learn about their new e-mails; repeating is harmless.
  for (const { incidentId, emailId } of result.signals) {
    await input.temporal.workflow.signalWithStart(incidentWorkflow, {
      ...incidentStartOptions(incidentId, config.temporal.taskQueue, 'e-mail'),
      signal: mailSignal,
      signalArgs: [{ emailId }],
    });
  }
  return { kind: result.inserted ? 'new' : 'known' };
}
