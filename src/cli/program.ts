// The `dispatch` admin CLI (OPS-3): one command tree, each command in its own module.
import { Command } from 'commander';
import { registerDispatchers } from './commands/dispatchers.js';
import { registerIncident } from './commands/incident.js';
import { registerMail } from './commands/mail.js';
import { registerStatus } from './commands/status.js';
import { registerSync } from './commands/sync.js';
import { registerTracker } from './commands/tracker.js';

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
  return program;
}
