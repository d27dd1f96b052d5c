import { imapPath } from '../../adapters/mail/imap-session.js';
import { ImapFlow } from 'imapflow';
import type { ImapAccount } from './mail-servers.js';

export interface AppendOptions {
  /** IMAP INTERNALDATE (arrival time); default: now. */
  internalDate?: Date;
  /** e.g. ['\\Seen']; default none. */
  flags?: string[];
}

export interface AppendedMessage {
  /** UTF-8 name of the folder the message went to. */
  folder: string;
  uid: number;
  uidValidity: bigint;
}

export interface StoredMessage {
  uid: number;
  /** Stored flags (without the per-session \Recent). */
  flags: string[];
  internalDate: Date;
  raw: Buffer;
}

/** A folder name as configured for the product (modified UTF-7 or UTF-8), as imapflow wants it. */
export const folderName = imapPath;

/** Seeds one message over IMAP APPEND (UIDPLUS gives its uid). */
export async function appendMessage(
  account: ImapAccount,
  folder: string,
  raw: Buffer | string,
  options: AppendOptions = {},
): Promise<AppendedMessage> {
  const [appended] = await appendMessages(account, folder, [{ raw, ...options }]);
  return appended as AppendedMessage;
}

/** Seeds many messages over one IMAP connection, in order. */
export async function appendMessages(
  account: ImapAccount,
  folder: string,
  messages: ReadonlyArray<{ raw: Buffer | string } & AppendOptions>,
): Promise<AppendedMessage[]> {
  return withImap(account, async (client) => {
    const path = folderName(folder);
    const appended: AppendedMessage[] = [];
    for (const message of messages) {
      const result = await client.append(path, message.raw, message.flags ?? [], message.internalDate ?? new Date());
      if (result === false || result.uid === undefined || result.uidValidity === undefined) {
        throw new Error(`APPEND to ${path} was not confirmed with a UID`);
      }
      appended.push({ folder: path, uid: result.uid, uidValidity: result.uidValidity });
    }
    return appended;
  });
}

/** Every message of a folder with its raw bytes, in UID order (to read back what was delivered). */
export async function listMessages(account: ImapAccount, folder: string): Promise<StoredMessage[]> {
  return withImap(account, (client) => fetchSince(client, folderName(folder), 0));
}

/**
 * Waits until a message matching `accept` is in the folder (polling with NOOP every 200 ms) and
 * returns it; rejects after `timeoutMs` (default 10 s).
 */
export async function waitForMessage(
  account: ImapAccount,
  folder: string,
  accept: (message: StoredMessage) => boolean,
  { timeoutMs = 10_000 }: { timeoutMs?: number } = {},
): Promise<StoredMessage> {
  return withImap(account, async (client) => {
    const path = folderName(folder);
    const deadline = Date.now() + timeoutMs;
    let lastUid = 0;
    for (;;) {
      const fresh = await fetchSince(client, path, lastUid);
      const found = fresh.find(accept);
      if (found !== undefined) return found;
      lastUid = fresh.at(-1)?.uid ?? lastUid;
      if (Date.now() > deadline)
        throw new Error(`no matching message in ${account.user}/${path} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await client.noop();
    }
  });
}

async function fetchSince(client: ImapFlow, path: string, lastUid: number): Promise<StoredMessage[]> {
  const lock = await client.getMailboxLock(path);
  try {
    const messages: StoredMessage[] = [];
    if (client.mailbox === false || client.mailbox.exists === 0) return messages;
    for await (const m of client.fetch(
      `${lastUid + 1}:*`,
      { uid: true, flags: true, internalDate: true, source: true },
      { uid: true },
    )) {
      // "N:*" always matches the newest message, even when its UID is below N
      if (m.uid <= lastUid || m.source === undefined) continue;
      messages.push({
        uid: m.uid,
        // \Recent belongs to one IMAP session, not to the message
        flags: [...(m.flags ?? [])].filter((flag) => flag !== '\\Recent'),
        internalDate: new Date(m.internalDate ?? 0),
        raw: m.source,
      });
    }
    return messages;
  } finally {
    lock.release();
  }
}

async function withImap<T>(account: ImapAccount, work: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({
    host: account.host,
    port: account.port,
    secure: account.secure,
    doSTARTTLS: account.secure ? undefined : false,
    ...(account.ca !== undefined ? { tls: { ca: account.ca } } : {}),
    auth: { user: account.user, pass: account.password },
    logger: false,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}
