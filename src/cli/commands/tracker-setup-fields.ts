// `dispatch tracker setup-fields [--dry-run]` (YT-5, OPS-3): name the local-id and e-mail-ids fields
// and make them writable and hidden. A second run changes nothing.
import type { Command } from 'commander';
import { createTrackerClient } from '../../adapters/tracker/index.js';
import { secretValues } from '../../config/redact.js';
import { createLogger } from '../../logger.js';
import { formatFieldSetup, setupTrackerFields } from '../../starters/tracker-setup-fields.js';
import { printJson, printLines, withDb } from '../context.js';
import { commandGroup } from './command-group.js';

export function registerTrackerSetupFields(program: Command): void {
  commandGroup(program, 'tracker', 'Yandex Tracker setup')
    .command('setup-fields')
    .description('name the Local ID / Local emails IDs fields and make them readonly=false, visible=false (YT-5)')
    .option('--dry-run', 'only show what would change')
    .option('--json', 'print JSON')
    .action(async (options: { dryRun?: boolean; json?: boolean }) => {
      const dryRun = options.dryRun === true;
      const outcomes = await withDb(async (db, config) => {
        const log = createLogger({
          debug: config.debug,
          secrets: secretValues(config),
          name: 'dispatch-cli',
          destination: process.stderr,
        });
        const client = createTrackerClient(config.tracker, db, log);
        try {
          return await setupTrackerFields(client, config.tracker, { dryRun });
        } finally {
          await client.close();
        }
      });
      if (options.json === true) printJson({ dryRun, fields: outcomes });
      else printLines(formatFieldSetup(outcomes, dryRun));
    });
}
