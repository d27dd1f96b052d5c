// Mail ingestion activities (SPEC §7–§10): `syncMailbox` watches one folder for a while — first run
// (MAIL-5), UIDVALIDITY change (MAIL-6), due failure retries (MAIL-17), then every UID above the
// checkpoint in ascending order (MAIL-3, MAIL-7) — and returns after one quiet IDLE/poll period so
// the mailbox workflow loops. Each message: parse → blobs (ATT-3) → one DB transaction (MAIL-13) →
// signal the incident workflows (MAIL-14) → checkpoint (MAIL-4).
//
// Throughput (issue 9, P2): messages are fetched in batches by one UID FETCH and parsed ahead while
// earlier ones are stored; storing stays strictly sequential in UID order on one held connection
// (MAIL-7, THREAD-1); signals run concurrently (bounded, in order per incident) after each commit;
// the checkpoint moves once per batch, only over messages whose signals have completed (MAIL-4).

import { performance } from 'node:perf_hooks';

import { Context } from '@temporalio/activity';
import type { CommonQueryMethods } from 'slonik';
import {
  BackendTerminatedError,
  CheckIntegrityConstraintViolationError,
  DataIntegrityError,
  IntegrityConstraintViolationError,
  InvalidInputError,
  SchemaValidationError,
} from 'slonik';

import type { Config } from '../config/load.js';
import { storeAndRouteEmail } from '../adapters/db/emails-routing.js';
import type { IncidentSignal, RoutingResult } from '../adapters/db/emails-routing.js';
import { emailIdByMessageId } from '../adapters/db/emails.js';
import {
  advanceCheckpoint,
  dueMailFailures,
  flushIngestionCommits,
  readCheckpoint,
  recordMailFailure,
  resolveMailFailure,
  unresolvedFailureUids,
} from '../adapters/db/mail-bookkeeping.js';
import type { WatchedFolderRole } from '../adapters/db/mail-bookkeeping.js';
import type { DbPool } from '../adapters/db/pool.js';
import { storeAttachmentBlobs } from '../adapters/mail/attachment-store.js';
import { ImapFolderSession } from '../adapters/mail/imap-session.js';
import type { FetchedMessage, ImapSettings } from '../adapters/mail/imap-session.js';
import { parseRawMessage } from '../adapters/mail/parse-message.js';
import type { ParsedEmail } from '../adapters/mail/parse-message.js';
import { createAlerts } from '../adapters/telegram/alerts.js';
import type { Alerts } from '../adapters/telegram/alerts.js';
import type { Logger } from '../logger.js';
import { incidentWorkflow, mailSignal } from '../workflows/incident.js';
import { incidentStartOptions } from '../workflows/signals.js';
import type { ActivityDependencies } from './index.js';
import { aheadBy, SignalQueue } from './ingestion-pipeline.js';

export type MailboxFolderKey = 'inbox' | 'sent';

export interface WatchedFolder {
  key: MailboxFolderKey;
  /** As configured (modified UTF-7 allowed, MAIL-1). */
  name: string;
  role: WatchedFolderRole;
}

/** MAIL-1: the two watched folders. */
export function watchedFolders(config: Config): WatchedFolder[] {
  return [
    { key: 'inbox', name: config.mail.imap.inboxFolder, role: 'INBOX' },
    { key: 'sent', name: config.mail.imap.sentFolder, role: 'SENT' },
  ];
}

export interface SyncMailboxInput {
  folderKey: MailboxFolderKey;
}

export interface SyncMailboxResult {
  folder: string;
  uidValidity: number;
  lastUid: number;
  stored: number;
  failed: number;
  /** True when the run ended because it reached its message budget (more may be waiting). */
  budgetExhausted: boolean;
}

/** MAIL-16: how long a watcher may fail to connect before the alert. */
export const IMAP_DOWN_ALERT_AFTER_MS = 15 * 60_000;

/** Progress a retried attempt resumes from (heartbeat details). */
export interface SyncProgress {
  /** When this activity last had a working IMAP session (MAIL-16 counts failures from then). */
  connectedAt?: number;
  /** MAIL-5 backfill / MAIL-6 rescan: the last UID handled in that pass. */
  pass?: { kind: 'backfill' | 'rescan'; uidValidity: number; uid: number };
}

