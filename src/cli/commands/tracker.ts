// YT-5: verify the Tracker setup and print a verdict; exit 1 when not ready.
import type { Command } from 'commander';
import { formatSetupReport } from '../../adapters/tracker/index.js';
import { secretValues } from '../../config/redact.js';
import { createLogger } from '../../logger.js';
import { runTrackerCheck } from '../../starters/tracker-check.js';
import { EXIT_PROBLEM, cliConfig, printJson, printLines } from '../context.js';

export function registerTracker(program: Command): void {
  const tracker = program.command('tracker').description('Yandex Tracker setup');
  tracker
    .command('check')
    .description('verify queue, statuses, fields and dropdown values (YT-5)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const config = cliConfig();
      // Log lines go to stderr: stdout carries the verdict.
      const log = createLogger({
        debug: config.debug,
        secrets: secretValues(config),
        name: 'dispatch-cli',
        destination: process.stderr,
      });
      const report = await runTrackerCheck(config, log);
      if (options.json === true) printJson(report);
      else printLines([formatSetupReport(report, config.tracker.queue)]);
      if (!report.ok) process.exitCode = EXIT_PROBLEM;
    });
}
