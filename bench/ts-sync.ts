// TS-6 at production size: a TowerStore sync of 100,000 poles / 300,000 base stations (first sync
// and unchanged re-sync), with the peak RSS of the process. Baseline: the same sync at 10,000 poles
// / 30,000 BS in the same run, to show how time scales with the directory.
import { runDirectorySync } from '../test/support/towerstore-sync-run.js';
import { round } from './support/stats.js';
import type { Benchmark, BenchmarkResult } from './support/types.js';

const MiB = 2 ** 20;

export const tsSync: Benchmark = {
  id: 'TS',
  title: 'TowerStore sync, 100,000 poles / 300,000 BS (time and peak RSS)',
  async run({ log }): Promise<BenchmarkResult> {
    log('TS: baseline sync, 10,000 poles / 30,000 BS');
    const small = await runDirectorySync({ seed: 11, poles: 10_000, baseStations: 30_000 });
    log('TS: sync, 100,000 poles / 300,000 BS');
    const large = await runDirectorySync({ seed: 11, poles: 100_000, baseStations: 300_000 });
    for (const run of [small, large]) {
      if (run.first.status !== 'applied' || run.second.status !== 'applied') {
        throw new Error(`TS: sync not applied: ${run.first.reason ?? run.second.reason}`);
      }
    }
    const scale = large.firstSeconds / small.firstSeconds;
    const raw = (r: typeof small) => ({
      firstSeconds: round(r.firstSeconds),
      unchangedResyncSeconds: round(r.secondSeconds),
      rssBeforeMiB: Math.round(r.rssBefore / MiB),
      rssPeakMiB: Math.round(r.rssPeak / MiB),
      counts: r.first.counts,
    });
    return {
      id: 'TS',
      title: this.title,
      figures: [
        {
          what: 'first sync, 100k poles / 300k BS',
          value: round(large.firstSeconds),
          unit: 's',
          goal: null,
          baseline: { what: 'first sync, 10k poles / 30k BS (s)', value: round(small.firstSeconds) },
          ratio: round(scale),
          met: null,
        },
        {
          what: 'unchanged re-sync, 100k poles / 300k BS',
          value: round(large.secondSeconds),
          unit: 's',
          goal: null,
          baseline: { what: 'unchanged re-sync, 10k / 30k (s)', value: round(small.secondSeconds) },
          ratio: round(large.secondSeconds / small.secondSeconds),
          met: null,
        },
        {
          what: 'peak RSS during the 100k sync',
          value: Math.round(large.rssPeak / MiB),
          unit: 'MiB',
          goal: null,
          baseline: { what: 'RSS before it (MiB)', value: Math.round(large.rssBefore / MiB) },
          ratio: round(large.rssPeak / large.rssBefore),
          met: null,
        },
      ],
      raw: { small: raw(small), large: raw(large) },
      notes: [
        'Issue 9 names no numeric goal for the sync; TS-6 only requires it to fit the activity limits (figures are raw).',
        'RSS includes the in-process feed server holding the three feeds; the 10k run precedes the 100k run in the same process, so "RSS before" is not a cold start.',
      ],
    };
  },
};
