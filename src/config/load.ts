// Loading the configuration (CONF-1, CONF-2): process environment + optional `.env`, validated as a
// whole so that every problem is reported at once.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { boolean } from './forms.js';
import { ECHO_PARAM, buildConfigSchema } from './schema.js';
import type { Config } from './schema.js';
import { VARIABLE_LIST, isSet } from './variables.js';

export type { Config } from './schema.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** All configuration problems, one line each (CONF-2); secret values never appear in them. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadOptions {
  /**
   * The `.env` file. Default: `<cwd>/.env`, read only if present. An explicit path must exist.
   * `null` reads no file (tests, or a caller that already merged it with `readEnvironment`).
   */
  readonly dotenvPath?: string | null;
  /** Directory for the default `.env` and for relative paths. Default: `process.cwd()`. */
  readonly cwd?: string;
}

export interface EnvironmentSources {
  /** The merged variables (process environment and `.env`, per DOTENV_OVERRIDE). */
  readonly env: Record<string, string>;
  /** Absolute path of the `.env` file read, or null. */
  readonly dotenvFile: string | null;
}

/**
 * Merges a `.env` file into the environment without touching `process.env` (CONF-1): variables
 * already in `env` win, unless DOTENV_OVERRIDE (from either source) is true.
 */
export function mergeDotenv(env: Environment, fileVariables: Readonly<Record<string, string>>): Record<string, string> {
  const fromEnv = definedEntries(env);
  const flag = isSet(fromEnv.DOTENV_OVERRIDE) ? fromEnv.DOTENV_OVERRIDE : fileVariables.DOTENV_OVERRIDE;
  // An invalid flag counts as false here; the schema reports it as a problem.
  const parsedFlag = isSet(flag) ? boolean.parse(flag.trim()) : undefined;
  const override = parsedFlag?.ok === true && parsedFlag.value;
  return override ? { ...fromEnv, ...fileVariables } : { ...fileVariables, ...fromEnv };
}

/** Reads the `.env` file (if any) and merges it; the local start command uses this to find missing peers. */
export function readEnvironment(env: Environment, options: LoadOptions = {}): EnvironmentSources {
  const cwd = options.cwd ?? process.cwd();
  if (options.dotenvPath === null) return { env: definedEntries(env), dotenvFile: null };
  const explicit = options.dotenvPath !== undefined;
  const file = resolve(cwd, options.dotenvPath ?? '.env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!explicit && code === 'ENOENT') return { env: definedEntries(env), dotenvFile: null };
    throw new ConfigError([`.env: cannot read ${JSON.stringify(file)} (${code ?? String(error)})`]);
  }
  return { env: mergeDotenv(env, parseDotenv(text)), dotenvFile: file };
}

/** Validates already-merged variables (pure apart from resolving relative paths against `cwd`). */
export function parseConfig(sources: EnvironmentSources, options: { readonly cwd?: string } = {}): Config {
  const ignoredLegacyVariables = VARIABLE_LIST.filter(
    (variable) => variable.default.kind === 'ignored' && sources.env[variable.name] !== undefined,
  ).map((variable) => variable.name);
  const schema = buildConfigSchema(sources.env, {
    cwd: options.cwd ?? process.cwd(),
    dotenvFile: sources.dotenvFile,
    ignoredLegacyVariables,
  });
  const result = schema.safeParse(sources.env);
  if (result.success) return result.data;
  const isEcho = (issue: (typeof result.error.issues)[number]): boolean =>
    issue.code === 'custom' && issue.params?.[ECHO_PARAM] === true;
  const own = result.error.issues.filter((issue) => !isEcho(issue));
  // Echoes only repeat a source problem; should the source be fine after all, they are the problem.
  throw new ConfigError((own.length > 0 ? own : result.error.issues).map((issue) => issue.message));
}

/**
 * The one entry point for every process: `.env` + environment → validated, typed `Config`.
 * Throws `ConfigError` listing all problems; the caller prints them and exits non-zero (CONF-2),
 * and logs `config.ignoredLegacyVariables` in one info line (CONF-3).
 */
export function loadConfig(env: Environment, options: LoadOptions = {}): Config {
  return parseConfig(readEnvironment(env, options), options);
}

function definedEntries(env: Environment): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) result[name] = value;
  return result;
}
