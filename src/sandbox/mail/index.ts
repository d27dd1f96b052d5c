// Sandbox mail peers for tests, the local stack and benchmarks (see scripts/mail/).
export { startMailServers } from './mail-servers.js';
export type { Endpoint, ImapAccount, MailServers, StartMailServersOptions } from './mail-servers.js';
export { appendMessage, appendMessages, folderName, listMessages, waitForMessage } from './mailbox.js';
export type { AppendedMessage, AppendOptions, StoredMessage } from './mailbox.js';
export { startSmtpCapture } from './smtp-capture.js';
export type {
  CapturedMessage,
  SmtpCapture,
  SmtpCaptureOptions,
  SmtpEnvelope,
  SmtpFailure,
  SmtpRejection,
} from './smtp-capture.js';
export { ensureSandboxCertificate } from './tls.js';
export type { SandboxCertificate } from './tls.js';
export { assertMailPeersInstalled, MailServerError } from './scripts.js';
export { defaultMailUsers, SANDBOX_MAIL_PASSWORD, SINK_ADDRESS } from './users.js';
export type { MailUser } from './users.js';
