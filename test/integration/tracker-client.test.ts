// The Tracker client against the emulator and a real PostgreSQL: tokens (YT-3, AC-24), errors
// (YT-1), pagination (YT-2), caching (YT-4), local-field discovery (YT-7), start-up check (YT-5).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTrackerClient } from '../../src/adapters/tracker/index.js';
import type { TrackerClient } from '../../src/adapters/tracker/index.js';
import { TrackerError } from '../../src/adapters/tracker/errors.js';
import { findLocalField } from '../../src/adapters/tracker/fields.js';
import { checkTrackerSetup, formatSetupReport } from '../../src/adapters/tracker/setup-check.js';
import type { Config } from '../../src/config/load.js';
import { DEFAULT_INCIDENT_TYPES } from '../../src/domain/reference-data.js';
import { startTrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { emulatorConfig, quietLogger } from '../workflow/incident-fixtures.js';

let emulator: TrackerEmulator;
let database: TestDatabase;
let config: Config;
const clients: TrackerClient[] = [];

const newClient = (cfg: Config = config): TrackerClient => {
  const client = createTrackerClient(cfg.tracker, database.pool, quietLogger());
  clients.push(client);
  return client;
};
const tokenRequests = () => emulator.requestLog().filter((e) => e.endpoint === 'POST /token').length;
const storedTokens = () =>
  database.pool.one(sql.type(z.object({ access_token: z.string(), refresh_token: z.string() }))`
    SELECT access_token, refresh_token FROM tracker_oauth_tokens WHERE id = 1`);

beforeAll(async () => {
  emulator = await startTrackerEmulator();
  database = await createTestDatabase('tracker_client');
  config = emulatorConfig(emulator, database.url);
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await database.drop();
  await emulator.close();
});

describe('YT-3 / AC-24: tokens shared through the DB', () => {
  test('YT-3: the env tokens seed the DB on first use and every call carries OAuth + X-Org-ID', async () => {
    const me = await newClient().myself();
    expect(me.login).toBe('dispatch-robot');
    expect(await storedTokens()).toEqual({
      access_token: emulator.seed.oauth.accessToken,
      refresh_token: emulator.seed.oauth.refreshToken,
    });
  });

  test('AC-24: five parallel calls after expiry, from two workers, cause exactly one refresh', async () => {
    const workerA = newClient();
    const workerB = newClient();
    await Promise.all([workerA.myself(), workerB.myself()]);
    emulator.expireAccessTokens();
    const before = tokenRequests();
    const results = await Promise.all([
      workerA.myself(),
      workerA.myself(),
      workerA.myself(),
      workerB.myself(),
      workerB.myself(),
    ]);
    expect(results.map((r) => r.login)).toEqual(Array(5).fill('dispatch-robot'));
    expect(tokenRequests() - before).toBe(1);
    const stored = await storedTokens();
    expect(stored.access_token).not.toBe(emulator.seed.oauth.accessToken);
    expect(stored.refresh_token).not.toBe(emulator.seed.oauth.refreshToken);
  });

  test('AC-24: after a restart the stored (rotated) refresh token is used, not the stale env value', async () => {
    const restarted = newClient(emulatorConfig(emulator, database.url));
    const before = tokenRequests();
    expect((await restarted.myself()).login).toBe('dispatch-robot');
    expect(tokenRequests() - before).toBe(0);
    // The env refresh token was consumed by the first refresh: only the stored one can work.
    emulator.expireAccessTokens();
    expect((await restarted.myself()).login).toBe('dispatch-robot');
    expect(tokenRequests() - before).toBe(1);
    const log = emulator.requestLog().filter((e) => e.endpoint === 'POST /token');
    expect(log[log.length - 1]?.status).toBe(200);
  });
});

describe('YT-1: typed errors, no hidden retries', () => {
  test('YT-1: 429 surfaces once as a retryable TrackerError carrying Retry-After', async () => {
    const client = newClient();
    await client.myself();
    emulator.addFault({ path: '/myself', rateLimitRate: 1, retryAfterSeconds: 7, limit: 1 });
    const before = emulator.requestLog().length;
    const error = await client.myself().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrackerError);
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryable: true, retryAfterMs: 7000 });
    expect(emulator.requestLog().length - before).toBe(1);
    emulator.clearFaults();
  });

  test('YT-1: 5xx is retryable, 404 is not', async () => {
    const client = newClient();
    emulator.addFault({ path: '/issues/*', serverErrorRate: 1, serverErrorStatus: 503, limit: 1 });
    await expect(client.getIssue('AVRSERVICE-999')).rejects.toMatchObject({ code: 'server_error', retryable: true });
    emulator.clearFaults();
    await expect(client.getIssue('AVRSERVICE-999')).rejects.toMatchObject({
      code: 'not_found',
      status: 404,
      retryable: false,
    });
  });

  test('YT-1: a connection reset is a retryable network error', async () => {
    const client = newClient();
    emulator.addFault({ path: '/myself', resetBeforeApplyRate: 1, limit: 1 });
    await expect(client.myself()).rejects.toMatchObject({ code: 'network', status: 0, retryable: true });
    emulator.clearFaults();
  });
});

