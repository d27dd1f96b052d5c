// Doctor: the collection mailbox — IMAP login with both watched folders present (MAIL-1), and SMTP
// login for the automatic notices (NOTIFY). Same credentials as the product uses.
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { imapPath } from '../../adapters/mail/imap-session.js';
import type { Config } from '../../config/load.js';
import { CHECK_TIMEOUT_MS, errorMessage, fail, ok, runCheck, type CheckResult } from './verdicts.js';

const CREDENTIALS_FIX =
  'check PARSING_EMAIL_LOGIN and PARSING_EMAIL_PSWD (for Yandex mail: an app password with IMAP access enabled)';

/** imapflow reports a refused login with `authenticationFailed` and the server's text. */
function imapError(error: unknown): { authFailed: boolean; text: string } {
  const e = error as { authenticationFailed?: unknown; responseText?: unknown; code?: unknown };
  const text = typeof e.responseText === 'string' && e.responseText !== '' ? e.responseText : errorMessage(error);
  return { authFailed: e.authenticationFailed === true, text };
}

export function checkImap(config: Config): Promise<CheckResult[]> {
  const { imap, login, password } = config.mail;
  const where = `${imap.host}:${imap.port}`;
  const reachFix = `check PARSING_EMAIL_SERVER / PARSING_EMAIL_PORT / PARSING_EMAIL_SECURE / PARSING_EMAIL_STARTTLS (now ${where})`;
  return runCheck('imap', reachFix, async () => {
    const client = new ImapFlow({
      host: imap.host,
      port: imap.port,
      secure: imap.secure,
      doSTARTTLS: imap.secure ? undefined : imap.startTls,
      auth: { user: login, pass: password },
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: CHECK_TIMEOUT_MS - 500,
      greetingTimeout: CHECK_TIMEOUT_MS - 500,
      socketTimeout: CHECK_TIMEOUT_MS,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      client.close();
      const { authFailed, text } = imapError(error);
      return [
        authFailed
          ? fail('imap', `IMAP login as ${login} at ${where} refused: ${text}`, CREDENTIALS_FIX)
          : fail('imap', `IMAP at ${where} not usable: ${text}`, reachFix),
      ];
    }
    try {
      const paths = new Set((await client.list()).map((m) => m.path));
      const missing = [
        ['PARSING_EMAIL_INBOX_FOLDER_NAME', imap.inboxFolder],
        ['PARSING_EMAIL_SENT_FOLDER_NAME', imap.sentFolder],
      ].filter(([, name]) => !paths.has(imapPath(name ?? '')));
      if (missing.length > 0) {
        return [
          fail(
            'imap',
            `logged in as ${login}, but folder(s) missing: ${missing.map(([v, n]) => `${n} (${v})`).join(', ')}`,
            `fix the folder variables; the mailbox has: ${[...paths].join(', ')}`,
          ),
        ];
      }
      return [
        ok('imap', `logged in as ${login} at ${where}; folders ${imap.inboxFolder} and ${imap.sentFolder} exist`),
      ];
    } finally {
      await client.logout().catch(() => client.close());
    }
  });
}

export function checkSmtp(config: Config): Promise<CheckResult[]> {
  const { smtp, login, password } = config.mail;
  const where = `${smtp.host}:${smtp.port}`;
  return runCheck(
    'smtp',
    `check PARSING_EMAIL_SMTP_SERVER / PARSING_EMAIL_SMTP_PORT / PARSING_EMAIL_SMTP_SECURE (now ${where})`,
    async () => {
      const transport = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        // SMTP is TLS-only: without implicit TLS, STARTTLS is required.
        requireTLS: !smtp.secure,
        auth: { user: login, pass: password },
        connectionTimeout: CHECK_TIMEOUT_MS - 500,
        greetingTimeout: CHECK_TIMEOUT_MS - 500,
        socketTimeout: CHECK_TIMEOUT_MS,
      });
      try {
        await transport.verify();
        return [ok('smtp', `logged in as ${login} at ${where}`)];
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'EAUTH')
          return [fail('smtp', `SMTP login as ${login} at ${where} refused: ${errorMessage(error)}`, CREDENTIALS_FIX)];
        throw error;
      } finally {
        transport.close();
      }
    },
  );
}
