// TowerStore sync of a generated directory through the feed server: the TS-4 counts of a first sync
// and an unchanged re-sync. Time and memory at production size (100,000 poles / 300,000 base
// stations) are measured by bench/ts-sync.ts, not here (issue 9: no timing in tests).
import { beforeAll, expect, test } from '@jest/globals';
import { runDirectorySync } from '../support/towerstore-sync-run.js';
import type { DirectorySyncRun } from '../support/towerstore-sync-run.js';

let run: DirectorySyncRun;

beforeAll(async () => {
  run = await runDirectorySync({ seed: 11, poles: 5_000, baseStations: 15_000 });
}, 300_000);

test('TS-6: a 5,000-pole / 15,000-BS directory syncs in one transaction; an unchanged re-sync changes nothing', () => {
  const { first, second, stats } = run;
  expect(first.reason).toBeNull();
  expect(first.status).toBe('applied');
  expect(first.counts.poles).toMatchObject({ valid: stats.poles.valid, inserted: stats.poles.valid });
  expect(first.counts.bs).toMatchObject({ valid: stats.bs.valid, inserted: stats.bs.pairs });
  expect(second.status).toBe('applied');
  expect(second.counts.poles).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
  expect(second.counts.bs).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
});
