// Sandbox peers for the local stack (ARCHITECTURE §6): every external system that .env does not
// configure is replaced by its local stand-in, and its variables are filled in so the service runs
// unchanged against it. State lives under .data/sandbox and survives restarts.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { addDispatcher } from '../../adapters/db/dispatchers.js';
import { createDbPool } from '../../adapters/db/pool.js';
import type { Config } from '../../config/load.js';
import type { Peer } from '../../config/sandbox.js';
import { directoryPoleCount } from '../schedules.js';
import { daemonReachableDir } from './processes.js';
import { generateDirectory } from '../../sandbox/fixtures/directory.js';
import { generateFixtures } from '../../sandbox/fixtures/fixtures.js';
import { appendMessages, startMailServers, type MailServers } from '../../sandbox/mail/index.js';
import { runMailScript } from '../../sandbox/mail/scripts.js';
import { startTelegramFake, type TelegramFake } from '../../sandbox/telegram/telegram-fake.js';
import { startTowerStoreFeedServer, type TowerStoreFeedServer } from '../../sandbox/towerstore/feed-server.js';
import { startTrackerEmulator, type TrackerEmulator } from '../../sandbox/tracker/index.js';

/** Fixed ports, so a restarted stack finds its peers where the configuration says. */
export const SANDBOX_PORTS = {
  tracker: 8091,
  towerstore: 8092,
  telegram: 8093,
  imap: 3143,
  lmtp: 2424,
  smtp: 2587,
  smtps: 2465,
  sasl: 2426,
} as const;

/** «Отправленные» in modified UTF-7, as Yandex names the Sent folder (CONF-3 example). */
const SENT_FOLDER = '&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-';
const SAMPLE_SEED = 20261129;
const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface SandboxPeers {
  /** Variables pointing DISPATCH at the peers (CONF-3/CONF-4 names). */
  env: Record<string, string>;
  /** Sandbox data that needs the migrated database (the emulator's dispatchers, ASSIGN-1). */
  afterBootstrap(config: Config): Promise<void>;
  /**
   * First start only: the sample mails, once the worker has loaded the sandbox directory, so the
   * sample incidents get their pole and base station (EXTR) like mail on a live installation.
   * Says how many were seeded, and warns when the directory did not arrive in time (the mails are
   * seeded anyway).
   */
  afterWorkerStarted(config: Config): Promise<{ seeded: number; warning: string | null }>;
  /** One line per peer for the start-up summary. */
  describe(): string[];
  close(): Promise<void>;
}

export interface SandboxOptions {
  dir: string;
  logDir: string;
  /** Added to every port of SANDBOX_PORTS (DISPATCH_LOCAL_PORT_OFFSET). */
  portOffset?: number;
}

async function startMail(
  dir: string,
  ports: typeof SANDBOX_PORTS,
  env: Record<string, string>,
  lines: string[],
): Promise<MailServers> {
  const root = await mailRoot(dir);
  const mail = await startMailServers({
    root,
    imapPort: ports.imap,
    lmtpPort: ports.lmtp,
    smtpPort: ports.smtp,
    smtpsPort: ports.smtps,
    saslPort: ports.sasl,
  });
  const box = mail.collectionMailbox;
  // SMTP is TLS-only (CONF-4): the worker trusts the sandbox certificate through NODE_EXTRA_CA_CERTS,
  // read by Node at start, so the bundle must hold the system CAs too.
  const bundle = join(dir, 'ca-bundle.pem');
  const system = existsSync(SYSTEM_CA_BUNDLE) ? await readFile(SYSTEM_CA_BUNDLE, 'utf8') : '';
  await writeFile(bundle, `${system}\n${mail.tls.ca}\n`);
  Object.assign(env, {
    PARSING_EMAIL_LOGIN: box.address,
    PARSING_EMAIL_PSWD: box.password,
    PARSING_EMAIL_SERVER: mail.imap.host,
    PARSING_EMAIL_PORT: String(mail.imap.port),
    PARSING_EMAIL_SECURE: 'false',
    PARSING_EMAIL_STARTTLS: 'false',
    PARSING_EMAIL_SENT_FOLDER_NAME: SENT_FOLDER,
    PARSING_EMAIL_SMTP_SERVER: mail.smtps.host,
    PARSING_EMAIL_SMTP_PORT: String(mail.smtps.port),
    PARSING_EMAIL_SMTP_SECURE: 'true',
    NODE_EXTRA_CA_CERTS: bundle,
  });
  lines.push(
    `mailbox (Dovecot/Postfix)  IMAP ${mail.imap.host}:${mail.imap.port}, SMTPS ${mail.smtps.port}; ` +
      `${box.address} / ${box.password}; also ${mail.users
        .slice(1)
        .map((u) => u.address)
        .join(', ')}`,
  );
  return mail;
}

const samplesMarker = (mail: MailServers): string => join(mail.root, '.samples-seeded');

