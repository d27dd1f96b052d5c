// The peers of a chaos run, each restartable in place: embedded PostgreSQL (same cluster, same port),
// the Temporal dev server (same SQLite file, same port), Dovecot + Postfix (same maildirs and ports),
// and the in-process Tracker emulator, TowerStore feed server and Telegram fake.
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createDatabase } from '../../src/adapters/db/admin.js';
import { ensurePostgres, removeCluster, stopPostgres } from '../../src/starters/local/postgres.js';
import { ensureTemporalDevServer, stopTemporalDevServer } from '../../src/starters/local/temporal-server.js';
import { startMailServers, type MailServers } from '../../src/sandbox/mail/index.js';
import { freePorts } from '../../src/sandbox/mail/free-ports.js';
import type { Fixtures } from '../../src/sandbox/fixtures/index.js';
import { startTelegramFake, type TelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';
import { startTowerStoreFeedServer, type TowerStoreFeedServer } from '../../src/sandbox/towerstore/feed-server.js';
import { startTrackerEmulator, type TrackerEmulator } from '../../src/sandbox/tracker/index.js';

const DATABASE = 'dispatch';
export const COLLECTION_MAILBOX = 'disp@example.ru';
/** Mailboxes of the run: the collection mailbox, the operator and the contractor (the sink is added). */
const MAIL_ADDRESSES = [COLLECTION_MAILBOX, 'noc@operator.ru', 'avr@remont.ru'];

export interface ChaosServers {
  dir: string;
  databaseUrl: string;
  temporalAddress: string;
  mail: MailServers;
  tracker: TrackerEmulator;
  feeds: TowerStoreFeedServer;
  telegram: TelegramFake;
  /** Log files of the servers (greped for secrets at the end). */
  logFiles(): string[];
  restartPostgres(): Promise<void>;
  restartTemporal(): Promise<void>;
  restartMail(): Promise<void>;
  /** Stops everything and removes the run's files, after copying the logs to `keepLogsIn`. */
  stop(keepLogsIn?: string): Promise<void>;
}

export async function startChaosServers(fixtures: Fixtures, faultSeed: number): Promise<ChaosServers> {
  const dir = await mkdtemp('/tmp/dispatch-chaos-');
  // Dovecot and Postfix run as their own users: the mail root must be reachable by them.
  await chmod(dir, 0o755);
  const [pgPort, temporalPort, imap, lmtp, smtp, smtps, sasl] = (await freePorts(7)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const pgDir = join(dir, 'postgres');
  const pgLog = join(dir, 'postgres.log');
  const temporalLog = join(dir, 'temporal.log');
  const temporalPid = join(dir, 'temporal.pid');
  const temporalDb = join(dir, 'temporal', 'temporal.db');
  await mkdir(join(dir, 'mail'), { recursive: true, mode: 0o755 });

  // A password no log line contains by chance: the secret scan must not match ordinary words.
  const password = `mb-${randomBytes(12).toString('hex')}`;
  const mailOptions = {
    root: join(dir, 'mail'),
    users: MAIL_ADDRESSES.map((address) => ({ address, password })),
    imapPort: imap,
    lmtpPort: lmtp,
    smtpPort: smtp,
    smtpsPort: smtps,
    saslPort: sasl,
  };
  const pgPassword = `pg-${randomBytes(12).toString('hex')}`;
  const startPg = () => ensurePostgres({ dataDir: pgDir, port: pgPort, logFile: pgLog, password: pgPassword });
  const startTemporal = () =>
    ensureTemporalDevServer({
      port: temporalPort,
      uiPort: null,
      dbFile: temporalDb,
      pidFile: temporalPid,
      logFile: temporalLog,
    });

  const pg = await startPg();
  await createDatabase(pg.adminUrl, DATABASE);
  const temporal = await startTemporal();
  let mail = await startMailServers(mailOptions);
  const secret = (prefix: string) => `${prefix}-${randomBytes(12).toString('hex')}`;
  const tracker = await startTrackerEmulator({
    faultSeed,
    oauth: { clientSecret: secret('cs'), accessToken: secret('at'), refreshToken: secret('rt') },
  });
  const feeds = await startTowerStoreFeedServer({ feeds: { ...fixtures.directory.feeds } });
  const telegram = await startTelegramFake({ token: `${Date.now() % 1_000_000_000}:${secret('tg')}` });

  return {
    dir,
    databaseUrl: pg.urlFor(DATABASE),
    temporalAddress: temporal.address,
    get mail() {
      return mail;
    },
    tracker,
    feeds,
    telegram,
    logFiles: () => [pg.logFile, temporalLog, mail.logs.dovecot, mail.logs.postfix],
    async restartPostgres() {
      await stopPostgres(pgDir);
      await startPg();
    },
    async restartTemporal() {
      await stopTemporalDevServer(temporalPid);
      await startTemporal();
    },
    async restartMail() {
      // stop() keeps a root it did not create: the maildirs (and their UIDs) survive the restart.
      await mail.stop();
      mail = await startMailServers(mailOptions);
    },
    async stop(keepLogsIn?: string) {
      if (keepLogsIn !== undefined) {
        await mkdir(keepLogsIn, { recursive: true });
        for (const file of [pg.logFile, temporalLog, join(dir, 'worker.log'), join(dir, 'runner.log')])
          await copyFile(file, join(keepLogsIn, basename(file))).catch(() => undefined);
      }
      await Promise.allSettled([tracker.close(), feeds.close(), telegram.close()]);
      await mail.stop().catch(() => undefined);
      await stopTemporalDevServer(temporalPid).catch(() => undefined);
      await stopPostgres(pgDir).catch(() => undefined);
      await removeCluster(pgDir).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
