// The incident workflow's Tracker side on the dev server against the emulator (no Tracker mocks):
// AC-1, AC-2, AC-23, idempotency under lost answers (GEN-5, YT-9, YT-10), Retry-After (YT-1),
// search attributes (OPS-1), YT-20, and the number of Tracker calls per incident.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { z } from 'zod';
import { createIncidentActivities } from '../../src/activities/incident.js';
import type { Config } from '../../src/config/load.js';
import { startTrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { incidentWorkflow, mailSignal, stateQuery } from '../../src/workflows/incident.js';
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

let emulator: TrackerEmulator;
let database: TestDatabase;
let temporal: TemporalTestContext;
let config: Config;
let activities: ReturnType<typeof createIncidentActivities>;

const YES = '✔️ Да';
const NO = '✖️ Нет';

beforeAll(async () => {
  emulator = await startTrackerEmulator();
  database = await createTestDatabase('incident_tracker');
  temporal = await connectTemporal('incident-tracker');
  config = emulatorConfig(emulator, database.url);
  await seedAcceptanceDirectory(database.pool);
  await seedAcceptanceDispatchers(database.pool);
  activities = createIncidentActivities({ config, db: database.pool, log: quietLogger(), temporal: temporal.client });
});

afterAll(async () => {
  await temporal.close();
  await database.drop();
  await emulator.close();
});

const withWorker = <T>(fn: () => Promise<T>) => temporal.withWorker(fn, { activities });

/** Starts (or signals) the incident's workflow as ingestion does (MAIL-14). */
async function signalEmail(workflowId: string, incidentId: number, emailId: number) {
  return temporal.client.workflow.signalWithStart(incidentWorkflow, {
    workflowId,
    taskQueue: temporal.taskQueue,
    args: [{ incidentId }],
    signal: mailSignal,
    signalArgs: [{ emailId }],
  });
}

async function settled(handle: Awaited<ReturnType<typeof signalEmail>>, emailIds: number[]) {
  return waitFor(
    () => handle.query(stateQuery),
    (s) => s.initialized && s.pendingEmailIds.length === 0 && emailIds.every((id) => s.handledEmailIds.includes(id)),
  );
}

const incidentCode = (incidentId: number) =>
  database.pool.oneFirst(sql.type(z.object({ code: z.string().nullable() }))`
    SELECT code FROM incidents WHERE id = ${incidentId}`);

const ORIGINAL_DATE = new Date('2025-03-05T07:15:00.000Z');
const REPLY_DATE = new Date('2025-03-05T08:02:00.000Z');

describe('AC-1 / AC-2: one issue per incident, every reply one comment', () => {
  let incidentId = 0;
  let primaryId = 0;
  let issueKey = '';
  const workflowId = `incident-ac1-${randomUUID()}`;

  test('AC-1: the first e-mail creates the issue with every field of YT-8', async () => {
    const created = await insertIncident(database.pool, {
      messageId: '<ac1-original@operator.ru>',
      subject: 'Авария',
      from: 'noc@operator.ru',
      to: ['disp@example.ru'],
      cc: ['duty@operator.ru', 'DISP@example.ru'],
      date: ORIGINAL_DATE,
      body: 'нет питания на БС MSK0123',
    });
    incidentId = created.incidentId;
    primaryId = created.emailId;
    emulator.clearRequestLog();
    await withWorker(async () => {
      const handle = await signalEmail(workflowId, incidentId, primaryId);
      const state = await settled(handle, [primaryId]);
      expect(state).toMatchObject({ issueKey: 'AVRSERVICE-1', dispatcher: 'petrov', poleCode: '12345-MSK-01' });
    });
    issueKey = 'AVRSERVICE-1';
    expect(await incidentCode(incidentId)).toBe(issueKey);
    const issue = emulator.getIssue(issueKey) as Record<string, unknown>;
    const uid = emulator.seed.users.find((u) => u.login === 'petrov')?.uid;
    expect({
      summary: issue['summary'],
      description: issue['description'],
      localId: issue['localId'],
      poleNumber: issue['poleNumber'],
      baseStationNumber: issue['baseStationNumber'],
      operator: issue['operator'],
      avrContractor: issue['avrContractor'],
      assignee: (issue['assignee'] as { id: string }).id,
      emailDatetime: issue['emailDatetime'],
      newMessage: issue['newMessage'],
      slaStatus: issue['slaStatus'],
      localEmailsIds: issue['localEmailsIds'],
      emailFrom: issue['emailFrom'],
      emailTo: issue['emailTo'],
      emailCc: issue['emailCc'],
      unique: issue['unique'],
      type: (issue['type'] as { key: string }).key,
      createdBy: (issue['createdBy'] as { display: string }).display,
    }).toEqual({
      summary: 'Авария',
      description: 'нет питания на БС MSK0123',
      localId: incidentId,
      poleNumber: '12345-MSK-01',
      baseStationNumber: 'MSK0123',
      operator: 'Билайн, МТС',
      avrContractor: 'ООО Ремонт',
      assignee: String(uid),
      emailDatetime: '2025-03-05T07:15:00.000+0000',
      newMessage: YES,
      slaStatus: '⬜️ Неизвестно',
      localEmailsIds: String(primaryId),
      emailFrom: 'noc@operator.ru',
      emailTo: ['disp@example.ru'],
      emailCc: ['duty@operator.ru', 'DISP@example.ru'],
      unique: `dispatch:AVRSERVICE:incident:${incidentId}`,
      type: 'incident',
      createdBy: 'Робот Трекера',
    });
    expect(emulator.issueHistory(issueKey)?.comments).toEqual([]);
    // Tracker calls for the creation: the user list (ASSIGN-1, then cached) and the create itself.
    expect(emulator.requestCounts()).toEqual({ 'GET /users': 1, 'POST /issues': 1 });
  });

  test('OPS-1: the workflow is found by IncidentKey, PoleCode and BaseStation', async () => {
    for (const query of [
      `IncidentKey = "AVRSERVICE-1"`,
      `PoleCode = "12345-MSK-01"`,
      `BaseStation = "MSK0123"`,
      `Dispatcher = "petrov" AND IncidentId = ${incidentId}`,
    ]) {
      const ids = await waitFor(
        async () => {
          const found: string[] = [];
          for await (const info of temporal.client.workflow.list({
            query: `${query} AND TaskQueue = "${temporal.taskQueue}"`,
          })) {
            found.push(info.workflowId);
          }
          return found;
        },
        (found) => found.includes(workflowId),
      );
      expect(ids).toEqual([workflowId]);
    }
  });

  test('AC-2: a reply becomes one YT-11 comment, its id joins the e-mail-ids field, new message is set', async () => {
    emulator.dispatcher.updateFields({ login: 'petrov', issue: issueKey, fields: { newMessage: NO } });
    const replyId = await insertEmail(database.pool, incidentId, {
      messageId: '<ac2-reply@remont.ru>',
      inReplyTo: '<ac1-original@operator.ru>',
      subject: 'Re: Авария',
      from: 'avr@remont.ru',
      to: ['disp@example.ru'],
      date: REPLY_DATE,
      body: 'Бригада выехала.\n\n> нет питания на БС MSK0123',
    });
    emulator.clearRequestLog();
    await withWorker(async () => {
      const handle = await signalEmail(workflowId, incidentId, replyId);
      await handle.signal(mailSignal, { emailId: replyId }); // a repeated signal is harmless
      await settled(handle, [replyId]);
      await recordHistory(temporal.client, workflowId, 'incident-created-then-reply', 'AC-1 + AC-2 (incident-tracker)');
      await handle.terminate('test done');
    });
    const history = emulator.issueHistory(issueKey);
    expect(history?.comments.map((c) => c['text'])).toEqual([
      [
        '### 📧 "**Re: Авария**"',
        '',
        '| | |',
        '|-|-|',
        '| **От:** | `avr@remont.ru` |',
        '| **Кому:** | `disp@example.ru` |',
        '| **Дата:** | `05.03.2025 11:02` |',
        '',
        '```text',
        'Бригада выехала.',
        '',
        '> нет питания на БС MSK0123',
        '```',
      ].join('\n'),
    ]);
    expect(history?.issue['localEmailsIds']).toBe(`${primaryId}, ${replyId}`);
    expect(history?.issue['newMessage']).toBe(YES);
    expect(emulator.listIssues()).toHaveLength(1);
    // Tracker calls per reply: read the issue, post the comment, one PATCH (ids + flag).
    expect(emulator.requestCounts()).toEqual({
      'GET /issues/:issue': 1,
      'POST /issues/:issue/comments': 1,
      'PATCH /issues/:issue': 1,
    });
    const record = await database.pool.one(sql.type(z.object({ state: z.string(), issue_key: z.string() }))`
      SELECT state, issue_key FROM tracker_comments WHERE email_id = ${replyId}`);
    expect(record).toEqual({ state: 'posted', issue_key: issueKey });
  });

  test('AC-23: a reassignment in Tracker is mirrored; the next incident goes to the least loaded', async () => {
    emulator.dispatcher.assign({ login: 'petrov', issue: issueKey, assignee: 'ivanov' });
    expect(await activities.syncAssigneeFromIssue(incidentId)).toBe('ivanov');
    const responsible = () =>
      database.pool.oneFirst(sql.type(z.object({ login: z.string().nullable() }))`
        SELECT d.login FROM incidents i LEFT JOIN dispatchers d ON d.id = i.responsible_dispatcher_id
        WHERE i.id = ${incidentId}`);
    expect(await responsible()).toBe('ivanov');
    // ivanov: 2 open incidents, petrov: 0.
    const next = await insertIncident(database.pool, {
      messageId: '<ac23-next@operator.ru>',
      subject: 'Нет связи',
      from: 'noc@operator.ru',
      date: REPLY_DATE,
      body: 'текст без номеров',
    });
    expect(await activities.chooseDispatcher(next.incidentId)).toBe('petrov');
    // Equal loads (1 : 1) and equal recent assignments (1 : 1): the login order decides.
    await database.pool.query(sql.unsafe`
      UPDATE incidents SET is_finished = true, finished_at = now() WHERE code = 'LEGACY-1'`);
    const third = await insertIncident(database.pool, {
      messageId: '<ac23-third@operator.ru>',
      subject: 'Нет связи 2',
      from: 'noc@operator.ru',
      date: REPLY_DATE,
      body: null,
    });
    expect(await activities.chooseDispatcher(third.incidentId)).toBe('ivanov');
  });
});

describe('GEN-5: lost answers and rate limits do not duplicate anything', () => {
  test('YT-9: a create applied but unanswered is adopted after the retry: one issue', async () => {
    const { incidentId, emailId } = await insertIncident(database.pool, {
      messageId: '<drop-create@operator.ru>',
      subject: 'Авария на 12345-MSK-01',
      from: 'noc@operator.ru',
      date: ORIGINAL_DATE,
      body: 'нет питания',
    });
    emulator.clearRequestLog();
    emulator.addFault({ method: 'POST', path: '/issues', dropAfterApplyRate: 1, limit: 1 });
    await withWorker(async () => {
      const handle = await signalEmail(`incident-drop-${randomUUID()}`, incidentId, emailId);
      await settled(handle, [emailId]);
      await handle.terminate('test done');
    });
    emulator.clearFaults();
    const issues = emulator.listIssues().filter((i) => i['localId'] === incidentId);
    expect(issues).toHaveLength(1);
    expect(await incidentCode(incidentId)).toBe(issues[0]?.['key']);
    const creates = emulator.requestLog().filter((e) => e.endpoint === 'POST /issues');
    expect(creates.map((e) => [e.status, e.outcome])).toEqual([
      [201, 'dropped'],
      [409, 'answered'],
    ]);
    expect(emulator.requestCounts()['POST /issues/_findByUnique']).toBe(1);
  });

  test('YT-9 / YT-10 / INC-4: an earlier original linked while the create was unanswered is still posted after adoption', async () => {
    const { incidentId, emailId: firstSeenId } = await insertIncident(database.pool, {
      messageId: '<adopt-late@operator.ru>',
      subject: 'Re: Авария на 12345-MSK-01',
      from: 'noc@operator.ru',
      date: REPLY_DATE,
      body: 'бригада выехала',
    });
    emulator.addFault({ method: 'POST', path: '/issues', dropAfterApplyRate: 1, limit: 1 });
    await expect(activities.ensureIssue({ incidentId, assignee: null })).rejects.toThrow();
    emulator.clearFaults();
    // The earlier original arrives before the retry and becomes the primary e-mail (INC-4).
    const originalId = await insertEmail(database.pool, incidentId, {
      messageId: '<adopt-original@operator.ru>',
      subject: 'Авария на 12345-MSK-01',
      from: 'noc@operator.ru',
      date: ORIGINAL_DATE,
      body: 'нет питания',
    });
    await database.pool.query(sql.unsafe`
      UPDATE incidents SET primary_email_id = ${originalId}, registration_time = ${sql.timestamp(ORIGINAL_DATE)}
      WHERE id = ${incidentId}`);

    const adopted = await activities.ensureIssue({ incidentId, assignee: null });
    expect(adopted.created).toBe(false);
    const posted = await database.pool.anyFirst(sql.type(z.object({ email_id: z.number() }))`
      SELECT email_id FROM tracker_comments WHERE state = 'posted' AND email_id IN (${firstSeenId}, ${originalId})`);
    // Only the e-mail the issue was made from counts as posted; the original becomes a comment.
    expect(posted).toEqual([firstSeenId]);
    expect(await activities.postEmailComment({ incidentId, emailId: originalId })).toMatchObject({ outcome: 'posted' });
    const history = emulator.issueHistory(adopted.issueKey ?? '');
    expect(history?.comments).toHaveLength(1);
    expect(history?.issue['localEmailsIds']).toBe(`${firstSeenId}, ${originalId}`);
  });

  test('YT-10: a comment applied but unanswered is recognised after the retry: one comment', async () => {
    const { incidentId, emailId } = await insertIncident(database.pool, {
      messageId: '<drop-comment@operator.ru>',
      subject: 'Авария',
      from: 'noc@operator.ru',
      date: ORIGINAL_DATE,
      body: 'нет питания',
    });
    const workflowId = `incident-drop-comment-${randomUUID()}`;
    let replyId = 0;
    emulator.clearRequestLog();
    await withWorker(async () => {
      const handle = await signalEmail(workflowId, incidentId, emailId);
      await settled(handle, [emailId]);
      replyId = await insertEmail(database.pool, incidentId, {
        messageId: '<drop-comment-reply@operator.ru>',
        subject: 'Re: Авария',
        from: 'noc@operator.ru',
        date: REPLY_DATE,
        body: 'Дополнение',
      });
      emulator.addFault({ method: 'POST', path: '/issues/*/comments', dropAfterApplyRate: 1, limit: 1 });
      await handle.signal(mailSignal, { emailId: replyId });
      await settled(handle, [replyId]);
      await handle.terminate('test done');
    });
    emulator.clearFaults();
    const comments = emulator.requestLog().filter((e) => e.endpoint === 'POST /issues/:issue/comments');
    expect(comments.map((e) => e.outcome)).toEqual(['dropped']);
    expect(emulator.requestCounts()['GET /issues/:issue/comments']).toBe(1);
    const key = (await incidentCode(incidentId)) as string;
    const history = emulator.issueHistory(key);
    expect(history?.comments).toHaveLength(1);
    expect(history?.issue['localEmailsIds']).toBe(`${emailId}, ${replyId}`);
  });

  test('YT-1: a 429 is retried by the activity after the Retry-After delay', async () => {
    const { incidentId, emailId } = await insertIncident(database.pool, {
      messageId: '<rate-limited@operator.ru>',
      subject: 'Авария',
      from: 'noc@operator.ru',
      date: ORIGINAL_DATE,
      body: 'нет питания',
    });
    emulator.clearRequestLog();
    emulator.addFault({ method: 'POST', path: '/issues', rateLimitRate: 1, retryAfterSeconds: 3, limit: 1 });
    await withWorker(async () => {
      const handle = await signalEmail(`incident-429-${randomUUID()}`, incidentId, emailId);
      await settled(handle, [emailId]);
      await handle.terminate('test done');
    });
    emulator.clearFaults();
    const creates = emulator.requestLog().filter((e) => e.endpoint === 'POST /issues');
    expect(creates.map((e) => e.status)).toEqual([429, 201]);
    const waited = Date.parse(creates[1]?.at ?? '') - Date.parse(creates[0]?.at ?? '');
    // The default first retry interval is 1 s: only Retry-After explains a pause of ≥ 3 s.
    expect(waited).toBeGreaterThanOrEqual(2900);
  });
});

describe('YT-20: region exclusion', () => {
  test('YT-20: an incident on a pole of an excluded region gets no issue', async () => {
    const excluding = createIncidentActivities({
      config: emulatorConfig(emulator, database.url, { YT_EXCLUDED_REGIONS: 'Moscow, Moscow Region' }),
      db: database.pool,
      log: quietLogger(),
      temporal: temporal.client,
    });
    const { incidentId } = await insertIncident(database.pool, {
      messageId: '<excluded@operator.ru>',
      subject: 'Авария MSK0123',
      from: 'noc@operator.ru',
      date: ORIGINAL_DATE,
      body: null,
    });
    expect(await excluding.extractPoleAndBs({ incidentId })).toBe(true);
    const before = emulator.listIssues().length;
    expect(await excluding.ensureIssue({ incidentId, assignee: null })).toEqual({
      issueKey: null,
      created: false,
      excluded: true,
    });
    expect(emulator.listIssues()).toHaveLength(before);
    const excluded = await database.pool.oneFirst(sql.type(z.object({ tracker_excluded: z.boolean() }))`
      SELECT tracker_excluded FROM incidents WHERE id = ${incidentId}`);
    expect(excluded).toBe(true);
  });
});
