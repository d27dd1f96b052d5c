// The worker process (dist/src/workers/main.js) serves /healthz, /readyz and /metrics while it runs,
// is ready once it polls its task queue, and still stops cleanly on SIGTERM with the server open.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startWorkerProcess, workerProcessEnv } from '../support/worker-process.js';

let database: TestDatabase;
let cwd: string;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  database = await createTestDatabase('worker_http');
  cwd = await mkdtemp(join(tmpdir(), 'dispatch-worker-http-'));
});

afterAll(async () => {
  if (worker !== undefined && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await database.drop();
  await rm(cwd, { recursive: true, force: true });
});

test('OPS-4: the worker serves health, readiness and metrics while it runs and stops cleanly on SIGTERM', async () => {
  const env = workerProcessEnv({ databaseUrl: database.url, taskQueue: `worker-http-${randomUUID()}` });
  const started = await startWorkerProcess({ cwd, env });
  worker = started.child;
  const { child, exited, eventually } = started;
  const base = started.baseUrl;
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
  expect(started.output()).toContain('DISPATCH worker stopped');
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();
}, 120_000);
