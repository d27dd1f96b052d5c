// Processing of Tracker snapshots by the incident's activities against the Tracker emulator and a
// real PostgreSQL (YT-16…YT-18, VAL, INC-8…INC-10, ASSIGN-5, SLA-3…SLA-7; AC-8…AC-13, AC-23).
// The emulator's clock is pinned, so Tracker change times are exact instants of the scenario.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';
import { createIncidentActivities } from '../../src/activities/incident.js';
import { reportSystemError, transitionIssue } from '../../src/activities/issue-status.js';
import type { IssueWriter } from '../../src/activities/issue-status.js';
import { createSnapshotActivities } from '../../src/activities/tracker-snapshot.js';
import { historyRows } from '../../src/adapters/db/snapshot-store.js';
import type { AlertInput, Alerts } from '../../src/adapters/telegram/alerts.js';
import { createTrackerClient } from '../../src/adapters/tracker/index.js';
import type { TrackerClient } from '../../src/adapters/tracker/index.js';
import type { Config } from '../../src/config/load.js';
import { readTrackerDateTime } from '../../src/domain/datetime.js';
import { startTrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { createTestDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/db.js';
import {
  emulatorConfig,
  insertIncident,
  quietLogger,
  seedAcceptanceDirectory,
  seedAcceptanceDispatchers,
} from '../workflow/incident-fixtures.js';

/** Scenario instants on 2 March 2026 (UTC). */
const at = (hours: number, minutes: number): string => new Date(Date.UTC(2026, 2, 2, hours, minutes)).toISOString();

let clock = Date.parse(at(10, 0));
const setClock = (iso: string) => {
  clock = Date.parse(iso);
};

let emulator: TrackerEmulator;
let database: TestDatabase;
let config: Config;
let snapshot: ReturnType<typeof createSnapshotActivities>;
let incidentActivities: ReturnType<typeof createIncidentActivities>;
let client: TrackerClient;
let poleId: number;
const raised: AlertInput[] = [];
const alerts: Alerts = {
  alert: (input) => {
    raised.push(input);
    return Promise.resolve('sent');
  },
  recovered: () => Promise.resolve('nothing-to-recover'),
};

let ids: {
  pole: string;
  bs: string;
  contractor: string;
  operator: string;
  type: string;
  deadline: string;
  slaStatus: string;
};

const id = z.object({ id: z.number() });
let mailCounter = 0;

/** An e-mail incident registered at 10:00 with its issue created (YT-8), as the workflow would. */
async function newIssue(): Promise<{ incidentId: number; key: string }> {
  setClock(at(10, 0));
  mailCounter += 1;
  const { incidentId } = await insertIncident(database.pool, {
    messageId: `<snapshot-${mailCounter}@operator.test>`,
    subject: 'Авария на объекте',
    from: 'noc@operator.test',
    date: new Date(at(10, 0)),
    body: 'Нет питания',
  });
  const created = await incidentActivities.ensureIssue({ incidentId, assignee: null });
  if (created.issueKey === null) throw new Error('issue not created');
  // The snapshot of the new issue: validates the empty fields once (YT-16 step 4).
  await snapshot.processIssueSnapshot({ incidentId, at: at(10, 0) });
  return { incidentId, key: created.issueKey };
}

const setFields = (key: string, fields: Record<string, unknown>) =>
  emulator.dispatcher.updateFields({ login: 'ivanov', issue: key, fields });
const moveTo = (key: string, status: string) =>
  emulator.dispatcher.executeTransition({ login: 'ivanov', issue: key, status });
const issue = (key: string): Record<string, unknown> => emulator.getIssue(key) ?? {};
const statusOf = (key: string) => (issue(key)['status'] as { key: string }).key;
const comments = (key: string): string[] => (emulator.issueHistory(key)?.comments ?? []).map((c) => String(c['text']));
/** Field values that matter for "cleared": absent, null and '' all mean empty. */
const fieldValue = (key: string, fieldId: string): unknown => {
  const value = issue(key)[fieldId];
  return value === undefined || value === '' ? null : value;
};
const instant = (key: string, fieldId: string) => readTrackerDateTime(issue(key)[fieldId])?.toISOString() ?? null;
const process = (incidentId: number, time: string) => snapshot.processIssueSnapshot({ incidentId, at: time });
const incidentRow = (incidentId: number) =>
  database.pool.one(sql.type(
    z.object({
      pole_id: z.number().nullable(),
      base_station_id: z.number().nullable(),
      is_finished: z.boolean(),
      finished_at: z.date().nullable(),
      sla_end_at: z.date().nullable(),
      assignee_login: z.string().nullable(),
      dispatcher_login: z.string().nullable(),
      type_name: z.string().nullable(),
    }),
  )`
    SELECT i.pole_id, i.base_station_id, i.is_finished, i.finished_at, i.sla_end_at, i.assignee_login,
           d.login AS dispatcher_login, t.name AS type_name
    FROM incidents i
    LEFT JOIN dispatchers d ON d.id = i.responsible_dispatcher_id
    LEFT JOIN incident_types t ON t.id = i.incident_type_id
    WHERE i.id = ${incidentId}`);
const historyOf = async (incidentId: number) =>
  (await historyRows(database.pool, incidentId)).map((r) => [r.name, r.comment]);

beforeAll(async () => {
  emulator = await startTrackerEmulator({ now: () => clock });
  database = await createTestDatabase('snapshot_processing');
  config = emulatorConfig(emulator, database.url);
  const f = config.tracker.fieldIds;
  ids = {
    pole: f.poleNumber,
    bs: f.baseStationNumber,
    contractor: f.avrContractor,
    operator: f.operator,
    type: emulator.seed.fields.typeOfProblem,
    deadline: f.deadlineSla,
    slaStatus: f.slaStatus,
  };
  const db = database.pool;
  ({ poleId } = await seedAcceptanceDirectory(db));
  await seedAcceptanceDispatchers(db);
  // SPEC §24: four poles 12345-MSK-01…04 and 99999-SPB-01 (default contractor); a second BS with
  // the MSK01 prefix on 12345-MSK-02 for the ambiguous-BS case.
  for (const [siteId, code] of [
    [1002, '12345-MSK-02'],
    [1003, '12345-MSK-03'],
    [1004, '12345-MSK-04'],
    [2001, '99999-SPB-01'],
  ] as const) {
    const inserted = await db.oneFirst(sql.type(id)`
      INSERT INTO poles (site_id, pole, bs_name) VALUES (${siteId}, ${code}, ${`BS-${siteId}`}) RETURNING id`);
    if (code === '12345-MSK-02') {
      await db.query(sql.unsafe`INSERT INTO base_stations (bs_name, pole_id) VALUES ('MSK0124', ${inserted})`);
    }
  }
  // VAL-E2 needs a dropdown value the DB does not know: drop one type from the DB only.
  await db.query(sql.unsafe`DELETE FROM incident_types WHERE name = 'Инцидент / запрос гос. органов'`);
  const deps = { config, db, log: quietLogger(), temporal: {} as Client, alerts };
  snapshot = createSnapshotActivities(deps);
  incidentActivities = createIncidentActivities(deps);
  client = createTrackerClient(config.tracker, db, quietLogger());
});

afterAll(async () => {
  await client.close();
  await database.drop();
  await emulator.close();
});

const writer = (): IssueWriter => ({ client, db: database.pool, log: quietLogger(), alerts, config });

describe('VAL: dispatcher input validated per snapshot (YT-16 step 4, VAL-8, YT-18)', () => {
  test('AC-8 / VAL-E3b: an ambiguous pole prefix → error status, fields cleared, one Ошибка row, no repeat', async () => {
    const { incidentId, key } = await newIssue();
    setClock(at(10, 2));
    setFields(key, { [ids.pole]: '12345-MSK' });
    const message =
      'Найдено 4 опор, начинающихся с "12345-MSK". Примеры: 12345-MSK-01, 12345-MSK-02, 12345-MSK-03. Уточните шифр опоры.';
    const outcome = await process(incidentId, at(10, 3));
    expect(outcome.validationError).toBe(message);
    expect(outcome.notice).toBeNull();
    expect(statusOf(key)).toBe('error');
    expect([ids.pole, ids.bs, ids.contractor, ids.operator].map((f) => fieldValue(key, f))).toEqual([
      null,
      null,
      null,
      null,
    ]);
    expect(await historyOf(incidentId)).toEqual([['Ошибка', message]]);
    // The following polls: our own writes produce newer versions, which converge silently.
    await process(incidentId, at(10, 4));
    await process(incidentId, at(10, 5));
    expect(comments(key).filter((c) => c === message)).toHaveLength(1);
    expect(comments(key)).toHaveLength(1);
    expect(await historyOf(incidentId)).toEqual([['Ошибка', message]]);
  });

  test('AC-9 / VAL-4: a unique pole prefix in lower case → canonical code and contractor, no error', async () => {
    const { incidentId, key } = await newIssue();
    setFields(key, { [ids.pole]: '12345-msk-01' });
    const outcome = await process(incidentId, at(10, 1));
    expect(outcome.validationError).toBeNull();
    expect(fieldValue(key, ids.pole)).toBe('12345-MSK-01');
    expect(fieldValue(key, ids.contractor)).toBe('ООО Ремонт');
    expect(statusOf(key)).toBe('open');
    expect(comments(key)).toEqual([]);
    expect((await incidentRow(incidentId)).pole_id).toBe(poleId);
  });

  test('AC-10 / VAL-E5: a BS on another pole → exact text, pole/BS/contractor/operator cleared', async () => {
    const { incidentId, key } = await newIssue();
    setFields(key, { [ids.pole]: '99999-SPB-01' });
    expect((await process(incidentId, at(10, 1))).validationError).toBeNull();
    expect(fieldValue(key, ids.contractor)).toBe('undefined');
    setFields(key, { [ids.bs]: 'MSK0123' });
    const message = 'Базовая станция "MSK0123" привязана к опоре "12345-MSK-01", а указана опора "99999-SPB-01"';
    expect((await process(incidentId, at(10, 2))).validationError).toBe(message);
    expect([ids.pole, ids.bs, ids.contractor, ids.operator].map((f) => fieldValue(key, f))).toEqual([
      null,
      null,
      null,
      null,
    ]);
    expect(comments(key)).toEqual([message]);
    const row = await incidentRow(incidentId);
    expect([row.pole_id, row.base_station_id]).toEqual([null, null]);
  });

  test('VAL-3 / VAL-6: a valid BS fills pole, operators (sorted) and contractor', async () => {
    const { incidentId, key } = await newIssue();
    setFields(key, { [ids.bs]: 'msk0123' });
    expect((await process(incidentId, at(10, 1))).validationError).toBeNull();
    expect([ids.pole, ids.bs, ids.contractor, ids.operator].map((f) => fieldValue(key, f))).toEqual([
      '12345-MSK-01',
      'MSK0123',
      'ООО Ремонт',
      'Билайн, МТС',
    ]);
  });

  test('VAL-E2: an unknown problem type → exact text listing the DB types, field reset to the DB type (empty)', async () => {
    const { incidentId, key } = await newIssue();
    setFields(key, { [ids.type]: 'Инцидент / запрос гос. органов' });
    const message =
      'Неверно указан тип инцидента (Инцидент / запрос гос. органов). Допустимые значения: Авария ВОЛС, ' +
      'Авария по питанию РФ, Авария по питанию для МСК, Авария по питанию от сотрудника НБ, ' +
      'Запрос на организацию доступа к объекту, Угроза гибели / гибель объекта.';
    expect((await process(incidentId, at(10, 1))).validationError).toBe(message);
    expect(fieldValue(key, ids.type)).toBeNull();
    expect(comments(key)).toEqual([message]);
    expect((await incidentRow(incidentId)).type_name).toBeNull();
  });

  test('VAL-E3a: no pole with the prefix', async () => {
    const { incidentId, key } = await newIssue();
    setFields(key, { [ids.pole]: '77777' });
    expect((await process(incidentId, at(10, 1))).validationError).toBe('Не найдено опор, начинающихся с "77777"');
    expect(fieldValue(key, ids.pole)).toBeNull();
  });

  test('VAL-E4: no BS with the prefix → BS and operator cleared, the pole is validated by the next snapshot (VAL-7)', async () => {
    const { incidentId, key } = await newIssue();
    setFields(key, { [ids.bs]: 'ZZZ9', [ids.pole]: '12345-msk-01' });
    expect((await process(incidentId, at(10, 1))).validationError).toBe('Не найдено БС, начинающихся с "ZZZ9"');
    expect(fieldValue(key, ids.bs)).toBeNull();
    expect(fieldValue(key, ids.pole)).toBe('12345-msk-01');
    // The snapshot produced by our own corrective writes validates the rest.
    expect((await process(incidentId, at(10, 2))).validationError).toBeNull();
    expect(fieldValue(key, ids.pole)).toBe('12345-MSK-01');
    expect(fieldValue(key, ids.contractor)).toBe('ООО Ремонт');
  });

  test('VAL-E6: BS prefix candidates, none on the given pole → BS and operator cleared, pole kept', async () => {
    const { incidentId, key } = await newIssue();
    setFields(key, { [ids.bs]: 'MSK01', [ids.pole]: '99999-SPB-01' });
    expect((await process(incidentId, at(10, 1))).validationError).toBe(
      'Найдено БС, начинающихся с "MSK01", но ни одна не привязана к опоре, начинающейся с "99999-SPB-01".',
    );
    expect(fieldValue(key, ids.bs)).toBeNull();
    expect(fieldValue(key, ids.pole)).toBe('99999-SPB-01');
  });

  test('VAL-E7: an ambiguous BS prefix → the first three examples in order', async () => {
    const { incidentId, key } = await newIssue();
    setFields(key, { [ids.bs]: 'MSK01' });
    expect((await process(incidentId, at(10, 1))).validationError).toBe(
      'Найдено 2 БС, начинающихся с "MSK01". Примеры: MSK0123 (12345-MSK-01), MSK0124 (12345-MSK-02). Уточните шифр базовой станции.',
    );
    expect(fieldValue(key, ids.bs)).toBeNull();
  });
});

describe('SLA and finishing (AC-11, AC-12, AC-13; SLA-3/4/6/7, INC-8, INC-10)', () => {
  test('AC-11 → AC-13: type at 10:05, warning at 13:00, closed 13:30, reopened 15:00, re-closed 15:10', async () => {
    const { incidentId, key } = await newIssue();
    setClock(at(10, 5));
    setFields(key, { [ids.type]: 'Авария по питанию для МСК' });
    const typed = await process(incidentId, at(10, 5));
    expect(typed.sla).toEqual({
      registrationTime: at(10, 0),
      deadline: at(14, 0),
      slaEndAt: null,
      isFinished: false,
      status: '🟦 В работе',
    });
    expect(instant(key, ids.deadline)).toBe(at(14, 0));
    expect(fieldValue(key, ids.slaStatus)).toBe('🟦 В работе');

    const warning = await snapshot.writeSlaFields({ incidentId, at: at(13, 0) });
    expect([warning.status, warning.written]).toEqual(['🟨 Осталось менее часа', [ids.slaStatus]]);
    expect(fieldValue(key, ids.slaStatus)).toBe('🟨 Осталось менее часа');
    expect((await snapshot.writeSlaFields({ incidentId, at: at(13, 0) })).written).toEqual([]);

    setClock(at(10, 10));
    moveTo(key, 'inProgress');
    await process(incidentId, at(10, 10));
    setClock(at(13, 30));
    moveTo(key, 'closed');
    setClock(at(13, 31));
    const closed = await process(incidentId, at(13, 31));
    expect(closed.finishChange).toBe('finished');
    expect(closed.statusChangedAt).toBe(at(13, 30));
    let row = await incidentRow(incidentId);
    expect([row.is_finished, row.finished_at?.toISOString(), row.sla_end_at?.toISOString()]).toEqual([
      true,
      at(13, 30),
      at(13, 30),
    ]);
    expect(fieldValue(key, ids.slaStatus)).toBe('🟩 Закрыт вовремя');

    setClock(at(15, 0));
    moveTo(key, 'inProgress');
    const reopened = await process(incidentId, at(15, 0));
    expect([reopened.finishChange, reopened.sla.status]).toEqual(['reopened', '🟥 Просрочен']);
    row = await incidentRow(incidentId);
    expect([row.is_finished, row.finished_at, row.sla_end_at]).toEqual([false, null, null]);
    expect(fieldValue(key, ids.slaStatus)).toBe('🟥 Просрочен');

    setClock(at(15, 10));
    moveTo(key, 'closed');
    expect((await process(incidentId, at(15, 10))).finishChange).toBe('finished');
    expect(await historyOf(incidentId)).toEqual([
      ['В работе', 'Диспетчер принял работы в YandexTracker'],
      ['Закрыт', null],
      ['В работе', 'Диспетчер принял работы в YandexTracker'],
      ['Закрыт', null],
    ]);
    expect((await incidentRow(incidentId)).finished_at?.toISOString()).toBe(at(15, 10));
  });

  test('SLA-4: writeSlaFields at the deadline writes 🟥 Просрочен', async () => {
    const { incidentId, key } = await newIssue();
    setFields(key, { [ids.type]: 'Авария по питанию для МСК' });
    await process(incidentId, at(10, 5));
    const breached = await snapshot.writeSlaFields({ incidentId, at: at(14, 0) });
    expect([breached.status, breached.deadline, breached.written]).toEqual([
      '🟥 Просрочен',
      at(14, 0),
      [ids.slaStatus],
    ]);
    expect(fieldValue(key, ids.slaStatus)).toBe('🟥 Просрочен');
  });

  test('NOTIFY-1 / INC-8: a notify status returns the notice keyed by its changelog entry and writes no row', async () => {
    const { incidentId, key } = await newIssue();
    moveTo(key, 'inProgress');
    await process(incidentId, at(10, 1));
    moveTo(key, config.tracker.statusKeys.notifyOperatorInWork);
    const outcome = await process(incidentId, at(10, 2));
    const entry = (emulator.issueHistory(key)?.changelog ?? []).at(-1);
    expect(outcome.notice).toEqual({ kind: 'ack', triggerKey: String(entry?.['id']) });
    expect(outcome.statusEntryId).toBe(String(entry?.['id']));
    expect(await historyOf(incidentId)).toEqual([['В работе', 'Диспетчер принял работы в YandexTracker']]);
  });
});

describe('INC-10 / SLA-3: the on-generation status and manual incidents', () => {
  test('INC-10 / SLA-3: on generation finishes and stops the clock; moving on to closed keeps both times', async () => {
    const { incidentId, key } = await newIssue();
    setFields(key, { [ids.type]: 'Авария по питанию для МСК' });
    moveTo(key, 'inProgress');
    await process(incidentId, at(10, 5));
    setClock(at(11, 0));
    moveTo(key, config.tracker.statusKeys.onGeneration);
    expect((await process(incidentId, at(11, 1))).finishChange).toBe('finished');
    setClock(at(12, 0));
    moveTo(key, 'closed');
    expect((await process(incidentId, at(12, 1))).finishChange).toBe('unchanged');
    const row = await incidentRow(incidentId);
    expect([row.is_finished, row.finished_at?.toISOString(), row.sla_end_at?.toISOString()]).toEqual([
      true,
      at(11, 0),
      at(11, 0),
    ]);
    expect(fieldValue(key, ids.slaStatus)).toBe('🟩 Закрыт вовремя');
    expect((await historyOf(incidentId)).map(([name]) => name)).toEqual(['В работе', 'На генерации НБ', 'Закрыт']);
  });

  test('SLA-3: with ON_GENERATION_STOPS_SLA=false the clock keeps running on generation (still finished)', async () => {
    const { incidentId, key } = await newIssue();
    const running = createSnapshotActivities({
      config: emulatorConfig(emulator, database.url, { ON_GENERATION_STOPS_SLA: 'false' }),
      db: database.pool,
      log: quietLogger(),
      temporal: {} as Client,
      alerts,
    });
    setFields(key, { [ids.type]: 'Авария по питанию для МСК' });
    moveTo(key, 'inProgress');
    await running.processIssueSnapshot({ incidentId, at: at(10, 5) });
    setClock(at(11, 0));
    moveTo(key, config.tracker.statusKeys.onGeneration);
    const outcome = await running.processIssueSnapshot({ incidentId, at: at(13, 30) });
    expect([outcome.finishChange, outcome.sla.slaEndAt, outcome.sla.status]).toEqual([
      'finished',
      null,
      '🟨 Осталось менее часа',
    ]);
    const row = await incidentRow(incidentId);
    expect([row.is_finished, row.finished_at?.toISOString(), row.sla_end_at]).toEqual([true, at(11, 0), null]);
  });

  test('YT-16 step 4: a finished incident is not validated', async () => {
    const { incidentId, key } = await newIssue();
    moveTo(key, 'inProgress');
    await process(incidentId, at(10, 1));
    moveTo(key, 'closed');
    await process(incidentId, at(10, 2));
    setFields(key, { [ids.pole]: '12345-MSK' });
    const outcome = await process(incidentId, at(10, 3));
    expect([outcome.processed, outcome.validationError]).toEqual([true, null]);
    expect(fieldValue(key, ids.pole)).toBe('12345-MSK');
    expect(statusOf(key)).toBe('closed');
  });

  test('YT-16: a manual incident (is_auto = false) is validated and synced the same way', async () => {
    setClock(at(10, 0));
    const created = emulator.dispatcher.createIssue({ login: 'ivanov', summary: 'Ручная заявка' });
    const key = String(created['key']);
    const incidentId = await database.pool.oneFirst(sql.type(id)`
      INSERT INTO incidents (code, registration_time, is_auto) VALUES (${key}, ${sql.timestamp(new Date(at(10, 0)))}, false)
      RETURNING id`);
    setFields(key, { [ids.pole]: '12345-msk-01', [ids.type]: 'Авария по питанию для МСК' });
    const outcome = await process(incidentId, at(10, 30));
    expect([outcome.validationError, outcome.sla.deadline, outcome.sla.status]).toEqual([
      null,
      at(14, 0),
      '🟦 В работе',
    ]);
    expect([fieldValue(key, ids.pole), fieldValue(key, ids.contractor)]).toEqual(['12345-MSK-01', 'ООО Ремонт']);
    expect((await incidentRow(incidentId)).type_name).toBe('Авария по питанию для МСК');
  });
});

describe('ASSIGN-5, YT-13 de-dup and idempotency', () => {
  test('AC-23 (DB part): a reassignment in Tracker moves the responsible dispatcher', async () => {
    const { incidentId, key } = await newIssue();
    emulator.dispatcher.assign({ login: 'sidorov', issue: key, assignee: 'petrov' });
    await process(incidentId, at(10, 1));
    let row = await incidentRow(incidentId);
    expect([row.assignee_login, row.dispatcher_login]).toEqual(['petrov', 'petrov']);
    emulator.dispatcher.assign({ login: 'sidorov', issue: key, assignee: 'ivanov' });
    await process(incidentId, at(10, 2));
    row = await incidentRow(incidentId);
    expect([row.assignee_login, row.dispatcher_login]).toEqual(['ivanov', 'ivanov']);
    // ASSIGN-5: a login that is no active dispatcher clears the responsible dispatcher.
    emulator.dispatcher.assign({ login: 'sidorov', issue: key, assignee: 'sidorov' });
    await process(incidentId, at(10, 3));
    row = await incidentRow(incidentId);
    expect([row.assignee_login, row.dispatcher_login]).toEqual(['sidorov', null]);
  });

  test('YT-13: the same version again → processed:false and no Tracker write', async () => {
    const { incidentId, key } = await newIssue();
    setFields(key, { [ids.pole]: '12345-msk-01' });
    expect((await process(incidentId, at(10, 1))).processed).toBe(true);
    emulator.clearRequestLog();
    const again = await process(incidentId, at(10, 2));
    expect(again.processed).toBe(false);
    expect(emulator.requestLog().filter((e) => e.method !== 'GET')).toEqual([]);
  });

  test('YT-16 / YT-18: a lost PATCH answer and a repeat of the same snapshot → one error comment, same end state', async () => {
    const { incidentId, key } = await newIssue();
    setFields(key, { [ids.pole]: '12345-MSK' });
    const fault = emulator.addFault({ method: 'PATCH', path: '/issues/*', dropAfterApplyRate: 1, limit: 1 });
    await expect(process(incidentId, at(10, 1))).rejects.toThrow();
    emulator.removeFault(fault.id);
    const retried = await process(incidentId, at(10, 2));
    expect(retried.processed).toBe(true);
    const message =
      'Найдено 4 опор, начинающихся с "12345-MSK". Примеры: 12345-MSK-01, 12345-MSK-02, 12345-MSK-03. Уточните шифр опоры.';
    expect(statusOf(key)).toBe('error');
    expect(comments(key)).toEqual([message]);
    expect(fieldValue(key, ids.pole)).toBeNull();
    expect(await historyOf(incidentId)).toEqual([['Ошибка', message]]);
  });
});

describe('YT-17 / YT-18 helpers', () => {
  test('YT-17: no transition to the target → alert tracker_transition_unavailable and "unavailable"', async () => {
    const { incidentId, key } = await newIssue();
    const before = raised.length;
    const target = config.tracker.statusKeys.notifyOperatorInWork;
    expect(await transitionIssue(writer(), { incidentId, issueKey: key, targetStatusKey: target, comment: 'x' })).toBe(
      'unavailable',
    );
    expect(raised.slice(before).map((a) => [a.kind, a.issueKey, a.incidentId])).toEqual([
      ['tracker_transition_unavailable', key, incidentId],
    ]);
    expect(statusOf(key)).toBe('open');
    expect(
      await transitionIssue(writer(), { incidentId, issueKey: key, targetStatusKey: 'inProgress', comment: 'Принято' }),
    ).toBe('moved');
    expect(
      await transitionIssue(writer(), { incidentId, issueKey: key, targetStatusKey: 'inProgress', comment: 'Принято' }),
    ).toBe('already_there');
    expect(comments(key)).toEqual(['Принято']);
  });

  test('YT-18 / INC-9: transition once, a different error as a plain comment, an identical one not again', async () => {
    const { incidentId, key } = await newIssue();
    const first = { incidentId, issueKey: key, errorText: 'Ошибка один' };
    await reportSystemError(writer(), first);
    await reportSystemError(writer(), first);
    expect(statusOf(key)).toBe('error');
    expect(comments(key)).toEqual(['Ошибка один']);
    await reportSystemError(writer(), { incidentId, issueKey: key, errorText: 'Ошибка два' });
    await reportSystemError(writer(), { incidentId, issueKey: key, errorText: 'Ошибка два' });
    expect(comments(key)).toEqual(['Ошибка один', 'Ошибка два']);
    expect(await historyOf(incidentId)).toEqual([
      ['Ошибка', 'Ошибка один'],
      ['Ошибка', 'Ошибка два'],
    ]);
  });
});
