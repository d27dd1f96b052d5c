import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { createIncidentActivities } from '../../src/activities/incident.js';
import { parseConfig } from '../../src/config/load.js';
import { incidentWorkflow, mailSignal, stateQuery } from '../../src/workflows/incident.js';
import { IncidentId } from '../../src/workflows/search-attributes.js';
import { requiredEnv } from '../fixtures/config/env.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { connectTemporal, type TemporalTestContext } from '../support/temporal.js';
import { insertIncident, quietLogger, waitFor } from './incident-fixtures.js';

let temporal: TemporalTestContext;
let database: TestDatabase;
let activities: ReturnType<typeof createIncidentActivities>;

beforeAll(async () => {
  temporal = await connectTemporal('incident-wf');
  database = await createTestDatabase('incident_wf');
  // YT-20-excluded incidents: these tests exercise signals and continue-as-new, not Tracker.
  const config = parseConfig({ env: { ...requiredEnv(), DATABASE_URL: database.url }, dotenvFile: null });
  activities = createIncidentActivities({ config, db: database.pool, log: quietLogger(), temporal: temporal.client });
});
afterAll(async () => {
  await temporal.close();
  await database.drop();
});

const excludedIncident = async (tag: string) =>
  insertIncident(
    database.pool,
    {
      messageId: `<${tag}-${randomUUID()}@operator.ru>`,
      subject: 'Авария',
      from: 'noc@operator.ru',
      date: new Date('2025-03-05T07:15:00.000Z'),
      body: null,
    },
    { trackerExcluded: true },
  );

describe('incidentWorkflow on the real dev server', () => {
  test('GEN-4: started by signalWithStart, handles each e-mail once, answers the state query', async () => {
    const { incidentId, emailId } = await excludedIncident('gen4');
    await temporal.withWorker(
      async () => {
        const workflowId = `incident-${incidentId}-${randomUUID()}`;
        const start = (id: number) =>
          temporal.client.workflow.signalWithStart(incidentWorkflow, {
            workflowId,
            taskQueue: temporal.taskQueue,
            args: [{ incidentId }],
            signal: mailSignal,
            signalArgs: [{ emailId: id }],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          });
        const handle = await start(emailId);
        await start(1002);
        await start(emailId); // ingestion repeats a signal after a crash: harmless
        const state = await waitFor(
          () => handle.query(stateQuery),
          (s) => s.initialized && s.handledEmailIds.length >= 2 && s.pendingEmailIds.length === 0,
        );
        expect(state).toMatchObject({
          incidentId,
          pendingEmailIds: [],
          handledEmailIds: [emailId, 1002],
          run: 1,
          issueKey: null,
          trackerExcluded: true,
        });
        const description = await handle.describe();
        expect(description.status.name).toBe('RUNNING');
        expect(description.typedSearchAttributes.get(IncidentId)).toBe(incidentId);
        await handle.terminate('test done');
      },
      { activities },
    );
  });

  test('INC-12: continue-as-new carries the state; signals during the hand-over are not lost', async () => {
    const { incidentId, emailId } = await excludedIncident('can');
    await temporal.withWorker(
      async () => {
        const handle = await temporal.client.workflow.start(incidentWorkflow, {
          workflowId: `incident-can-${incidentId}-${randomUUID()}`,
          taskQueue: temporal.taskQueue,
          args: [{ incidentId, maxHistoryEvents: 20 }],
        });
        const firstRunId = handle.firstExecutionRunId;
        const signalled = Array.from({ length: 15 }, (_, i) => 5001 + i);
        for (const id of signalled) await handle.signal(mailSignal, { emailId: id });
        const state = await waitFor(
          () => handle.query(stateQuery),
          // A query can be answered by the old run just before its continue-as-new completes.
          (s) => s.handledEmailIds.length === 16 && s.run > 1,
        );
        expect(state.handledEmailIds).toEqual([emailId, ...signalled]);
        expect(state.pendingEmailIds).toEqual([]);
        expect(state.run).toBeGreaterThan(1);
        const description = await handle.describe();
        expect(description.runId).not.toBe(firstRunId);
        await handle.terminate('test done');
      },
      { activities },
    );
  });
});
