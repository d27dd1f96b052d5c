// One TowerStore sync run over a generated directory, through the feed server, into a fresh
// database: a first sync and an unchanged re-sync, timed, with the peak RSS of this process.
// Shared by test/integration/towerstore-large.test.ts (TS-4/TS-6 counts at a small size) and
// bench/ts-sync.ts (time and memory at production size).
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { runTowerStoreSync } from '../../src/adapters/towerstore/sync.js';
import type { TowerStoreSyncResult } from '../../src/adapters/towerstore/sync.js';
import { generateDirectory } from '../../src/sandbox/fixtures/index.js';
import { startTowerStoreFeedServer } from '../../src/sandbox/towerstore/feed-server.js';
import { completeEnv } from '../fixtures/config/env.js';
import { createTestDatabase } from './db.js';

export interface DirectorySyncRun {
  stats: ReturnType<typeof generateDirectory>['stats'];
  first: TowerStoreSyncResult;
  second: TowerStoreSyncResult;
  firstSeconds: number;
  secondSeconds: number;
  /** Bytes; the feed server runs in this process, so its buffers are included. */
  rssBefore: number;
  rssPeak: number;
}

export async function runDirectorySync(options: {
  seed: number;
  poles: number;
  baseStations: number;
}): Promise<DirectorySyncRun> {
  const generated = generateDirectory(options);
  const server = await startTowerStoreFeedServer({ feeds: { ...generated.feeds } });
  const database = await createTestDatabase('ts_sync');
  const log = createLogger({ destination: { write: () => true } as unknown as NodeJS.WritableStream });
  try {
    const config = loadConfig(
      { ...completeEnv(), ...server.env, TS_HTTP_TIMEOUT_SECONDS: '120', TS_MAX_FEED_MB: '200' },
      { dotenvPath: null },
    );
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 25);
    try {
      const t0 = performance.now();
      const first = await runTowerStoreSync({ config, db: database.pool, log });
      const firstSeconds = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      const second = await runTowerStoreSync({ config, db: database.pool, log });
      const secondSeconds = (performance.now() - t1) / 1000;
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      return { stats: generated.stats, first, second, firstSeconds, secondSeconds, rssBefore, rssPeak };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await server.close();
    await database.drop();
  }
}
