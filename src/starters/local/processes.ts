// Background daemons of the local stack (PostgreSQL, Temporal dev server, sandbox peers) are
// tracked by pid files so that a stack killed with SIGKILL is recognised and recovered on the
// next start, and so that we only ever stop processes we started ourselves.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's command line, or null when it does not exist (Linux /proc). */
export async function commandLineOf(pid: number): Promise<string | null> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').join(' ').trim();
  } catch {
    return null;
  }
}

export async function readPidFile(path: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export async function writePidFile(path: string, pid: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${pid}\n`);
}

/**
 * The live pid recorded in `pidFile` if that process is still ours (its command line contains
 * `marker`); a stale file (dead or recycled pid) is removed and null returned.
 */
export async function ownLiveProcess(pidFile: string, marker: string): Promise<number | null> {
  const pid = await readPidFile(pidFile);
  if (pid === null) return null;
  const cmd = isAlive(pid) ? await commandLineOf(pid) : null;
  if (cmd?.includes(marker)) return pid;
  await rm(pidFile, { force: true });
  return null;
}

export async function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function waitForPort(port: number, timeoutMs: number, what: string, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isPortOpen(port, host)) return;
    await sleep(100);
  }
  throw new Error(`${what} did not open ${host}:${port} within ${Math.round(timeoutMs / 1000)} s`);
}

/** A port that is free right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function terminate(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

export class PortTakenError extends Error {
  constructor(what: string, port: number) {
    super(
      `${what}: port ${port} is already in use by another program (not one this project started). ` +
        `Stop that program or choose another port.`,
    );
    this.name = 'PortTakenError';
  }
}

/**
 * `wanted`, or — when some directory above it is not searchable by other users (e.g. /root, a 0700
 * temp dir) — a stable stand-in under `fallbackRoot`: daemons that drop privileges (PostgreSQL,
 * Dovecot, Postfix) could not reach the wanted path. The same `wanted` always maps to the same place.
 */
export async function daemonReachableDir(wanted: string, fallbackRoot: string): Promise<string> {
  const target = resolve(wanted);
  for (let dir = dirname(target); ; dir = dirname(dir)) {
    const info = await stat(dir).catch(() => null);
    if (info && (info.mode & 0o001) === 0) {
      const name = `${basename(target)}-${createHash('sha256').update(target).digest('hex').slice(0, 12)}`;
      await mkdir(fallbackRoot, { recursive: true, mode: 0o755 });
      return join(fallbackRoot, name);
    }
    if (dir === dirname(dir)) return target;
  }
}