export interface IngestionOptions {
  /** Extra IMAP settings (tests: the sandbox CA, short timeouts). */
  imap?: Partial<ImapSettings>;
  /** Messages per activity run before it returns to the workflow. Default 1000. */
  maxMessagesPerRun?: number;
  /** Messages per UID FETCH and per checkpoint update. Default 100. */
  batchSize?: number;
  /** signalWithStart calls in flight at once (in order per incident). Default 16. */
  signalConcurrency?: number;
  now?: () => Date;
  /** Profiling (bench P2): wall time per phase of the message path, in ms. */
  onPhase?: (phase: IngestionPhase, ms: number) => void;
}

export type IngestionPhase = 'fetch+parse' | 'store' | 'signal-wait' | 'checkpoint' | 'quiet-wait';

/** A message of a batch as the storing side receives it, in UID order. */
type Prepared =
  | { uid: number; kind: 'vanished' }
  | { uid: number; kind: 'unparseable'; messageId: string | null; reason: string }
  | {
      uid: number;
      kind: 'parsed';
      email: ParsedEmail;
      warnings: readonly string[];
      /** ATT-3 blob write failure, handled in UID order with the message. */
      blobError: { error: unknown } | null;
    };

/** The outcome of one message and the e-mail ids its incident workflows must receive (MAIL-14). */
interface Handled {
  outcome: Outcome;
  signals: IncidentSignal[];
  /** Its transaction committed asynchronously: flush before signalling. */
  asyncCommit: boolean;
}

type Connection = Parameters<Parameters<DbPool['connect']>[0]>[0];

interface Runtime {
  heartbeat(progress: SyncProgress): void;
  progress: SyncProgress | undefined;
  /** Rejects when the activity is cancelled (e.g. worker shutdown): the session is closed at once. */
  cancelled?: Promise<never>;
}

type Outcome = 'stored' | 'failed' | 'skipped';

/** Slonik errors caused by the message's data (not by the database being unreachable). */
function isMessageDataError(error: unknown): boolean {
  if (
    error instanceof IntegrityConstraintViolationError ||
    error instanceof CheckIntegrityConstraintViolationError ||
    error instanceof DataIntegrityError ||
    error instanceof InvalidInputError ||
    error instanceof SchemaValidationError
  ) {
    return true;
  }
  if (error instanceof BackendTerminatedError) return false;
  // Errors may come from another realm (test VMs): walk the cause chain by shape, not by class.
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const { code, cause } = e as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)) return true;
    e = cause;
  }
  return false;
}

/** Node file-system errors (ATT-3 blob writes) carry an `E…` code and a syscall. */
function isFileSystemError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) && typeof syscall === 'string';
}

function errorText(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return `${typeof name === 'string' ? name : 'Error'}: ${typeof message === 'string' ? message : ''}`;
  }
  return String(error);
}

/** One folder, one IMAP session: everything `syncMailbox` does, with the Temporal context passed in. */
export class MailboxSync {
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly alerts: Alerts;
  private progress: SyncProgress;
  private stored = 0;
  private failed = 0;

  constructor(
    private readonly deps: {
      config: Config;
      db: DbPool;
      log: Logger;
      temporal: ActivityDependencies['temporal'];
      alerts?: Alerts;
    },
    private readonly folder: WatchedFolder,
    private readonly runtime: Runtime,
    private readonly options: IngestionOptions = {},
  ) {
    this.log = deps.log.child({ folder: folder.name, folderRole: folder.role });
    this.now = options.now ?? (() => new Date());
    this.alerts = deps.alerts ?? createAlerts({ config: deps.config, db: deps.db, log: deps.log });
    this.progress = { ...(runtime.progress ?? {}) };
  }

  private imapSettings(): ImapSettings {
    const { imap, login, password } = this.deps.config.mail;
    return {
      host: imap.host,
      port: imap.port,
      secure: imap.secure,
      startTls: imap.startTls,
      user: login,
      password,
      ...this.options.imap,
    };
  }

  private beat(update: Partial<SyncProgress> = {}): void {
    this.progress = { ...this.progress, ...update };
    this.runtime.heartbeat(this.progress);
  }

