// Fault injection of the Tracker emulator (GEN-5, YT-1): 5xx, 429 with Retry-After, latency, a
// response dropped after the change was applied, a reset before anything was applied.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startTrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';

type Json = Record<string, unknown>;

let emulator: TrackerEmulator;

const headers = () => ({
  Authorization: `OAuth ${emulator.seed.oauth.accessToken}`,
  'X-Org-ID': emulator.seed.orgId,
  'Content-Type': 'application/json',
});

const post = (path: string, body: unknown) =>
  fetch(`${emulator.url}${path}`, { method: 'POST', headers: headers(), body: JSON.stringify(body) });

const search = () => post('/v2/issues/_search', { filter: { queue: 'AVRSERVICE' } });

const countByUnique = async (unique: string): Promise<number> => {
  const res = await post(`/v2/issues/_findByUnique?unique=${encodeURIComponent(unique)}`, {});
  return res.status === 200 ? 1 : 0;
};

beforeAll(async () => {
  emulator = await startTrackerEmulator({ faultSeed: 42 });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.reset();
});

describe('YT-1: fault injection per endpoint', () => {
  test('a 5xx rule answers the configured status before applying, up to its limit', async () => {
    const rule = emulator.addFault({
      method: 'POST',
      path: '/issues',
      serverErrorRate: 1,
      serverErrorStatus: 503,
      limit: 2,
    });
    const statuses: number[] = [];
    for (let n = 1; n <= 3; n += 1) {
      const res = await post('/v2/issues/', { queue: 'AVRSERVICE', summary: `попытка ${n}` });
      statuses.push(res.status);
      if (res.status === 503) {
        expect(await res.json()).toEqual({
          errors: {},
          errorMessages: ['Внутренняя ошибка сервера (эмуляция)'],
          statusCode: 503,
        });
      } else {
        await res.body?.cancel();
      }
    }
    expect(statuses).toEqual([503, 503, 201]);
    // Only the third attempt reached the store.
    expect(emulator.listIssues().map((i) => i['summary'])).toEqual(['попытка 3']);
    expect((await search()).status).toBe(200);
    const log = emulator.requestLog();
    expect(log.map((e) => [e.endpoint, e.status, e.fault ?? null])).toEqual([
      ['POST /issues', 503, rule.id],
      ['POST /issues', 503, rule.id],
      ['POST /issues', 201, null],
      ['POST /issues/_search', 200, null],
    ]);
    expect(emulator.faults()[0]?.fired).toBe(2);
  });

  test('a partial error rate is deterministic for a given seed', async () => {
    const run = async () => {
      emulator.addFault({ path: '/issues/_search', serverErrorRate: 0.5 });
      const statuses: number[] = [];
      for (let n = 0; n < 16; n += 1) {
        const res = await search();
        await res.body?.cancel();
        statuses.push(res.status);
      }
      return statuses;
    };
    const first = await run();
    emulator.reset();
    const second = await run();
    expect(second).toEqual(first);
    expect(first).toContain(500);
    expect(first).toContain(200);
  });

  test('429 carries Retry-After', async () => {
    emulator.addFault({ path: '/issues/_search', rateLimitRate: 1, retryAfterSeconds: 7, limit: 1 });
    const limited = await search();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(((await limited.json()) as Json)['statusCode']).toBe(429);
    const next = await search();
    expect(next.status).toBe(200);
    await next.body?.cancel();
  });

  test('latency delays the answer', async () => {
    emulator.addFault({ method: 'GET', path: '/myself', latencyMs: 400 });
    const started = performance.now();
    const res = await fetch(`${emulator.url}/v2/myself`, { headers: headers() });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
    expect(emulator.requestLog()[0]?.durationMs).toBeGreaterThanOrEqual(400);
  });

  test('GEN-5: dropped after apply — the client sees a socket error but the issue exists', async () => {
    const rule = emulator.addFault({ method: 'POST', path: '/issues', dropAfterApplyRate: 1, limit: 1 });
    const unique = 'dispatch:AVRSERVICE:incident:42';
    await expect(post('/v2/issues/', { queue: 'AVRSERVICE', summary: 'создана', unique })).rejects.toThrow(
      'fetch failed',
    );
    expect(await countByUnique(unique)).toBe(1);
    // A retry with the same unique is the idempotent path of YT-9.
    const retry = await post('/v2/issues/', { queue: 'AVRSERVICE', summary: 'создана', unique });
    expect(retry.status).toBe(409);
    expect(emulator.requestLog()[0]).toMatchObject({
      endpoint: 'POST /issues',
      status: 201,
      outcome: 'dropped',
      fault: rule.id,
    });
  });

  test('reset before apply — the client sees a socket error and nothing changed', async () => {
    const created = emulator.dispatcher.createIssue({ login: 'ivanov', summary: 'исходная' });
    const key = String(created['key']);
    emulator.addFault({ method: 'PATCH', path: '/issues/*', resetBeforeApplyRate: 1 });
    await expect(
      fetch(`${emulator.url}/v2/issues/${key}`, {
        method: 'PATCH',
        headers: headers(),
        body: JSON.stringify({ summary: 'изменена' }),
      }),
    ).rejects.toThrow('fetch failed');
    expect(emulator.getIssue(key)).toMatchObject({ summary: 'исходная', version: 1 });
    expect(emulator.requestLog()[0]).toMatchObject({ endpoint: 'PATCH /issues/:issue', status: 0, outcome: 'reset' });
    emulator.clearFaults();
    const ok = await fetch(`${emulator.url}/v2/issues/${key}`, {
      method: 'PATCH',
      headers: headers(),
      body: JSON.stringify({ summary: 'изменена' }),
    });
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
  });

  test('faults apply to the token endpoint too; counts are kept per endpoint', async () => {
    emulator.addFault({ path: '/token', serverErrorRate: 1, limit: 1 });
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: emulator.seed.oauth.refreshToken,
      client_id: emulator.seed.oauth.clientId,
      client_secret: emulator.seed.oauth.clientSecret,
    });
    const failed = await fetch(`${emulator.url}/token`, { method: 'POST', body: form });
    expect(failed.status).toBe(500);
    await failed.body?.cancel();
    const refreshed = await fetch(`${emulator.url}/token`, { method: 'POST', body: form });
    expect(refreshed.status).toBe(200);
    await refreshed.body?.cancel();
    await (await search()).body?.cancel();
    expect(emulator.requestCounts()).toEqual({ 'POST /token': 2, 'POST /issues/_search': 1 });
  });

  test('fault rules are validated', () => {
    expect(() => emulator.addFault({ serverErrorRate: 2 })).toThrow('serverErrorRate');
    expect(() => emulator.addFault({ path: 'issues' })).toThrow('path');
  });
});