describe('YT-2 / YT-4 / YT-7: lists, caching, local fields', () => {
  test('YT-2: a paged list is read to the end', async () => {
    const client = newClient();
    emulator.clearRequestLog();
    const users = await client.readAll('GET', '/v2/users?perPage=2');
    expect(users).toHaveLength(emulator.seed.users.length);
    expect(emulator.requestCounts()['GET /users']).toBe(Math.ceil(emulator.seed.users.length / 2));
  });

  test('YT-4: the user list is read once and then served from the cache', async () => {
    const client = newClient();
    emulator.clearRequestLog();
    const first = await client.users();
    const second = await client.users();
    expect(second).toBe(first);
    expect(first.find((u) => u.login === 'kuznetsov')).toMatchObject({ dismissed: true });
    expect(first.find((u) => u.login === 'smirnov')).toMatchObject({ disableNotifications: true });
    expect(emulator.requestCounts()['GET /users']).toBe(1);
  });

  test('YT-7: the local field is found by its key or by the end of its full id', async () => {
    const fields = await newClient().localFields('AVRSERVICE');
    const full = `${emulator.seed.localFieldPrefix}--typeOfProblem`;
    expect(findLocalField(fields, 'typeOfProblem')?.id).toBe(full);
    expect(findLocalField(fields, full)?.id).toBe(full);
    expect(findLocalField(fields, 'otherField')).toBeUndefined();
  });
});

describe('YT-5: start-up check', () => {
  const typeNames = DEFAULT_INCIDENT_TYPES.map((t) => t.name);

  test('YT-5: the seeded sandbox queue passes without findings', async () => {
    const report = await checkTrackerSetup(newClient(), config.tracker, typeNames);
    expect(report).toEqual({ ok: true, findings: [], checked: true });
    expect(formatSetupReport(report, 'AVRSERVICE')).toBe('Tracker setup of queue AVRSERVICE: OK');
  });

  test('YT-5: a missing status and field stop the start; an unknown incident type is a warning', async () => {
    const cfg = emulatorConfig(emulator, database.url, {
      YT_ON_GENERATION_STATUS_KEY: 'noSuchStatus',
      YT_AVR_NAME_GLOBAL_FIELD_ID: 'noSuchField',
    });
    const report = await checkTrackerSetup(newClient(cfg), cfg.tracker, [...typeNames, 'Новый тип']);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      { level: 'error', message: 'status "noSuchStatus" (YT_ON_GENERATION_STATUS_KEY) does not exist' },
      { level: 'error', message: 'field "noSuchField" (YT_AVR_NAME_GLOBAL_FIELD_ID) does not exist' },
      {
        level: 'warning',
        message: `incident type «Новый тип» is not a value of the problem-type field ${emulator.seed.localFieldPrefix}--typeOfProblem`,
      },
    ]);
  });

  test('YT-5: a Tracker that cannot be asked (5xx) is "not checked", not "misconfigured": the worker still starts', async () => {
    const rule = emulator.addFault({ path: '/statuses', serverErrorRate: 1 });
    try {
      const report = await checkTrackerSetup(newClient(), config.tracker, typeNames);
      expect({ ok: report.ok, checked: report.checked }).toEqual({ ok: false, checked: false });
      expect(report.findings[0]?.message).toMatch(/^Tracker could not be checked: /);
    } finally {
      emulator.removeFault(rule.id);
    }
  });
});

// Last: it replaces the seed, so the default configuration's tokens are no longer the stored ones.
describe('YT-3: operator-replaced tokens', () => {
  test('YT-3: tokens an operator put into the env replace the stored ones', async () => {
    const replaced = emulator.issueAccessToken('dispatch-robot');
    const cfg = emulatorConfig(emulator, database.url, {
      YT_ACCESS_TOKEN: replaced,
      YT_REFRESH_TOKEN: 'operator-rt-2',
    });
    expect((await newClient(cfg).myself()).login).toBe('dispatch-robot');
    expect(await storedTokens()).toEqual({ access_token: replaced, refresh_token: 'operator-rt-2' });
  });
});