  async run(): Promise<SyncMailboxResult> {
    let session: ImapFolderSession;
    try {
      session = await ImapFolderSession.open(this.imapSettings(), this.folder.name);
    } catch (error) {
      await this.reportConnectFailure(error);
      throw error;
    }
    this.beat({ connectedAt: this.now().getTime() });
    // MAIL-16 / ALERT-2: one recovery message if this folder's watcher was reported down.
    await this.alerts.recovered(
      'imap_down',
      this.folder.name,
      `Папка ${this.folder.name}: подключение к IMAP восстановлено.`,
    );
    // Closing the session ends an IDLE wait with an error, so a shutdown never waits for the poll period.
    this.runtime.cancelled?.catch(() => session.abort());
    // Keeps the heartbeat going while waiting in IDLE, so a dead worker is noticed quickly.
    const ticker = setInterval(() => this.beat({ connectedAt: this.now().getTime() }), 2_000);
    try {
      return await this.syncWith(session);
    } finally {
      clearInterval(ticker);
      await session.close();
    }
  }

  /** MAIL-16: an error line with the alert after 15 minutes without a working connection. */
  private async reportConnectFailure(error: unknown): Promise<void> {
    const since = this.progress.connectedAt ?? this.attemptStartedAt();
    const failingForMs = this.now().getTime() - since;
    const fields = { err: errorText(error), failingForMinutes: Math.floor(failingForMs / 60_000) };
    if (failingForMs >= IMAP_DOWN_ALERT_AFTER_MS) {
      this.log.error({ ...fields, alert: 'imap_down' }, 'mailbox watcher cannot connect to IMAP for 15 minutes');
      await this.alerts.alert({
        level: 'error',
        kind: 'imap_down',
        subject: this.folder.name,
        text: `Папка ${this.folder.name}: нет подключения к IMAP ${fields.failingForMinutes} мин. Ошибка: ${fields.err}`,
      });
    } else {
      this.log.warn(fields, 'IMAP connection failed; retrying with back-off');
    }
  }

  private attemptStartedAt(): number {
    try {
      return Context.current().info.scheduledTimestampMs;
    } catch {
      return this.now().getTime();
    }
  }

  private async syncWith(session: ImapFolderSession): Promise<SyncMailboxResult> {
    const { db } = this.deps;
    const folderRef = { name: this.folder.name, role: this.folder.role };
    const checkpoint = await readCheckpoint(db, this.folder.name);
    if (checkpoint === null) {
      await this.catchUp(session, 'backfill', this.deps.config.mail.ingestion.initialBackfillDays);
    } else if (checkpoint.uidValidity !== session.uidValidity) {
      // MAIL-6
      this.log.warn(
        { alert: 'uidvalidity_changed', storedUidValidity: checkpoint.uidValidity, uidValidity: session.uidValidity },
        'UIDVALIDITY changed: rescanning recent messages',
      );
      await this.alerts.alert({
        level: 'warning',
        kind: 'uidvalidity_changed',
        subject: this.folder.name,
        text:
          `Папка ${this.folder.name}: изменился UIDVALIDITY (${checkpoint.uidValidity} → ${session.uidValidity}). ` +
          `Повторно просматриваются письма за ${this.deps.config.mail.ingestion.uidValidityRescanDays} дн.`,
      });
      await this.catchUp(session, 'rescan', this.deps.config.mail.ingestion.uidValidityRescanDays);
    }

    await this.retryDueFailures(session);

    const budget = this.options.maxMessagesPerRun ?? 1000;
    const pollMs = this.deps.config.mail.imap.pollIntervalSeconds * 1000;
    let handled = 0;
    let lastUid = (await readCheckpoint(db, this.folder.name))?.lastUid ?? 0;
    for (;;) {
      const uids = await session.uidsAbove(lastUid);
      if (uids.length === 0) {
        // MAIL-3: IDLE push with the poll as fallback; one quiet period ends this run.
        const waitStarted = performance.now();
        const news = await session.waitForNews(pollMs, this.deps.config.mail.imap.idleEnabled);
        this.options.onPhase?.('quiet-wait', performance.now() - waitStarted);
        const after = await session.uidsAbove(lastUid);
        if (after.length === 0) {
          if (!news) break;
          continue;
        }
        uids.push(...after);
      }
      const taken = uids.slice(0, budget - handled);
      await this.processInOrder(session, taken, {
        skipStored: false,
        // MAIL-4: only past messages that were stored and routed (signals delivered), or recorded as failures.
        batchDone: async (conn, batchLastUid) => {
          await advanceCheckpoint(conn, folderRef, session.uidValidity, batchLastUid);
          lastUid = batchLastUid;
        },
      });
      handled += taken.length;
      if (handled >= budget) return this.result(session, lastUid, true);
    }
    return this.result(session, lastUid, false);
  }

