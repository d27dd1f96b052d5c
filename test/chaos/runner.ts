// The chaos run (issue #8): the whole product on real peers while its worker is SIGKILLed, the
// mail server, PostgreSQL and the Temporal dev server are restarted and Tracker misbehaves; then,
// with the faults off and everything quiet, the outcome is compared with the generator's expectation.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { addDispatcher } from '../../src/adapters/db/dispatchers.js';
import { createDbPool } from '../../src/adapters/db/pool.js';
import { runTowerStoreSync } from '../../src/adapters/towerstore/sync.js';
import { parseConfig, type Config } from '../../src/config/load.js';
import { secretValues } from '../../src/config/redact.js';
import { createLogger } from '../../src/logger.js';
import { generateFixtures, type Fixtures } from '../../src/sandbox/fixtures/index.js';
import { freePorts } from '../../src/sandbox/mail/free-ports.js';
import { bootstrap } from '../../src/starters/bootstrap.js';
import { deliverMailbox, type Delivered } from './delivery.js';
import { dispatcherCrew, type DispatcherCrew } from './dispatchers.js';
import { chaosEnv } from './environment.js';
import { checkInvariants, quiescence, type InvariantReport } from './invariants.js';
import { seededRandom, spreadMoments } from './rng.js';
import { startChaosServers, type ChaosServers } from './servers.js';
import { workerProcess, type WorkerProcess } from './worker-process.js';

export interface ChaosOptions {
  seed: number;
  mails: number;
  /** Worker SIGKILLs during the delivery. */
  kills: number;
  /** How long the mails are spread over (the chaos happens in this window). */
  durationMs: number;
  restartMail: boolean;
  restartPostgres: boolean;
  restartTemporal: boolean;
  trackerFaults: boolean;
  /** Share of mail incidents the dispatchers take through ack → close notices. */
  workShare: number;
  /** Longest wait for the system to settle after the chaos. */
  quiesceTimeoutMs: number;
  /** Copy the logs here before the run's files are removed. */
  keepLogsIn?: string;
  /** Progress lines (the npm script prints them; the test keeps them for failures). */
  progress?: (line: string) => void;
}

export const CI_OPTIONS: Omit<ChaosOptions, 'seed'> = {
  mails: 150,
  kills: 3,
  durationMs: 90_000,
  restartMail: true,
  restartPostgres: true,
  restartTemporal: true,
  trackerFaults: true,
  workShare: 0.3,
  quiesceTimeoutMs: 240_000,
};

export interface ChaosEvent {
  at: number;
  kind: 'worker-kill' | 'mail-restart' | 'postgres-restart' | 'temporal-restart';
  tookMs: number;
}

export interface ChaosReport {
  options: Omit<ChaosOptions, 'progress'>;
  startedAt: string;
  durations: { setupMs: number; chaosMs: number; quiesceMs: number; totalMs: number };
  events: ChaosEvent[];
  workerKills: number;
  unexpectedWorkerExits: WorkerProcess['unexpectedExits'];
  trackerFaultsInjected: Record<string, number>;
  trackerRequests: number;
  dispatcher: { pickedIssues: number; notices: { ack: number; close: number }; closedIssues: number; refused: number };
  deliveryOrderWaitTimeouts: number;
  quiesced: boolean;
  pendingAtEnd: string[];
  invariants: InvariantReport;
  logFiles: string[];
}

/**
 * The generated mailbox of a run. Dated in the past: every SLA deadline has passed, so the SLA status
 * of an incident does not change while the run compares it (breached with a type, unknown without).
 */
export function chaosFixtures(seed: number, mails: number): Fixtures {
  return generateFixtures({ seed, mails, poles: 300, start: '2025-03-03T05:00:00Z' });
}

/** The fault mix of issue #8: 20 % 5xx, 10 % 429 with Retry-After, 5 % dropped after apply, latency. */
function injectTrackerFaults(servers: ChaosServers): void {
  servers.tracker.addFault({
    serverErrorRate: 0.2,
    rateLimitRate: 0.1,
    retryAfterSeconds: 1,
    dropAfterApplyRate: 0.05,
    latencyMs: 30,
  });
}

