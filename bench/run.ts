// `npm run bench`: runs the benchmarks (all, or `--only P4,P5`), writes bench/results/<date>.json and
// regenerates bench/RESULTS.md. Speed and memory are measured here, never asserted in tests (issue 9).
import { writeFile } from 'node:fs/promises';

import { Command } from 'commander';

import { projectPath } from '../src/project-root.js';
import { p1EndToEnd } from './p1-end-to-end.js';
import { p1IdleLatency } from './p1-idle-latency.js';
import { p2Backlog } from './p2-backlog.js';
import { p2EndToEnd } from './p2-end-to-end.js';
import { p3OpenIncidents } from './p3-open-incidents.js';
import { p4ThreadLookup } from './p4-thread-lookup.js';
import { p5Extraction } from './p5-extraction.js';
import { p6TrackerEconomy } from './p6-tracker-economy.js';
import { machineInfo } from './support/machine.js';
import { renderResults, writeRunRecord } from './support/report.js';
import type { RunRecord } from './support/report.js';
import { startBenchServices } from './support/services.js';
import type { Benchmark, BenchmarkResult } from './support/types.js';
import { tsSync } from './ts-sync.js';

const BENCHMARKS: readonly Benchmark[] = [
  p1IdleLatency,
  p2Backlog,
  p4ThreadLookup,
  p5Extraction,
  tsSync,
  p1EndToEnd,
  p2EndToEnd,
  p3OpenIncidents,
  p6TrackerEconomy,
];

async function main(argv: string[]): Promise<number> {
  const program = new Command('bench')
    .description('DISPATCH benchmarks (issue 9)')
    .option('--only <ids>', `comma-separated ids of ${BENCHMARKS.map((b) => b.id).join(', ')}`)
    .option('--quick', 'smaller sizes and fewer iterations', false)
    .parse(argv);
  const options = program.opts<{ only?: string; quick: boolean }>();
  const wanted = options.only?.split(',').map((id) => id.trim().toUpperCase());
  const unknown = wanted?.filter((id) => !BENCHMARKS.some((b) => b.id === id)) ?? [];
  if (unknown.length > 0) {
    console.error(`unknown benchmark id(s): ${unknown.join(', ')}`);
    return 2;
  }
  const selected = BENCHMARKS.filter((b) => wanted === undefined || wanted.includes(b.id));
  const startedAt = new Date();
  const machine = await machineInfo();
  const log = (line: string): void => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
  const results: BenchmarkResult[] = [];
  const failures: RunRecord['failures'] = [];

  log(`starting PostgreSQL and Temporal for ${selected.map((b) => b.id).join(', ')}`);
  const services = await startBenchServices();
  try {
    for (const benchmark of selected) {
      log(`${benchmark.id}: ${benchmark.title}`);
      try {
        const result = await benchmark.run({ quick: options.quick, log });
        for (const f of result.figures) {
          log(`${result.id}: ${f.what}: ${f.value} ${f.unit} (goal ${f.goal ?? '—'}, ratio ${f.ratio ?? '—'})`);
        }
        results.push(result);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`${benchmark.id} failed: ${message}`);
        failures.push({ id: benchmark.id, error: message });
      }
    }
  } finally {
    await services.stop();
  }

  const record = await writeRunRecord(projectPath('bench/results'), {
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    quick: options.quick,
    machine,
    results,
    failures,
  });
  await writeFile(projectPath('bench/RESULTS.md'), renderResults(record));
  log(`wrote bench/results/${record.date}.json and bench/RESULTS.md`);
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv);
