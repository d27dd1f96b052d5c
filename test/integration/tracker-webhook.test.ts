// The Tracker trigger webhook (`POST /tracker/webhook`, the fast path of YT-13): authentication by
// WEBHOOK_SECRET, body checks, and routing through the same code as the poll (YT-15), ending in a
// `trackerChanged` signal in the incident's workflow history. Also measures the latency from a
// dispatcher's status change to the signal, for the webhook and for one poll.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTrackerRouterFor, createTrackerSyncActivities } from '../../src/activities/tracker-sync.js';
import type { Config } from '../../src/config/load.js';
import {
  MAX_WEBHOOK_BODY_BYTES,
  TRACKER_WEBHOOK_PATH,
  createTrackerWebhookHandler,
} from '../../src/http/tracker-webhook.js';
import { startTrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerChangedSignal } from '../../src/workflows/signals.js';
import { createTestDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/db.js';
import { connectTemporal } from '../support/temporal.js';
import type { TemporalTestContext } from '../support/temporal.js';
import { emulatorConfig, quietLogger, waitFor } from '../workflow/incident-fixtures.js';

const SECRET = 'webhook-shared-secret-7f3a';

let temporal: TemporalTestContext;
let emulator: TrackerEmulator;
let database: TestDatabase;
let config: Config;
let enabledUrl: string;
let disabledUrl: string;
const servers: Server[] = [];
const incidentIds: number[] = [];

async function serve(handler: ReturnType<typeof createTrackerWebhookHandler>): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url !== TRACKER_WEBHOOK_PATH) {
      res.writeHead(404).end();
      return;
    }
    handler(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${TRACKER_WEBHOOK_PATH}`;
}

beforeAll(async () => {
  temporal = await connectTemporal('tracker-webhook');
  emulator = await startTrackerEmulator();
  database = await createTestDatabase('tracker_webhook');
  config = emulatorConfig(emulator, database.url, {
    WEBHOOK_SECRET: SECRET,
    TEMPORAL_TASK_QUEUE: `${temporal.taskQueue}-incidents`,
  });
  const router = createTrackerRouterFor({ config, db: database.pool, log: quietLogger(), temporal: temporal.client });
  const route = (issueKey: string) => router.routeIssueByKey(issueKey, 'webhook');
  enabledUrl = await serve(createTrackerWebhookHandler({ config, route, log: quietLogger() }));
  const disabled = { http: { ...config.http, webhookSecret: '' } };
  disabledUrl = await serve(createTrackerWebhookHandler({ config: disabled, route, log: quietLogger() }));
});

afterAll(async () => {
  for (const id of incidentIds) {
    await temporal.client.workflow
      .getHandle(`incident-${id}`)
      .terminate('test over')
      .catch(() => undefined);
  }
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  await emulator.close();
  await database.drop();
  await temporal.close();
});

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const trigger = (key: string) =>
  JSON.stringify({
    event: 'issue.statusChanged',
    issue: { id: 'x', key, version: 2 },
    status: { from: 'open', to: 'inProgress' },
  });

/** An incident whose issue carries its id (as YT-8 creates it). */
async function incidentWithIssue(): Promise<{ incidentId: number; key: string }> {
  const incidentId = await database.pool.oneFirst(sql.type(z.object({ id: z.number() }))`
    INSERT INTO incidents (registration_time, is_auto) VALUES (now(), true) RETURNING id`);
  incidentIds.push(incidentId);
  const issue = emulator.dispatcher.createIssue({
    login: 'ivanov',
    summary: `Инцидент ${incidentId}`,
    fields: { [config.tracker.fieldIds.localId]: incidentId },
  });
  const key = String(issue['key']);
  await database.pool.query(sql.unsafe`UPDATE incidents SET code = ${key} WHERE id = ${incidentId}`);
  return { incidentId, key };
}

async function trackerSignals(incidentId: number): Promise<TrackerChangedSignal[]> {
  let history;
  try {
    history = await temporal.client.workflow.getHandle(`incident-${incidentId}`).fetchHistory();
  } catch {
    return [];
  }
  const signals: TrackerChangedSignal[] = [];
  for (const event of history.events ?? []) {
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName !== 'trackerChanged') continue;
    const data = signal.input?.payloads?.[0]?.data;
    if (data) signals.push(JSON.parse(Buffer.from(data).toString('utf8')) as TrackerChangedSignal);
  }
  return signals;
}

describe('POST /tracker/webhook: authentication and body', () => {
  test('CONF: an empty WEBHOOK_SECRET disables the webhook → 404', async () => {
    const { key } = await incidentWithIssue();
    expect((await post(disabledUrl, trigger(key), { 'X-Webhook-Secret': SECRET })).status).toBe(404);
  });

  test('a request without the X-Webhook-Secret header → 401, nothing routed', async () => {
    const { incidentId, key } = await incidentWithIssue();
    expect(await post(enabledUrl, trigger(key))).toEqual({ status: 401, body: { error: 'unauthorized' } });
    expect(await trackerSignals(incidentId)).toEqual([]);
  });

  test('a wrong secret → 401, nothing routed', async () => {
    const { incidentId, key } = await incidentWithIssue();
    const wrong = await post(enabledUrl, trigger(key), { 'X-Webhook-Secret': `${SECRET}x` });
    expect(wrong.status).toBe(401);
    expect((await post(enabledUrl, trigger(key), { 'X-Webhook-Secret': '' })).status).toBe(401);
    expect(await trackerSignals(incidentId)).toEqual([]);
  });

  test('a body that is not JSON, or has no issue.key → 400', async () => {
    const auth = { 'X-Webhook-Secret': SECRET };
    expect(await post(enabledUrl, '{"issue":', auth)).toEqual({ status: 400, body: { error: 'body is not JSON' } });
    expect((await post(enabledUrl, '{"issue":{}}', auth)).status).toBe(400);
    expect((await post(enabledUrl, '{"issue":{"key":"not a key"}}', auth)).status).toBe(400);
  });

  test('a trigger for an issue Tracker does not know → 404, nothing created', async () => {
    const answer = await post(enabledUrl, trigger('AVRSERVICE-99999'), { 'X-Webhook-Secret': SECRET });
    expect(answer).toEqual({ status: 404, body: { error: 'issue AVRSERVICE-99999 not found' } });
    const count = await database.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
      SELECT count(*)::int AS n FROM incidents WHERE code = 'AVRSERVICE-99999'`);
    expect(count).toBe(0);
  });

  test('a body over 64 KiB → 413', async () => {
    const big = JSON.stringify({ issue: { key: 'AVRSERVICE-1' }, pad: 'x'.repeat(MAX_WEBHOOK_BODY_BYTES) });
    expect((await post(enabledUrl, big, { 'X-Webhook-Secret': SECRET })).status).toBe(413);
  });

  test('YT-15 step 3: a valid trigger → 202 and the incident workflow receives trackerChanged (source webhook)', async () => {
    const { incidentId, key } = await incidentWithIssue();
    const answer = await post(enabledUrl, trigger(key), { 'X-Webhook-Secret': SECRET });
    expect(answer).toEqual({ status: 202, body: { accepted: key } });
    const issue = emulator.getIssue(key) ?? {};
    expect(await trackerSignals(incidentId)).toEqual([
      { issueKey: key, version: issue['version'], updatedAt: issue['updatedAt'], source: 'webhook' },
    ]);
  });
});

