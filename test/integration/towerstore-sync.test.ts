// SPEC §18 TowerStore sync against the fake TowerStore and a real database: TS-6 rules on a small
// hand-written feed, TS-9 changed incidents, the feed server's failure modes (TS-2), the anomaly
// guard (TS-5, AC-22) and the generated fixture directory (TS-3/TS-4 counts).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { z } from 'zod';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { runTowerStoreSync } from '../../src/adapters/towerstore/sync.js';
import { generateDirectory } from '../../src/sandbox/fixtures/index.js';
import { startTowerStoreFeedServer } from '../../src/sandbox/towerstore/feed-server.js';
import type { TowerStoreFeedServer } from '../../src/sandbox/towerstore/feed-server.js';
import { completeEnv } from '../fixtures/config/env.js';
import { createTestDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/db.js';

const log = createLogger({ destination: { write: () => true } as unknown as NodeJS.WritableStream });

function syncWith(server: TowerStoreFeedServer, database: TestDatabase, env: Record<string, string> = {}) {
  const config = loadConfig({ ...completeEnv(), ...server.env, ...env }, { dotenvPath: null });
  return runTowerStoreSync({ config, db: database.pool, log });
}

const pole = (siteId: unknown, code: unknown, bs: unknown, extra: Record<string, unknown> = {}) => ({
  SiteId: siteId,
  Шифр: code,
  'Имя БС': bs,
  'Статус опоры': 'В эксплуатации',
  Широта: 55.75,
  Долгота: 37.61,
  'Высота опоры': 42,
  Регион: 'Moscow Oblast',
  Адрес: 'г. Химки, ул. Ленина, 1',
  'Инфраструктурная компания': 'ООО Вышка',
  'Якорный оператор': 'МТС',
  RegionRu: 'Московская область',
  ...extra,
});
const avr = (name: unknown, excluded: unknown, code: unknown, email: unknown, phone: unknown) => ({
  Подрядчик: name,
  'Исключен из договора': excluded,
  'Шифр опоры': code,
  'Контактные данные подрядчика Email': email,
  'Контактные данные подрядчика Телефон': phone,
});
const bs = (code: unknown, name: unknown, operator: unknown, group: unknown) => ({
  'Шифр опоры': code,
  'Имя БС/Оборудование': name,
  Оператор: operator,
  'Группа операторов': group,
});

const FIRST = {
  poles: [
    pole(101, '10001-MSK-01', 'MSK0101', { Долгота: '37,5', 'Высота опоры': 'н/д' }),
    pole(102, '10001-MSK-01', 'MSK0102'),
    pole(103, '10002-SPB-01', 'SPB0001', { Широта: 'NaN', Долгота: '' }),
    pole('A-17', '10003-MSK-01', 'MSK0301'),
    pole(null, '10003-MSK-01', 'MSK0302'),
    pole(106, '', 'MSK0303'),
    pole(104, '10002-SPB-01', 'SPB0001'),
    pole(103, '10002-SPB-01', 'SPB0001', { Широта: 'NaN', Долгота: '' }),
    pole(0, 'undefined', 'undefined'),
  ],
  avr: [
    avr('ООО Ремонт', 'Нет', '10001-MSK-01', 'avr@remont.ru; AVR@Remont.ru', '+7(495)123-45-67'),
    avr('ООО Ремонт', '', '10001-MSK-01', 'second@remont.ru нет', '4951234567, 8-916-000-11-22'),
    avr('ООО Север', ' ДА ', '10002-SPB-01', 'sever@sever.ru', '123'),
    avr('', null, '10009-XXX-01', null, null),
    avr(null, null, null, 'lost@example.ru', null),
  ],
  bs: [
    bs('10001-MSK-01', 'MSK0123', 'МТС', 'МТС'),
    bs('10001-MSK-01', 'MSK0123', 'Билайн', 'Билайн'),
    bs('10001-MSK-01', 'MSK0123', 'МТС', 'МТС'),
    bs('10002-SPB-01', 'SPB0001', 'МегаФон', null),
    bs('99999-XXX-01', 'X1', 'МТС', 'МТС'),
    bs('10002-SPB-01', '', 'МТС', 'МТС'),
  ],
};

const SECOND = {
  poles: [
    pole(102, '10001-MSK-01', 'MSK0102'),
    pole(103, '10002-SPB-01', 'SPB0001', { Адрес: 'г. Пушкин, ул. Новая, 5' }),
    pole(105, '10002-SPB-01', 'SPB0002'),
  ],
  avr: [avr('ООО Ремонт', 'нет', '10001-MSK-01', 'avr@remont.ru', '84951234567')],
  bs: [bs('10001-MSK-01', 'MSK0123', 'МТС', 'МТС'), bs('10002-SPB-01', 'SPB0003', 'Теле2', 'Т2')],
};

async function directory(database: TestDatabase) {
  const db = database.pool;
  const poles = await db.any(sql.type(
    z.object({
      site_id: z.number(),
      pole: z.string(),
      bs_name: z.string(),
      latitude: z.number().nullable(),
      longitude: z.number().nullable(),
      height: z.number().nullable(),
      address: z.string().nullable(),
      contractor: z.string(),
    }),
  )`SELECT p.site_id, p.pole, p.bs_name, p.latitude, p.longitude, p.height, p.address, c.contractor_name AS contractor
    FROM poles p JOIN contractors c ON c.id = p.avr_contractor_id ORDER BY p.site_id`);
  const contractorRows = await db.any(sql.type(
    z.object({ name: z.string(), excluded: z.boolean(), emails: z.array(z.string()), phones: z.array(z.string()) }),
  )`SELECT c.contractor_name AS name, c.is_excluded_from_contract AS excluded,
      coalesce((SELECT array_agg(email ORDER BY email) FROM contractor_emails WHERE contractor_id = c.id), '{}') AS emails,
      coalesce((SELECT array_agg(phone ORDER BY phone) FROM contractor_phones WHERE contractor_id = c.id), '{}') AS phones
    FROM contractors c`);
  const baseStations = await db.any(sql.type(
    z.object({ id: z.number(), bs_name: z.string(), site_id: z.number(), operators: z.array(z.string()) }),
  )`SELECT b.id, b.bs_name, p.site_id,
      coalesce((SELECT array_agg(o.operator_name || '/' || coalesce(o.operator_group, '-') ORDER BY o.operator_name)
                FROM base_station_operators bo JOIN operators o ON o.id = bo.operator_id
                WHERE bo.base_station_id = b.id), '{}') AS operators
    FROM base_stations b JOIN poles p ON p.id = b.pole_id ORDER BY b.bs_name`);
  const operators = await db.anyFirst(sql.type(z.object({ o: z.string() }))`
    SELECT operator_name || '/' || coalesce(operator_group, '-') AS o FROM operators ORDER BY 1`);
  // Code-point order (GEN-9), independent of the database collation.
  const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const contractors = [...contractorRows].sort((a, b) => byCodePoint(a.name, b.name));
  for (const b of baseStations) b.operators.sort(byCodePoint);
  for (const c of contractors) c.emails.sort(byCodePoint);
  return { poles, contractors, baseStations, operators: [...operators].sort(byCodePoint) };
}

async function poleId(database: TestDatabase, siteId: number): Promise<number> {
  return database.pool.oneFirst(sql.type(z.object({ id: z.number() }))`SELECT id FROM poles WHERE site_id = ${siteId}`);
}

async function insertIncident(
  database: TestDatabase,
  values: { poleId: number | null; bsId: number | null; finished?: boolean },
): Promise<number> {
  const finished = values.finished ?? false;
  return database.pool.oneFirst(sql.type(z.object({ id: z.number() }))`
    INSERT INTO incidents (registration_time, is_auto, pole_id, base_station_id, is_finished, finished_at)
    VALUES (now(), true, ${values.poleId}, ${values.bsId}, ${finished}, ${finished ? sql.fragment`now()` : null})
    RETURNING id`);
}

describe('TS-6 on a hand-written feed', () => {
  let server: TowerStoreFeedServer;
  let database: TestDatabase;

  beforeAll(async () => {
    server = await startTowerStoreFeedServer({ feeds: FIRST, bom: true });
    database = await createTestDatabase('ts_rules');
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
  });

  test('TS-3/TS-4/TS-6: first run applies poles, contractors, base stations and operators', async () => {
    const result = await syncWith(server, database);
    expect(result.status).toBe('applied');
    expect(result.counts).toEqual({
      poles: { downloaded: 9, valid: 3, skipped: 5, warnings: 1, inserted: 3, updated: 0, deleted: 0 },
      avr: { downloaded: 5, valid: 4, skipped: 1, warnings: 0, inserted: 2, updated: 0, deleted: 0 },
      bs: { downloaded: 6, valid: 3, skipped: 2, warnings: 0, inserted: 2, updated: 0, deleted: 0 },
    });
    const d = await directory(database);
    expect(d.poles.map((p) => [p.site_id, p.pole, p.bs_name, p.latitude, p.longitude, p.height, p.contractor])).toEqual(
      [
        [0, 'undefined', 'undefined', null, null, null, 'undefined'],
        [101, '10001-MSK-01', 'MSK0101', 55.75, 37.5, null, 'ООО Ремонт'],
        [102, '10001-MSK-01', 'MSK0102', 55.75, 37.61, 42, 'ООО Ремонт'],
        [103, '10002-SPB-01', 'SPB0001', null, null, 42, 'ООО Север'],
      ],
    );
    expect(d.contractors).toEqual([
      { name: 'undefined', excluded: false, emails: [], phones: [] },
      {
        name: 'ООО Ремонт',
        excluded: false,
        emails: ['avr@remont.ru', 'second@remont.ru'],
        phones: ['84951234567', '89160001122'],
      },
      { name: 'ООО Север', excluded: true, emails: ['sever@sever.ru'], phones: [] },
    ]);
    expect(d.baseStations.map((b) => [b.bs_name, b.site_id, b.operators])).toEqual([
      ['MSK0123', 101, ['Билайн/Билайн', 'МТС/МТС']],
      ['SPB0001', 103, ['МегаФон/-']],
    ]);
    expect(d.operators).toEqual(['Билайн/Билайн', 'МТС/МТС', 'МегаФон/-']);
  });

  test('TS-6/TS-9: second run re-attaches, deletes exact pairs, moves poles of deleted contractors; changed open incidents reported', async () => {
    const before = await directory(database);
    const msk0123 = before.baseStations.find((b) => b.bs_name === 'MSK0123')?.id ?? null;
    const spb0001 = before.baseStations.find((b) => b.bs_name === 'SPB0001')?.id ?? null;
    const onDeletedPole = await insertIncident(database, { poleId: await poleId(database, 101), bsId: msk0123 });
    const unchanged = await insertIncident(database, { poleId: await poleId(database, 102), bsId: null });
    const finished = await insertIncident(database, {
      poleId: await poleId(database, 103),
      bsId: spb0001,
      finished: true,
    });
    const contractorGone = await insertIncident(database, { poleId: await poleId(database, 103), bsId: null });

    server.setMode('all', { kind: 'changed' }, { times: 1 });
    server.setFeed('poles', SECOND.poles);
    server.setFeed('avr', SECOND.avr);
    server.setFeed('bs', SECOND.bs);
    server.reset();
    // TS_MAX_SHRINK_RATIO 0.9: this run's feeds are much smaller than the first.
    const result = await syncWith(server, database, { TS_MAX_SHRINK_RATIO: '0.9' });
    expect(result.status).toBe('applied');
    expect(result.counts).toEqual({
      poles: { downloaded: 3, valid: 3, skipped: 0, warnings: 0, inserted: 1, updated: 1, deleted: 1 },
      avr: { downloaded: 1, valid: 1, skipped: 0, warnings: 0, inserted: 0, updated: 1, deleted: 1 },
      bs: { downloaded: 2, valid: 2, skipped: 0, warnings: 0, inserted: 1, updated: 1, deleted: 1 },
    });
    expect(result.changedIncidentIds).toEqual([onDeletedPole, contractorGone]);
    expect(result.changedIncidentIds).not.toContain(unchanged);
    expect(result.changedIncidentIds).not.toContain(finished);

    const d = await directory(database);
    expect(d.poles.map((p) => [p.site_id, p.bs_name, p.address, p.contractor])).toEqual([
      [0, 'undefined', null, 'undefined'],
      [102, 'MSK0102', 'г. Химки, ул. Ленина, 1', 'ООО Ремонт'],
      [103, 'SPB0001', 'г. Пушкин, ул. Новая, 5', 'undefined'],
      [105, 'SPB0002', 'г. Химки, ул. Ленина, 1', 'undefined'],
    ]);
    expect(d.contractors.map((c) => [c.name, c.emails, c.phones])).toEqual([
      ['undefined', [], []],
      ['ООО Ремонт', ['avr@remont.ru'], ['84951234567']],
    ]);
    // EXTR-7: the same BS row now hangs on the new canonical record (102), with exactly the listed operators.
    expect(d.baseStations.map((b) => [b.id === msk0123, b.bs_name, b.site_id, b.operators])).toEqual([
      [true, 'MSK0123', 102, ['МТС/МТС']],
      [false, 'SPB0003', 103, ['Теле2/Т2']],
    ]);
    expect(d.operators).toEqual(['МТС/МТС', 'Теле2/Т2']);
    // Incidents keep their rows with the deleted links cleared.
    const links = await database.pool.any(
      sql.type(
        z.object({ id: z.number(), pole_id: z.number().nullable(), base_station_id: z.number().nullable() }),
      )`SELECT id, pole_id, base_station_id FROM incidents WHERE id IN (${onDeletedPole}, ${finished}) ORDER BY id`,
    );
    expect(links).toEqual([
      { id: onDeletedPole, pole_id: null, base_station_id: msk0123 },
      { id: finished, pole_id: await poleId(database, 103), base_station_id: null },
    ]);
  });

  test('TS-6: re-applying the same feeds changes nothing', async () => {
    const result = await syncWith(server, database);
    expect(result.status).toBe('applied');
    for (const feed of ['poles', 'avr', 'bs'] as const) {
      expect([result.counts[feed]?.inserted, result.counts[feed]?.updated, result.counts[feed]?.deleted]).toEqual([
        0, 0, 0,
      ]);
    }
    expect(result.changedIncidentIds).toEqual([]);
  });
});

describe('TS-2 / TS-5 failure modes of the feed server', () => {
  let server: TowerStoreFeedServer;
  let database: TestDatabase;
  let baseline: Awaited<ReturnType<typeof directory>>;

  beforeAll(async () => {
    server = await startTowerStoreFeedServer({ feeds: FIRST });
    database = await createTestDatabase('ts_modes');
    const first = await syncWith(server, database);
    expect(first.status).toBe('applied');
    baseline = await directory(database);
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
  });

  const cases = [
    [
      'TS-5: an empty feed is refused',
      'bs',
      { kind: 'empty' },
      'refused',
      'towerstore.refused',
      'фид базовые станции (bs) пуст',
    ],
    [
      'TS-2: invalid JSON fails the run',
      'avr',
      { kind: 'invalid-json' },
      'failed',
      'towerstore.failed',
      'invalid JSON',
    ],
    [
      'TS-2: an HTTP error fails the run',
      'poles',
      { kind: 'http-error', status: 503 },
      'failed',
      'towerstore.failed',
      'HTTP 503',
    ],
    [
      'TS-2: a dropped connection fails the run',
      'poles',
      { kind: 'drop' },
      'failed',
      'towerstore.failed',
      'request failed',
    ],
    [
      'TS-2: an oversize body is cut off at TS_MAX_FEED_MB',
      'poles',
      { kind: 'oversize', bytes: 3 * 1024 * 1024 },
      'failed',
      'towerstore.failed',
      'exceeds the 1 MiB limit',
    ],
    [
      'TS-2: a declared oversize length is refused before reading',
      'bs',
      { kind: 'oversize', bytes: 3 * 1024 * 1024, declareLength: true },
      'failed',
      'towerstore.failed',
      'bytes exceeds the 1 MiB limit',
    ],
    [
      'TS-2: a slow feed hits TS_HTTP_TIMEOUT_SECONDS',
      'avr',
      { kind: 'slow', chunkBytes: 16, intervalMs: 500 },
      'failed',
      'towerstore.failed',
      'within 1 s',
    ],
  ] as const;

  test.each(cases)('%s; nothing changes', async (_name, feed, mode, status, kind, reason) => {
    server.setMode(feed, mode, { times: 1 });
    const result = await syncWith(server, database, { TS_MAX_FEED_MB: '1', TS_HTTP_TIMEOUT_SECONDS: '1' });
    expect(result.status).toBe(status);
    expect(result.alert.kind).toBe(kind);
    expect(result.alert.level).toBe('error');
    expect(result.reason).toContain(reason);
    expect(await directory(database)).toEqual(baseline);
    const run = await database.pool.one(
      sql.type(
        z.object({ status: z.string(), refusal_reason: z.string().nullable(), error: z.string().nullable() }),
      )`SELECT status, refusal_reason, error FROM towerstore_sync_runs WHERE id = ${result.runId}`,
    );
    expect(run.status).toBe(status);
    expect(status === 'refused' ? run.refusal_reason : run.error).toContain(reason);
  });

  test('TS-3: a feed missing a required column is invalid', async () => {
    server.setMode('bs', { kind: 'changed', rows: [{ 'Шифр опоры': '10001-MSK-01', Оператор: 'МТС' }] }, { times: 1 });
    const result = await syncWith(server, database);
    expect(result.status).toBe('failed');
    expect(result.reason).toBe('базовые станции (bs): bs: missing columns: Имя БС/Оборудование, Группа операторов');
    expect(await directory(database)).toEqual(baseline);
  });
});

describe('AC-22 shrinking TowerStore feed', () => {
  let server: TowerStoreFeedServer;
  let database: TestDatabase;

  const code = (i: number) => `${String(10000 + i).padStart(5, '0')}-MSK-01`;
  const poles = Array.from({ length: 10_000 }, (_, i) => pole(1000 + i, code(i), `MSK${i}`));
  const avrRows = Array.from({ length: 10_000 }, (_, i) =>
    avr(`Подрядчик ${i % 20}`, 'Нет', code(i), `avr${i % 20}@remont.ru`, ''),
  );
  const bsRows = Array.from({ length: 10_000 }, (_, i) => bs(code(i), `BS${i}`, 'МТС', 'МТС'));

  beforeAll(async () => {
    server = await startTowerStoreFeedServer({ feeds: { poles, avr: avrRows, bs: bsRows } });
    database = await createTestDatabase('ts_ac22');
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
  });

  const sync = () => syncWith(server, database, { TS_MAX_SHRINK_RATIO: '0.2' });
  const polesCount = () =>
    database.pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM poles`);

  test('AC-22: 10 000 → 5 000 poles is refused with both counts; 10 000 → 9 000 is applied', async () => {
    expect((await sync()).status).toBe('applied');
    expect(await polesCount()).toBe(10_001);

    server.setMode('poles', { kind: 'shrunk', ratio: 0.5 }, { times: 1 });
    const refused = await sync();
    expect(refused.status).toBe('refused');
    expect(refused.counts.poles?.valid).toBe(5_000);
    expect(refused.alert).toEqual({
      level: 'error',
      kind: 'towerstore.refused',
      text:
        `Синхронизация TowerStore отклонена (запуск ${refused.runId}): фид опоры (poles): 5000 корректных строк ` +
        'при последнем принятом 10000 (допустимо не меньше 8000); фид базовые станции (bs): 5000 корректных строк ' +
        'при последнем принятом 10000 (допустимо не меньше 8000). Справочник не изменён.',
    });
    expect(await polesCount()).toBe(10_001);
    const recorded = await database.pool.oneFirst(sql.type(z.object({ status: z.string() }))`
      SELECT status FROM towerstore_sync_runs WHERE id = ${refused.runId}`);
    expect(recorded).toBe('refused');

    server.setMode('poles', { kind: 'shrunk', ratio: 0.1 }, { times: 1 });
    const applied = await sync();
    expect(applied.status).toBe('applied');
    expect(applied.counts.poles).toMatchObject({ valid: 9_000, deleted: 1_000 });
    expect(await polesCount()).toBe(9_001);
    const defaults = await database.pool.one(sql.type(z.object({ pole: z.number(), contractor: z.number() }))`
      SELECT (SELECT count(*)::int FROM poles WHERE site_id = 0 AND pole = 'undefined') AS pole,
             (SELECT count(*)::int FROM contractors WHERE contractor_name = 'undefined') AS contractor`);
    expect(defaults).toEqual({ pole: 1, contractor: 1 });
  });
});

describe('TS-3/TS-4 on the generated directory', () => {
  let server: TowerStoreFeedServer;
  let database: TestDatabase;
  const generated = generateDirectory({ seed: 7, poles: 400 });

  beforeAll(async () => {
    server = await startTowerStoreFeedServer({
      feeds: { poles: generated.feeds.poles, avr: generated.feeds.avr, bs: generated.feeds.bs },
    });
    database = await createTestDatabase('ts_fixture');
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
  });

  test('TS-4: counts and directory match the generator’s expectations', async () => {
    const result = await syncWith(server, database);
    const { stats, snapshot } = generated;
    const skippedPoles = Object.values(stats.poles.skipped).reduce((a, b) => a + b, 0);
    expect(result.counts.poles).toMatchObject({
      downloaded: stats.poles.rows,
      valid: stats.poles.valid,
      skipped: skippedPoles,
      warnings: stats.poles.nonNumericRows,
      inserted: stats.poles.valid,
    });
    expect(result.counts.avr).toMatchObject({ downloaded: stats.avr.rows, warnings: stats.avr.conflictingCodes });
    expect(result.counts.bs).toMatchObject({
      downloaded: stats.bs.rows,
      valid: stats.bs.valid,
      skipped: stats.bs.skipped.missingBsName + stats.bs.skipped.unknownPoleCode,
      inserted: stats.bs.pairs,
    });
    const d = await directory(database);
    const snapshotPoleCodes = new Map(snapshot.poles.map((p) => [p.id, p]));
    expect(d.poles.map((p) => [p.site_id, p.pole, p.bs_name])).toEqual(
      snapshot.poles.map((p) => [p.siteId, p.code, p.bsName]).sort((a, b) => Number(a[0]) - Number(b[0])),
    );
    expect(d.contractors.map((c) => [c.name, c.excluded, c.emails, c.phones]).sort()).toEqual(
      snapshot.contractors
        .map((c) => [
          c.name,
          c.isExcludedFromContract,
          [...c.emails].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
          [...c.phones].sort(),
        ])
        .sort(),
    );
    const expectedBs = snapshot.baseStations
      .map((b) => {
        const canonical = snapshotPoleCodes.get(b.poleId);
        const ops = b.operatorIds
          .map((id) => snapshot.operators.find((o) => o.id === id))
          .map((o) => `${o?.name ?? ''}/${o?.group ?? '-'}`)
          .sort();
        return `${b.name}@${canonical?.siteId ?? -1}:${ops.join(',')}`;
      })
      .sort();
    const actualBs = d.baseStations.map((b) => `${b.bs_name}@${b.site_id}:${[...b.operators].sort().join(',')}`).sort();
    expect(actualBs).toEqual(expectedBs);
  });
});
