// The `dispatch` admin CLI (OPS-3): one command tree, each command in its own module.
import { Command } from 'commander';
import { registerDispatchers } from './commands/dispatchers.js';
import { registerDoctor } from './commands/doctor.js';
import { registerIncident } from './commands/incident.js';
import { registerIncidentResync } from './commands/incident-resync.js';
import { registerLegacyImport } from './commands/legacy-import.js';
import { registerMail } from './commands/mail.js';
import { registerMailBackfill } from './commands/mail-backfill.js';
import { registerStatus } from './commands/status.js';
import { registerSync } from './commands/sync.js';
import { registerTracker } from './commands/tracker.js';
import { registerTrackerSetupFields } from './commands/tracker-setup-fields.js';

export function buildProgram(): Command {
  const program = new Command('dispatch')
    .description('DISPATCH admin commands (OPS-3). Exit codes: 0 ok, 1 failure/problem, 2 usage, 78 config error.')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerDispatchers(program);
  registerMail(program);
  registerSync(program);
  registerTracker(program);
  registerIncident(program);
  registerStatus(program);
  registerDoctor(program);
  registerTrackerSetupFields(program);
  registerIncidentResync(program);
  registerMailBackfill(program);
  registerLegacyImport(program);
  return program;
}
