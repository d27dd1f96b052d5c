import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GeneratedDirectory } from '../../src/sandbox/fixtures/directory.js';
import { generateDirectory } from '../../src/sandbox/fixtures/directory.js';
import { serializeFeed } from '../../src/sandbox/fixtures/fixtures.js';
import type { TowerStoreFeedServer } from '../../src/sandbox/towerstore/feed-server.js';
import { startTowerStoreFeedServer, towerStoreEnv } from '../../src/sandbox/towerstore/feed-server.js';

async function getJson(url: string): Promise<unknown[]> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as unknown[];
}

describe('TowerStore feed server', () => {
  let dir: GeneratedDirectory;
  let server: TowerStoreFeedServer;

  beforeAll(async () => {
    dir = generateDirectory({ seed: 21, poles: 300 });
    server = await startTowerStoreFeedServer({ feeds: dir.feeds });
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  test('CONF-3: serves the three reports at their URLs and names the TS_* variables', async () => {
    expect(server.env).toEqual({
      TS_POLES_TL_URL: server.urls.poles,
      TS_AVR_REPORT_URL: server.urls.avr,
      TS_BS_REPORT_URL: server.urls.bs,
    });
    expect(towerStoreEnv(server.urls)).toEqual(server.env);
    for (const feed of ['poles', 'avr', 'bs'] as const) {
      const res = await fetch(server.urls[feed]);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.json()).toEqual(dir.feeds[feed]);
    }
    expect(server.urls.poles).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/reports\/poles_tl\.json$/);
    expect(server.requests.map((r) => [r.feed, r.served])).toEqual([
      ['poles', 'normal'],
      ['avr', 'normal'],
      ['bs', 'normal'],
    ]);
  });

  test('TS-5: a shrunk feed keeps the first (1 − ratio) share of the rows; an empty feed is []', async () => {
    server.setMode('poles', { kind: 'shrunk', ratio: 0.5 });
    const half = await getJson(server.urls.poles);
    expect(half).toEqual(dir.feeds.poles.slice(0, Math.round(dir.feeds.poles.length / 2)));
    server.setMode('poles', { kind: 'shrunk', ratio: 0.1 });
    expect((await getJson(server.urls.poles)).length).toBe(Math.round(dir.feeds.poles.length * 0.9));
    server.setMode('all', { kind: 'empty' });
    for (const feed of ['poles', 'avr', 'bs'] as const) expect(await getJson(server.urls[feed])).toEqual([]);
  });

  test('a changed feed: given rows, or a revision with 4 % fewer rows and edited cells', async () => {
    server.setMode('avr', { kind: 'changed', rows: [{ Подрядчик: 'ООО Новый' }] });
    expect(await getJson(server.urls.avr)).toEqual([{ Подрядчик: 'ООО Новый' }]);
    server.setMode('poles', { kind: 'changed' });
    const revised = (await getJson(server.urls.poles)) as Record<string, unknown>[];
    const n = dir.feeds.poles.length;
    expect(revised.length).toBe(n - Math.floor(n / 25));
    expect(
      revised.filter((r) => r['Статус опоры'] === 'Демонтаж' && String(r['Адрес']).endsWith('(уточнён)')).length,
    ).toBeGreaterThan(0);
  });

  test('TS-2: invalid JSON, HTTP errors and dropped connections', async () => {
    server.setMode('bs', { kind: 'invalid-json' });
    const res = await fetch(server.urls.bs);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
    server.setMode('bs', { kind: 'http-error', status: 503 });
    expect((await fetch(server.urls.bs)).status).toBe(503);
    server.setMode('bs', { kind: 'drop' });
    await expect(fetch(server.urls.bs)).rejects.toThrow('fetch failed');
  });

  test('a mode with `times` applies to that many requests, then the feed is normal again', async () => {
    server.setMode('poles', { kind: 'http-error', status: 500 }, { times: 2 });
    expect((await fetch(server.urls.poles)).status).toBe(500);
    expect((await fetch(server.urls.poles)).status).toBe(500);
    expect(await getJson(server.urls.poles)).toEqual(dir.feeds.poles);
  });

  test('TS-2: an oversize body is a valid JSON array of at least the requested size, with or without Content-Length', async () => {
    server.setMode('poles', { kind: 'oversize', bytes: 3 * 1024 * 1024, declareLength: true });
    const res = await fetch(server.urls.poles);
    const declared = Number(res.headers.get('content-length'));
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(declared);
    expect(body.length).toBeGreaterThanOrEqual(3 * 1024 * 1024);
    const rows = JSON.parse(body.toString('utf8')) as unknown[];
    expect(rows[0]).toEqual(dir.feeds.poles[0]);
    server.setMode('poles', { kind: 'oversize', bytes: 1024 * 1024 });
    const chunked = await fetch(server.urls.poles);
    expect(chunked.headers.get('content-length')).toBeNull();
    expect((await chunked.arrayBuffer()).byteLength).toBeGreaterThanOrEqual(1024 * 1024);
  });

  test('TS-2: a client that gives up on an oversize body does not disturb the server', async () => {
    server.setMode('poles', { kind: 'oversize', bytes: 200 * 1024 * 1024 }, { times: 1 });
    const res = await fetch(server.urls.poles);
    const reader = res.body?.getReader();
    let received = 0;
    while (reader && received < 1024 * 1024) {
      const chunk = (await reader.read()).value as Uint8Array | undefined;
      received += chunk?.length ?? 0;
    }
    await reader?.cancel();
    expect(received).toBeGreaterThanOrEqual(1024 * 1024);
    expect(await getJson(server.urls.poles)).toEqual(dir.feeds.poles);
  });

  test('TS-2: a dripping response outlasts a client timeout, and completes for a patient client', async () => {
    server.setMode('avr', { kind: 'slow', chunkBytes: 16, intervalMs: 10_000 }, { times: 1 });
    await expect(fetch(server.urls.avr, { signal: AbortSignal.timeout(500) }).then((r) => r.text())).rejects.toThrow();
    const body = serializeFeed(dir.feeds.avr);
    server.setMode(
      'avr',
      { kind: 'slow', chunkBytes: Math.ceil(body.length / 4), intervalMs: 20, headersDelayMs: 20 },
      { times: 1 },
    );
    expect(await getJson(server.urls.avr)).toEqual(dir.feeds.avr);
  });

  test('admin over HTTP: set a mode, replace a feed, read state, reset; bad requests get 400', async () => {
    const base = new URL(server.urls.poles).origin;
    const post = (path: string, body: unknown, method = 'POST') =>
      fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/__admin/mode', { feed: 'bs', mode: { kind: 'http-error', status: 502 } })).status).toBe(200);
    expect((await fetch(server.urls.bs)).status).toBe(502);
    const bad = await post('/__admin/mode', { feed: 'towers', mode: { kind: 'slow' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('feed');
    expect((await post('/__admin/feeds/avr', [{ Подрядчик: 'ООО Замена' }], 'PUT')).status).toBe(200);
    expect(await getJson(server.urls.avr)).toEqual([{ Подрядчик: 'ООО Замена' }]);
    expect((await post('/__admin/feeds/avr', { not: 'an array' }, 'PUT')).status).toBe(400);
    const state = (await (await fetch(`${base}/__admin/state`)).json()) as {
      modes: Record<string, { mode: { kind: string } }>;
      rows: Record<string, number>;
    };
    expect(state.modes.bs?.mode.kind).toBe('http-error');
    expect(state.rows.avr).toBe(1);
    expect((await post('/__admin/reset', {})).status).toBe(200);
    expect(await getJson(server.urls.bs)).toEqual(dir.feeds.bs);
    server.setFeed('avr', dir.feeds.avr);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(server.urls.poles, { method: 'POST' })).status).toBe(405);
  });
});

describe('TowerStore feed server from files', () => {
  let tmp: string;
  let server: TowerStoreFeedServer;
  const dir = generateDirectory({ seed: 22, poles: 100 });

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'towerstore-'));
    for (const feed of ['poles', 'avr', 'bs'] as const)
      await writeFile(join(tmp, `${feed}.json`), serializeFeed(dir.feeds[feed], { bom: feed === 'avr' }));
    server = await startTowerStoreFeedServer({ dir: tmp });
  });
  afterAll(async () => {
    await server.close();
    await rm(tmp, { recursive: true, force: true });
  });

  test('TS-3: files are served byte for byte, BOM included, and still shrink on demand', async () => {
    const avr = Buffer.from(await (await fetch(server.urls.avr)).arrayBuffer());
    expect(avr.equals(serializeFeed(dir.feeds.avr, { bom: true }))).toBe(true);
    server.setMode('avr', { kind: 'shrunk', ratio: 0.5 });
    const shrunk = await fetch(server.urls.avr);
    expect(JSON.parse(await shrunk.text())).toEqual(dir.feeds.avr.slice(0, Math.round(dir.feeds.avr.length / 2)));
  });
});
