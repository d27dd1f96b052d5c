// TowerStore sync at production size: 100,000 poles / 300,000 base stations from the fixture
// generator, through the feed server. Prints sync time and RSS growth; asserts the TS-4 counts.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
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
let server: TowerStoreFeedServer;
let database: TestDatabase;
let stats: ReturnType<typeof generateDirectory>['stats'];

beforeAll(async () => {
  const generated = generateDirectory({ seed: 11, poles: 100_000, baseStations: 300_000 });
  stats = generated.stats;
  server = await startTowerStoreFeedServer({ feeds: { ...generated.feeds } });
  database = await createTestDatabase('ts_large');
}, 300_000);

afterAll(async () => {
  await server.close();
  await database.drop();
});

test('TS-6: a 100,000-pole / 300,000-BS directory syncs in one transaction within the activity limits', async () => {
  const config = loadConfig(
    { ...completeEnv(), ...server.env, TS_HTTP_TIMEOUT_SECONDS: '120', TS_MAX_FEED_MB: '200' },
    { dotenvPath: null },
  );
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  const t0 = performance.now();
  const first = await runTowerStoreSync({ config, db: database.pool, log });
  const firstSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const second = await runTowerStoreSync({ config, db: database.pool, log });
  const secondSeconds = (performance.now() - t1) / 1000;
  clearInterval(sampler);
  console.log(
    `[towerstore-large] first sync ${firstSeconds.toFixed(1)} s, unchanged re-sync ${secondSeconds.toFixed(1)} s, ` +
      `RSS before ${(rssBefore / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB ` +
      `(+${((peak - rssBefore) / 2 ** 20).toFixed(0)} MiB; includes the in-process feed server)`,
  );
  expect(first.reason).toBeNull();
  expect(first.status).toBe('applied');
  expect(first.counts.poles).toMatchObject({ valid: stats.poles.valid, inserted: stats.poles.valid });
  expect(first.counts.bs).toMatchObject({ valid: stats.bs.valid, inserted: stats.bs.pairs });
  expect(second.status).toBe('applied');
  expect(second.counts.poles).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
  expect(second.counts.bs).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
}, 600_000);
