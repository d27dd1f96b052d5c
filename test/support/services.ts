// Where the test run's shared servers live: one embedded PostgreSQL and one in-memory Temporal
// dev server per `jest` run (started by global-setup, stopped by global-teardown). Each run has
// its own directory, so runs started side by side never share a server.
import { projectPath } from '../../src/project-root.js';

export const TEST_DATA_DIR = projectPath('.data/test');
/** Initialised once (initdb), then copied for every run: a copy is much faster than initdb. */
export const TEST_PG_TEMPLATE_DIR = projectPath('.data/test/postgres-template');

export function runDir(runId: string): string {
  return projectPath('.data/test/runs', runId);
}

export const ENV_PG_ADMIN_URL = 'DISPATCH_TEST_PG_ADMIN_URL';
export const ENV_TEMPORAL_ADDRESS = 'DISPATCH_TEST_TEMPORAL_ADDRESS';
export const ENV_RUN_ID = 'DISPATCH_TEST_RUN_ID';

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through jest's integration project`);
  return value;
}
