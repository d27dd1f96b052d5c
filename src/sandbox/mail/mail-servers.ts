import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { freePorts } from './free-ports.js';
import { processTree, readPidFile } from './processes.js';
import { assertMailPeersInstalled, MailServerError, runMailScript } from './scripts.js';
import { ensureSandboxCertificate, type SandboxCertificate } from './tls.js';
import { defaultMailUsers, domainOf, mailUsersSchema, SINK_ADDRESS, type MailUser } from './users.js';

export interface Endpoint {
  host: string;
  port: number;
}

/** What an IMAP client needs to log into one sandbox mailbox (see appendMessage). */
export interface ImapAccount extends Endpoint {
  /** true = implicit TLS (IMAPS); false = plain IMAP without STARTTLS. */
  secure: boolean;
  user: string;
  password: string;
  /** PEM of the server certificate, for secure accounts. */
  ca?: string;
}

export interface StartMailServersOptions {
  /** Directory for configs, mail, queue and logs. Default: a fresh /tmp/dm-XXXXXX, removed by stop(). */
  root?: string;
  /** Mailboxes; the first is the collection mailbox. Default: defaultMailUsers(). A sink mailbox is always added. */
  users?: MailUser[];
  /** Ports on 127.0.0.1; each defaults to a free port. */
  imapPort?: number;
  lmtpPort?: number;
  /** SMTP submission: STARTTLS offered, AUTH only after STARTTLS (like port 587). */
  smtpPort?: number;
  /** SMTP with implicit TLS (like smtp.yandex.ru:465). */
  smtpsPort?: number;
  /** Dovecot's auth service, which Postfix asks to check SMTP AUTH. */
  saslPort?: number;
  /** Also serve IMAPS (implicit TLS); then the plain IMAP port offers STARTTLS too. Default false. */
  imapTls?: boolean;
  imapsPort?: number;
  /** Where the certificate lives (kept across runs, so it can be trusted before start). Default ROOT/tls. */
  tlsDir?: string;
  /** IMAP hierarchy separator (Yandex uses "|"). Default "/". */
  separator?: '/' | '|' | '.';
}

export interface MailServers {
  root: string;
  imap: Endpoint;
  imaps?: Endpoint;
  lmtp: Endpoint;
  smtp: Endpoint;
  smtps: Endpoint;
  /** The certificate of IMAPS, SMTP STARTTLS and SMTPS. */
  tls: { certFile: string; ca: string };
  /** All mailboxes, the collection mailbox first and the sink last. */
  users: MailUser[];
  collectionMailbox: MailUser;
  /** Receives mail for every domain without a sandbox mailbox. */
  sink: MailUser;
  logs: { dovecot: string; postfix: string };
  /** IMAP login for one mailbox (plain IMAP, or IMAPS when `secure` and imapTls were asked for). */
  account(address: string, options?: { secure?: boolean }): ImapAccount;
  /** The Dovecot and Postfix masters and all their children, right now. */
  pids(): Promise<number[]>;
  /** Stops both servers (idempotent) and removes ROOT when it was created by startMailServers. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const portSchema = z.number().int().min(1).max(65535).optional();
const optionsSchema = z.object({
  root: z.string().min(1).optional(),
  users: mailUsersSchema.optional(),
  imapPort: portSchema,
  lmtpPort: portSchema,
  smtpPort: portSchema,
  smtpsPort: portSchema,
  saslPort: portSchema,
  imapTls: z.boolean().optional(),
  imapsPort: portSchema,
  tlsDir: z.string().min(1).optional(),
  separator: z.enum(['/', '|', '.']).optional(),
});

/**
 * Starts Dovecot (IMAP, LMTP) and Postfix (SMTP submission whose AUTH Dovecot checks, delivering
 * to Dovecot over LMTP) through scripts/mail, as daemons that outlive a crash of this process:
 * always stop() them (afterAll). Takes well under a second on an idle machine.
 */
export async function startMailServers(options: StartMailServersOptions = {}): Promise<MailServers> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new MailServerError(`startMailServers: ${z.prettifyError(parsed.error)}`);
  const opts = parsed.data;
  await assertMailPeersInstalled();

  const ownsRoot = opts.root === undefined;
  // short: Unix socket paths below it must stay under 108 bytes
  const root = opts.root === undefined ? await mkdtemp('/tmp/dm-') : resolve(opts.root);
  // the servers' own users (dovecot, mail, postfix) must reach it; mkdtemp makes it 0700
  if (ownsRoot) await chmod(root, 0o755);
  const givenUsers = opts.users ?? defaultMailUsers();
  const collectionMailbox = givenUsers[0] as MailUser; // the schema guarantees one
  const sink = givenUsers.find((u) => u.address.toLowerCase() === SINK_ADDRESS) ?? {
    address: SINK_ADDRESS,
    password: collectionMailbox.password,
  };
  const users = givenUsers.includes(sink) ? givenUsers : [...givenUsers, sink];