  private result(session: ImapFolderSession, lastUid: number, budgetExhausted: boolean): SyncMailboxResult {
    return {
      folder: this.folder.name,
      uidValidity: session.uidValidity,
      lastUid,
      stored: this.stored,
      failed: this.failed,
      budgetExhausted,
    };
  }

  /**
   * MAIL-5 (first run: INTERNALDATE within the backfill window) and MAIL-6 (new UIDVALIDITY: the
   * rescan window, skipping stored Message-IDs); then the checkpoint is the highest UID seen or
   * UIDNEXT − 1. A retried attempt resumes after the last batch its heartbeat recorded.
   */
  private async catchUp(session: ImapFolderSession, kind: 'backfill' | 'rescan', days: number): Promise<void> {
    const since = new Date(this.now().getTime() - days * 24 * 3600_000);
    const uids = days > 0 ? await session.uidsReceivedSince(since) : [];
    const pass = this.progress.pass;
    const resumeAfter =
      pass !== undefined && pass.kind === kind && pass.uidValidity === session.uidValidity ? pass.uid : 0;
    this.log.info({ kind, days, candidates: uids.length, resumeAfter }, 'catching up on the folder');
    await this.processInOrder(
      session,
      uids.filter((uid) => uid > resumeAfter),
      {
        skipStored: kind === 'rescan',
        batchDone: (_conn, uid) => {
          this.beat({ pass: { kind, uidValidity: session.uidValidity, uid } });
          return Promise.resolve();
        },
      },
    );
    const highest = Math.max(session.uidNext - 1, uids.at(-1) ?? 0, 0);
    await advanceCheckpoint(
      this.deps.db,
      { name: this.folder.name, role: this.folder.role },
      session.uidValidity,
      highest,
    );
    this.beat({ pass: undefined });
  }

  /** MAIL-17: re-fetches due failures by UID; success (signals delivered) resolves them. */
  private async retryDueFailures(session: ImapFolderSession): Promise<void> {
    const due = await dueMailFailures(this.deps.db, this.folder.name, session.uidValidity, this.now());
    if (due.length === 0) return;
    const signals = new SignalQueue(1);
    for (const failure of due) {
      this.log.info({ uid: failure.uid, attempts: failure.attempts }, 'retrying a failed message');
      const fetched = await session.fetch(failure.uid);
      const prepared: Prepared =
        fetched === null ? { uid: failure.uid, kind: 'vanished' } : await this.prepare(session, fetched);
      const handled = await this.handle(this.deps.db, session, prepared, { isRetry: true, skipStored: false });
      await Promise.all(handled.signals.map((signal) => signals.add(signal.incidentId, () => this.signal(signal))));
      signals.throwIfFailed();
      if (handled.outcome === 'stored') {
        await resolveMailFailure(this.deps.db, this.failureKey(session, failure.uid), this.now());
      }
      this.beat();
    }
  }

  private failureKey(session: ImapFolderSession, uid: number) {
    return { folderName: this.folder.name, uidValidity: session.uidValidity, uid };
  }

