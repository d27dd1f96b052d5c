// Where the test run's shared servers live: one embedded PostgreSQL and one in-memory Temporal
// dev server per `jest` run (started by global-setup, stopped by global-teardown).
import { projectPath } from '../../src/project-root.js';

export const TEST_DATA_DIR = projectPath('.data/test');
export const TEST_PG_DIR = projectPath('.data/test/postgres');
export const TEST_TEMPORAL_PID = projectPath('.data/test/temporal.pid');

export const ENV_PG_ADMIN_URL = 'DISPATCH_TEST_PG_ADMIN_URL';
export const ENV_TEMPORAL_ADDRESS = 'DISPATCH_TEST_TEMPORAL_ADDRESS';

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through jest's integration project`);
  return value;
}
