// NOTIFY-3: after a crash between "SMTP accepted" and "outbox marked sent", the product looks for
// its own Message-ID in the collection mailbox: the Cc copy lands in INBOX, and a provider that
// saves submissions puts one in Sent. Read-only (EXAMINE, header SEARCH), never a flag change.
import { ImapFlow } from 'imapflow';
import type { ImapSettings } from './imap-session.js';
import { imapClientOptions, imapPath } from './imap-session.js';

/**
 * True when any of `folders` holds a message whose Message-ID header contains `messageId`
 * (IMAP header SEARCH is a substring match; the id is unique enough with its brackets).
 * Rejects when the server cannot be reached (the caller decides whether to retry).
 */
export async function mailboxHasMessageId(
  settings: ImapSettings,
  folders: readonly string[],
  messageId: string,
): Promise<boolean> {
  const client = new ImapFlow(imapClientOptions(settings));
  // A lost connection surfaces as a rejected command; an unhandled 'error' event would crash the worker.
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (const folder of folders) {
      await client.mailboxOpen(imapPath(folder), { readOnly: true });
      const found = await client.search({ header: { 'message-id': messageId } }, { uid: true });
      if (found !== false && found !== undefined && found.length > 0) return true;
    }
    return false;
  } finally {
    await client.logout().catch(() => client.close());
  }
}
