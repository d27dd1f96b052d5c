// Admin side of the Tracker emulator: acting as dispatchers (ASSIGN-5, YT-15, NOTIFY-3), the admin
// HTTP API, the trigger webhook, the dispatcher page, field setup (YT-5) and persistence.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';

type Json = Record<string, unknown>;

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
let emulator: TrackerEmulator;

const apiHeaders = (token = emulator.seed.oauth.accessToken) => ({
  Authorization: `OAuth ${token}`,
  'X-Org-ID': emulator.seed.orgId,
  'Content-Type': 'application/json',
});

async function api(path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const res = await fetch(`${emulator.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: apiHeaders(init.token),
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as unknown };
}

async function admin(path: string, method = 'GET', body?: unknown) {
  const res = await fetch(`${emulator.url}/_admin${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

beforeAll(async () => {
  emulator = await startTrackerEmulator({ now: () => T0 });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.reset();
});

describe('acting as a dispatcher', () => {
  test('YT-15: a manual issue has no local id and the dispatcher as author', () => {
    const issue = emulator.dispatcher.createIssue({
      login: 'sidorov',
      summary: 'Заявка из Трекера',
      fields: { poleNumber: '12345-MSK-01' },
    });
    expect(issue).toMatchObject({
      key: 'AVRSERVICE-1',
      summary: 'Заявка из Трекера',
      poleNumber: '12345-MSK-01',
      createdBy: { id: '8000000000000013' },
      status: { key: 'open' },
    });
    expect(issue['localId']).toBeUndefined();
    const history = emulator.issueHistory('AVRSERVICE-1');
    expect(history?.changelog.map((e) => [e['type'], e['transport']])).toEqual([['IssueCreated', 'front']]);
  });

  test('NOTIFY-3: a transition by target status writes IssueWorkflow by that dispatcher with its comment', () => {
    emulator.dispatcher.createIssue({ login: 'ivanov', summary: 'Авария' });
    emulator.dispatcher.executeTransition({ login: 'ivanov', issue: 'AVRSERVICE-1', status: 'inProgress' });
    const issue = emulator.dispatcher.executeTransition({
      login: 'petrov',
      issue: 'AVRSERVICE-1',
      status: emulator.seed.statusKeys.notifyOperatorInWork,
      comment: 'Сообщите заявителю',
    });
    expect(issue['status']).toMatchObject({ key: 'uvedomlaemOperatora', display: 'Уведомляем оператора' });
    const history = emulator.issueHistory('AVRSERVICE-1');
    const workflow = history?.changelog.filter((e) => e['type'] === 'IssueWorkflow') ?? [];
    expect(workflow.map((e) => [(e['updatedBy'] as Json)['id'], e['transport']])).toEqual([
      ['8000000000000011', 'front'],
      ['8000000000000012', 'front'],
    ]);
    expect(history?.comments.map((c) => [c['text'], (c['createdBy'] as Json)['id']])).toEqual([
      ['Сообщите заявителю', '8000000000000012'],
    ]);
    expect(() =>
      emulator.dispatcher.executeTransition({ login: 'ivanov', issue: 'AVRSERVICE-1', status: 'open' }),
    ).toThrow('Из статуса uvedomlaemOperatora нет перехода в open (задача AVRSERVICE-1)');
  });

  test('ASSIGN-5: reassignment and field edits are IssueUpdated entries by the dispatcher', () => {
    emulator.dispatcher.createIssue({ login: 'ivanov', summary: 'Авария' });
    emulator.dispatcher.assign({ login: 'ivanov', issue: 'AVRSERVICE-1', assignee: 'petrov' });
    const edited = emulator.dispatcher.updateFields({
      login: 'petrov',
      issue: 'AVRSERVICE-1',
      fields: { [emulator.seed.fields.typeOfProblem]: 'Авария ВОЛС', newMessage: '\u2716\uFE0F Нет' },
    });
    expect(edited).toMatchObject({
      version: 3,
      assignee: { id: '8000000000000012' },
      [emulator.seed.fields.typeOfProblem]: 'Авария ВОЛС',
      newMessage: '\u2716\uFE0F Нет',
    });
    emulator.dispatcher.assign({ login: 'petrov', issue: 'AVRSERVICE-1', assignee: null });
    const history = emulator.issueHistory('AVRSERVICE-1');
    const updates = history?.changelog.filter((e) => e['type'] === 'IssueUpdated') ?? [];
    expect(
      updates.map((e) => [
        (e['updatedBy'] as Json)['id'],
        (e['fields'] as Json[]).map((f) => (f['field'] as Json)['id']),
      ]),
    ).toEqual([
      ['8000000000000011', ['assignee']],
      ['8000000000000012', [emulator.seed.fields.typeOfProblem, 'newMessage']],
      ['8000000000000012', ['assignee']],
    ]);
    expect(history?.issue['assignee']).toBeUndefined();
    const comment = emulator.dispatcher.comment({ login: 'sidorov', issue: 'AVRSERVICE-1', text: 'Выехали' });
    expect(comment).toMatchObject({ text: 'Выехали', createdBy: { id: '8000000000000013' } });
  });
});

describe('admin HTTP API', () => {
  test('seed, dispatcher actions, request log, clock, tokens and reset over HTTP', async () => {
    const seed = await admin('/seed');
    expect((seed.body['env'] as Json)['YT_QUEUE']).toBe('AVRSERVICE');
    expect((seed.body['seed'] as Json)['apiUserLogin']).toBe('dispatch-robot');

    const created = await admin('/dispatcher/create', 'POST', { login: 'ivanov', summary: 'Ручная' });
    expect(created.status).toBe(201);
    expect(created.body['key']).toBe('AVRSERVICE-1');
    const moved = await admin('/dispatcher/transition', 'POST', {
      login: 'ivanov',
      issue: 'AVRSERVICE-1',
      transition: 'errorMeta',
      comment: 'Ошибка',
    });
    expect((moved.body['status'] as Json)['key']).toBe('error');
    const assigned = await admin('/dispatcher/assign', 'POST', {
      login: 'ivanov',
      issue: 'AVRSERVICE-1',
      assignee: 'sidorov',
    });
    expect((assigned.body['assignee'] as Json)['id']).toBe('8000000000000013');
    expect(
      (await admin('/dispatcher/comment', 'POST', { login: 'ivanov', issue: 'AVRSERVICE-1', text: 'x' })).status,
    ).toBe(201);
    const updated = await admin('/dispatcher/update', 'POST', {
      login: 'ivanov',
      issue: 'AVRSERVICE-1',
      fields: { baseStationNumber: 'BS-1' },
    });
    expect(updated.body['baseStationNumber']).toBe('BS-1');

    const invalid = await admin('/dispatcher/transition', 'POST', { login: 'ivanov', issue: 'AVRSERVICE-1' });
    expect(invalid.status).toBe(400);
    expect(invalid.body['errors']).toEqual({ body: 'give exactly one of transition or status' });
    const unknownUser = await admin('/dispatcher/comment', 'POST', {
      login: 'nobody',
      issue: 'AVRSERVICE-1',
      text: 'x',
    });
    expect(unknownUser.status).toBe(404);

    const history = await admin('/issues/AVRSERVICE-1');
    expect((history.body['changelog'] as Json[]).map((e) => e['type'])).toEqual([
      'IssueCreated',
      'IssueWorkflow',
      'IssueUpdated',
      'IssueCommentAdded',
      'IssueUpdated',
    ]);

    expect((await api('/v2/issues/AVRSERVICE-1')).status).toBe(200);
    const log = await admin('/requests');
    expect(log.body['counts']).toEqual({ 'GET /issues/:issue': 1 });

    await admin('/clock', 'POST', { advanceMs: 2 * 86_400_000 });
    expect((await api('/v2/myself')).status).toBe(401);
    const token = await admin('/tokens', 'POST', { login: 'petrov' });
    const me = await api('/v2/myself', { token: String(token.body['token']) });
    expect((me.body as Json)['login']).toBe('petrov');
    await admin('/tokens/expire', 'POST');
    expect((await api('/v2/myself', { token: String(token.body['token']) })).status).toBe(401);

    const rule = await admin('/faults', 'POST', { path: '/myself', serverErrorRate: 1 });
    expect(rule.status).toBe(201);
    expect((await admin('/faults')).body).toEqual([{ ...rule.body }]);
    expect((await admin(`/faults/${String(rule.body['id'])}`, 'DELETE')).status).toBe(200);
    expect((await admin('/faults', 'POST', { rate: 1 })).status).toBe(400);

    await admin('/reset', 'POST');
    expect((await admin('/issues')).body).toEqual([]);
    expect((await api('/v2/myself')).status).toBe(200);
  });
});

describe('trigger webhook', () => {
  let receiver: Server;
  const received: Array<{ headers: IncomingHttpHeaders; body: Json }> = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  test('every status change POSTs a small JSON with the shared secret', async () => {
    const port = (receiver.address() as AddressInfo).port;
    emulator.setWebhook({ url: `http://127.0.0.1:${port}/tracker/webhook`, secret: 's3cret' });
    emulator.dispatcher.createIssue({ login: 'ivanov', summary: 'Авария' });
    const res = await api('/v2/issues/AVRSERVICE-1/transitions/inProgressMeta/_execute', { body: {} });
    expect(res.status).toBe(200);
    await emulator.drainWebhooks();
    expect(received).toHaveLength(1);
    const changelog = emulator.issueHistory('AVRSERVICE-1')?.changelog ?? [];
    expect(received[0]?.headers['x-webhook-secret']).toBe('s3cret');
    expect(received[0]?.body).toEqual({
      event: 'issue.statusChanged',
      issue: { id: emulator.getIssue('AVRSERVICE-1')?.['id'], key: 'AVRSERVICE-1', version: 2 },
      status: { from: 'open', to: 'inProgress' },
      changelogId: changelog.at(-1)?.['id'],
      updatedAt: '2024-05-01T10:00:00.000+0000',
      updatedBy: 'dispatch-robot',
    });
    expect(emulator.webhookDeliveries().map((d) => d.status)).toEqual([204]);
    emulator.setWebhook(null);
  });
});

describe('dispatcher page', () => {
  test('lists issues with status, assignee, fields and comments as escaped preformatted text', async () => {
    emulator.dispatcher.createIssue({
      login: 'ivanov',
      summary: 'Авария <b>важно</b>',
      fields: { assignee: 'petrov', slaStatus: '\u{1F7E6} В работе' },
    });
    emulator.dispatcher.comment({
      login: 'ivanov',
      issue: 'AVRSERVICE-1',
      text: '### 📧 "**Тема**"\n<script>x()</script>',
    });
    const res = await fetch(`${emulator.url}/`);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<h2>AVRSERVICE-1: Авария &lt;b&gt;важно&lt;/b&gt;</h2>');
    expect(html).toContain('<span class="status">Новый</span>');
    expect(html).toContain('Исполнитель: Пётр Петров (petrov)');
    expect(html).toContain('<tr><th>Статус SLA</th><td>\u{1F7E6} В работе</td></tr>');
    expect(html).toContain('<pre>### 📧 &quot;**Тема**&quot;\n&lt;script&gt;x()&lt;/script&gt;</pre>');
    expect(html).not.toContain('<script>');
    expect((await fetch(`${emulator.url}/_ui`)).status).toBe(200);
  });
});

describe('YT-5: field settings', () => {
  test('PATCH /v2/fields/{id}?version= renames and hides a field; version is required and checked', async () => {
    const missing = await api('/v2/fields/localId', { method: 'PATCH', body: { readonly: false } });
    expect(missing.status).toBe(400);
    const renamed = await api('/v2/fields/localId?version=1', {
      method: 'PATCH',
      body: { name: { ru: 'Local ID', en: 'Local ID' }, readonly: false, visible: false },
    });
    expect(renamed.body).toMatchObject({
      id: 'localId',
      name: 'Local ID',
      version: 2,
      readonly: false,
      visible: false,
    });
    expect((await api('/v2/fields/localId?version=1', { method: 'PATCH', body: { visible: true } })).status).toBe(409);
    const readonly = await api('/v2/fields/operator?version=1', { method: 'PATCH', body: { readonly: true } });
    expect(readonly.status).toBe(200);
    const write = await api('/v2/issues', { body: { queue: 'AVRSERVICE', summary: 's', operator: 'МТС' } });
    expect(write.status).toBe(422);
    expect((write.body as Json)['errors']).toEqual({ operator: 'Поле доступно только для чтения' });
  });
});

describe('persistence', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tracker-sandbox-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('issues, comments, changelog, rotated tokens and field settings survive a restart', async () => {
    const statePath = join(dir, 'nested', 'tracker.json');
    const first = await startTrackerEmulator({ statePath, now: () => T0 });
    let refreshToken: string | undefined;
    try {
      first.dispatcher.createIssue({ login: 'ivanov', summary: 'До перезапуска' });
      const renamed = await fetch(`${first.url}/v2/fields/localId?version=1`, {
        method: 'PATCH',
        headers: { Authorization: 'OAuth sandbox-access-token', 'X-Org-ID': '7000001' },
        body: JSON.stringify({ name: 'Local ID', visible: false }),
      });
      expect(renamed.status).toBe(200);
      await renamed.body?.cancel();
      first.dispatcher.executeTransition({
        login: 'ivanov',
        issue: 'AVRSERVICE-1',
        status: 'inProgress',
        comment: 'ok',
      });
      const res = await fetch(`${first.url}/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: first.seed.oauth.refreshToken,
          client_id: first.seed.oauth.clientId,
          client_secret: first.seed.oauth.clientSecret,
        }),
      });
      refreshToken = String(((await res.json()) as Json)['refresh_token']);
    } finally {
      await first.close();
    }
    expect(await readdir(join(dir, 'nested'))).toEqual(['tracker.json']);
    const saved = JSON.parse(await readFile(statePath, 'utf8')) as Json;
    expect(saved['formatVersion']).toBe(1);

    const second = await startTrackerEmulator({ statePath, now: () => T0 });
    try {
      expect(second.getIssue('AVRSERVICE-1')).toMatchObject({ version: 2, status: { key: 'inProgress' } });
      const history = second.issueHistory('AVRSERVICE-1');
      expect(history?.comments.map((c) => c['text'])).toEqual(['ok']);
      expect(history?.changelog.map((e) => e['type'])).toEqual(['IssueCreated', 'IssueWorkflow']);
      expect(second.dispatcher.createIssue({ login: 'ivanov', summary: 'После' })['key']).toBe('AVRSERVICE-2');
      const refresh = (token: string) =>
        fetch(`${second.url}/token`, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: token,
            client_id: second.seed.oauth.clientId,
            client_secret: second.seed.oauth.clientSecret,
          }),
        });
      expect((await refresh(second.seed.oauth.refreshToken)).status).toBe(400);
      const rotated = await refresh(refreshToken ?? '');
      expect(rotated.status).toBe(200);
      const access = String(((await rotated.json()) as Json)['access_token']);
      const field = await fetch(`${second.url}/v2/fields/localId`, {
        headers: { Authorization: `OAuth ${access}`, 'X-Org-ID': '7000001' },
      });
      expect(await field.json()).toMatchObject({ name: 'Local ID', visible: false, version: 2 });
    } finally {
      await second.close();
    }
  });

  test('a corrupt state file stops the start with a message naming the file', async () => {
    const statePath = join(dir, 'broken.json');
    await writeFile(statePath, '{"formatVersion": 1, "queueKey": "AVRSERVICE"}');
    await expect(startTrackerEmulator({ statePath })).rejects.toThrow(`Tracker sandbox state ${statePath}: counters`);
    await writeFile(statePath, 'not json');
    await expect(startTrackerEmulator({ statePath })).rejects.toThrow('not valid JSON');
  });
});

describe('standalone entry point', () => {
  test('main.js prints its URL, serves the API and keeps its state file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tracker-main-'));
    const statePath = join(dir, 'tracker.json');
    const main = fileURLToPath(new URL('../../src/sandbox/tracker/main.js', import.meta.url));
    const child = spawn(process.execPath, [main, '--port', '0', '--state', statePath], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
          const m = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (m?.[1]) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${String(code)}: ${output}`)));
      });
      const me = await fetch(`${url}/v2/myself`, {
        headers: { Authorization: 'OAuth sandbox-access-token', 'X-Org-ID': '7000001' },
      });
      expect(((await me.json()) as Json)['login']).toBe('dispatch-robot');
      expect(output).toContain(`state:           ${statePath}`);
      const saved = JSON.parse(await readFile(statePath, 'utf8')) as Json;
      expect(saved['queueKey']).toBe('AVRSERVICE');
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
