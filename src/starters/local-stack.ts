// The local stack behind `scripts/start.sh`: embedded PostgreSQL, the Temporal dev server with its
// Web UI, sandbox peers for every external system that is not configured, bootstrap, and the
// worker — in the foreground; Ctrl-C stops all of it. A stack that was killed (SIGKILL, power
// loss) is recovered by the next start: leftovers are found by their pid files.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createDatabase } from '../adapters/db/admin.js';
import { ConfigError, parseConfig, readEnvironment } from '../config/load.js';
import { ignoredLegacyNotice } from '../config/cli.js';
import { describeConfig, secretValues } from '../config/redact.js';
import { missingPeers } from '../config/sandbox.js';
import { createLogger } from '../logger.js';
import { projectPath } from '../project-root.js';
import { bootstrap } from './bootstrap.js';
import { ensurePostgres, stopPostgres } from './local/postgres.js';
import { ownLiveProcess, terminate, writePidFile } from './local/processes.js';
import { startSandboxPeers, stopSandboxDaemons, type SandboxPeers } from './local/sandbox.js';
import { ensureTemporalDevServer, stopTemporalDevServer } from './local/temporal-server.js';
import { isMainModule } from './main-module.js';

/** Fixed local ports: the Web UI must be on 8233 (ARCHITECTURE §6); the rest avoid common defaults. */
export const LOCAL_PORTS = { postgres: 15432, temporal: 7233, temporalUi: 8233, http: 8080 } as const;
const EMBEDDED_DATABASE = 'dispatch';

export interface StackPaths {
  dataDir: string;
  postgresDir: string;
  temporalDb: string;
  runDir: string;
  logDir: string;
  sandboxDir: string;
}

export function stackPaths(dataDir: string): StackPaths {
  const root = resolve(dataDir);
  return {
    dataDir: root,
    postgresDir: join(root, 'postgres'),
    temporalDb: join(root, 'temporal', 'temporal.db'),
    runDir: join(root, 'run'),
    logDir: join(root, 'logs'),
    sandboxDir: join(root, 'sandbox'),
  };
}

const say = (line: string) => process.stdout.write(`[dispatch] ${line}\n`);

