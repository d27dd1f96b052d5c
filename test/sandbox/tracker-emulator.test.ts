// The Tracker emulator over real HTTP: seed (YT-6, YT-7, DEF-3), auth and org rules (YT-1, YT-3),
// issues, search and paging (YT-2, YT-13), comments, transitions and changelog (YT-17, NOTIFY-3).
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startTrackerEmulator, trackerSandboxEnv } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';

type Json = Record<string, unknown>;
interface Ref {
  self: string;
  id: string;
  key?: string;
  display: string;
}
interface Issue extends Json {
  self: string;
  id: string;
  key: string;
  version: number;
  status: Ref;
}
interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);

let emulator: TrackerEmulator;
let token: string;

interface CallOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  auth?: string | null;
  org?: Record<string, string>;
}

async function call<T = Json>(path: string, opts: CallOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    ...(opts.org ?? { 'X-Org-ID': emulator.seed.orgId }),
    ...opts.headers,
  };
  if (opts.auth !== null) headers['Authorization'] = opts.auth ?? `OAuth ${token}`;
  const res = await fetch(`${emulator.url}${path}`, {
    method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

const createIssue = async (fields: Json = {}): Promise<Issue> => {
  const reply = await call<Issue>('/v2/issues/', {
    body: { queue: emulator.seed.queue.key, summary: 'Авария на опоре 12345-MSK-01', ...fields },
  });
  expect(reply.status).toBe(201);
  return reply.body;
};

/** URLs of a Link header by rel. */
function links(headers: Headers): Record<string, string> {
  const result: Record<string, string> = {};
  for (const m of (headers.get('link') ?? '').matchAll(/<([^>]*)>;\s*rel="([^"]+)"/g)) {
    result[m[2] ?? ''] = m[1] ?? '';
  }
  return result;
}

const pathOf = (url: string | undefined): string => {
  const u = new URL(url ?? '');
  return `${u.pathname}${u.search}`;
};

beforeAll(async () => {
  emulator = await startTrackerEmulator({ now: () => T0, accessTokenTtlSeconds: 3600 });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.reset();
  token = emulator.seed.oauth.accessToken;
});

describe('seeded queue', () => {
  test('YT-6: statuses with the fixed keys and the example configurable keys', async () => {
    const reply = await call<Array<Json>>('/v2/statuses');
    expect(reply.status).toBe(200);
    expect(reply.body.map((s) => [s['key'], s['name']])).toEqual([
      ['open', 'Новый'],
      ['inProgress', 'В работе'],
      ['needAcceptance', 'Ждем подтверждения'],
      ['error', 'Ошибка'],
      ['closed', 'Закрыт'],
      ['uvedomlaemOperatora', 'Уведомляем оператора'],
      ['uvedomiliOperatora', 'Уведомили оператора'],
      ['uvedomitOZakrytii', 'Уведомить о закрытии'],
      ['uvedomiliOZakrytii', 'Уведомили о закрытии'],
      ['peredatPodradciku', 'Передать подрядчику'],
      ['peredanoPodradciku', 'Передано подрядчику'],
      ['naGeneraciiNb', 'На генерации НБ'],
    ]);
    const resolutions = await call<Array<Json>>('/v2/resolutions');
    expect(resolutions.body.map((r) => r['name'])).toEqual(['Решен', 'Не будет исправлено']);
  });

  test('YT-7 / SLA-4: global fields with the example keys and exact dropdown values', async () => {
    const reply = await call<Array<Json>>('/v2/fields/');
    const byId = new Map(reply.body.map((f) => [String(f['id']), f]));
    const f = emulator.seed.fields;
    for (const id of [f.localId, f.localEmailsIds, f.poleNumber, f.baseStationNumber, f.emailDatetime, f.newMessage]) {
      expect(byId.get(id)?.['self']).toBe(`${emulator.url}/v2/fields/${id}`);
    }
    expect(byId.get('localId')?.['schema']).toEqual({ type: 'integer', required: false });
    expect(byId.get('emailDatetime')?.['schema']).toEqual({ type: 'datetime', required: false });
    expect(byId.get('followers')?.['schema']).toEqual({ type: 'array', items: 'user', required: false });
    expect(byId.get('newMessage')?.['optionsProvider']).toEqual({
      type: 'FixedListOptionsProvider',
      values: ['\u2714\uFE0F Да', '\u2716\uFE0F Нет'],
    });
    expect(byId.get('slaStatus')?.['optionsProvider']).toEqual({
      type: 'FixedListOptionsProvider',
      values: [
        '\u2B1C\uFE0F Неизвестно',
        '\u{1F7E5} Просрочен',
        '\u{1F7E9} Закрыт вовремя',
        '\u{1F7E8} Осталось менее часа',
        '\u{1F7E6} В работе',
      ],
    });
    for (const id of ['deadlineSla', 'operator', 'avrContractor']) expect(byId.has(id)).toBe(true);
  });

  test('DEF-3: the queue-local problem-type dropdown has id <24-hex>--typeOfProblem', async () => {
    const list = await call<Array<Json>>(`/v2/queues/${emulator.seed.queue.key}/localFields`);
    expect(list.body).toHaveLength(1);
    const field = list.body[0] ?? {};
    expect(field['id']).toMatch(/^[0-9a-f]{24}--typeOfProblem$/);
    expect(field['key']).toBe('typeOfProblem');
    expect(field['type']).toBe('local');
    expect(field['self']).toBe(`${emulator.url}/v2/queues/AVRSERVICE/localFields/typeOfProblem`);
    expect((field['optionsProvider'] as Json)['values']).toEqual([
      'Запрос на организацию доступа к объекту',
      'Авария по питанию от сотрудника НБ',
      'Угроза гибели / гибель объекта',
      'Авария по питанию для МСК',
      'Авария по питанию РФ',
      'Авария ВОЛС',
      'Инцидент / запрос гос. органов',
    ]);
    const one = await call<Json>('/v3/queues/AVRSERVICE/localFields/typeOfProblem');
    expect(one.body['id']).toBe(field['id']);
  });

  test('ASSIGN-1: users are paged with X-Total-Count, X-Total-Pages and Link next', async () => {
    const logins: string[] = [];
    let path = '/v2/users?perPage=3';
    const pages: number[] = [];
    for (;;) {
      const reply = await call<Array<Json>>(path);
      expect(reply.headers.get('x-total-count')).toBe('7');
      expect(reply.headers.get('x-total-pages')).toBe('3');
      pages.push(reply.body.length);
      logins.push(...reply.body.map((u) => String(u['login'])));
      const next = links(reply.headers)['next'];
      if (!next) break;
      path = pathOf(next);
    }
    expect(pages).toEqual([3, 3, 1]);
    expect(logins).toEqual([
      'dispatch-robot',
      'yndx-tracker-cnt-robot',
      'ivanov',
      'petrov',
      'sidorov',
      'kuznetsov',
      'smirnov',
    ]);
    const dismissed = await call<Json>('/v2/users/kuznetsov');
    expect(dismissed.body['dismissed']).toBe(true);
    const quiet = await call<Json>('/v2/users/smirnov');
    expect(quiet.body['disableNotifications']).toBe(true);
  });

  test('YT-5: the queue exists with the issue type DISPATCH creates; unknown paths are 404, wrong methods 405', async () => {
    const queue = await call<Json>('/v2/queues/AVRSERVICE');
    expect(queue.body).toMatchObject({
      self: `${emulator.url}/v2/queues/AVRSERVICE`,
      id: '1',
      key: 'AVRSERVICE',
      defaultType: { key: 'incident' },
      lead: { id: '8000000000000011' },
    });
    const queues = await call<Json[]>('/v2/queues/');
    expect(queues.body.map((q) => q['key'])).toEqual(['AVRSERVICE']);
    expect(queues.headers.get('x-total-count')).toBe('1');
    const types = await call<Json[]>('/v2/issuetypes');
    expect(types.body.map((t) => t['key'])).toEqual(['incident', 'task']);
    expect((await call('/v2/queues/OTHER')).status).toBe(404);
    const unknown = await call('/v2/nothing/here');
    expect(unknown.body).toEqual({ errors: {}, errorMessages: ['Ресурс /v2/nothing/here не найден'], statusCode: 404 });
    expect((await call('/v2/myself', { method: 'DELETE' })).status).toBe(405);
  });

  test('myself is the token owner; self echoes the API version of the request', async () => {
    const v2 = await call<Json>('/v2/myself');
    expect(v2.body).toMatchObject({ login: 'dispatch-robot', uid: 8000000000000001 });
    expect(v2.body['self']).toBe(`${emulator.url}/v2/users/8000000000000001`);
    const v3 = await call<Json>('/v3/myself/');
    expect(v3.body['self']).toBe(`${emulator.url}/v3/users/8000000000000001`);
  });

  test('CONF-3 / CONF-4: trackerSandboxEnv points DISPATCH at the emulator', () => {
    expect(emulator.env()).toEqual({
      YT_API_BASE_URL: emulator.url,
      YT_OAUTH_TOKEN_URL: `${emulator.url}/token`,
      YT_CLIENT_ID: 'sandbox-client-id',
      YT_CLIENT_SECRET: 'sandbox-client-secret',
      YT_ACCESS_TOKEN: 'sandbox-access-token',
      YT_REFRESH_TOKEN: 'sandbox-refresh-token',
      YT_ORGANIZATION_ID: '7000001',
      YT_QUEUE: 'AVRSERVICE',
      YT_ISSUE_TYPE: 'incident',
      YT_ISSUE_AUTHOR: 'yndx-tracker-cnt-robot',
      YT_DATABASE_ID_GLOBAL_FIELD_ID: 'localId',
      YT_EMAILS_IDS_GLOBAL_FIELD_ID: 'localEmailsIds',
      YT_POLE_NUMBER_GLOBAL_FIELD_ID: 'poleNumber',
      YT_BASE_STATION_GLOBAL_FIELD_ID: 'baseStationNumber',
      YT_EMAIL_DATETIME_GLOBAL_FIELD_ID: 'emailDatetime',
      YT_IS_NEW_MSG_GLOBAL_FIELD_ID: 'newMessage',
      YT_SLA_DEADLINE_GLOBAL_FIELD_ID: 'deadlineSla',
      YT_IS_SLA_EXPIRED_GLOBAL_FIELD_ID: 'slaStatus',
      YT_OPERATOR_NAME_GLOBAL_FIELD_NAME: 'operator',
      YT_AVR_NAME_GLOBAL_FIELD_ID: 'avrContractor',
      YT_TYPE_OF_INCIDENT_LOCAL_FIELD_ID: 'typeOfProblem',
      YT_ON_GENERATION_STATUS_KEY: 'naGeneraciiNb',
      YT_NOTIFY_OPERATOR_ISSUE_IN_WORK_STATUS_KEY: 'uvedomlaemOperatora',
      YT_NOTIFIED_OPERATOR_ISSUE_IN_WORK_STATUS_KEY: 'uvedomiliOperatora',
      YT_NOTIFY_OPERATOR_ISSUE_CLOSED_STATUS_KEY: 'uvedomitOZakrytii',
      YT_NOTIFIED_OPERATOR_ISSUE_CLOSED_STATUS_KEY: 'uvedomiliOZakrytii',
      YT_NOTIFY_AVR_CONTRACTOR_IN_WORK_STATUS_KEY: 'peredatPodradciku',
      YT_NOTIFIED_AVR_CONTRACTOR_IN_WORK_STATUS_KEY: 'peredanoPodradciku',
    });
  });

  test('YT-6: configurable queue and status keys change the seed and the env', async () => {
    const custom = await startTrackerEmulator({ queueKey: 'DISPTEST', statusKeys: { onGeneration: 'onGenerator' } });
    try {
      const env = trackerSandboxEnv(custom.url, custom.seed);
      expect(env.YT_QUEUE).toBe('DISPTEST');
      expect(env.YT_ON_GENERATION_STATUS_KEY).toBe('onGenerator');
      const res = await fetch(`${custom.url}/v2/statuses/onGenerator`, {
        headers: { Authorization: 'OAuth sandbox-access-token', 'X-Org-ID': '7000001' },
      });
      expect(((await res.json()) as Json)['name']).toBe('На генерации НБ');
    } finally {
      await custom.close();
    }
  });
});

describe('YT-1: authorization and organisation headers', () => {
  test('no token, an unknown token and a malformed header are 401 with Tracker error bodies', async () => {
    const none = await call('/v2/myself', { auth: null });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({
      errors: {},
      errorMessages: ['Не передан OAuth-токен (Authorization: OAuth <token>)'],
      statusCode: 401,
    });
    expect((await call('/v2/myself', { auth: 'OAuth nope' })).status).toBe(401);
    expect((await call('/v2/myself', { auth: 'Token x' })).status).toBe(401);
  });

  test('Bearer tokens are accepted like OAuth tokens', async () => {
    expect((await call('/v2/myself', { auth: `Bearer ${token}` })).status).toBe(200);
  });

  test('X-Org-ID must match; without any org header the request is 401', async () => {
    expect((await call('/v2/myself', { org: { 'X-Org-ID': '999' } })).status).toBe(403);
    expect((await call('/v2/myself', { org: {} })).status).toBe(401);
  });

  test('X-Cloud-Org-ID decides even next to the Python client\'s "X-Org-Id: not provided"', async () => {
    const cloud = { 'X-Org-Id': 'not provided', 'X-Cloud-Org-Id': emulator.seed.cloudOrgId };
    expect((await call('/v2/myself', { org: cloud })).status).toBe(200);
    const wrong = { 'X-Org-Id': 'not provided', 'X-Cloud-Org-Id': 'other-cloud' };
    expect((await call('/v2/myself', { org: wrong })).status).toBe(403);
  });

  test('YT-3: an expired access token is 401; refresh rotates both tokens; the old refresh token is spent', async () => {
    expect((await call('/v2/myself')).status).toBe(200);
    emulator.advanceClock(3600 * 1000);
    const expired = await call('/v2/myself');
    expect(expired.status).toBe(401);
    expect(expired.body['errorMessages']).toEqual(['Срок действия OAuth-токена истёк']);

    const form = (refreshToken: string, secret = 'sandbox-client-secret') =>
      new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: 'sandbox-client-id',
        client_secret: secret,
      });
    const refreshed = await fetch(`${emulator.url}/token`, { method: 'POST', body: form('sandbox-refresh-token') });
    expect(refreshed.status).toBe(200);
    const tokens = (await refreshed.json()) as Json;
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 3600, scope: 'tracker:read tracker:write' });
    expect(tokens['access_token']).not.toBe('sandbox-access-token');
    expect(tokens['refresh_token']).not.toBe('sandbox-refresh-token');

    token = String(tokens['access_token']);
    expect((await call<Json>('/v2/myself')).body['login']).toBe('dispatch-robot');

    const reused = await fetch(`${emulator.url}/token`, { method: 'POST', body: form('sandbox-refresh-token') });
    expect(reused.status).toBe(400);
    expect(await reused.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'Refresh token is invalid or already used',
    });

    const badClient = await fetch(`${emulator.url}/token`, {
      method: 'POST',
      body: form(String(tokens['refresh_token']), 'wrong'),
    });
    expect(badClient.status).toBe(400);
    expect(((await badClient.json()) as Json)['error']).toBe('invalid_client');

    // Client credentials in a Basic header work too, and the new access token expires in its turn.
    const basic = Buffer.from('sandbox-client-id:sandbox-client-secret').toString('base64');
    const viaBasic = await fetch(`${emulator.url}/token`, {
      method: 'POST',
      headers: { Authorization: `Basic ${basic}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(tokens['refresh_token']) }),
    });
    expect(viaBasic.status).toBe(200);
    emulator.advanceClock(3600 * 1000);
    expect((await call('/v2/myself')).status).toBe(401);
  });
});

describe('issues', () => {
  test('YT-8: create answers 201 with the issue, its self, a 24-hex id and normalised field values', async () => {
    const f = emulator.seed.fields;
    const issue = await createIssue({
      type: 'incident',
      author: 'yndx-tracker-cnt-robot',
      assignee: 'ivanov',
      description: 'Текст письма',
      emailFrom: 'noc@operator.example',
      emailTo: ['dispatch@sandbox.example'],
      unique: 'dispatch:AVRSERVICE:incident:1',
      [f.localId]: 1,
      [f.emailDatetime]: '2024-05-01T13:00:00+03:00',
      [f.newMessage]: '\u2714\uFE0F Да',
      [f.slaStatus]: '\u2B1C\uFE0F Неизвестно',
      [f.typeOfProblem]: 'Авария ВОЛС',
    });
    expect(issue).toMatchObject({
      self: `${emulator.url}/v2/issues/AVRSERVICE-1`,
      key: 'AVRSERVICE-1',
      version: 1,
      unique: 'dispatch:AVRSERVICE:incident:1',
      summary: 'Авария на опоре 12345-MSK-01',
      status: { self: `${emulator.url}/v2/statuses/1`, id: '1', key: 'open', display: 'Новый' },
      type: { key: 'incident', display: 'Инцидент' },
      queue: { key: 'AVRSERVICE', id: '1' },
      createdBy: { id: '8000000000000002', display: 'Робот Трекера' },
      updatedBy: { id: '8000000000000001' },
      assignee: { self: `${emulator.url}/v2/users/8000000000000011`, id: '8000000000000011', display: 'Иван Иванов' },
      createdAt: '2024-05-01T10:00:00.000+0000',
      statusStartTime: '2024-05-01T10:00:00.000+0000',
      emailFrom: 'noc@operator.example',
      emailTo: ['dispatch@sandbox.example'],
      localId: 1,
      emailDatetime: '2024-05-01T10:00:00.000+0000',
      [f.typeOfProblem]: 'Авария ВОЛС',
    });
    expect(issue.id).toMatch(/^[0-9a-f]{24}$/);
    expect(issue['previousStatus']).toBeUndefined();
  });

  test('create validates: summary required, unknown fields, dropdown values, status not writable', async () => {
    const reply = await call('/v2/issues', {
      body: { queue: 'AVRSERVICE', nonsense: 1, slaStatus: 'Просрочен', status: 'closed' },
    });
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual({
      errors: {
        nonsense: 'Поле не существует',
        slaStatus: 'Значение "Просрочен" отсутствует в списке допустимых значений',
        status: 'Статус меняется только переходом',
        summary: 'Обязательное поле',
      },
      errorMessages: [],
      statusCode: 422,
    });
    expect((await call('/v2/issues', { body: { queue: 'NOPE', summary: 'x' } })).status).toBe(404);
  });

  test('YT-9: a duplicate unique is 409 and _findByUnique returns the existing issue', async () => {
    const first = await createIssue({ unique: 'dispatch:AVRSERVICE:incident:7' });
    const again = await call('/v2/issues/', {
      body: { queue: 'AVRSERVICE', summary: 'другая', unique: 'dispatch:AVRSERVICE:incident:7' },
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ statusCode: 409, errors: {} });
    const found = await call<Issue>('/v2/issues/_findByUnique?unique=dispatch%3AAVRSERVICE%3Aincident%3A7', {
      method: 'POST',
    });
    expect(found.status).toBe(200);
    expect(found.body.key).toBe(first.key);
    expect(found.body['summary']).toBe('Авария на опоре 12345-MSK-01');
    const missing = await call('/v2/issues/_findByUnique/?unique=none', { method: 'POST' });
    expect(missing.status).toBe(404);
    const count = await call<number>('/v2/issues/_count', { body: { filter: { queue: 'AVRSERVICE' } } });
    expect(count.body).toBe(1);
  });

  test('get by key or id, under v2 and v3, with or without a trailing slash; unknown is 404', async () => {
    const issue = await createIssue();
    expect((await call<Issue>(`/v2/issues/${issue.key}`)).body.id).toBe(issue.id);
    expect((await call<Issue>(`/v2/issues/${issue.id}/`)).body.key).toBe(issue.key);
    const v3 = await call<Issue>(`/v3/issues/${issue.key}/`);
    expect(v3.body.self).toBe(`${emulator.url}/v3/issues/${issue.key}`);
    expect(v3.body.status.self).toBe(`${emulator.url}/v3/statuses/1`);
    const expanded = await call<Issue>(`/v2/issues/${issue.key}?expand=transitions`);
    expect((expanded.body['transitions'] as Array<Json>).map((t) => t['id'])).toEqual([
      'inProgressMeta',
      'errorMeta',
      'needAcceptanceMeta',
    ]);
    const missing = await call('/v2/issues/AVRSERVICE-999');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      errors: {},
      errorMessages: ['Задача AVRSERVICE-999 не найден(а)'],
      statusCode: 404,
    });
  });

  test('PATCH: plain set, {set}, add/remove/replace on lists, null clears; every change bumps the version', async () => {
    const issue = await createIssue({ tags: ['a', 'b'], followers: ['petrov'], poleNumber: '111' });
    const patched = await call<Issue>(`/v2/issues/${issue.key}`, {
      method: 'PATCH',
      body: {
        summary: 'Новое',
        priority: { set: 'critical' },
        followers: { add: ['ivanov', 'petrov'] },
        tags: { replace: [{ target: 'a', replacement: 'c' }], remove: ['b'] },
        poleNumber: null,
        localEmailsIds: '1, 2',
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      version: 2,
      summary: 'Новое',
      priority: { key: 'critical' },
      tags: ['c'],
      localEmailsIds: '1, 2',
    });
    expect((patched.body['followers'] as Ref[]).map((u) => u.id)).toEqual(['8000000000000012', '8000000000000011']);
    expect(patched.body['poleNumber']).toBeUndefined();

    // YT-12: writing the same values changes nothing, so the version stays.
    const same = await call<Issue>(`/v2/issues/${issue.key}`, { method: 'PATCH', body: { summary: 'Новое' } });
    expect(same.body.version).toBe(2);

    const changelog = await call<Array<Json>>(`/v2/issues/${issue.key}/changelog?type=IssueUpdated`);
    expect(changelog.body).toHaveLength(1);
    const fields = (changelog.body[0]?.['fields'] as Array<Json>).map((c) => [
      (c['field'] as Ref).id,
      c['from'],
      c['to'],
    ]);
    expect(fields).toContainEqual(['summary', 'Авария на опоре 12345-MSK-01', 'Новое']);
    expect(fields).toContainEqual(['poleNumber', '111', null]);
    expect(fields).toContainEqual(['tags', ['a', 'b'], ['c']]);
  });

  test('PATCH: If-Match and ?version= must equal the current version (409 otherwise); status is not writable', async () => {
    const issue = await createIssue();
    const stale = await call(`/v2/issues/${issue.key}`, {
      method: 'PATCH',
      headers: { 'If-Match': '"5"' },
      body: { summary: 'x' },
    });
    expect(stale.status).toBe(409);
    const staleQuery = await call(`/v2/issues/${issue.key}?version=2`, { method: 'PATCH', body: { summary: 'x' } });
    expect(staleQuery.status).toBe(409);
    const fresh = await call<Issue>(`/v2/issues/${issue.key}?version=1`, {
      method: 'PATCH',
      headers: { 'If-Match': '"1"' },
      body: { summary: 'x' },
    });
    expect(fresh.body.version).toBe(2);
    const status = await call(`/v2/issues/${issue.key}`, { method: 'PATCH', body: { status: 'closed' } });
    expect(status.status).toBe(422);
  });
});

describe('search', () => {
  const seedIssues = async () => {
    for (let n = 1; n <= 5; n += 1) {
      await createIssue({ summary: `Инцидент ${n}`, localId: n, ...(n % 2 === 0 ? { assignee: 'petrov' } : {}) });
      emulator.advanceClock(60_000);
    }
  };

  test('YT-2: page mode returns X-Total-Count, X-Total-Pages and Link first/next/last/seek', async () => {
    await seedIssues();
    const body = {
      filter: { queue: 'AVRSERVICE' },
      filterId: null,
      query: null,
      keys: null,
      queue: null,
      order: ['-localId'],
    };
    const keys: string[] = [];
    let path = '/v2/issues/_search?perPage=2';
    const seen: Array<Record<string, string>> = [];
    for (;;) {
      const reply = await call<Issue[]>(path, { body });
      expect(reply.headers.get('x-total-count')).toBe('5');
      expect(reply.headers.get('x-total-pages')).toBe('3');
      keys.push(...reply.body.map((i) => i.key));
      const l = links(reply.headers);
      seen.push(l);
      if (!l['next']) break;
      path = pathOf(l['next']);
    }
    expect(keys).toEqual(['AVRSERVICE-5', 'AVRSERVICE-4', 'AVRSERVICE-3', 'AVRSERVICE-2', 'AVRSERVICE-1']);
    expect(pathOf(seen[0]?.['next'])).toBe('/v2/issues/_search?perPage=2&page=2');
    expect(pathOf(seen[0]?.['last'])).toBe('/v2/issues/_search?perPage=2&page=3');
    expect(seen[0]?.['seek']).toBe(`${emulator.url}/v2/issues/_search?perPage=2{&page}`);
    expect(pathOf(seen[1]?.['prev'])).toBe('/v2/issues/_search?perPage=2&page=1');
  });

  test('precedence queue > keys > filter > query; order as a string; null keys ignored', async () => {
    await seedIssues();
    const search = async (body: Json) => (await call<Issue[]>('/v2/issues/_search', { body })).body.map((i) => i.key);
    expect(await search({ queue: 'AVRSERVICE', keys: ['AVRSERVICE-2'], order: '-key' })).toEqual([
      'AVRSERVICE-5',
      'AVRSERVICE-4',
      'AVRSERVICE-3',
      'AVRSERVICE-2',
      'AVRSERVICE-1',
    ]);
    expect(await search({ keys: ['AVRSERVICE-4', 'AVRSERVICE-2'], filter: { localId: 1 } })).toEqual([
      'AVRSERVICE-2',
      'AVRSERVICE-4',
    ]);
    expect(await search({ filter: { assignee: 'petrov' }, query: 'Queue: NOPE', keys: null })).toEqual([
      'AVRSERVICE-2',
      'AVRSERVICE-4',
    ]);
    expect(await search({ filter: { assignee: 'empty()', localId: [1, 5] }, order: '-localId' })).toEqual([
      'AVRSERVICE-5',
      'AVRSERVICE-1',
    ]);
    const bad = await call('/v2/issues/_search', { body: { filter: { nosuch: 1 } } });
    expect(bad.status).toBe(400);
  });

  test('YT-13: updatedAt ranges in filter and query, and query sort', async () => {
    await seedIssues();
    const from = '2024-05-01T10:03:00.000+0000';
    const byFilter = await call<Issue[]>('/v2/issues/_search', {
      body: { filter: { queue: 'AVRSERVICE', updatedAt: { from } }, order: '+updatedAt' },
    });
    expect(byFilter.body.map((i) => i.key)).toEqual(['AVRSERVICE-4', 'AVRSERVICE-5']);
    const byQuery = await call<Issue[]>('/v2/issues/_search', {
      body: { query: `Queue: AVRSERVICE Updated: >= "2024-05-01 10:02:00" "Sort by": Updated DESC` },
    });
    expect(byQuery.body.map((i) => i.key)).toEqual(['AVRSERVICE-5', 'AVRSERVICE-4', 'AVRSERVICE-3']);
    const byAssignee = await call<number>('/v2/issues/_count', { body: { query: 'Assignee: petrov, empty()' } });
    expect(byAssignee.body).toBe(5);
    const notMine = await call<number>('/v2/issues/_count', { body: { query: 'Assignee: !petrov' } });
    expect(notMine.body).toBe(3);
    const bad = await call('/v2/issues/_search', { body: { query: 'Queue: A OR Queue: B' } });
    expect(bad.status).toBe(400);
    expect(bad.body['errorMessages']).toEqual(['Ошибка в запросе: Оператор OR не поддерживается эмулятором']);
  });

  test('YT-2: scroll mode pages through a snapshot with X-Scroll-Id / X-Scroll-Token and Link next', async () => {
    await seedIssues();
    const body = { filter: { queue: 'AVRSERVICE' } };
    const first = await call<Issue[]>('/v2/issues/_search?scrollType=sorted&perScroll=2&scrollTTLMillis=10000', {
      body,
    });
    expect(first.body.map((i) => i.key)).toEqual(['AVRSERVICE-1', 'AVRSERVICE-2']);
    const scrollId = first.headers.get('x-scroll-id') ?? '';
    expect(scrollId).not.toBe('');
    expect(first.headers.get('x-total-count')).toBe('5');
    expect(first.headers.get('x-scroll-token')).not.toBeNull();
    await createIssue({ summary: 'после снимка' });
    const keys = first.body.map((i) => i.key);
    let next = links(first.headers)['next'];
    let last: Reply<Issue[]> = first;
    while (next) {
      expect(next).toContain(`scrollId=${scrollId}`);
      last = await call<Issue[]>(pathOf(next), { body });
      keys.push(...last.body.map((i) => i.key));
      next = links(last.headers)['next'];
    }
    expect(keys).toEqual(['AVRSERVICE-1', 'AVRSERVICE-2', 'AVRSERVICE-3', 'AVRSERVICE-4', 'AVRSERVICE-5']);
    expect(last.headers.get('x-scroll-token')).toBeNull();

    const withQueue = await call('/v2/issues/_search?scrollType=sorted', { body: { queue: 'AVRSERVICE' } });
    expect(withQueue.status).toBe(400);

    const another = await call<Issue[]>('/v2/issues/_search?scrollType=unsorted&perScroll=1', { body });
    const anotherId = another.headers.get('x-scroll-id') ?? '';
    const cleared = await call('/v2/system/search/scroll/_clear', {
      body: { [anotherId]: another.headers.get('x-scroll-token') },
    });
    expect(cleared.status).toBe(200);
    expect((await call(`/v2/issues/_search?scrollId=${anotherId}`, { body })).status).toBe(404);
  });

  test('_count answers a bare number', async () => {
    await seedIssues();
    const res = await fetch(`${emulator.url}/v2/issues/_count`, {
      method: 'POST',
      headers: { Authorization: `OAuth ${token}`, 'X-Org-ID': '7000001', 'Content-Type': 'application/json' },
      body: JSON.stringify({ filter: { queue: 'AVRSERVICE', assignee: 'petrov' } }),
    });
    expect(await res.text()).toBe('2');
  });
});

describe('ATT-6: attachments', () => {
  const upload = async (name: string, content: string) => {
    const form = new FormData();
    form.append('file', new Blob([content], { type: 'application/pdf' }), name);
    const res = await fetch(`${emulator.url}/v2/attachments/`, {
      method: 'POST',
      headers: { Authorization: `OAuth ${token}`, 'X-Org-ID': emulator.seed.orgId },
      body: form,
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  test('temporary uploads are linked by attachmentIds on create and on comments, once', async () => {
    const act = await upload('акт.pdf', '%PDF-1.4 act');
    expect(act.status).toBe(201);
    expect(act.body).toMatchObject({
      self: `${emulator.url}/v2/attachments/1`,
      id: '1',
      name: 'акт.pdf',
      mimetype: 'application/pdf',
      size: 12,
    });
    const issue = await createIssue({ attachmentIds: [act.body['id']] });
    const expanded = await call<Issue>(`/v2/issues/${issue.key}?expand=attachments`);
    expect((expanded.body['attachments'] as Json[]).map((a) => a['name'])).toEqual(['акт.pdf']);

    const reused = await call(`/v2/issues/`, {
      body: { queue: 'AVRSERVICE', summary: 'второй раз', attachmentIds: [act.body['id']] },
    });
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ errors: { attachmentIds: 'Временный файл 1 не найден' } });

    const photo = await upload('фото.pdf', 'x');
    const comment = await call<Json>(`/v2/issues/${issue.key}/comments`, {
      body: { text: 'с вложением', attachmentIds: [photo.body['id']] },
    });
    expect(comment.body['attachments']).toEqual([
      { self: `${emulator.url}/v2/attachments/2`, id: '2', display: 'фото.pdf' },
    ]);
    const list = await call<Json[]>(`/v2/issues/${issue.key}/attachments`);
    expect(list.body.map((a) => a['name'])).toEqual(['акт.pdf', 'фото.pdf']);
    const notMultipart = await call('/v2/attachments', { body: { file: 'x' } });
    expect(notMultipart.status).toBe(400);
  });
});

describe('comments', () => {
  test('YT-10: comments have a numeric id and a longId; the list pages by id cursor with Link next', async () => {
    const issue = await createIssue();
    const ids: number[] = [];
    for (let n = 1; n <= 3; n += 1) {
      const reply = await call<Json>(`/v2/issues/${issue.key}/comments/`, { body: { text: `### 📧 письмо ${n}` } });
      expect(reply.status).toBe(201);
      expect(reply.body['longId']).toMatch(/^[0-9a-f]{24}$/);
      expect(reply.body).toMatchObject({ type: 'standard', transport: 'internal', version: 1 });
      expect(reply.body['self']).toBe(`${emulator.url}/v2/issues/${issue.key}/comments/${Number(reply.body['id'])}`);
      ids.push(Number(reply.body['id']));
    }
    const page1 = await call<Array<Json>>(`/v2/issues/${issue.key}/comments?perPage=2`);
    expect(page1.body.map((c) => c['id'])).toEqual(ids.slice(0, 2));
    const l = links(page1.headers);
    expect(pathOf(l['first'])).toBe(`/v2/issues/${issue.key}/comments?perPage=2`);
    expect(pathOf(l['next'])).toBe(`/v2/issues/${issue.key}/comments?perPage=2&id=${ids[1]}`);
    const page2 = await call<Array<Json>>(pathOf(l['next']));
    expect(page2.body.map((c) => c['text'])).toEqual(['### 📧 письмо 3']);
    expect(links(page2.headers)['next']).toBeUndefined();
    // Comments do not change the issue version (only its fields do).
    expect((await call<Issue>(`/v2/issues/${issue.key}`)).body.version).toBe(1);
  });

  test('edit bumps the comment version and writes IssueCommentUpdated; e-mail comments are outcoming', async () => {
    const issue = await createIssue();
    const added = await call<Json>(`/v2/issues/${issue.key}/comments`, { body: { text: 'черновик' } });
    const edited = await call<Json>(`/v2/issues/${issue.key}/comments/${String(added.body['longId'])}`, {
      method: 'PATCH',
      body: { text: 'исправлено' },
    });
    expect(edited.body).toMatchObject({ text: 'исправлено', version: 2, id: added.body['id'] });
    const log = await call<Array<Json>>(`/v2/issues/${issue.key}/changelog?type=IssueCommentUpdated`);
    expect(log.body[0]?.['comments']).toEqual({
      updated: [
        {
          self: `${emulator.url}/v2/issues/${issue.key}/comments/${String(added.body['id'])}`,
          id: String(added.body['id']),
          display: String(added.body['id']),
        },
      ],
    });

    const email = await call<Json>(`/v2/issues/${issue.key}/comments`, {
      body: {
        email: {
          subject: `Re: ${issue.key}: Авария`,
          text: 'Заявка принята в работу.',
          info: { from: 'dispatch@sandbox.example', to: ['noc@operator.example'], cc: [] },
        },
      },
    });
    expect(email.status).toBe(201);
    expect(email.body).toMatchObject({
      type: 'outcoming',
      transport: 'email',
      text: 'Заявка принята в работу.',
      email: { info: { from: 'dispatch@sandbox.example', to: ['noc@operator.example'], cc: [] } },
    });
    expect((await call<Issue>(`/v2/issues/${issue.key}`)).body['commentWithExternalMessageCount']).toBe(1);
    const empty = await call(`/v2/issues/${issue.key}/comments`, { body: { text: '' } });
    expect(empty.status).toBe(422);
  });
});

