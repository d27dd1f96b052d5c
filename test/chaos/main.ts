// `npm run chaos` (scripts/chaos.sh): the full-size chaos run; writes its report to
// bench/results/chaos-<date>.json and a short markdown summary next to it.
import { mkdir, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { projectPath } from '../../src/project-root.js';
import { isMainModule } from '../../src/starters/main-module.js';
import { runChaos, type ChaosReport } from './runner.js';
import { summaryMarkdown } from './summary.js';

const int = (value: string) => Number.parseInt(value, 10);

if (isMainModule(import.meta.url)) {
  const program = new Command('chaos')
    .option('--seed <n>', 'seed of the corpus, the kill moments and the dispatchers', int, 20261130)
    .option('--mails <n>', 'mails in the generated mailbox', int, 500)
    .option('--kills <n>', 'worker SIGKILLs', int, 10)
    .option('--duration <seconds>', 'window the mails and the chaos are spread over', int, 300)
    .option('--quiesce <seconds>', 'longest wait for the system to settle', int, 420)
    .option('--out <dir>', 'where the results go', projectPath('bench/results'))
    .option('--keep-logs <dir>', 'copy the logs here before the run is cleaned up')
    .option('--no-write', 'print the report only');
  program.parse();
  const o = program.opts<{
    seed: number;
    mails: number;
    kills: number;
    duration: number;
    quiesce: number;
    out: string;
    write: boolean;
    keepLogs?: string;
  }>();
  const report: ChaosReport = await runChaos({
    seed: o.seed,
    mails: o.mails,
    kills: o.kills,
    durationMs: o.duration * 1000,
    restartMail: true,
    restartPostgres: true,
    restartTemporal: true,
    trackerFaults: true,
    workShare: 0.3,
    quiesceTimeoutMs: o.quiesce * 1000,
    ...(o.keepLogs === undefined ? {} : { keepLogsIn: o.keepLogs }),
    progress: (line) => process.stdout.write(`${line}\n`),
  });
  const date = report.startedAt.slice(0, 10);
  if (o.write) {
    await mkdir(o.out, { recursive: true });
    // Log paths are of a removed temporary directory: not part of the committed results.
    const committed: Partial<ChaosReport> = { ...report };
    delete committed.logFiles;
    await writeFile(`${o.out}/chaos-${date}.json`, `${JSON.stringify(committed, null, 2)}\n`);
    await writeFile(`${o.out}/chaos-${date}.md`, summaryMarkdown(report));
  }
  process.stdout.write(summaryMarkdown(report));
  process.exit(report.invariants.violations.length === 0 && report.quiesced ? 0 : 1);
}