/** First start only: a few realistic dispatch mails in INBOX, so a newcomer has something to look at. */
async function seedSampleMails(mail: MailServers): Promise<number> {
  const marker = samplesMarker(mail);
  // Dated a few hours back: within the first-run backfill window (MAIL-5).
  const start = new Date(Date.now() - 6 * 3600_000).toISOString();
  const fixtures = generateFixtures({ seed: SAMPLE_SEED, mails: 8, poles: 300, start });
  const inbox = fixtures.corpus.files.filter((file) => file.path.includes('/INBOX/'));
  await appendMessages(
    mail.account(mail.collectionMailbox.address),
    'INBOX',
    inbox.map((file) => ({ raw: file.bytes })),
  );
  await writeFile(marker, `${new Date().toISOString()} ${inbox.length} sample mails\n`);
  return inbox.length;
}

/** Dovecot and Postfix drop privileges: their directory must be reachable by other users. */
function mailRoot(dir: string): Promise<string> {
  return daemonReachableDir(join(dir, 'mail'), '/var/lib/dispatch-sandbox');
}

export async function startSandboxPeers(peers: readonly Peer[], options: SandboxOptions): Promise<SandboxPeers> {
  await mkdir(options.dir, { recursive: true });
  const offset = options.portOffset ?? 0;
  const ports = Object.fromEntries(
    Object.entries(SANDBOX_PORTS).map(([name, port]) => [name, port + offset]),
  ) as unknown as typeof SANDBOX_PORTS;
  const env: Record<string, string> = {};
  const lines: string[] = [];
  let tracker: TrackerEmulator | undefined;
  let feeds: TowerStoreFeedServer | undefined;
  let telegram: TelegramFake | undefined;
  let mail: MailServers | undefined;
  const close = async () => {
    await Promise.allSettled([tracker?.close(), feeds?.close(), telegram?.close()]);
    await mail?.stop();
  };
  try {
    if (peers.includes('tracker')) {
      tracker = await startTrackerEmulator({
        port: ports.tracker,
        statePath: join(options.dir, 'tracker.json'),
      });
      Object.assign(env, tracker.env());
      lines.push(`Yandex Tracker (emulator)  ${tracker.url}/  (issues as a dispatcher sees them)`);
    }
    if (peers.includes('towerstore')) {
      const directory = generateDirectory({ seed: SAMPLE_SEED, poles: 300 });
      feeds = await startTowerStoreFeedServer({ port: ports.towerstore, feeds: directory.feeds });
      Object.assign(env, feeds.env);
      lines.push(`TowerStore (feed server)   ${feeds.urls.poles} (+ avr, bs)`);
    }
    if (peers.includes('telegram')) {
      telegram = await startTelegramFake({ port: ports.telegram });
      Object.assign(env, telegram.env);
      lines.push(`Telegram (Bot API fake)    ${telegram.url}`);
    }
    if (peers.includes('imap')) mail = await startMail(options.dir, ports, env, lines);
  } catch (error) {
    await close();
    throw error;
  }
  const afterBootstrap = async (config: Config) => {
    if (!tracker) return;
    // The emulator calls the worker's trigger webhook on every status change (YT-13 fast path).
    if (config.http.webhookSecret !== '') {
      tracker.setWebhook({
        url: `http://127.0.0.1:${config.http.port}/tracker/webhook`,
        secret: config.http.webhookSecret,
      });
    }
    const db = await createDbPool(config.database.url);
    try {
      for (const login of tracker.seed.dispatcherLogins) {
        const user = tracker.seed.users.find((u) => u.login === login);
        await addDispatcher(db, {
          login,
          email: user?.email ?? null,
          displayName: user ? `${user.firstName} ${user.lastName}` : null,
          isActive: true,
        });
      }
    } finally {
      await db.end();
    }
  };
  const afterWorkerStarted = async (config: Config): Promise<{ seeded: number; warning: string | null }> => {
    if (!mail || existsSync(samplesMarker(mail))) return { seeded: 0, warning: null };
    let warning: string | null = null;
    if (feeds) {
      const loaded = await waitForDirectory(config, DIRECTORY_WAIT_MS);
      if (!loaded) {
        warning = `the TowerStore directory was not loaded within ${DIRECTORY_WAIT_MS / 1000} s; sample incidents may lack pole and base station (see worker.log)`;
      }
    }
    return { seeded: await seedSampleMails(mail), warning };
  };
  return { env, describe: () => lines, close, afterBootstrap, afterWorkerStarted };
}

const DIRECTORY_WAIT_MS = 90_000;

/** The first TowerStore sync (triggered by bootstrap, run by the worker) has applied poles. */
async function waitForDirectory(config: Config, timeoutMs: number): Promise<boolean> {
  const db = await createDbPool(config.database.url, { maxPoolSize: 1 });
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await directoryPoleCount(db)) > 0) return true;
      await sleep(500);
    }
    return false;
  } finally {
    await db.end();
  }
}

/** Stops mail daemons left behind by a stack that was killed (the HTTP peers died with it). */
export async function stopSandboxDaemons(dir: string): Promise<void> {
  const root = await mailRoot(dir);
  if (!existsSync(root)) return;
  await Promise.allSettled([
    runMailScript('stop-postfix.sh', [join(root, 'postfix')], {}),
    runMailScript('stop-dovecot.sh', [join(root, 'dovecot')], {}),
  ]);
}

/** Deletes the sandbox state (mail, tracker), wherever mailRoot put the mail servers' part. */
export async function removeSandboxData(dir: string): Promise<void> {
  await rm(await mailRoot(dir), { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
}
