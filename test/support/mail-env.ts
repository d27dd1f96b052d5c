// The collection-mailbox variables (CONF-3/CONF-4) pointing at the sandbox Dovecot (plain IMAP)
// and Postfix (implicit-TLS submission), for tests that both read and send mail.
import type { MailServers } from '../../src/sandbox/mail/index.js';

export function sandboxMailboxEnv(mail: MailServers): Record<string, string> {
  return {
    PARSING_EMAIL_LOGIN: mail.collectionMailbox.address,
    PARSING_EMAIL_PSWD: mail.collectionMailbox.password,
    PARSING_EMAIL_SERVER: mail.imap.host,
    PARSING_EMAIL_PORT: String(mail.imap.port),
    PARSING_EMAIL_SECURE: 'false',
    PARSING_EMAIL_STARTTLS: 'false',
    PARSING_EMAIL_INBOX_FOLDER_NAME: 'INBOX',
    PARSING_EMAIL_SENT_FOLDER_NAME: 'Sent',
    PARSING_EMAIL_SMTP_SERVER: mail.smtps.host,
    PARSING_EMAIL_SMTP_PORT: String(mail.smtps.port),
    PARSING_EMAIL_SMTP_SECURE: 'true',
  };
}
