// Automatic e-mails over SMTP (NOTIFY-2): one nodemailer transport on the collection mailbox's
// credentials, UTF-8 plain text, From = PARSING_EMAIL_LOGIN (with MAIL_FROM_NAME), and the
// deterministic Message-ID of the outbox row (NOTIFY-3). Errors are classified for NOTIFY-5.
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';

export interface SmtpSettings {
  host: string;
  port: number;
  /** true = implicit TLS (port 465); false = mandatory STARTTLS. */
  secure: boolean;
  user: string;
  password: string;
  /** MAIL_FROM_NAME; empty = address only. */
  fromName: string;
  /** Extra trusted CA (PEM), e.g. the sandbox certificate. */
  ca?: string;
  /** Connect, greeting and socket timeouts. Default 30 s. */
  timeoutMs?: number;
}

/** One automatic e-mail as the outbox row holds it. */
export interface OutgoingMail {
  /** With angle brackets. */
  messageId: string;
  to: readonly string[];
  cc: readonly string[];
  subject: string;
  text: string;
  inReplyTo: string | null;
  references: readonly string[];
  date: Date;
}

/**
 * NOTIFY-5: `accepted` — the server took the message; `transient` — retry later (4xx, connection);
 * `permanent` — give up (5xx). `delivered` tells whether the message may have been accepted anyway
 * (the connection broke after DATA): then the outbox row stays `sending` (NOTIFY-3).
 */
export type SmtpOutcome =
  | { kind: 'accepted'; response: string }
  | { kind: 'transient'; reason: string; mayHaveBeenAccepted: boolean }
  | { kind: 'permanent'; reason: string };

interface SmtpErrorShape {
  message?: unknown;
  code?: unknown;
  responseCode?: unknown;
  command?: unknown;
  response?: unknown;
}

const NO_SESSION_CODES: ReadonlySet<string> = new Set(['EDNS', 'ETLS', 'EAUTH', 'ECONNREFUSED']);
const NO_SESSION_REASON = /\b(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)\b/;

/**
 * NOTIFY-5: 5xx replies are permanent; 4xx replies and connection problems are transient. A 4xx
 * reply or a failure to open the session (refused, DNS, TLS, AUTH) proves the message was not
 * accepted; any other broken connection (e.g. after DATA, before the reply) leaves it unknown.
 */
export function classifySmtpError(error: unknown): Exclude<SmtpOutcome, { kind: 'accepted' }> {
  const shape: SmtpErrorShape = typeof error === 'object' && error !== null ? error : {};
  const code = typeof shape.responseCode === 'number' ? shape.responseCode : null;
  const text =
    typeof shape.response === 'string' && shape.response.trim() !== ''
      ? shape.response.trim()
      : typeof shape.message === 'string'
        ? shape.message.trim()
        : String(error);
  const reason = code !== null && !text.startsWith(String(code)) ? `${code} ${text}` : text;
  if (code !== null && code >= 500 && code < 600) return { kind: 'permanent', reason };
  if (code !== null && code >= 400 && code < 500) return { kind: 'transient', reason, mayHaveBeenAccepted: false };
  // nodemailer tags every lost connection with command CONN, even one lost after DATA; only
  // failures that happen before a session exists prove that nothing was handed over.
  const beforeSession =
    (typeof shape.code === 'string' && NO_SESSION_CODES.has(shape.code)) || NO_SESSION_REASON.test(reason);
  return { kind: 'transient', reason, mayHaveBeenAccepted: !beforeSession };
}

export interface SmtpSender {
  send(mail: OutgoingMail): Promise<SmtpOutcome>;
  close(): void;
}

export function createSmtpSender(settings: SmtpSettings): SmtpSender {
  const timeout = settings.timeoutMs ?? 30_000;
  const transport: Transporter = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    // NOTIFY-2: without implicit TLS, STARTTLS is mandatory (credentials never go in clear text).
    requireTLS: !settings.secure,
    auth: { user: settings.user, pass: settings.password },
    ...(settings.ca !== undefined ? { tls: { ca: settings.ca } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    logger: false,
  });
  const fromName = settings.fromName.trim();
  const from = fromName === '' ? settings.user : { name: fromName, address: settings.user };

  return {
    async send(mail) {
      try {
        const info = (await transport.sendMail({
          from,
          // The provider only relays for the mailbox's own address (envelope = login).
          envelope: { from: settings.user, to: [...mail.to, ...mail.cc] },
          to: [...mail.to],
          cc: [...mail.cc],
          subject: mail.subject,
          text: mail.text,
          textEncoding: 'base64',
          messageId: mail.messageId,
          date: mail.date,
          ...(mail.inReplyTo === null ? {} : { inReplyTo: mail.inReplyTo }),
          ...(mail.references.length === 0 ? {} : { references: [...mail.references] }),
          headers: { 'Auto-Submitted': 'auto-generated' },
        })) as { response?: unknown };
        return { kind: 'accepted', response: typeof info.response === 'string' ? info.response : '' };
      } catch (error) {
        return classifySmtpError(error);
      }
    },
    close() {
      transport.close();
    },
  };
}
