// The worker's HTTP server against a real PostgreSQL, the Temporal dev server and the Tracker
// emulator: liveness, readiness (PostgreSQL + Temporal + worker flag), Prometheus metrics with
// exact values for seeded rows, Tracker call counters, 404/405 and a mounted extra route.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { sql } from 'slonik';
import { z } from 'zod';
import { ensureIncidentStatusId } from '../../src/adapters/db/defaults.js';
import { createDbPool, type DbPool } from '../../src/adapters/db/pool.js';
import { createTrackerClient, type TrackerClient } from '../../src/adapters/tracker/index.js';
import { STATUS } from '../../src/domain/reference-data.js';
import { postgresReadiness, temporalReadiness, workerReadiness } from '../../src/http/readiness.js';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { createMetrics } from '../../src/metrics/index.js';
import { startTrackerEmulator, type TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { connectTemporal, type TemporalTestContext } from '../support/temporal.js';
import { emulatorConfig, quietLogger } from '../workflow/incident-fixtures.js';

// Whole seconds: timestamps come back exactly as Prometheus sample values.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

let database: TestDatabase;
let temporal: TemporalTestContext;
let emulator: TrackerEmulator;
let tracker: TrackerClient;
let proxiedDb: DbPool;
let pgProxy: { url: string; close(): Promise<void> };
let server: HttpServer;
let brokenServer: HttpServer;
let workerRunning = true;
const webhookBodies: string[] = [];

const idRow = z.object({ id: z.number() });

/**
 * A TCP proxy to the test PostgreSQL: the pool behind it connects normally; `close()` then takes the
 * port away (listener closed, open sockets reset), as when PostgreSQL goes down.
 */
async function startPgProxy(databaseUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(databaseUrl);
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String((proxy.address() as AddressInfo).port);
  return {
    url: url.toString(),
    close: () =>
      new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** The value of one sample (exact label set) of a Prometheus text exposition; undefined if absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      found[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    if (JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())) {
      return Number(match[3]);
    }
  }
  return undefined;
}

async function scrape(base: HttpServer = server): Promise<string> {
  const res = await fetch(`${base.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

async function insertIncident(
  db: DbPool,
  row: {
    registeredMinutesAgo: number;
    typeId: number | null;
    finished?: boolean;
    slaEndMinutesAgo?: number;
    statuses?: string[];
  },
): Promise<number> {
  const id = await db.oneFirst(sql.type(idRow)`
    INSERT INTO incidents (registration_time, incident_type_id, is_auto, is_finished, finished_at, sla_end_at)
    VALUES (${ago(row.registeredMinutesAgo)}::timestamptz, ${row.typeId}, true, ${row.finished ?? false},
            ${row.finished ? ago(1) : null}::timestamptz,
            ${row.slaEndMinutesAgo === undefined ? null : ago(row.slaEndMinutesAgo)}::timestamptz)
    RETURNING id`);
  for (const [index, name] of (row.statuses ?? []).entries()) {
    const statusId = await ensureIncidentStatusId(db, name as (typeof STATUS)[keyof typeof STATUS]);
    await db.query(sql.unsafe`
      INSERT INTO incident_status_history (incident_id, status_id, inserted_at, source)
      VALUES (${id}, ${statusId}, ${ago(row.registeredMinutesAgo - index)}::timestamptz, 'system')`);
  }
  return id;
}

async function insertEmail(
  db: DbPool,
  n: number,
  e: { role: 'INBOX' | 'SENT' | 'OUTBOX'; folder: string | null; classification: string; minutesAgo: number | null },
): Promise<number> {
  return db.oneFirst(sql.type(idRow)`
    INSERT INTO emails (message_id, subject, folder_role, folder_name, uid, uidvalidity, classification,
                        internal_date, effective_date)
    VALUES (${`<m${n}@metrics.test>`}, 'test', ${e.role}, ${e.folder}, ${e.folder === null ? null : n},
            ${e.folder === null ? null : 7}, ${e.classification},
            ${e.minutesAgo === null ? null : ago(e.minutesAgo)}::timestamptz, ${ago(30)}::timestamptz)
    RETURNING id`);
}

async function seed(db: DbPool): Promise<void> {
  // E-mails: INBOX 3 normal + 1 bounce (the last stored one is 2 minutes old), Sent 2 own (5 minutes), 1 OUTBOX.
  await insertEmail(db, 1, { role: 'INBOX', folder: 'INBOX', classification: 'normal', minutesAgo: 30 });
  await insertEmail(db, 2, { role: 'INBOX', folder: 'INBOX', classification: 'bounce', minutesAgo: 20 });
  await insertEmail(db, 3, { role: 'INBOX', folder: 'INBOX', classification: 'normal', minutesAgo: 10 });
  const conflictEmail = await insertEmail(db, 4, {
    role: 'INBOX',
    folder: 'INBOX',
    classification: 'normal',
    minutesAgo: 2,
  });
  await insertEmail(db, 5, { role: 'SENT', folder: 'Sent', classification: 'own', minutesAgo: 9 });
  await insertEmail(db, 6, { role: 'SENT', folder: 'Sent', classification: 'own', minutesAgo: 5 });
  await insertEmail(db, 7, { role: 'OUTBOX', folder: null, classification: 'own', minutesAgo: null });
  await db.query(sql.unsafe`
    INSERT INTO mail_folder_checkpoints (folder_name, folder_role, uidvalidity, last_uid)
    VALUES ('INBOX', 'INBOX', 7, 4), ('Sent', 'SENT', 7, 6)`);

  await db.query(sql.unsafe`
    INSERT INTO mail_failures (folder_name, uidvalidity, uid, error, state) VALUES
      ('INBOX', 7, 101, 'parse error', 'open'), ('INBOX', 7, 102, 'parse error', 'open'),
      ('Sent', 7, 103, 'parse error', 'abandoned')`);

  const typeId = await db.oneFirst(sql.type(idRow)`
    INSERT INTO incident_types (name, sla_minutes) VALUES ('Метрики: тип с SLA 240 мин', 240) RETURNING id`);
  // SLA-4 at NOW with a 240-minute SLA: in progress, less than an hour, breached, unknown, closed on time.
  const inProgress = await insertIncident(db, { registeredMinutesAgo: 60, typeId });
  const lessThanHour = await insertIncident(db, {
    registeredMinutesAgo: 200,
    typeId,
    statuses: [STATUS.new, STATUS.inProgress],
  });
  await insertIncident(db, { registeredMinutesAgo: 300, typeId, statuses: [STATUS.inProgress] });
  await insertIncident(db, { registeredMinutesAgo: 30, typeId: null, statuses: [STATUS.new] });
  await insertIncident(db, {
    registeredMinutesAgo: 300,
    typeId,
    slaEndMinutesAgo: 250,
    statuses: [STATUS.onGeneration],
  });
  await insertIncident(db, { registeredMinutesAgo: 1000, typeId, finished: true, statuses: [STATUS.closed] });
  await insertIncident(db, { registeredMinutesAgo: 900, typeId: null, finished: true, statuses: [STATUS.closed] });

  await db.query(sql.unsafe`
    INSERT INTO thread_conflicts (email_id, candidate_incident_ids, chosen_incident_id, resolution_rule)
    VALUES (${conflictEmail}, ARRAY[${inProgress}, ${lessThanHour}]::bigint[], ${inProgress}, 'thread')`);

  const outbox = (n: number, state: string) => sql.unsafe`
    INSERT INTO outbox (message_id, incident_id, kind, trigger_key, to_addresses, subject, body, state, sent_at)
    VALUES (${`<o${n}@metrics.test>`}, ${inProgress}, 'ack', ${`t${n}`}, ARRAY['op@example.ru'], 's', 'b', ${state},
            ${state === 'sent' ? ago(3) : null}::timestamptz)`;
  for (const [n, state] of [
    [1, 'pending'],
    [2, 'sent'],
    [3, 'sent'],
    [4, 'failed'],
  ] as const) {
    await db.query(outbox(n, state));
  }

  await db.query(sql.unsafe`
    INSERT INTO towerstore_sync_runs (started_at, finished_at, status) VALUES
      (${ago(120)}::timestamptz, ${ago(118)}::timestamptz, 'applied')`);
  await db.query(sql.unsafe`
    INSERT INTO towerstore_sync_runs (started_at, finished_at, status, refusal_reason) VALUES
      (${ago(60)}::timestamptz, ${ago(59)}::timestamptz, 'refused', 'poles shrank by 60%')`);
  await db.query(sql.unsafe`
    INSERT INTO backup_runs (started_at, finished_at, status, verified) VALUES
      (${ago(100)}::timestamptz, ${ago(95)}::timestamptz, 'succeeded', true)`);
}

beforeAll(async () => {
  database = await createTestDatabase('http_metrics');
  temporal = await connectTemporal('http-metrics');
  emulator = await startTrackerEmulator();
  tracker = createTrackerClient(emulatorConfig(emulator, database.url).tracker, database.pool, quietLogger());
  await seed(database.pool);
  const webhook = {
    method: 'POST',
    path: '/tracker/webhook',
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      webhookBodies.push(body);
      res.writeHead(202).end();
    },
  };
  server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    readiness: [
      postgresReadiness(database.pool),
      temporalReadiness(temporal.client.connection),
      workerReadiness(() => workerRunning),
    ],
    metrics: createMetrics({ db: database.pool, now: () => NOW }),
    extraRoutes: [webhook],
    log: quietLogger(),
  });
  pgProxy = await startPgProxy(database.url);
  proxiedDb = await createDbPool(pgProxy.url);
  brokenServer = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    readiness: [
      postgresReadiness(proxiedDb),
      temporalReadiness(temporal.client.connection),
      workerReadiness(() => true),
    ],
    metrics: createMetrics({ db: proxiedDb, now: () => NOW }),
    log: quietLogger(),
  });
});

afterAll(async () => {
  await server?.close();
  await brokenServer?.close();
  await pgProxy?.close();
  await proxiedDb?.end();
  await tracker?.close();
  await emulator?.close();
  await temporal?.close();
  await database?.drop();
});

describe('health and readiness', () => {
  test('/healthz answers 200 while the process lives', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  test('/readyz is 200 when PostgreSQL, Temporal and the worker are all up', async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ready: true,
      failing: [],
      checks: { postgres: { ok: true }, temporal: { ok: true }, worker: { ok: true } },
    });
  });

  test('/readyz is 503 naming worker while the worker is not running', async () => {
    workerRunning = false;
    try {
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        ready: false,
        failing: ['worker'],
        checks: { worker: { ok: false, error: 'worker is not running' } },
      });
    } finally {
      workerRunning = true;
    }
  });
});

describe('/metrics: PostgreSQL gauges for the seeded rows', () => {
  let text: string;
  beforeAll(async () => {
    text = await scrape();
  });

  test('e-mails stored by classification and folder role', () => {
    expect(sample(text, 'dispatch_emails_stored', { classification: 'normal', folder_role: 'INBOX' })).toBe(3);
    expect(sample(text, 'dispatch_emails_stored', { classification: 'bounce', folder_role: 'INBOX' })).toBe(1);
    expect(sample(text, 'dispatch_emails_stored', { classification: 'own', folder_role: 'SENT' })).toBe(2);
    expect(sample(text, 'dispatch_emails_stored', { classification: 'own', folder_role: 'OUTBOX' })).toBe(1);
    expect(sample(text, 'dispatch_emails_stored', { classification: 'tracker', folder_role: 'INBOX' })).toBeUndefined();
  });

  test('ingestion lag and checkpoint UID per folder', () => {
    expect(sample(text, 'dispatch_mail_ingestion_lag_seconds', { folder: 'INBOX' })).toBe(120);
    expect(sample(text, 'dispatch_mail_ingestion_lag_seconds', { folder: 'Sent' })).toBe(300);
    expect(sample(text, 'dispatch_mail_checkpoint_last_uid', { folder: 'INBOX' })).toBe(4);
    expect(sample(text, 'dispatch_mail_checkpoint_last_uid', { folder: 'Sent' })).toBe(6);
  });

  test('MAIL-17 failures by state and THREAD-7 open conflicts', () => {
    expect(sample(text, 'dispatch_mail_failures', { state: 'open' })).toBe(2);
    expect(sample(text, 'dispatch_mail_failures', { state: 'abandoned' })).toBe(1);
    expect(sample(text, 'dispatch_mail_failures', { state: 'resolved' })).toBe(0);
    expect(sample(text, 'dispatch_thread_conflicts_open')).toBe(1);
  });

  test('incidents open/finished and open incidents by current status (INC-7: no history = Новый)', () => {
    expect(sample(text, 'dispatch_incidents', { state: 'open' })).toBe(5);
    expect(sample(text, 'dispatch_incidents', { state: 'finished' })).toBe(2);
    expect(sample(text, 'dispatch_incidents_open_by_status', { status: STATUS.new })).toBe(2);
    expect(sample(text, 'dispatch_incidents_open_by_status', { status: STATUS.inProgress })).toBe(2);
    expect(sample(text, 'dispatch_incidents_open_by_status', { status: STATUS.onGeneration })).toBe(1);
    expect(sample(text, 'dispatch_incidents_open_by_status', { status: STATUS.closed })).toBeUndefined();
  });

  test('SLA-4 status of open incidents and breaches', () => {
    const sla = (status: string) => sample(text, 'dispatch_incidents_open_by_sla_status', { sla_status: status });
    expect(sla('inProgress')).toBe(1);
    expect(sla('lessThanHour')).toBe(1);
    expect(sla('breached')).toBe(1);
    expect(sla('unknown')).toBe(1);
    expect(sla('closedOnTime')).toBe(1);
    expect(sample(text, 'dispatch_sla_breaches')).toBe(1);
  });

  test('NOTIFY-3 outbox rows by state', () => {
    expect(sample(text, 'dispatch_outbox', { state: 'pending' })).toBe(1);
    expect(sample(text, 'dispatch_outbox', { state: 'sending' })).toBe(0);
    expect(sample(text, 'dispatch_outbox', { state: 'sent' })).toBe(2);
    expect(sample(text, 'dispatch_outbox', { state: 'failed' })).toBe(1);
  });

  test('schedule outcomes from the DATA-10 run records', () => {
    const seconds = (minutes: number) => (NOW.getTime() - minutes * 60_000) / 1000;
    const towerstore = { schedule: 'towerstore_sync' };
    expect(sample(text, 'dispatch_schedule_last_run_timestamp_seconds', towerstore)).toBe(seconds(60));
    expect(sample(text, 'dispatch_schedule_last_run_status', { ...towerstore, status: 'refused' })).toBe(1);
    expect(sample(text, 'dispatch_schedule_last_success_timestamp_seconds', towerstore)).toBe(seconds(118));
    expect(sample(text, 'dispatch_schedule_last_run_status', { schedule: 'backup', status: 'succeeded' })).toBe(1);
    expect(sample(text, 'dispatch_schedule_last_success_timestamp_seconds', { schedule: 'backup' })).toBe(seconds(95));
    expect(sample(text, 'dispatch_schedule_last_run_timestamp_seconds', { schedule: 'cleanup' })).toBeUndefined();
  });

  test('Node process metrics are exposed with the dispatch_ prefix', () => {
    expect(sample(text, 'dispatch_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'dispatch_metrics_collect_errors_total', { collector: 'emails' })).toBeUndefined();
  });
});

describe('/metrics: Tracker calls through the real client', () => {
  test('requests, errors and durations counted by endpoint template, never by issue key', async () => {
    const myself = { endpoint: '/v2/myself', method: 'GET', status_class: '2xx' };
    const issue404 = { endpoint: '/v2/issues/{key}', method: 'GET', status_class: '4xx' };
    const notFound = { endpoint: '/v2/issues/{key}', code: 'not_found' };
    const before = await scrape();
    await tracker.myself();
    await tracker.myself();
    await expect(tracker.getIssue('AVRSERVICE-99999')).rejects.toMatchObject({ code: 'not_found' });
    const after = await scrape();
    const delta = (text: string, name: string, labels: Record<string, string>) => sample(text, name, labels) ?? 0;
    expect(
      delta(after, 'dispatch_tracker_requests_total', myself) -
        delta(before, 'dispatch_tracker_requests_total', myself),
    ).toBe(2);
    expect(
      delta(after, 'dispatch_tracker_requests_total', issue404) -
        delta(before, 'dispatch_tracker_requests_total', issue404),
    ).toBe(1);
    expect(
      delta(after, 'dispatch_tracker_request_errors_total', notFound) -
        delta(before, 'dispatch_tracker_request_errors_total', notFound),
    ).toBe(1);
    const count = { endpoint: '/v2/myself', method: 'GET' };
    expect(
      delta(after, 'dispatch_tracker_request_duration_seconds_count', count) -
        delta(before, 'dispatch_tracker_request_duration_seconds_count', count),
    ).toBe(2);
    expect(after).not.toContain('AVRSERVICE-99999');
  });
});

describe('routing', () => {
  test('an unknown path is 404', async () => {
    const res = await fetch(`${server.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'no route for /nope' });
  });

  test('a known path with another method is 405 with Allow', async () => {
    const res = await fetch(`${server.url}/metrics`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });

  test('the extra route POST /tracker/webhook is mounted', async () => {
    const res = await fetch(`${server.url}/tracker/webhook?x=1`, {
      method: 'POST',
      body: '{"event":"issue.statusChanged"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(202);
    expect(webhookBodies).toEqual(['{"event":"issue.statusChanged"}']);
  });
});

describe('when PostgreSQL goes away', () => {
  test('/readyz is 200 through the proxy, then 503 naming postgres once its port is closed', async () => {
    expect((await fetch(`${brokenServer.url}/readyz`)).status).toBe(200);
    const before = await scrape(brokenServer);
    expect(sample(before, 'dispatch_incidents', { state: 'open' })).toBe(5);
    await pgProxy.close();
    const res = await fetch(`${brokenServer.url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { ready: boolean; failing: string[]; checks: Record<string, { ok: boolean }> };
    expect(body.ready).toBe(false);
    expect(body.failing).toEqual(['postgres']);
    expect(body.checks.postgres?.ok).toBe(false);
    expect(body.checks.temporal).toEqual({ ok: true });
    expect(body.checks.worker).toEqual({ ok: true });
  });

  test('a failing PostgreSQL does not fail the scrape: gauges are absent and collect errors counted', async () => {
    const first = await scrape(brokenServer);
    expect(sample(first, 'dispatch_emails_stored', { classification: 'normal', folder_role: 'INBOX' })).toBeUndefined();
    expect(sample(first, 'dispatch_incidents', { state: 'open' })).toBeUndefined();
    const before = sample(first, 'dispatch_metrics_collect_errors_total', { collector: 'incidents' }) ?? 0;
    expect(before).toBeGreaterThanOrEqual(1);
    const second = await scrape(brokenServer);
    expect(sample(second, 'dispatch_metrics_collect_errors_total', { collector: 'incidents' })).toBe(before + 1);
    expect(sample(second, 'dispatch_metrics_collect_errors_total', { collector: 'sla' })).toBe(before + 1);
    // The healthy server's own collectors are unaffected.
    expect(sample(await scrape(), 'dispatch_incidents', { state: 'open' })).toBe(5);
  });
});
