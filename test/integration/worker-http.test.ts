// The worker process (dist/src/workers/main.js) serves /healthz, /readyz and /metrics while it runs,
// is ready once it polls its task queue, and still stops cleanly on SIGTERM with the server open.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../../src/project-root.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ENV_TEMPORAL_ADDRESS, requireEnv } from '../support/services.js';
import { requiredEnv } from '../fixtures/config/env.js';

let database: TestDatabase;
let cwd: string;
let worker: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  database = await createTestDatabase('worker_http');
  cwd = await mkdtemp(join(tmpdir(), 'dispatch-worker-http-'));
});

afterAll(async () => {
  if (worker !== undefined && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await database.drop();
  await rm(cwd, { recursive: true, force: true });
});

/** Polls until `predicate` holds; the worker builds its workflow bundle first (several seconds). */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out; worker output:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('OPS-4: the worker serves health, readiness and metrics while it runs and stops cleanly on SIGTERM', async () => {
  const env: Record<string, string> = {
    ...requiredEnv(),
    PATH: process.env.PATH ?? '',
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: requireEnv(ENV_TEMPORAL_ADDRESS),
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: `worker-http-${randomUUID()}`,
    HTTP_PORT: '0',
    // CONF-4: alerts off, so the start-up notice goes nowhere.
    TG_TOKEN: '',
    TG_DEFAULT_USER_ID: '',
  };
  const child = spawn(process.execPath, [projectPath('dist/src/workers/main.js')], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker = child;
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const port = await eventually(
    () => Promise.resolve(/"url":"http:\/\/[^"]*:(\d+)"[^\n]*HTTP server listening/.exec(output)?.[1]),
    30_000,
  );
  const base = `http://127.0.0.1:${port}`;
  expect((await fetch(`${base}/healthz`)).status).toBe(200);

  const ready = await eventually(async () => {
    const res = await fetch(`${base}/readyz`);
    return res.status === 200 ? await res.json() : undefined;
  }, 60_000);
  expect(ready).toEqual({
    ready: true,
    failing: [],
    checks: { postgres: { ok: true }, temporal: { ok: true }, worker: { ok: true } },
  });
  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(metrics).toContain('dispatch_incidents{state="open"} 0');
  expect(metrics).toContain('# TYPE dispatch_tracker_requests_total counter');

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(output).toContain('DISPATCH worker stopped');
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();
}, 120_000);
