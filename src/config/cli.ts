// Start-up helper for process entry points (CONF-2): load the configuration or print every problem
// and exit non-zero. Printing happens before any logger exists, so it goes to stderr as plain text.
import { ConfigError, loadConfig } from './load.js';
import type { Config, Environment, LoadOptions } from './load.js';

/** sysexits.h EX_CONFIG: "configuration error". */
export const CONFIG_EXIT_CODE = 78;

export interface ExitIo {
  readonly writeError: (text: string) => void;
  readonly exit: (code: number) => never;
}

const processIo: ExitIo = {
  writeError: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
};

/**
 * `loadConfig`, or — on a ConfigError — all problems on stderr and exit code 78. Any other error
 * (a bug) propagates. The caller logs `config.ignoredLegacyVariables` once its logger exists.
 */
export function loadConfigOrExit(env: Environment, options: LoadOptions = {}, io: ExitIo = processIo): Config {
  try {
    return loadConfig(env, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.writeError(`${error.message}\n`);
    return io.exit(CONFIG_EXIT_CODE);
  }
}

/** The one info line for ignored legacy web-UI variables (CONF-3), or null when there are none. */
export function ignoredLegacyNotice(config: Pick<Config, 'ignoredLegacyVariables'>): string | null {
  const names = config.ignoredLegacyVariables;
  return names.length === 0 ? null : `Ignoring legacy web-UI variables (not used by DISPATCH): ${names.join(', ')}`;
}