  const {
    imap: imapPort,
    lmtp: lmtpPort,
    smtp: smtpPort,
    smtps: smtpsPort,
    sasl: saslPort,
    imaps: imapsPort,
  } = await assignPorts({
    imap: opts.imapPort,
    lmtp: opts.lmtpPort,
    smtp: opts.smtpPort,
    smtps: opts.smtpsPort,
    sasl: opts.saslPort,
    imaps: opts.imapTls === true ? opts.imapsPort : 0, // 0 = no IMAPS listener
  });
  const tlsDir = opts.tlsDir === undefined ? join(root, 'tls') : resolve(opts.tlsDir);
  const dovecotRoot = join(root, 'dovecot');
  const postfixRoot = join(root, 'postfix');
  const stopScripts = () =>
    Promise.allSettled([
      runMailScript('stop-postfix.sh', [postfixRoot], {}),
      runMailScript('stop-dovecot.sh', [dovecotRoot], {}),
    ]);

  let certificate: SandboxCertificate;
  try {
    certificate = await ensureSandboxCertificate(tlsDir);
    const shared = { LMTP_PORT: `${lmtpPort}`, SASL_PORT: `${saslPort}`, SINK_ADDRESS: sink.address, TLS_DIR: tlsDir };
    await runMailScript('start-dovecot.sh', [dovecotRoot], {
      ...shared,
      IMAP_PORT: `${imapPort}`,
      IMAPS_PORT: `${imapsPort}`,
      MAIL_USERS: users.map((u) => `${u.address}:${u.password}`).join(' '),
      SEPARATOR: opts.separator ?? '/',
    });
    await runMailScript('start-postfix.sh', [postfixRoot], {
      ...shared,
      SMTP_PORT: `${smtpPort}`,
      SMTPS_PORT: `${smtpsPort}`,
      MAIL_DOMAINS: [...new Set(users.map((u) => domainOf(u.address)))].join(' '),
    });
  } catch (error) {
    await stopScripts(); // whatever did come up
    if (ownsRoot) await rm(root, { recursive: true, force: true });
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const endpoint = (port: number): Endpoint => ({ host: HOST, port });
  return {
    root,
    imap: endpoint(imapPort),
    ...(imapsPort !== 0 ? { imaps: endpoint(imapsPort) } : {}),
    lmtp: endpoint(lmtpPort),
    smtp: endpoint(smtpPort),
    smtps: endpoint(smtpsPort),
    tls: { certFile: certificate.certFile, ca: certificate.cert },
    users,
    collectionMailbox,
    sink,
    logs: { dovecot: join(dovecotRoot, 'dovecot.log'), postfix: join(postfixRoot, 'maillog') },
    account(address, { secure = false } = {}) {
      const user = users.find((u) => u.address.toLowerCase() === address.toLowerCase());
      if (user === undefined) throw new MailServerError(`no sandbox mailbox ${address}`);
      if (secure && imapsPort === 0)
        throw new MailServerError('IMAPS was not started (startMailServers({ imapTls: true }))');
      const port = secure ? imapsPort : imapPort;
      return {
        host: HOST,
        port,
        secure,
        user: user.address,
        password: user.password,
        ...(secure ? { ca: certificate.cert } : {}),
      };
    },
    async pids() {
      const masters = await Promise.all([
        readPidFile(join(dovecotRoot, 'dovecot.pid')),
        readPidFile(join(postfixRoot, 'postfix.pid')),
      ]);
      const trees = await Promise.all(masters.filter((pid) => pid !== undefined).map(processTree));
      return trees.flat();
    },
    stop() {
      stopping ??= (async () => {
        const failures = (await stopScripts()).filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failures.length > 0) throw new MailServerError(failures.map((f) => String(f.reason)).join('; '));
        if (ownsRoot) await rm(root, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** Gives every port left undefined a free one; an explicit 0 stays 0 (listener off). */
async function assignPorts<K extends string>(wanted: Record<K, number | undefined>): Promise<Record<K, number>> {
  const names = Object.keys(wanted) as K[];
  const free = await freePorts(names.filter((name) => wanted[name] === undefined).length);
  const ports = {} as Record<K, number>;
  for (const name of names) ports[name] = wanted[name] ?? (free.shift() as number);
  return ports;
}
