import type { Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { MailUser } from './users.js';

/**
 * How the capture server answers a message (for notice tests, NOTIFY-5 and NOTIFY-3):
 * - transient: a 4xx reply after the data, the message is not kept (the sender should retry);
 * - permanent: a 5xx reply after the data, the message is not kept (the sender must give up);
 * - drop: the message is received in full and kept, then the connection is closed before the
 *   reply, so the sender cannot know it was delivered (a crash between "accepted" and "recorded").
 * `times` limits the failure to the next N messages; afterwards they are accepted again.
 */
export type SmtpFailure =
  | { kind: 'transient'; code?: 421 | 450 | 451 | 452; message?: string; times?: number }
  | { kind: 'permanent'; code?: 550 | 552 | 553 | 554; message?: string; times?: number }
  | { kind: 'drop'; times?: number };

export interface SmtpEnvelope {
  /** MAIL FROM; null for the null sender <>. */
  from: string | null;
  to: string[];
}

export interface CapturedMessage {
  envelope: SmtpEnvelope;
  /** SMTP AUTH login, if the client authenticated. */
  user: string | undefined;
  raw: Buffer;
  receivedAt: Date;
  /** mailparser's view of `raw` (parsed on demand). */
  parse(): Promise<ParsedMail>;
}

export interface SmtpRejection {
  envelope: SmtpEnvelope;
  user: string | undefined;
  code: number;
}

export interface SmtpCaptureOptions {
  /** When given, AUTH is required and checked against these; otherwise AUTH is optional and any login passes. */
  authUsers?: MailUser[];
  /** Initial answer mode (see SmtpFailure); change it later with setFailure(). Default: accept everything. */
  failWith?: SmtpFailure;
  /** Certificate for STARTTLS, or for implicit TLS when `implicit` (port-465 style). Default: plain SMTP only. */
  tls?: { key: string | Buffer; cert: string | Buffer; implicit?: boolean };
}

export interface SmtpCapture {
  host: string;
  port: number;
  /** true when the port speaks implicit TLS. */
  secure: boolean;
  /** Accepted messages (including those of `drop`), in arrival order. */
  readonly messages: readonly CapturedMessage[];
  /** Messages answered with a 4xx/5xx by the failure mode. */
  readonly rejections: readonly SmtpRejection[];
  setFailure(failure: SmtpFailure | undefined): void;
  /** Resolves once `count` messages have been accepted in total; rejects after `timeoutMs` (default 10 s). */
  waitForMessages(count: number, timeoutMs?: number): Promise<readonly CapturedMessage[]>;
  close(): Promise<void>;
}

const DEFAULT_REPLY = {
  transient: { code: 451, message: 'Temporary local problem, try again later' },
  permanent: { code: 554, message: 'Transaction failed' },
} as const;

/** An in-process SMTP server on 127.0.0.1 (free port) that records what it is sent. */
export async function startSmtpCapture(options: SmtpCaptureOptions = {}): Promise<SmtpCapture> {
  const messages: CapturedMessage[] = [];
  const rejections: SmtpRejection[] = [];
  const waiters = new Set<() => void>();
  let failure = options.failWith === undefined ? undefined : { ...options.failWith };
  // raw TCP sockets by client port, to cut a connection in `drop` mode
  const sockets = new Map<number, Socket>();
  const users = options.authUsers;

  const serverOptions: SMTPServerOptions = {
    secure: options.tls?.implicit === true,
    ...(options.tls !== undefined ? { key: options.tls.key, cert: options.tls.cert } : {}),
    // smtp-server's built-in certificate has expired: without our own, offer no STARTTLS at all
    disabledCommands: options.tls === undefined ? ['STARTTLS'] : [],
    allowInsecureAuth: true,
    authOptional: users === undefined,
    authMethods: ['PLAIN', 'LOGIN'],
    size: 50 * 1024 * 1024,
    logger: false,
    closeTimeout: 1000,
    onAuth(auth, _session, callback) {
      const known = users?.find((u) => u.address.toLowerCase() === (auth.username ?? '').toLowerCase());
      if (users !== undefined && (known === undefined || known.password !== auth.password)) {
        callback(Object.assign(new Error('Invalid login or password'), { responseCode: 535 }));
        return;
      }
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const envelope = envelopeOf(session);
        const user = typeof session.user === 'string' ? session.user : undefined;
        const mode = failure;
        if (mode?.times !== undefined && --mode.times <= 0) failure = undefined;
        if (mode === undefined || mode.kind === 'drop') {
          const raw = Buffer.concat(chunks);
          messages.push({ envelope, user, raw, receivedAt: new Date(), parse: () => simpleParser(raw) });
          waiters.forEach((wake) => wake());
          if (mode === undefined) callback(null, 'Message captured');
          else sockets.get(session.remotePort)?.destroy(); // no reply at all
          return;
        }
        const reply = { ...DEFAULT_REPLY[mode.kind], ...mode };
        rejections.push({ envelope, user, code: reply.code });
        callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  server.server.on('connection', (socket: Socket) => {
    const port = socket.remotePort;
    if (port === undefined) return;
    sockets.set(port, socket);
    socket.once('close', () => sockets.delete(port));
  });
  // a client that vanishes mid-session is normal in these tests, not a reason to crash
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('SMTP capture has no TCP port');

  return {
    host: '127.0.0.1',
    port: address.port,
    secure: options.tls?.implicit === true,
    messages,
    rejections,
    setFailure(next) {
      failure = next === undefined ? undefined : { ...next };
    },
    waitForMessages(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          cleanup();
          resolve(messages);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`SMTP capture: ${messages.length} of ${count} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function envelopeOf(session: SMTPServerSession): SmtpEnvelope {
  const from = session.envelope.mailFrom;
  return {
    from: from === false || from.address === '' ? null : from.address,
    to: session.envelope.rcptTo.map((r) => r.address),
  };
}
