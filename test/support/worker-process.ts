// The real worker process (dist/src/workers/main.js) as a child, for tests of what only a whole
// process shows: its HTTP server, its Temporal runtime (installed once per process), clean SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { projectPath } from '../../src/project-root.js';
import { requiredEnv } from '../fixtures/config/env.js';
import { ENV_TEMPORAL_ADDRESS, requireEnv } from './services.js';

/** A complete worker environment on the test run's Temporal server; alerts off (CONF-4). */
export function workerProcessEnv(options: { databaseUrl: string; taskQueue: string }): Record<string, string> {
  return {
    ...requiredEnv(),
    DATABASE_URL: options.databaseUrl,
    TEMPORAL_ADDRESS: requireEnv(ENV_TEMPORAL_ADDRESS),
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    // The start-up (and job) notices go nowhere.
    TG_TOKEN: '',
    TG_DEFAULT_USER_ID: '',
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Its exit code, once it exits. */
  exited: Promise<number | null>;
  /** http://127.0.0.1:<port> of its HTTP server (HTTP_PORT 0 picks a free port; read from its log). */
  baseUrl: string;
  /** Polls `probe` until it gives a value; times out with the worker's output. */
  eventually: <T>(probe: () => Promise<T | undefined>, timeoutMs: number) => Promise<T>;
}

export async function startWorkerProcess(options: {
  cwd: string;
  env: Record<string, string>;
}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [projectPath('dist/src/workers/main.js')], {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '', HTTP_PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  // The worker builds its workflow bundle before it polls: several seconds.
  const eventually = async <T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out; worker output:\n${output.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const port = await eventually(
    () => Promise.resolve(/"url":"http:\/\/[^"]*:(\d+)"[^\n]*HTTP server listening/.exec(output)?.[1]),
    30_000,
  );
  return { child, output: () => output, exited, baseUrl: `http://127.0.0.1:${port}`, eventually };
}
