// `dispatch doctor` (OPS-3): configuration first (CONF-2: every problem), then every peer in
// parallel, each within its own time budget.
import { ConfigError, loadConfig, type Environment, type LoadOptions } from '../../config/load.js';
import { secretValues } from '../../config/redact.js';
import { createLogger } from '../../logger.js';
import { checkDatabase } from './database.js';
import { checkTelegram, checkTowerStore } from './http-peers.js';
import { checkImap, checkSmtp } from './mail.js';
import { checkTemporal } from './temporal.js';
import { checkTracker } from './tracker.js';
import { fail, ok, scrubResults, type CheckResult } from './verdicts.js';

export { CHECK_TIMEOUT_MS, doctorExitCode, formatResults } from './verdicts.js';
export type { CheckResult, Verdict } from './verdicts.js';

export interface DoctorOptions {
  load?: LoadOptions;
  /** Where peer clients log (stderr for the CLI: stdout carries the verdicts). */
  logDestination?: NodeJS.WritableStream;
}

export async function runDoctor(env: Environment, options: DoctorOptions = {}): Promise<CheckResult[]> {
  let config;
  try {
    config = loadConfig(env, options.load);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Nothing else can be checked without a configuration; the values themselves are never shown.
    return [
      fail(
        'configuration',
        `${error.problems.length} problem(s): ${error.problems.join('; ')}`,
        'fix the variables named above in the environment or .env (see .env.example), then run doctor again',
      ),
    ];
  }
  const secrets = secretValues(config);
  const log = createLogger({
    debug: false,
    secrets,
    name: 'dispatch-doctor',
    destination: options.logDestination ?? process.stderr,
  });
  const results = (
    await Promise.all([
      checkDatabase(config),
      checkTemporal(config),
      checkImap(config),
      checkSmtp(config),
      checkTracker(config, log),
      checkTowerStore(config),
      checkTelegram(config),
    ])
  ).flat();
  const source = config.dotenvFile === null ? 'environment' : `environment + ${config.dotenvFile}`;
  return scrubResults([ok('configuration', `valid (${source})`), ...results], secrets);
}
