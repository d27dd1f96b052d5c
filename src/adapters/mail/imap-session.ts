// One read-only IMAP session on one folder (MAIL-1…MAIL-3, MAIL-7): EXAMINE, UID searches, one
// message at a time with BODY.PEEK[] (never a flag change), and IDLE (or a poll) to wait for news.
// imapflow's auto-IDLE is off: it starts only after 15 s of inactivity, so the session runs IDLE
// itself and breaks it with the next command.

import iconv from 'iconv-lite';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';

export interface ImapSettings {
  host: string;
  port: number;
  /** Implicit TLS (IMAPS). */
  secure: boolean;
  /** Without implicit TLS: true = require STARTTLS, false = never use it. */
  startTls: boolean;
  user: string;
  password: string;
  /** Extra trusted CA (PEM), e.g. the sandbox certificate. */
  ca?: string;
  /** Connect, greeting and socket inactivity timeouts (MAIL-3). Default 30 s. */
  timeoutMs?: number;
}

/** imapflow options for the collection mailbox: read-only sessions, no auto-IDLE, bounded waits (MAIL-3). */
export function imapClientOptions(settings: ImapSettings, socketTimeoutMs?: number): ImapFlowOptions {
  const timeout = settings.timeoutMs ?? 30_000;
  return {
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    doSTARTTLS: settings.secure ? undefined : settings.startTls,
    ...(settings.ca !== undefined ? { tls: { ca: settings.ca } } : {}),
    auth: { user: settings.user, pass: settings.password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: socketTimeoutMs ?? timeout,
  };
}

export interface FetchedMessage {
  uid: number;
  internalDate: Date;
  raw: Buffer;
}

/**
 * MAIL-1: a folder name as configured (modified UTF-7, e.g. `&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-` for
 * «Отправленные», with or without the closing "-") or already in UTF-8. imapflow takes UTF-8 and
 * encodes it for the wire, so an ASCII name containing "&" is decoded first.
 */
export function imapPath(name: string): string {
  return /^[\x20-\x7e]*&/.test(name) && /^[\x20-\x7e]*$/.test(name)
    ? iconv.decode(Buffer.from(name), 'utf-7-imap')
    : name;
}

export class ImapFolderSession {
  private closed = false;
  private readonly closedSignal: Promise<void>;
  /** EXISTS grew since the last UID search (it may arrive during any command, not only in IDLE). */
  private news = false;
  private onNews: (() => void) | undefined;

  private constructor(
    private readonly client: ImapFlow,
    readonly path: string,
    readonly uidValidity: number,
    /** UIDNEXT when the folder was opened (MAIL-5: checkpoint = UIDNEXT − 1). */
    readonly uidNext: number,
  ) {
    this.closedSignal = new Promise((resolve) => client.once('close', () => resolve()));
    client.on('exists', (data: { count: number; prevCount: number }) => {
      if (data.count > data.prevCount) {
        this.news = true;
        this.onNews?.();
      }
    });
  }

  /** Connects, logs in and EXAMINEs the folder (MAIL-2: read-only). Rejects on any failure. */
  static async open(settings: ImapSettings, folder: string): Promise<ImapFolderSession> {
    const timeout = settings.timeoutMs ?? 30_000;
    // A watcher idles: the socket may stay silent for minutes between IDLE renewals.
    const client = new ImapFlow(imapClientOptions(settings, Math.max(timeout, 5 * 60_000)));
    // A lost connection surfaces as a rejected command or the close event; an unhandled 'error'
    // event would crash the worker.
    client.on('error', () => undefined);
    try {
      await client.connect();
      const path = imapPath(folder);
      const mailbox = await client.mailboxOpen(path, { readOnly: true });
      return new ImapFolderSession(client, path, Number(mailbox.uidValidity), mailbox.uidNext);
    } catch (error) {
      client.close();
      throw error;
    }
  }

  get supportsIdle(): boolean {
    return this.client.capabilities.has('IDLE');
  }

  /** MAIL-3: UIDs above `lastUid`, ascending. */
  async uidsAbove(lastUid: number): Promise<number[]> {
    this.news = false;
    const found = await this.client.search({ uid: `${lastUid + 1}:*` }, { uid: true });
    // "N:*" always matches the newest message, even when its UID is below N.
    return (found === false || found === undefined ? [] : found).filter((uid) => uid > lastUid).sort((a, b) => a - b);
  }

  /** MAIL-5 / MAIL-6: UIDs whose INTERNALDATE is at or after `since`, ascending. */
  async uidsReceivedSince(since: Date): Promise<number[]> {
    // SEARCH SINCE has day granularity (and the server's time zone): widen by a day, then filter exactly.
    const day = new Date(since.getTime() - 24 * 3600_000);
    const found = await this.client.search({ since: day }, { uid: true });
    if (found === false || found === undefined || found.length === 0) return [];
    const uids: number[] = [];
    for await (const message of this.client.fetch(found, { uid: true, internalDate: true }, { uid: true })) {
      const received = new Date(message.internalDate ?? 0);
      if (received.getTime() >= since.getTime()) uids.push(message.uid);
    }
    return uids.sort((a, b) => a - b);
  }

  /** MAIL-2 / MAIL-7: one message by UID with BODY.PEEK[]; null when it is no longer there. */
  async fetch(uid: number): Promise<FetchedMessage | null> {
    const message = await this.client.fetchOne(
      String(uid),
      { uid: true, internalDate: true, source: true },
      { uid: true },
    );
    if (message === false || message.uid !== uid) return null;
    return {
      uid,
      internalDate: new Date(message.internalDate ?? 0),
      raw: message.source ?? Buffer.alloc(0),
    };
  }

  /**
   * MAIL-2 / MAIL-7: the messages of `uids` with BODY.PEEK[] by one UID FETCH, streamed as the
   * server sends them (sequence order, i.e. ascending UID); vanished UIDs are simply absent. imapflow
   * reads the next response only when the consumer asks for it, so memory is bounded by the caller.
   */
  async *fetchMany(uids: readonly number[]): AsyncGenerator<FetchedMessage> {
    if (uids.length === 0) return;
    const wanted = new Set(uids);
    const query = { uid: true, internalDate: true, source: true };
    for await (const message of this.client.fetch(uidSet(uids), query, { uid: true })) {
      // "N:*" style ranges may return the newest message; only the asked-for UIDs count.
      if (!wanted.has(message.uid)) continue;
      yield {
        uid: message.uid,
        internalDate: new Date(message.internalDate ?? 0),
        raw: message.source ?? Buffer.alloc(0),
      };
    }
  }

  /**
   * MAIL-3: waits up to `timeoutMs` for the server to announce new mail with IDLE (when `useIdle`
   * and the server has it), else simply for `timeoutMs` (poll). Returns true when news arrived.
   * Rejects when the connection is lost.
   */
  async waitForNews(timeoutMs: number, useIdle: boolean): Promise<boolean> {
    if (this.news) return true;
    let timer: NodeJS.Timeout | undefined;
    const lost = this.closedSignal.then(() => {
      throw new Error('IMAP connection closed');
    });
    lost.catch(() => undefined); // observed through the race below; never an unhandled rejection
    try {
      if (!(useIdle && this.supportsIdle)) {
        await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))), lost]);
        return this.news;
      }
      const news = new Promise<boolean>((resolve) => {
        this.onNews = () => resolve(true);
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      // Settled here, so a connection lost mid-IDLE is reported once, through `lost`.
      const idling = this.client.idle().catch(() => false);
      const result = await Promise.race([news, lost]);
      // Any command ends IDLE; NOOP is the cheapest.
      await this.client.noop();
      await idling;
      return result || this.news;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      this.onNews = undefined;
    }
  }

  /** Drops the connection at once (activity cancelled): a pending wait rejects. */
  abort(): void {
    this.closed = true;
    this.client.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.client.logout();
    } catch {
      this.client.close();
    }
  }
}

/** An IMAP sequence set of UIDs, consecutive runs compressed ("3:7,9,12:13"). */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0];
  let end = start;
  for (const uid of sorted.slice(1)) {
    if (end !== undefined && uid === end + 1) {
      end = uid;
      continue;
    }
    if (start !== undefined) parts.push(start === end ? `${start}` : `${start}:${end}`);
    start = uid;
    end = uid;
  }
  if (start !== undefined) parts.push(start === end ? `${start}` : `${start}:${end}`);
  return parts.join(',');
}
