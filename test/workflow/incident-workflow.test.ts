import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { incidentWorkflow, mailSignal, stateQuery } from '../../src/workflows/incident.js';
import { connectTemporal, type TemporalTestContext } from '../support/temporal.js';

let temporal: TemporalTestContext;

beforeAll(async () => {
  temporal = await connectTemporal('incident-wf');
});
afterAll(async () => {
  await temporal.close();
});

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('incidentWorkflow on the real dev server', () => {
  test('GEN-4: started by signalWithStart, handles each e-mail once, answers the state query', async () => {
    await temporal.withWorker(async () => {
      const workflowId = `incident-${Date.now()}`;
      const start = (emailId: number) =>
        temporal.client.workflow.signalWithStart(incidentWorkflow, {
          workflowId,
          taskQueue: temporal.taskQueue,
          args: [{ incidentId: 41 }],
          signal: mailSignal,
          signalArgs: [{ emailId }],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        });
      const handle = await start(1001);
      await start(1002);
      await start(1001); // ingestion repeats a signal after a crash: harmless
      const state = await waitFor(
        () => handle.query(stateQuery),
        (s) => s.handledEmailIds.length >= 2,
      );
      expect(state).toEqual({ incidentId: 41, pendingEmailIds: [], handledEmailIds: [1001, 1002], run: 1 });
      const description = await handle.describe();
      expect(description.status.name).toBe('RUNNING');
      expect(
        description.typedSearchAttributes.get((await import('../../src/workflows/search-attributes.js')).IncidentId),
      ).toBe(41);
      await handle.terminate('test done');
    });
  });

  test('INC-12: continue-as-new carries the state; signals during the hand-over are not lost', async () => {
    await temporal.withWorker(async () => {
      const workflowId = `incident-can-${Date.now()}`;
      const handle = await temporal.client.workflow.start(incidentWorkflow, {
        workflowId,
        taskQueue: temporal.taskQueue,
        args: [{ incidentId: 42, maxHistoryEvents: 10 }],
      });
      const firstRunId = handle.firstExecutionRunId;
      for (let emailId = 1; emailId <= 15; emailId++) await handle.signal(mailSignal, { emailId });
      const state = await waitFor(
        () => handle.query(stateQuery),
        // A query can be answered by the old run just before its continue-as-new completes.
        (s) => s.handledEmailIds.length === 15 && s.run > 1,
      );
      expect(state.handledEmailIds).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(state.pendingEmailIds).toEqual([]);
      expect(state.run).toBeGreaterThan(1);
      const description = await handle.describe();
      expect(description.runId).not.toBe(firstRunId);
      await handle.terminate('test done');
    });
  });
});
