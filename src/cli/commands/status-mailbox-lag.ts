// `dispatch status`: how far each mailbox checkpoint is behind its folder (MAIL-3, MAIL-4) — the
// messages above the checkpoint's UID, read with a read-only IMAP session (MAIL-2). Behind for
// longer than the MAIL-16 alert threshold means the watcher is not keeping up.
import { readStatusCounts } from '../../adapters/db/incident-view.js';
import { ImapFolderSession } from '../../adapters/mail/imap-session.js';
import { IMAP_DOWN_ALERT_AFTER_MS } from '../../activities/ingestion.js';
import type { Config } from '../../config/load.js';
import { scrubSecrets } from '../../logger.js';
import { cliConfig, withDb } from '../context.js';

export interface LagLine {
  verdict: 'OK' | 'WARN';
  subject: string;
  detail: string;
}

const IMAP_TIMEOUT_MS = 5_000;

function message(e: unknown, config: Config): string {
  return scrubSecrets(e instanceof Error ? e.message : String(e), [config.mail.password]);
}

export async function mailboxLagLines(now: Date = new Date()): Promise<LagLine[]> {
  let checkpoints;
  try {
    checkpoints = (await withDb((db) => readStatusCounts(db))).checkpoints;
  } catch {
    return []; // the database line already says FAIL
  }
  const config = cliConfig();
  const { imap, login, password } = config.mail;
  const lines: LagLine[] = [];
  for (const checkpoint of checkpoints) {
    const subject = `mailbox lag ${checkpoint.folderName}`;
    let session: ImapFolderSession | undefined;
    try {
      session = await ImapFolderSession.open(
        {
          host: imap.host,
          port: imap.port,
          secure: imap.secure,
          startTls: imap.startTls,
          user: login,
          password,
          timeoutMs: IMAP_TIMEOUT_MS,
        },
        checkpoint.folderName,
      );
      if (session.uidValidity !== checkpoint.uidValidity) {
        lines.push({
          verdict: 'WARN',
          subject,
          detail: `UIDVALIDITY is now ${session.uidValidity} (checkpoint ${checkpoint.uidValidity}): the watcher rescans (MAIL-6)`,
        });
        continue;
      }
      const behind = (await session.uidsAbove(checkpoint.lastUid)).length;
      const idleMs = now.getTime() - checkpoint.updatedAt.getTime();
      const stalled = behind > 0 && idleMs >= IMAP_DOWN_ALERT_AFTER_MS;
      lines.push({
        verdict: stalled ? 'WARN' : 'OK',
        subject,
        detail:
          `${behind} message(s) above the checkpoint` +
          (stalled ? `, checkpoint not moved for ${Math.floor(idleMs / 60_000)} min (is the worker running?)` : ''),
      });
    } catch (e) {
      lines.push({
        verdict: 'WARN',
        subject,
        detail: `unknown: IMAP ${imap.host}:${imap.port}: ${message(e, config)}`,
      });
    } finally {
      await session?.close();
    }
  }
  return lines;
}