async function seedTrackerAndDirectory(config: Config, db: DatabasePool, servers: ChaosServers, fixtures: Fixtures) {
  const log = createLogger({ name: 'chaos-setup', destination: { write: () => true } as never });
  await runTowerStoreSync({ config, db, log });
  for (const login of servers.tracker.seed.dispatcherLogins) {
    const user = servers.tracker.seed.users.find((u) => u.login === login);
    await addDispatcher(db, { login, email: user?.email ?? null, displayName: login, isActive: true });
  }
  // The generator's seed issues exist in Tracker (created first, so their keys match) and as rows.
  for (const seed of fixtures.expected.seedIssues) {
    const issue = servers.tracker.dispatcher.createIssue({
      login: 'ivanov',
      summary: seed.summary,
      fields: { [servers.tracker.seed.fields.poleNumber]: seed.pole },
    });
    if (issue['key'] !== seed.key) throw new Error(`seed issue got ${String(issue['key'])}, expected ${seed.key}`);
    await db.query(sql.unsafe`
      INSERT INTO incidents (code, registration_time, is_auto)
      VALUES (${seed.key}, ${sql.timestamp(new Date(seed.createdAt))}, false)`);
  }
}

/** Mail incidents with an issue whose primary e-mail is an operator's report: they can get notices. */
async function workableIssues(db: DatabasePool): Promise<readonly string[]> {
  return db.anyFirst(sql.type(z.object({ code: z.string() }))`
    SELECT i.code FROM incidents i JOIN emails e ON e.id = i.primary_email_id
    WHERE i.code IS NOT NULL AND i.is_auto AND e.folder_role = 'INBOX' AND e.classification = 'normal'
    ORDER BY i.id`);
}

const keyNumber = (key: string) => Number.parseInt(key.replace(/^\D+-/, ''), 10) * 2_654_435_761;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const t0 = Date.now();
  const say = (line: string) => options.progress?.(`[chaos +${((Date.now() - t0) / 1000).toFixed(0)}s] ${line}`);
  // Separate streams: the kill moments do not shift when delivery or the dispatchers draw more or less.
  const random = seededRandom(options.seed);
  const deliveryRandom = seededRandom(options.seed + 1);
  const fixtures = chaosFixtures(options.seed, options.mails);
  const servers = await startChaosServers(fixtures, options.seed);
  let worker: WorkerProcess | undefined;
  let db: DatabasePool | undefined;
  try {
    const dataDir = join(servers.dir, 'data');
    await mkdir(dataDir, { recursive: true });
    const [httpPort] = (await freePorts(1)) as [number];
    const env = chaosEnv(servers, fixtures, {
      taskQueue: `chaos-${options.seed}`,
      httpPort,
      webhookSecret: `wh-${randomBytes(12).toString('hex')}`,
      dataDir,
    });
    const config = parseConfig({ env, dotenvFile: null });
    const runnerLogFile = join(servers.dir, 'runner.log');
    const log = createLogger({
      name: 'chaos',
      secrets: secretValues(config),
      destination: createWriteStream(runnerLogFile, { flags: 'a' }),
    });
    await bootstrap(config, log);
    db = await createDbPool(config.database.url);
    const pool = db;
    await seedTrackerAndDirectory(config, pool, servers, fixtures);
    servers.tracker.setWebhook({
      url: `http://127.0.0.1:${httpPort}/tracker/webhook`,
      secret: config.http.webhookSecret,
    });

    worker = workerProcess(env, join(servers.dir, 'worker.log'), httpPort);
    await worker.start();
    // MAIL-5 without backfill: the watchers' first runs set the checkpoints; mail comes after that.
    await waitUntil(
      async () =>
        (await pool.oneFirst(sql.type(z.object({ n: z.number() }))`
      SELECT count(*)::int AS n FROM mail_folder_checkpoints`)) >= 2,
      120_000,
      'mailbox checkpoints',
    );
    const setupMs = Date.now() - t0;
    say(
      `set up in ${(setupMs / 1000).toFixed(0)} s: ${fixtures.expected.mails.length} mails, ${fixtures.expected.incidents.length} incidents expected`,
    );

    if (options.trackerFaults) injectTrackerFaults(servers);
    const crew = dispatcherCrew(servers.tracker);
    const chaosStart = Date.now();
    let lock: Promise<unknown> = Promise.resolve();
    const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
      const next = lock.then(work, work);
      lock = next.catch(() => undefined);
      return next;
    };
    const events: ChaosEvent[] = [];
    const plan = chaosPlan(options, random, chaosStart);
    const delivery: Promise<Delivered> = deliverMailbox({
      fixtures,
      mail: () => servers.mail,
      db: () => pool,
      durationMs: options.durationMs,
      random: deliveryRandom,
      exclusive,
      log: say,
    });
    const decided = new Set<string>();
    let crewWorking = true;
    const crewLoop = (async () => {
      // The dispatchers keep working until the quiesce phase is over (it waits for them).
      while (crewWorking) {
        try {
          for (const code of await workableIssues(pool)) {
            if (decided.has(code)) continue;
            decided.add(code);
            // Decided by the issue key alone, so a seed picks the same issues whatever the timing.
            if (seededRandom(options.seed ^ keyNumber(code))() < options.workShare) crew.picked.add(code);
          }
        } catch {
          // PostgreSQL restarting
        }
        crew.tick();
        await sleep(500);
      }
    })();
    for (const step of plan) {
      await sleep(Math.max(0, step.at - Date.now()));
      const started = Date.now();
      say(step.kind);
      if (step.kind === 'worker-kill') {
        await worker.kill();
        await sleep(500 + random() * 3_000);
        await worker.start();
      } else if (step.kind === 'mail-restart') {
        await exclusive(() => servers.restartMail());
      } else if (step.kind === 'postgres-restart') {
        await servers.restartPostgres();
      } else {
        await servers.restartTemporal();
      }
      events.push({ at: started - chaosStart, kind: step.kind, tookMs: Date.now() - started });
    }
    const delivered = await delivery;
    const chaosMs = Date.now() - chaosStart;
    const faultsInjected = Object.fromEntries(servers.tracker.faults().map((f) => [f.id, f.fired]));
    servers.tracker.clearFaults();
    say(`chaos over after ${(chaosMs / 1000).toFixed(0)} s; quiescing`);

    const quiesceStart = Date.now();
    let pending: string[] = ['not checked'];
    while (Date.now() - quiesceStart < options.quiesceTimeoutMs) {
      pending = await quiescence({ db: pool, servers, config, fixtures, delivered, crew }).catch((e: unknown) => [
        `check failed: ${String(e)}`,
      ]);
      if (pending.length === 0) break;
      await sleep(2_000);
    }
    const quiesceMs = Date.now() - quiesceStart;
    crewWorking = false;
    await crewLoop;
    say(
      pending.length === 0
        ? `quiet after ${(quiesceMs / 1000).toFixed(0)} s`
        : `not quiet: ${pending.slice(0, 5).join('; ')}`,
    );
    const invariants = await checkInvariants({
      db: pool,
      servers,
      config,
      fixtures,
      delivered,
      crew,
      logFiles: [worker.logFile, runnerLogFile, ...servers.logFiles()],
      secrets: secretValues(config),
    });
    const reportedOptions: Partial<ChaosOptions> = { ...options };
    delete reportedOptions.progress;
    delete reportedOptions.keepLogsIn;
    return {
      options: reportedOptions as ChaosReport['options'],
      startedAt: new Date(t0).toISOString(),
      durations: { setupMs, chaosMs, quiesceMs, totalMs: Date.now() - t0 },
      events,
      workerKills: worker.kills,
      unexpectedWorkerExits: worker.unexpectedExits,
      trackerFaultsInjected: faultsInjected,
      trackerRequests: servers.tracker.requestLog().length,
      dispatcher: summarizeCrew(crew),
      deliveryOrderWaitTimeouts: delivered.orderWaitTimeouts,
      quiesced: pending.length === 0,
      pendingAtEnd: pending,
      invariants,
      logFiles: [worker.logFile, runnerLogFile, ...servers.logFiles()],
    };
  } finally {
    await worker?.stop();
    await db?.end().catch(() => undefined);
    await servers.stop(options.keepLogsIn);
  }
}