describe('latency from a dispatcher status change to the trackerChanged signal', () => {
  test('YT-13: the emulator trigger webhook delivers the change; one poll cycle does too', async () => {
    const { incidentId, key } = await incidentWithIssue();
    emulator.setWebhook({ url: enabledUrl, secret: SECRET });
    const started = Date.now();
    emulator.dispatcher.executeTransition({ login: 'ivanov', issue: key, status: 'inProgress' });
    const viaWebhook = await waitFor(
      () => trackerSignals(incidentId),
      (signals) => signals.length === 1,
      15_000,
    );
    const webhookMs = Date.now() - started;
    expect(viaWebhook.map((sig) => [sig.issueKey, sig.source])).toEqual([[key, 'webhook']]);
    expect(emulator.webhookDeliveries().at(-1)?.status).toBe(202);

    emulator.setWebhook(null);
    const activities = createTrackerSyncActivities({
      config,
      db: database.pool,
      log: quietLogger(),
      temporal: temporal.client,
    });
    const poll = (input: { full?: boolean }) => activities.pollTrackerChanges(input);
    await poll({ full: true });
    const before = (await trackerSignals(incidentId)).length;
    const pollStarted = Date.now();
    emulator.dispatcher.executeTransition({ login: 'ivanov', issue: key, status: 'needAcceptance' });
    await poll({});
    const viaPoll = await waitFor(
      () => trackerSignals(incidentId),
      (signals) => signals.length > before,
      15_000,
    );
    const pollMs = Date.now() - pollStarted;
    const last = viaPoll.at(-1);
    expect([last?.issueKey, last?.source, last?.version]).toEqual([key, 'poll', emulator.getIssue(key)?.['version']]);
    console.info(`tracker change → trackerChanged signal: webhook ${webhookMs} ms, one poll cycle ${pollMs} ms`);
  });
});