  /**
   * MAIL-7: `uids` (ascending) stored and routed strictly in that order, one at a time, on one held
   * connection; fetching and parsing run ahead, signals run behind. `batchDone` gets each batch's
   * last UID once every message of the batch is stored and signalled or recorded as a failure; it
   * lags one batch so storing never waits for signals.
   */
  private async processInOrder(
    session: ImapFolderSession,
    uids: readonly number[],
    mode: { skipStored: boolean; batchDone: (conn: Connection, lastUid: number) => Promise<void> },
  ): Promise<void> {
    if (uids.length === 0) return;
    const batchSize = Math.max(1, this.options.batchSize ?? 100);
    const signals = new SignalQueue(Math.max(1, this.options.signalConcurrency ?? 16));
    const phase = this.options.onPhase;
    interface Batch {
      lastUid: number;
      signals: IncidentSignal[];
      asyncCommits: number;
      signalled: Promise<unknown>;
      /** Stored UIDs whose failure record (MAIL-17) is resolved once their signals are delivered. */
      resolve: number[];
    }
    const newBatch = (): Batch => ({
      lastUid: 0,
      signals: [],
      asyncCommits: 0,
      signalled: Promise.resolve(),
      resolve: [],
    });
    await this.deps.db.connect(async (conn) => {
      const withFailures = await unresolvedFailureUids(conn, this.folder.name, session.uidValidity, uids);
      // MAIL-13 / MAIL-14: the batch's commits made durable, then its signals queued (not awaited).
      const release = async (batch: Batch): Promise<void> => {
        if (batch.asyncCommits > 0) await flushIngestionCommits(conn, this.folder.name);
        const all = Promise.all(
          batch.signals.map((signal) => signals.add(signal.incidentId, () => this.signal(signal))),
        );
        all.catch(() => undefined); // awaited (and thrown) by `complete`; never an unhandled rejection
        batch.signalled = all;
      };
      // MAIL-4: the checkpoint moves over the batch once its signals are delivered.
      const complete = async (batch: Batch): Promise<void> => {
        let t = performance.now();
        await batch.signalled; // only this batch's own failures stop it here
        phase?.('signal-wait', performance.now() - t);
        t = performance.now();
        for (const uid of batch.resolve) await resolveMailFailure(conn, this.failureKey(session, uid), this.now());
        await mode.batchDone(conn, batch.lastUid);
        phase?.('checkpoint', performance.now() - t);
      };
      let waiting: Batch | null = null;
      let current = newBatch();
      let inBatch = 0;
      const record = (uid: number, handled: Handled): void => {
        current.signals.push(...handled.signals);
        if (handled.asyncCommit) current.asyncCommits++;
        if (handled.outcome === 'stored' && withFailures.has(uid)) current.resolve.push(uid);
      };
      for await (const prepared of aheadBy(this.prepareAll(session, uids, batchSize), batchSize)) {
        current.lastUid = prepared.uid;
        const handled = await this.handle(conn, session, prepared, {
          isRetry: false,
          skipStored: mode.skipStored,
          asyncCommit: true,
        });
        record(prepared.uid, handled);
        signals.throwIfFailed();
        this.beat();
        if (++inBatch < batchSize) continue;
        await release(current);
        if (waiting !== null) await complete(waiting);
        waiting = current;
        current = newBatch();
        inBatch = 0;
      }
      if (inBatch > 0) await release(current);
      if (waiting !== null) await complete(waiting);
      if (inBatch > 0) await complete(current);
    });
  }

  /**
   * Every UID of `uids` in order: fetched by batches of one UID FETCH each, parsed and with its
   * blobs written (ATT-3); a UID the server no longer has comes out as `vanished`.
   */
  private async *prepareAll(
    session: ImapFolderSession,
    uids: readonly number[],
    batchSize: number,
  ): AsyncGenerator<Prepared> {
    for (let i = 0; i < uids.length; i += batchSize) {
      const batch = uids.slice(i, i + batchSize);
      const arrived = new Map<number, FetchedMessage>();
      let next = 0;
      for await (const message of session.fetchMany(batch)) {
        arrived.set(message.uid, message);
        // Streams while the answers come in ascending UID order (the server's sequence order); after
        // a gap (a vanished UID) the rest of the batch waits for the end of the FETCH.
        for (let uid = batch[next]; uid !== undefined && arrived.has(uid); uid = batch[next]) {
          const fetched = arrived.get(uid);
          arrived.delete(uid);
          next++;
          if (fetched !== undefined) yield await this.prepare(session, fetched);
        }
      }
      for (; next < batch.length; next++) {
        const uid = batch[next] ?? 0;
        const fetched = arrived.get(uid);
        yield fetched === undefined ? { uid, kind: 'vanished' } : await this.prepare(session, fetched);
      }
    }
  }

