// What every admin command needs (OPS-3): the configuration (exit 78 on a config error, CONF-2),
// a DB pool and a Temporal client that are always closed, and one way to report a failure.
import { Client, Connection } from '@temporalio/client';
import { createDbPool, type DbPool } from '../adapters/db/pool.js';
import { loadConfigOrExit } from '../config/cli.js';
import type { Config } from '../config/load.js';

/** Exit codes of the CLI: 0 ok, 1 failure or problem found, 2 usage, 78 config error. */
export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_USAGE = 2;

/** A failure the user can act on: its message is printed as is, without a stack. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_PROBLEM,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

let loaded: Config | undefined;

/** Loaded on first use, so `--help` works without a configuration. */
export function cliConfig(): Config {
  loaded ??= loadConfigOrExit(process.env);
  return loaded;
}

export async function withDb<T>(fn: (db: DbPool, config: Config) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const db = await createDbPool(config.database.url, { maxPoolSize: 2 });
  try {
    return await fn(db, config);
  } finally {
    await db.end();
  }
}

export async function withTemporal<T>(fn: (client: Client, config: Config) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '5s' });
  try {
    return await fn(new Client({ connection, namespace: config.temporal.namespace }), config);
  } finally {
    await connection.close();
  }
}

/** The Temporal Web UI page of a workflow. */
export function workflowUiLink(uiUrl: string, namespace: string, workflowId: string): string {
  const base = uiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLines(lines: readonly string[]): void {
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

/** A positive integer id argument, or a usage error. */
export function parseId(value: string, what: string): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) === 0) {
    throw new CliFailure(`${what} must be a positive integer, got ${JSON.stringify(value)}`, EXIT_USAGE);
  }
  return Number(value);
}

export function formatDate(value: Date | null): string {
  return value === null ? '-' : value.toISOString();
}
