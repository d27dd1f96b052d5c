// Issue #10: the worker process (dist/src/workers/main.js, run as a child: Runtime.install is once
// per process) serves the Temporal SDK runtime metrics on its own /metrics, next to the dispatch_*
// metrics. A cleanup workflow runs on its task queue; the SDK counts its completion and the scrape
// shows it, with the latency histograms, slot gauges and cache size the dashboard queries.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../../src/project-root.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ENV_TEMPORAL_ADDRESS, requireEnv } from '../support/services.js';
import { startWorkerProcess, workerProcessEnv } from '../support/worker-process.js';
import type { cleanupWorkflow } from '../../src/workflows/cleanup.js';

let database: TestDatabase;
let cwd: string;
let worker: ChildProcess | undefined;
let connection: Connection | undefined;

beforeAll(async () => {
  database = await createTestDatabase('temporal_sdk_metrics');
  cwd = await mkdtemp(join(tmpdir(), 'dispatch-sdk-metrics-'));
  await mkdir(join(cwd, 'attachments'));
});

afterAll(async () => {
  if (worker !== undefined && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await connection?.close();
  await database.drop();
  await rm(cwd, { recursive: true, force: true });
});

/** The value of the one sample of `series` whose labels include every `labels` pair. */
function sampleValue(text: string, series: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${series}{`)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/**
 * The temporal_* series the Grafana dashboard queries, except the counters of events this run has
 * none of (failures, cache evictions): the SDK reports a series on its first event.
 */
function dashboardSdkSeries(): string[] {
  const json = readFileSync(projectPath('deploy/grafana/dispatch.json'), 'utf8');
  const names = new Set(json.match(/\btemporal_[a-z0-9_]+/g) ?? []);
  return [...names].filter((name) => !/failed|eviction/.test(name)).sort();
}

test('issue #10: the worker /metrics carries the Temporal SDK metrics of a workflow it ran, next to dispatch_*', async () => {
  const taskQueue = `sdk-metrics-${randomUUID()}`;
  const address = requireEnv(ENV_TEMPORAL_ADDRESS);
  const env = {
    ...workerProcessEnv({ databaseUrl: database.url, taskQueue }),
    ATTACHMENTS_DIR: join(cwd, 'attachments'),
  };
  const started = await startWorkerProcess({ cwd, env });
  worker = started.child;
  const { child, exited, eventually } = started;
  const base = started.baseUrl;
  await eventually(async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), 60_000);

  connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  // CLEAN-1: the cleanup workflow needs only PostgreSQL and the attachments directory.
  const result = await client.workflow.execute<typeof cleanupWorkflow>('cleanupWorkflow', {
    taskQueue,
    workflowId: `sdk-metrics-cleanup-${randomUUID()}`,
    workflowExecutionTimeout: '60s',
  });
  expect(result).toEqual(expect.objectContaining({ status: 'succeeded' }));

  // The SDK reports the completion right after the workflow task: a scrape or two later at most.
  const completed = { task_queue: taskQueue, workflow_type: 'cleanupWorkflow' };
  const metrics = await eventually(async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    return (sampleValue(text, 'temporal_workflow_completed_total', completed) ?? 0) >= 1 ? text : undefined;
  }, 30_000);

  expect(sampleValue(metrics, 'temporal_workflow_completed_total', completed)).toBe(1);
  expect(metrics).toContain('# TYPE temporal_workflow_completed_total counter');
  expect(metrics).toContain('# TYPE temporal_worker_task_slots_available gauge');
  expect(metrics).toContain('# TYPE temporal_workflow_task_schedule_to_start_latency histogram');
  // Two activities (cleanupStorage, sendAlert), each executed once.
  expect(
    sampleValue(metrics, 'temporal_activity_execution_latency_count', {
      task_queue: taskQueue,
      activity_type: 'cleanupStorage',
    }),
  ).toBe(1);
  expect(
    sampleValue(metrics, 'temporal_workflow_task_schedule_to_start_latency_bucket', {
      task_queue: taskQueue,
      le: '+Inf',
    }),
  ).toBeGreaterThanOrEqual(1);
  // Every non-failure SDK series the dashboard queries is really there.
  const series = dashboardSdkSeries();
  expect(series.length).toBeGreaterThanOrEqual(5);
  expect(series.filter((name) => !new RegExp(`^${name}\\{`, 'm').test(metrics))).toEqual([]);
  // The worker's own metrics in the same response; no SDK update was skipped.
  expect(metrics).toContain('dispatch_incidents{state="open"} 0');
  expect(metrics).toContain('# TYPE dispatch_tracker_requests_total counter');
  for (const reason of ['invalid_update', 'invalid_metric', 'invalid_value', 'kind_conflict', 'apply_failed']) {
    expect(metrics).toContain(`dispatch_temporal_sdk_metric_errors_total{reason="${reason}"} 0\n`);
  }

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(started.output()).toContain('DISPATCH worker stopped');
}, 150_000);