function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  return work().then((value) => {
    say(`${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return value;
  });
}

async function stopLeftoverWorker(paths: StackPaths): Promise<void> {
  const pid = await ownLiveProcess(join(paths.runDir, 'worker.pid'), 'workers/main.js');
  if (pid !== null) {
    say(`stopping a worker left over from an earlier run (pid ${pid})`);
    await terminate(pid);
  }
}

export async function stopStack(paths: StackPaths): Promise<void> {
  await stopLeftoverWorker(paths);
  await stopSandboxDaemons(paths.sandboxDir);
  if (await stopTemporalDevServer(join(paths.runDir, 'temporal.pid'))) say('Temporal dev server stopped');
  if (await stopPostgres(paths.postgresDir)) say('PostgreSQL stopped');
}

function startWorker(env: Record<string, string>, paths: StackPaths): ChildProcess {
  const log = createWriteStream(join(paths.logDir, 'worker.log'), { flags: 'a' });
  const child = spawn(process.execPath, [projectPath('dist/src/workers/main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  // Warnings and errors also reach the terminal; everything is in the log file.
  child.stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (/"level":"(warn|error|fatal)"/.test(line)) process.stdout.write(`[worker] ${line}\n`);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    log.write(chunk);
    process.stderr.write(chunk);
  });
  return child;
}

export async function startStack(): Promise<void> {
  const t0 = Date.now();
  const sources = readEnvironment(process.env);
  const env: Record<string, string> = { ...sources.env };
  const paths = stackPaths(env.DISPATCH_DATA_DIR ?? '.data');
  // Validated with everything else by parseConfig below; needed earlier to place the servers.
  const offset = Number.parseInt(env.DISPATCH_LOCAL_PORT_OFFSET ?? '0', 10) || 0;
  await mkdir(paths.runDir, { recursive: true });
  await mkdir(paths.logDir, { recursive: true });
  await stopLeftoverWorker(paths);

  const embedded: string[] = [];
  if (!env.DATABASE_URL && !env.DB_HOST) {
    const pg = await timed('PostgreSQL ready', () =>
      ensurePostgres({
        dataDir: paths.postgresDir,
        port: LOCAL_PORTS.postgres + offset,
        logFile: join(paths.logDir, 'postgres.log'),
      }),
    );
    await createDatabase(pg.adminUrl, EMBEDDED_DATABASE);
    env.DATABASE_URL = pg.urlFor(EMBEDDED_DATABASE);
    embedded.push(`PostgreSQL 18 (embedded)  127.0.0.1:${pg.port}, data in ${pg.dataDir}, log ${pg.logFile}`);
  }
  let uiUrl: string | null = null;
  if (!env.TEMPORAL_ADDRESS) {
    const temporal = await timed('Temporal dev server ready', () =>
      ensureTemporalDevServer({
        port: LOCAL_PORTS.temporal + offset,
        uiPort: LOCAL_PORTS.temporalUi + offset,
        dbFile: paths.temporalDb,
        pidFile: join(paths.runDir, 'temporal.pid'),
        logFile: join(paths.logDir, 'temporal.log'),
      }),
    );
    env.TEMPORAL_ADDRESS = temporal.address;
    uiUrl = temporal.uiUrl;
    // The admin CLI's Web UI links (scripts/dispatch reads stack.env).
    if (uiUrl) env.TEMPORAL_UI_URL ??= uiUrl;
    embedded.push(`Temporal dev server        ${temporal.address}, history in ${paths.temporalDb}`);
  }

  // Local defaults: the worker's HTTP server moves with the other ports, and the files the product
  // writes (backups, attachments) stay under the data directory instead of the working directory.
  env.HTTP_PORT ??= String(LOCAL_PORTS.http + offset);
  env.BACKUP_DIR ??= join(paths.dataDir, 'backups');
  env.ATTACHMENTS_DIR ??= join(paths.dataDir, 'attachments');

  let sandbox: SandboxPeers | null = null;
  const missing = missingPeers(env);
  if (missing.length > 0) {
    // A sandbox Tracker calls the worker's webhook with a secret made for this stack.
    if (missing.includes('tracker')) env.WEBHOOK_SECRET ??= randomBytes(18).toString('base64url');
    sandbox = await timed(`sandbox peers ready: ${missing.join(', ')}`, () =>
      startSandboxPeers(missing, { dir: paths.sandboxDir, logDir: paths.logDir, portOffset: offset }),
    );
    Object.assign(env, sandbox.env);
  }

  let config;
  try {
    config = parseConfig({ env, dotenvFile: sources.dotenvFile });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      await sandbox?.close();
      process.exit(78);
    }
    throw error;
  }
  const log = createLogger({
    debug: config.debug,
    secrets: secretValues(config),
    name: 'stack',
    destination: createWriteStream(join(paths.logDir, 'stack.log'), { flags: 'a' }),
  });
  const legacy = ignoredLegacyNotice(config);
  if (legacy) say(legacy);
  if (config.debug) say(`configuration:\n${describeConfig(config)}`);

  await timed('bootstrap done (migrations, default data, search attributes, schedules, mailbox watchers)', () =>
    bootstrap(config, log),
  );
  await sandbox?.afterBootstrap(config);

  // What the stack filled in (embedded servers, sandbox peers), for `scripts/dispatch` in another
  // terminal; owner-only, removed at stop. Values from .env or the environment are not repeated.
  const filled = Object.entries(env).filter(([name, value]) => sources.env[name] !== value);
  await writeFile(
    join(paths.runDir, 'stack.env'),
    filled.map(([name, value]) => `${name}='${value.replaceAll("'", "'\\''")}'\n`).join(''),
    { mode: 0o600 },
  );

  const worker = startWorker(env, paths);
  if (worker.pid !== undefined) await writePidFile(join(paths.runDir, 'worker.pid'), worker.pid);

  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    say(`${reason}: stopping…`);
    if (worker.exitCode === null) {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
    }
    await rm(join(paths.runDir, 'worker.pid'), { force: true });
    await rm(join(paths.runDir, 'stack.env'), { force: true });
    await sandbox?.close();
    await stopStack(paths);
    say('stopped; nothing left running');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('Ctrl-C'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  worker.once('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(
        `[dispatch] worker exited (code ${code}, signal ${signal}); see ${join(paths.logDir, 'worker.log')}\n`,
      );
      void shutdown('worker exited');
    }
  });

  const t1 = Date.now();
  const samples = await sandbox?.afterWorkerStarted(config);
  if (samples?.warning) say(`warning: ${samples.warning}`);
  if (samples?.seeded) {
    say(
      `${samples.seeded} sample mails put in the sandbox INBOX after the first TowerStore sync (${((Date.now() - t1) / 1000).toFixed(1)} s)`,
    );
  }

  const lines = [
    `DISPATCH is running (${config.debug ? 'debug mode' : 'production'}; ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    ...(uiUrl ? [`  Temporal Web UI            ${uiUrl}  (namespace ${config.temporal.namespace})`] : []),
    `  worker                     task queue "${config.temporal.taskQueue}" at ${config.temporal.address}`,
    `  health and metrics         http://127.0.0.1:${config.http.port}/readyz  /metrics${config.http.webhookSecret === '' ? '' : '  (Tracker webhook POST /tracker/webhook)'}`,
    ...embedded.map((line) => `  ${line}`),
    ...(sandbox?.describe() ?? []).map((line) => `  ${line}`),
    `  logs                       ${paths.logDir}/ (worker.log, temporal.log, postgres.log, stack.log)`,
    `  admin CLI                  scripts/dispatch --help  (e.g. scripts/dispatch status)`,
    'Press Ctrl-C to stop everything.',
  ];
  say(lines.join('\n'));
}

if (isMainModule(import.meta.url)) {
  const command = process.argv[2] ?? 'start';
  if (command === 'start') {
    try {
      await startStack();
    } catch (error) {
      process.stderr.write(
        `[dispatch] start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      await stopStack(stackPaths(readEnvironment(process.env).env.DISPATCH_DATA_DIR ?? '.data'));
      process.exit(1);
    }
  } else if (command === 'stop') {
    const sources = readEnvironment(process.env);
    await stopStack(stackPaths(sources.env.DISPATCH_DATA_DIR ?? '.data'));
  } else {
    process.stderr.write(`usage: local-stack.js [start|stop]\n`);
    process.exit(2);
  }
}