function summarizeCrew(crew: DispatcherCrew): ChaosReport['dispatcher'] {
  return {
    pickedIssues: crew.picked.size,
    notices: {
      ack: crew.notices.filter((n) => n.kind === 'ack').length,
      close: crew.notices.filter((n) => n.kind === 'close').length,
    },
    closedIssues: crew.closed.size,
    refused: crew.refused,
  };
}

/** Kills and restarts at seeded moments between 10 % and 90 % of the delivery window. */
function chaosPlan(
  options: ChaosOptions,
  random: () => number,
  start: number,
): Array<Pick<ChaosEvent, 'kind'> & { at: number }> {
  const kinds: ChaosEvent['kind'][] = [
    ...Array.from({ length: options.kills }, () => 'worker-kill' as const),
    ...(options.restartMail ? ['mail-restart' as const] : []),
    ...(options.restartPostgres ? ['postgres-restart' as const] : []),
    ...(options.restartTemporal ? ['temporal-restart' as const] : []),
  ];
  // Seeded shuffle, so restarts do not always come last.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as ChaosEvent['kind'], kinds[i] as ChaosEvent['kind']];
  }
  const moments = spreadMoments(
    random,
    kinds.length,
    start + options.durationMs * 0.1,
    start + options.durationMs * 0.9,
    4_000,
  );
  return kinds.map((kind, i) => ({ kind, at: moments[i] ?? start }));
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(500);
  }
  throw new Error(`chaos set-up: ${what} not ready in ${timeoutMs} ms`);
}