describe('transitions and changelog', () => {
  test('YT-17: list offers transitions with their target status; ids are not status keys', async () => {
    const issue = await createIssue();
    const list = await call<Array<Json>>(`/v2/issues/${issue.key}/transitions/`);
    expect(list.body.map((t) => [t['id'], (t['to'] as Ref).key, t['display']])).toEqual([
      ['inProgressMeta', 'inProgress', 'В работе'],
      ['errorMeta', 'error', 'Ошибка'],
      ['needAcceptanceMeta', 'needAcceptance', 'Ждем подтверждения'],
    ]);
    const one = await call<Json>(`/v2/issues/${issue.key}/transitions/errorMeta`);
    expect(one.body['self']).toBe(`${emulator.url}/v2/issues/${issue.key}/transitions/errorMeta`);
    expect((await call(`/v2/issues/${issue.key}/transitions/closedMeta`)).status).toBe(404);
    const unavailable = await call(`/v2/issues/${issue.key}/transitions/closedMeta/_execute`, { body: {} });
    expect(unavailable.status).toBe(409);
    expect((await call(`/v2/issues/${issue.key}/transitions/nope/_execute`, { body: {} })).status).toBe(404);
  });

  test('NOTIFY-3: _execute returns the next transitions and writes an IssueWorkflow entry with an id', async () => {
    const issue = await createIssue();
    emulator.advanceClock(90_000);
    const executed = await call<Array<Json>>(`/v2/issues/${issue.key}/transitions/inProgressMeta/_execute`, {
      body: { comment: 'Принято в работу', assignee: 'sidorov' },
    });
    expect(executed.status).toBe(200);
    expect(executed.body.map((t) => (t['to'] as Ref).key)).toEqual([
      'error',
      'needAcceptance',
      'uvedomlaemOperatora',
      'naGeneraciiNb',
      'closed',
    ]);
    const after = (await call<Issue>(`/v2/issues/${issue.key}`)).body;
    expect(after).toMatchObject({
      version: 2,
      status: { key: 'inProgress' },
      previousStatus: { key: 'open' },
      statusStartTime: '2024-05-01T10:01:30.000+0000',
      assignee: { id: '8000000000000013' },
    });
    const workflow = await call<Array<Json>>(`/v2/issues/${issue.key}/changelog?field=status&type=IssueWorkflow`);
    expect(workflow.body).toHaveLength(1);
    const entry = workflow.body[0] ?? {};
    expect(entry['id']).toMatch(/^[0-9a-f]{24}$/);
    expect(entry).toMatchObject({
      self: `${emulator.url}/v2/issues/${issue.key}/changelog/${String(entry['id'])}`,
      issue: { key: issue.key, id: issue.id },
      type: 'IssueWorkflow',
      transport: 'api',
      updatedAt: '2024-05-01T10:01:30.000+0000',
      updatedBy: { id: '8000000000000001' },
    });
    expect(entry['fields']).toEqual([
      {
        field: { self: `${emulator.url}/v2/fields/status`, id: 'status', display: 'Статус' },
        from: { self: `${emulator.url}/v2/statuses/1`, id: '1', key: 'open', display: 'Новый' },
        to: { self: `${emulator.url}/v2/statuses/2`, id: '2', key: 'inProgress', display: 'В работе' },
      },
      {
        field: { self: `${emulator.url}/v2/fields/assignee`, id: 'assignee', display: 'Исполнитель' },
        from: null,
        to: { self: `${emulator.url}/v2/users/8000000000000013`, id: '8000000000000013', display: 'Сидор Сидоров' },
      },
    ]);
    const comments = await call<Array<Json>>(`/v2/issues/${issue.key}/comments`);
    expect((entry['comments'] as Json)['added']).toEqual([
      {
        self: `${emulator.url}/v2/issues/${issue.key}/comments/${String(comments.body[0]?.['id'])}`,
        id: String(comments.body[0]?.['id']),
        display: String(comments.body[0]?.['id']),
      },
    ]);
    const single = await call<Json>(`/v2/issues/${issue.key}/changelog/${String(entry['id'])}`);
    expect(single.body['id']).toBe(entry['id']);
  });

  test('closing needs a resolution; reopening (INC-10) clears it', async () => {
    const issue = await createIssue();
    await call(`/v2/issues/${issue.key}/transitions/inProgressMeta/_execute`, { body: {} });
    const noResolution = await call(`/v2/issues/${issue.key}/transitions/closedMeta/_execute`, { body: {} });
    expect(noResolution.status).toBe(422);
    expect(noResolution.body['errors']).toEqual({ resolution: 'Обязательное поле' });
    await call(`/v2/issues/${issue.key}/transitions/closedMeta/_execute`, { body: { resolution: 'fixed' } });
    const closed = (await call<Issue>(`/v2/issues/${issue.key}`)).body;
    expect(closed).toMatchObject({ status: { key: 'closed' }, resolution: { key: 'fixed', display: 'Решен' } });
    expect(closed['resolvedAt']).toBe('2024-05-01T10:00:00.000+0000');
    await call(`/v2/issues/${issue.key}/transitions/inProgressMeta/_execute`, { body: {} });
    const reopened = (await call<Issue>(`/v2/issues/${issue.key}`)).body;
    expect(reopened.status.key).toBe('inProgress');
    expect(reopened['resolution']).toBeUndefined();
    expect(reopened['resolvedAt']).toBeUndefined();
  });

  test('YT-2: the changelog pages by id cursor (Link next) and filters by field and type', async () => {
    const issue = await createIssue();
    await call(`/v2/issues/${issue.key}`, { method: 'PATCH', body: { summary: 'a' } });
    await call(`/v2/issues/${issue.key}/transitions/errorMeta/_execute`, { body: { comment: 'VAL-E2' } });
    await call(`/v2/issues/${issue.key}/transitions/inProgressMeta/_execute`, { body: {} });
    const types: string[] = [];
    let path = `/v2/issues/${issue.key}/changelog/?perPage=2`;
    const cursors: string[] = [];
    for (;;) {
      const reply = await call<Array<Json>>(path);
      types.push(...reply.body.map((e) => String(e['type'])));
      const next = links(reply.headers)['next'];
      if (!next) break;
      cursors.push(new URL(next).searchParams.get('id') ?? '');
      expect(cursors.at(-1)).toBe(reply.body.at(-1)?.['id']);
      path = pathOf(next);
    }
    expect(types).toEqual(['IssueCreated', 'IssueUpdated', 'IssueWorkflow', 'IssueWorkflow']);
    expect(cursors).toHaveLength(1);
    const statusOnly = await call<Array<Json>>(`/v2/issues/${issue.key}/changelog?field=status`);
    expect(statusOnly.body.map((e) => ((e['fields'] as Array<Json>)[0]?.['to'] as Ref).key)).toEqual([
      'error',
      'inProgress',
    ]);
  });
});
