// `dispatch doctor` (OPS-3, YT-5): every peer checked with a verdict, a one-line detail and the fix.
// Exit 0 all ok, 1 any failure, 2 warnings only. Works without a valid configuration (that is a check).
import type { Command } from 'commander';
import { doctorExitCode, formatResults, runDoctor } from '../../starters/doctor/index.js';
import { printJson, printLines } from '../context.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check configuration, PostgreSQL, Temporal, IMAP, SMTP, Tracker (YT-5), TowerStore and Telegram; ' +
        'exit 0 all ok, 1 any failure, 2 warnings only',
    )
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const results = await runDoctor(process.env, { logDestination: process.stderr });
      const exitCode = doctorExitCode(results);
      const verdict = exitCode === 0 ? 'ok' : exitCode === 1 ? 'fail' : 'warn';
      if (options.json === true) printJson({ verdict, checks: results });
      else printLines([...formatResults(results), `doctor: ${verdict}`]);
      process.exitCode = exitCode;
    });
}