  /** Parse (MAIL-9…12, ATT, NOISE-1) and write the attachment blobs before the transaction (ATT-3). */
  private async prepare(session: ImapFolderSession, message: FetchedMessage): Promise<Prepared> {
    const started = performance.now();
    const { config } = this.deps;
    const parsed = parseRawMessage(message.raw, {
      folderRole: this.folder.role,
      folderName: this.folder.name,
      uid: message.uid,
      uidValidity: session.uidValidity,
      internalDate: message.internalDate,
      ownAddress: config.mail.login,
      queueKey: config.tracker.queue,
      senderDeny: config.mail.senders.deny,
      maxDateSkewHours: config.mail.ingestion.dateMaxSkewHours,
      messageIdDomain: config.mail.messageIdDomain,
      attachmentMaxStoreBytes: config.attachments.maxStoreBytes,
    });
    let prepared: Prepared;
    if (!parsed.ok) {
      prepared = { uid: message.uid, kind: 'unparseable', messageId: parsed.messageId, reason: parsed.reason };
    } else {
      let blobError: { error: unknown } | null = null;
      try {
        await storeAttachmentBlobs(config.attachments.dir, parsed.attachments);
      } catch (error) {
        blobError = { error };
      }
      prepared = { uid: message.uid, kind: 'parsed', email: parsed, warnings: parsed.warnings, blobError };
    }
    this.options.onPhase?.('fetch+parse', performance.now() - started);
    return prepared;
  }

  /** Store and route one prepared message; failures become records (MAIL-17). The caller signals. */
  private async handle(
    db: CommonQueryMethods & Pick<DbPool, 'transaction'>,
    session: ImapFolderSession,
    prepared: Prepared,
    mode: { isRetry: boolean; skipStored: boolean; asyncCommit?: boolean },
  ): Promise<Handled> {
    const log = this.log.child({ uid: prepared.uid, uidValidity: session.uidValidity });
    const key = this.failureKey(session, prepared.uid);
    const nothing = { signals: [], asyncCommit: false };
    if (prepared.kind === 'vanished') {
      if (mode.isRetry) {
        const outcome = await this.fail(db, log, key, null, 'message is no longer in the folder', true);
        return { outcome, ...nothing };
      }
      log.info('message vanished before it could be fetched');
      return { outcome: 'skipped', ...nothing };
    }
    if (prepared.kind === 'unparseable') {
      const outcome = await this.fail(db, log, key, prepared.messageId, prepared.reason, mode.isRetry);
      return { outcome, ...nothing };
    }
    const { config } = this.deps;
    const { email } = prepared;
    const mailLog = log.child({ messageId: email.messageId });
    for (const warning of prepared.warnings) mailLog.warn({ warning }, 'message parsed with a warning');

    if (mode.skipStored && (await emailIdByMessageId(db, email.messageId)) !== null) {
      mailLog.debug('already stored (MAIL-6 rescan): skipped');
      return { outcome: 'skipped', ...nothing };
    }

    let result: RoutingResult;
    const started = performance.now();
    try {
      if (prepared.blobError !== null) throw prepared.blobError.error;
      result = await storeAndRouteEmail(db, email, {
        queue: config.tracker.queue,
        senderAllowList: config.mail.senders.allow,
        asyncCommit: mode.asyncCommit === true,
      });
    } catch (error) {
      // A file-system error (ATT-3) or data the database refuses: the message's fault only if it
      // persists; retried later. Anything else means the database is unreachable: the activity retries.
      if (!isFileSystemError(error) && !isMessageDataError(error)) throw error;
      const outcome = await this.fail(
        db,
        mailLog,
        key,
        email.messageId,
        `storage error: ${errorText(error)}`,
        mode.isRetry,
      );
      return { outcome, ...nothing };
    }
    this.options.onPhase?.('store', performance.now() - started);
    await this.report(mailLog, result);
    this.stored++;
    return { outcome: 'stored', signals: result.signals, asyncCommit: mode.asyncCommit === true };
  }

