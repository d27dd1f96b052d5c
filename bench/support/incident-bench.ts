// Shared set-up of the benchmarks that drive incident workflows against the Tracker emulator:
// request counting by endpoint, bounded-concurrency loops and incidents opened the way ingestion
// opens them (an incident row, its primary e-mail, then signalWithStart with the `mail` signal).
import type { Client } from '@temporalio/client';

import { incidentWorkflow, mailSignal, stateQuery } from '../../src/workflows/incident.js';
import type { IncidentState } from '../../src/workflows/incident.js';
import type { DbPool } from '../../src/adapters/db/pool.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { insertIncident, waitFor } from '../../test/workflow/incident-fixtures.js';

/** Adds request counts per endpoint (`{ "GET /issues/:issue": 3 }`). */
export function addCounts(total: Record<string, number>, more: Record<string, number>): Record<string, number> {
  for (const [endpoint, n] of Object.entries(more)) total[endpoint] = (total[endpoint] ?? 0) + n;
  return total;
}

export const sumCounts = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

/** Scales counts (e.g. per window → per hour, total → per incident), rounded to 0.01. */
export function scaleCounts(counts: Record<string, number>, factor: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([endpoint, n]) => [endpoint, Math.round(n * factor * 100) / 100]),
  );
}

/** Counts the emulator requests made while `fn` runs (the log is cleared first). */
export async function countRequests<T>(
  emulator: TrackerEmulator,
  fn: () => Promise<T>,
): Promise<{ value: T; counts: Record<string, number> }> {
  emulator.clearRequestLog();
  const value = await fn();
  return { value, counts: emulator.requestCounts() };
}

/** Runs `task` for every item with at most `limit` in flight. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface OpenedIncident {
  incidentId: number;
  emailId: number;
  workflowId: string;
  key: string;
}

/** An e-mail incident as ingestion opens it, its workflow started by the `mail` signal; waits for the issue. */
export async function openMailIncident(
  temporal: Client,
  db: DbPool,
  taskQueue: string,
  name: string,
  registeredAt: Date,
): Promise<OpenedIncident> {
  const { incidentId, emailId } = await insertIncident(db, {
    messageId: `<${name}@operator.ru>`,
    subject: `Авария ${name}`,
    from: 'noc@operator.ru',
    to: ['disp@example.ru'],
    date: registeredAt,
    body: 'нет питания на БС MSK0123',
  });
  const workflowId = `incident-${incidentId}`;
  const handle = await temporal.workflow.signalWithStart(incidentWorkflow, {
    workflowId,
    taskQueue,
    args: [{ incidentId }],
    signal: mailSignal,
    signalArgs: [{ emailId }],
  });
  const state = await waitFor(
    () => handle.query(stateQuery),
    (s) => s.initialized,
    120_000,
  );
  if (state.issueKey === null) throw new Error(`incident ${incidentId}: no issue after 120 s`);
  return { incidentId, emailId, workflowId, key: state.issueKey };
}

export async function queryState(temporal: Client, workflowId: string): Promise<IncidentState> {
  return temporal.workflow.getHandle(workflowId).query(stateQuery);
}

/** Terminates the benchmark's workflows (they are long-lived by design). */
export async function terminateAll(temporal: Client, workflowIds: readonly string[]): Promise<void> {
  await forEachLimited(workflowIds, 32, async (id) => {
    await temporal.workflow
      .getHandle(id)
      .terminate('benchmark done')
      .catch(() => undefined);
  });
}
