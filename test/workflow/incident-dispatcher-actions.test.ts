// Dispatchers' actions reaching the incident workflow on the dev server, against the emulator, a
// real PostgreSQL and the Telegram fake (issue #6): change detection signals the workflow (YT-13,
// YT-15), the workflow processes the snapshot (YT-16: VAL, finishing, SLA fields), its durable SLA
// timers rewrite the SLA status at the instants of SLA-5 without polling, a breach is alerted once
// per open period (SLA-8), and a finished incident's workflow completes and restarts (INC-12).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { z } from 'zod';
import { createActivities } from '../../src/activities/index.js';
import { createTrackerRouterFor } from '../../src/activities/tracker-sync.js';
import type { TrackerRouter } from '../../src/activities/tracker-sync.js';
import type { Config } from '../../src/config/load.js';
import { SLA_STATUS } from '../../src/domain/sla.js';
import { startTelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';
import type { TelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';
import { startTrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { incidentWorkflow, mailSignal, stateQuery } from '../../src/workflows/incident.js';
import type { IncidentState } from '../../src/workflows/incident.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { recordHistory } from '../support/replay.js';
import { connectTemporal, type TemporalTestContext } from '../support/temporal.js';
import {
  emulatorConfig,
  insertEmail,
  insertIncident,
  quietLogger,
  seedAcceptanceDirectory,
  seedAcceptanceDispatchers,
  waitFor,
} from './incident-fixtures.js';

const TYPE = 'Авария по питанию для МСК';
const MINUTE = 60_000;

let emulator: TrackerEmulator;
let database: TestDatabase;
let temporal: TemporalTestContext;
let telegram: TelegramFake;
let config: Config;
let router: TrackerRouter;
const workflowIds: string[] = [];

beforeAll(async () => {
  emulator = await startTrackerEmulator();
  database = await createTestDatabase('dispatcher_actions');
  temporal = await connectTemporal('dispatcher-actions');
  telegram = await startTelegramFake();
  config = emulatorConfig(emulator, database.url, {
    ...telegram.env,
    TEMPORAL_TASK_QUEUE: temporal.taskQueue,
    INCIDENT_IDLE_CLOSE_DAYS: '0',
  });
  await seedAcceptanceDirectory(database.pool);
  await seedAcceptanceDispatchers(database.pool);
  // Admins may edit SLA minutes (DEF-1): 61 minutes puts both SLA instants within seconds of a test.
  await database.pool.query(sql.unsafe`UPDATE incident_types SET sla_minutes = 61 WHERE name = ${TYPE}`);
  const deps = { config, db: database.pool, log: quietLogger(), temporal: temporal.client };
  router = createTrackerRouterFor(deps);
});

afterAll(async () => {
  for (const id of workflowIds) {
    await temporal.client.workflow
      .getHandle(id)
      .terminate('test done')
      .catch(() => undefined);
  }
  await temporal.close();
  await database.drop();
  await emulator.close();
  await telegram.close();
});

const withWorker = <T>(fn: () => Promise<T>) =>
  temporal.withWorker(fn, {
    activities: createActivities({ config, db: database.pool, log: quietLogger(), temporal: temporal.client }),
  });

/** An e-mail incident whose workflow created its issue; registration `registeredAgoMs` ago. */
async function openIncident(name: string, registeredAgoMs: number) {
  const { incidentId, emailId } = await insertIncident(database.pool, {
    messageId: `<${name}@operator.ru>`,
    subject: `Авария ${name}`,
    from: 'noc@operator.ru',
    to: ['disp@example.ru'],
    date: new Date(Date.now() - registeredAgoMs),
    body: 'нет питания на БС MSK0123',
  });
  const workflowId = `incident-${incidentId}`;
  workflowIds.push(workflowId);
  const handle = await temporal.client.workflow.signalWithStart(incidentWorkflow, {
    workflowId,
    taskQueue: temporal.taskQueue,
    args: [{ incidentId }],
    signal: mailSignal,
    signalArgs: [{ emailId }],
  });
  const state = await waitFor(
    () => handle.query(stateQuery),
    (s) => s.initialized,
  );
  return { incidentId, emailId, workflowId, handle, key: state.issueKey as string };
}

const issueField = (key: string, field: keyof TrackerEmulator['seed']['fields']) =>
  emulator.getIssue(key)?.[emulator.seed.fields[field]];

/** Change detection for one issue, as the poll or the webhook does it (YT-15 step 3). */
const detect = (key: string) => router.routeIssueByKey(key, 'poll');

async function waitForState(
  handle: { query: (q: typeof stateQuery) => Promise<IncidentState> },
  done: (s: IncidentState) => boolean,
  timeoutMs = 30_000,
): Promise<IncidentState> {
  return waitFor(() => handle.query(stateQuery), done, timeoutMs);
}

const breachAlerts = (key: string) => telegram.messages.filter((m) => m.text.includes('SLA') && m.text.includes(key));

/**
 * The dispatcher moves the issue step by step (the queue workflow: open → inProgress → closed) and
 * the workflow has processed each step before the next (a poll between them, INC-8 sees each).
 */
async function move(handle: Handle, key: string, ...statuses: string[]): Promise<void> {
  for (const status of statuses) {
    const issue = emulator.dispatcher.executeTransition({ login: 'petrov', issue: key, status });
    await detect(key);
    const version = Number(issue['version']);
    await waitForState(handle, (s) => s.pendingTrackerVersion === null && (s.trackerVersion ?? 0) >= version);
  }
}

type Handle = { query: (q: typeof stateQuery) => Promise<IncidentState> };

const historyNames = (incidentId: number) =>
  database.pool.anyFirst(sql.type(z.object({ name: z.string() }))`
    SELECT s.name FROM incident_status_history h JOIN incident_statuses s ON s.id = h.status_id
    WHERE h.incident_id = ${incidentId} ORDER BY h.inserted_at, h.id`);

describe('issue 6: dispatcher actions through the incident workflow', () => {
  test('AC-11 / SLA-5 / SLA-8: type set → deadline and status; the timers rewrite the status at the warning and at the deadline; one breach alert', async () => {
    await withWorker(async () => {
      // Deadline = registration + 61 min: the warning instant 8 s ahead for one, the deadline 12 s ahead for the other.
      const early = await openIncident('sla-warning', MINUTE - 8_000);
      const late = await openIncident('sla-deadline', 61 * MINUTE - 12_000);
      for (const incident of [early, late]) {
        emulator.dispatcher.updateFields({
          login: 'petrov',
          issue: incident.key,
          fields: { [emulator.seed.fields.typeOfProblem]: TYPE },
        });
        await detect(incident.key);
      }
      await waitForState(early.handle, (s) => s.sla?.status === SLA_STATUS.inProgress);
      await waitForState(late.handle, (s) => s.sla?.status === SLA_STATUS.lessThanHour);
      expect(issueField(early.key, 'slaStatus')).toBe(SLA_STATUS.inProgress);
      expect(issueField(late.key, 'slaStatus')).toBe(SLA_STATUS.lessThanHour);
      expect(issueField(late.key, 'deadlineSla')).toMatch(/^\d{4}-\d\d-\d\dT/);
      // No change detection from here on: only the durable timers move the status.
      await waitForState(early.handle, (s) => s.sla?.status === SLA_STATUS.lessThanHour, 30_000);
      await waitForState(late.handle, (s) => s.sla?.status === SLA_STATUS.breached, 30_000);
      expect(issueField(early.key, 'slaStatus')).toBe(SLA_STATUS.lessThanHour);
      expect(issueField(late.key, 'slaStatus')).toBe(SLA_STATUS.breached);
      await waitFor(
        () => Promise.resolve(breachAlerts(late.key)),
        (m) => m.length > 0,
      );
      expect(breachAlerts(late.key)).toHaveLength(1);
      expect(breachAlerts(early.key)).toHaveLength(0);
      await recordHistory(temporal.client, late.workflowId, 'incident-sla-timers', 'AC-11 SLA timers');
    });
  }, 120_000);

  test('AC-12 / AC-13 / INC-10: closed before the deadline → finished at the Tracker time, closed on time, no breach; reopened after it → breached and alerted; re-closed', async () => {
    await withWorker(async () => {
      const incident = await openIncident('close-reopen', 61 * MINUTE - 10_000);
      emulator.dispatcher.updateFields({
        login: 'petrov',
        issue: incident.key,
        fields: { [emulator.seed.fields.typeOfProblem]: TYPE },
      });
      await detect(incident.key);
      await waitForState(incident.handle, (s) => s.sla?.deadline !== null && s.sla?.deadline !== undefined);
      await move(incident.handle, incident.key, 'inProgress', 'closed');
      const closed = await waitForState(incident.handle, (s) => s.sla?.isFinished === true);
      expect(closed.sla?.status).toBe(SLA_STATUS.closedOnTime);
      const row = await database.pool.one(sql.type(
        z.object({ finished_at: z.date().nullable(), is_finished: z.boolean() }),
      )`
        SELECT finished_at, is_finished FROM incidents WHERE id = ${incident.incidentId}`);
      const closedAt = emulator
        .issueHistory(incident.key)
        ?.changelog.filter((e) => JSON.stringify(e['fields']).includes('"closed"'))
        .at(-1)?.['updatedAt'];
      expect(row.is_finished).toBe(true);
      expect(row.finished_at?.getTime()).toBe(new Date(String(closedAt).replace(/\+0000$/, 'Z')).getTime());
      expect(issueField(incident.key, 'slaStatus')).toBe(SLA_STATUS.closedOnTime);
      // The deadline passes while closed: the timer is not armed, the status stays, no alert.
      await new Promise((r) => setTimeout(r, 12_000));
      expect(issueField(incident.key, 'slaStatus')).toBe(SLA_STATUS.closedOnTime);
      expect(breachAlerts(incident.key)).toHaveLength(0);
      // SLA-7: reopening runs the clock from the original registration: already breached.
      await move(incident.handle, incident.key, 'inProgress');
      await waitForState(incident.handle, (s) => s.sla?.isFinished === false && s.sla.status === SLA_STATUS.breached);
      expect(issueField(incident.key, 'slaStatus')).toBe(SLA_STATUS.breached);
      await waitFor(
        () => Promise.resolve(breachAlerts(incident.key)),
        (m) => m.length > 0,
      );
      await move(incident.handle, incident.key, 'closed');
      await waitForState(incident.handle, (s) => s.sla?.isFinished === true);
      // (The fixture inserts the incident without the `Новый` row ingestion writes, INC-7.)
      expect(await historyNames(incident.incidentId)).toEqual(['В работе', 'Закрыт', 'В работе', 'Закрыт']);
      expect(breachAlerts(incident.key)).toHaveLength(1);
    });
  }, 120_000);

  test('AC-9 through the workflow: a lower-case pole prefix becomes the canonical code with its contractor, no error', async () => {
    await withWorker(async () => {
      const incident = await openIncident('pole-canonical', 5 * MINUTE);
      emulator.dispatcher.updateFields({
        login: 'petrov',
        issue: incident.key,
        fields: { [emulator.seed.fields.poleNumber]: '12345-msk-01', [emulator.seed.fields.baseStationNumber]: null },
      });
      await detect(incident.key);
      await waitFor(
        () => Promise.resolve(issueField(incident.key, 'poleNumber')),
        (v) => v === '12345-MSK-01',
      );
      expect(issueField(incident.key, 'avrContractor')).toBe('ООО Ремонт');
      expect((emulator.getIssue(incident.key)?.['status'] as { key: string }).key).toBe('open');
    });
  }, 60_000);

  test('INC-12: a finished incident idle for INCIDENT_IDLE_CLOSE_DAYS completes; a later e-mail starts a new run that comments it', async () => {
    await withWorker(async () => {
      const incident = await openIncident('idle-close', 5 * MINUTE);
      await move(incident.handle, incident.key, 'inProgress', 'closed');
      await expect(incident.handle.result()).resolves.toBeUndefined();
      await recordHistory(temporal.client, incident.workflowId, 'incident-finished-idle-completed', 'INC-12');
      const replyId = await insertEmail(database.pool, incident.incidentId, {
        messageId: '<idle-close-reply@remont.ru>',
        inReplyTo: '<idle-close@operator.ru>',
        subject: 'Re: Авария idle-close',
        from: 'avr@remont.ru',
        date: new Date(),
        body: 'Акт подписан.',
      });
      const next = await temporal.client.workflow.signalWithStart(incidentWorkflow, {
        workflowId: incident.workflowId,
        taskQueue: temporal.taskQueue,
        args: [{ incidentId: incident.incidentId }],
        signal: mailSignal,
        signalArgs: [{ emailId: replyId }],
      });
      expect(next.signaledRunId).not.toBe(incident.handle.signaledRunId);
      await waitFor(
        () => Promise.resolve(emulator.issueHistory(incident.key)?.comments.length ?? 0),
        (n) => n === 1,
      );
      // INC-11: the e-mail does not reopen the incident.
      const finished = await database.pool.oneFirst(sql.type(z.object({ is_finished: z.boolean() }))`
        SELECT is_finished FROM incidents WHERE id = ${incident.incidentId}`);
      expect(finished).toBe(true);
    });
  }, 90_000);
  test('AC-5 / INC-4: an earlier original linked later moves the registration: comment, email datetime, SLA deadline', async () => {
    await withWorker(async () => {
      // The reply arrived first and opened the incident; the type is set (deadline = registration + 61 min).
      const incident = await openIncident('late-original-reply', 30 * MINUTE);
      emulator.dispatcher.updateFields({
        login: 'petrov',
        issue: incident.key,
        fields: { [emulator.seed.fields.typeOfProblem]: TYPE },
      });
      await detect(incident.key);
      const before = await waitForState(
        incident.handle,
        (s) => s.sla?.deadline !== null && s.sla?.deadline !== undefined,
      );
      // The original (20 minutes older) is linked later; ingestion moved the registration (INC-4).
      const originalDate = new Date(new Date(before.sla?.registrationTime ?? 0).getTime() - 20 * MINUTE);
      const originalId = await insertEmail(database.pool, incident.incidentId, {
        messageId: '<late-original@operator.ru>',
        subject: 'Авария late-original',
        from: 'noc@operator.ru',
        to: ['disp@example.ru'],
        date: originalDate,
        body: 'нет питания на БС MSK0123',
      });
      await database.pool.query(sql.unsafe`
        UPDATE incidents SET registration_time = ${sql.timestamp(originalDate)}, primary_email_id = ${originalId}
        WHERE id = ${incident.incidentId}`);
      await incident.handle.signal(mailSignal, { emailId: originalId });
      const after = await waitForState(
        incident.handle,
        (s) => s.handledEmailIds.includes(originalId) && s.sla?.registrationTime === originalDate.toISOString(),
      );
      expect(after.sla?.deadline).toBe(new Date(originalDate.getTime() + 61 * MINUTE).toISOString());
      expect(issueField(incident.key, 'emailDatetime')).toBe(originalDate.toISOString().replace('Z', '+0000'));
      expect(String(issueField(incident.key, 'deadlineSla'))).toBe(
        new Date(originalDate.getTime() + 61 * MINUTE).toISOString().replace('Z', '+0000'),
      );
      // The original is posted as a comment; summary and description stay as created.
      expect(emulator.issueHistory(incident.key)?.comments).toHaveLength(1);
      expect(emulator.getIssue(incident.key)?.['summary']).toBe('Авария late-original-reply');
    });
  }, 60_000);
});