  private async report(log: Logger, result: RoutingResult): Promise<void> {
    const context = log.child({ emailId: result.emailId, incidentId: result.incidentId ?? undefined });
    context.info(
      {
        classification: result.classification,
        inserted: result.inserted,
        reason: result.reason,
        createdIncident: result.createdIncidentId !== null,
      },
      result.inserted ? 'e-mail stored' : 'e-mail already stored (MAIL-8)',
    );
    for (const conflict of result.conflicts) {
      context.warn(
        { alert: 'thread_conflict', ...conflict },
        'thread conflict: e-mail linked to one of several incidents',
      );
      await this.alerts.alert({
        level: 'warning',
        kind: 'thread_conflict',
        incidentId: conflict.chosenIncidentId,
        text:
          `Письмо ${result.messageId} (e-mail #${conflict.emailId}) подходит к нескольким инцидентам ` +
          `(${conflict.candidateIncidentIds.map((id) => `#${id}`).join(', ')}, правило ${conflict.rule}); ` +
          `привязано к #${conflict.chosenIncidentId}. Проверьте конфликт.`,
      });
    }
    for (const messageId of result.bouncedOutboxMessageIds) {
      context.error(
        { alert: 'automatic_email_not_delivered', bouncedMessageId: messageId },
        'automatic e-mail not delivered (NOISE-3)',
      );
      await this.alerts.alert({
        level: 'error',
        kind: 'automatic_email_not_delivered',
        incidentId: result.incidentId,
        subject: messageId,
        text: `Автоматическое письмо ${messageId} не доставлено: получено уведомление о недоставке ${result.messageId}.`,
      });
    }
  }

  /** MAIL-14: signalWithStart for one newly linked e-mail; the workflow ignores repeats. */
  private async signal({ incidentId, emailId }: IncidentSignal): Promise<void> {
    await this.deps.temporal.workflow.signalWithStart(incidentWorkflow, {
      ...incidentStartOptions(incidentId, this.deps.config.temporal.taskQueue, 'e-mail'),
      signal: mailSignal,
      signalArgs: [{ emailId }],
    });
  }

  private async fail(
    db: CommonQueryMethods,
    log: Logger,
    key: { folderName: string; uidValidity: number; uid: number },
    messageId: string | null,
    reason: string,
    isRetry: boolean,
  ): Promise<Outcome> {
    const failure = await recordMailFailure(db, key, { messageId, error: reason, isRetry }, this.now());
    this.failed++;
    if (failure.state === 'abandoned') {
      log.error(
        { alert: 'mail_failure_abandoned', failureId: failure.id, attempts: failure.attempts, reason },
        'message abandoned after its last retry (MAIL-17)',
      );
      await this.alerts.alert({
        level: 'error',
        kind: 'mail_failure_abandoned',
        subject: this.folder.name,
        text:
          `Папка ${this.folder.name}: письмо UID ${key.uid}${messageId === null ? '' : ` (${messageId})`} ` +
          `не обработано после ${failure.attempts} попыток и оставлено. Причина: ${reason}`,
      });
    } else {
      log.warn(
        { failureId: failure.id, attempts: failure.attempts, nextRetryAt: failure.nextRetryAt, reason },
        'message could not be processed: recorded as a mail failure (MAIL-17)',
      );
    }
    return 'failed';
  }
}

export function createIngestionActivities(deps: ActivityDependencies, options: IngestionOptions = {}) {
  const alerts = deps.alerts ?? createAlerts({ config: deps.config, db: deps.db, log: deps.log });
  return {
    /** MAIL-1…MAIL-17 for one folder; returns after a quiet IDLE/poll period or its message budget. */
    async syncMailbox(input: SyncMailboxInput): Promise<SyncMailboxResult> {
      const folder = watchedFolders(deps.config).find((f) => f.key === input.folderKey);
      if (folder === undefined) throw new Error(`unknown mailbox folder key ${JSON.stringify(input.folderKey)}`);
      const context = Context.current();
      const sync = new MailboxSync(
        { ...deps, alerts },
        folder,
        {
          heartbeat: (progress) => context.heartbeat(progress),
          progress: context.info.heartbeatDetails as SyncProgress | undefined,
          cancelled: context.cancelled,
        },
        options,
      );
      return sync.run();
    },
  };
}
