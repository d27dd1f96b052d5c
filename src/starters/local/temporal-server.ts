// The Temporal CLI dev server (built into .tools/bin by scripts/bootstrap.sh): SQLite persistence
// in a file, Web UI, our search attributes registered at start.
import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, resolve } from 'node:path';
import { searchAttributeCliArgs } from '../../workflows/search-attributes.js';
import { projectPath } from '../../project-root.js';
import {
  commandLineOf,
  isPortOpen,
  ownLiveProcess,
  PortTakenError,
  terminate,
  waitForPort,
  writePidFile,
} from './processes.js';

export const TEMPORAL_BINARY = projectPath('.tools/bin/temporal');

export interface TemporalDevServerOptions {
  port: number;
  /** Web UI port; null = headless. */
  uiPort: number | null;
  /** SQLite file; null = in memory. */
  dbFile: string | null;
  pidFile: string;
  logFile: string;
  namespace?: string;
}

export interface RunningTemporal {
  address: string;
  uiUrl: string | null;
  pid: number;
  started: boolean;
}

export async function ensureTemporalDevServer(options: TemporalDevServerOptions): Promise<RunningTemporal> {
  if (!existsSync(TEMPORAL_BINARY)) {
    throw new Error(`Temporal CLI not found at ${TEMPORAL_BINARY}: run scripts/bootstrap.sh first`);
  }
  const address = `127.0.0.1:${options.port}`;
  const namespace = options.namespace ?? 'default';
  const uiUrl = options.uiPort === null ? null : `http://127.0.0.1:${options.uiPort}`;
  const marker = `--port ${options.port}`;
  const existing = await ownLiveProcess(options.pidFile, TEMPORAL_BINARY);
  if (existing !== null) {
    if ((await commandLineOf(existing))?.includes(marker)) {
      await waitForPort(options.port, 60_000, 'Temporal dev server');
      if (uiUrl) await waitForWebUi(uiUrl, namespace, 60_000);
      return { address, uiUrl, pid: existing, started: false };
    }
    await terminate(existing);
  }
  if (await isPortOpen(options.port)) throw new PortTakenError('Temporal dev server', options.port);
  if (options.uiPort !== null && (await isPortOpen(options.uiPort))) {
    throw new PortTakenError('Temporal Web UI', options.uiPort);
  }

  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    namespace,
    '--log-format',
    'json',
    '--log-level',
    'warn',
    ...(options.uiPort === null ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
    ...(options.dbFile === null ? [] : ['--db-filename', resolve(options.dbFile)]),
    ...searchAttributeCliArgs(),
  ];
  if (options.dbFile) await mkdir(dirname(resolve(options.dbFile)), { recursive: true });
  await mkdir(dirname(resolve(options.logFile)), { recursive: true });
  const log = openSync(resolve(options.logFile), 'a');
  // Own session (detached): a Ctrl-C in the terminal reaches the stack, which stops the server in order.
  const child = spawn(TEMPORAL_BINARY, args, { detached: true, stdio: ['ignore', log, log] });
  if (child.pid === undefined) throw new Error('failed to start the Temporal dev server');
  child.unref();
  await writePidFile(options.pidFile, child.pid);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`Temporal dev server exited with code ${code}; see ${resolve(options.logFile)}`)),
    ),
  );
  await Promise.race([waitForPort(options.port, 60_000, 'Temporal dev server'), exited]);
  if (uiUrl) await Promise.race([waitForWebUi(uiUrl, namespace, 60_000), exited]);
  return { address, uiUrl, pid: child.pid, started: true };
}

/**
 * The gRPC port opens before the Web UI can list namespaces (its backend connects a moment later
 * and answers errors meanwhile); the stack announces the UI only once it shows our namespace.
 */
export async function waitForWebUi(uiUrl: string, namespace: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${uiUrl}/api/v1/namespaces`, { signal: AbortSignal.timeout(5_000) });
      const body = (await response.json()) as { namespaces?: { namespaceInfo?: { name?: string } }[] };
      if (body.namespaces?.some((n) => n.namespaceInfo?.name === namespace)) return;
      last = `HTTP ${response.status} ${JSON.stringify(body).slice(0, 200)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(200);
  }
  throw new Error(
    `Temporal Web UI at ${uiUrl} did not list namespace ${namespace} within ${timeoutMs / 1000} s: ${last}`,
  );
}

export async function stopTemporalDevServer(pidFile: string): Promise<boolean> {
  const pid = await ownLiveProcess(pidFile, TEMPORAL_BINARY);
  if (pid === null) return false;
  await terminate(pid);
  await rm(pidFile, { force: true });
  return true;
}
