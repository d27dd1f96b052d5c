// Entry point: `node dist/src/cli/main.js <command>`. Maps outcomes to exit codes: usage errors 2,
// failures 1; a config error exits 78 inside cliConfig (CONF-2).
import { CommanderError } from 'commander';
import { CliFailure, EXIT_PROBLEM, EXIT_USAGE } from './context.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are not errors; everything else commander rejects is a usage error.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
  } else if (error instanceof CliFailure) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT_PROBLEM;
  }
}
