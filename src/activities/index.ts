// Activity factory: every activity the worker registers, built from its dependencies (pool,
// clients, config) so tests can hand in real servers on other ports.
import type { Config } from '../config/load.js';
import type { DbPool } from '../adapters/db/pool.js';
import type { Logger } from '../logger.js';

export interface ActivityDependencies {
  config: Config;
  db: DbPool;
  log: Logger;
}

export function createActivities(_deps: ActivityDependencies) {
  return {};
}

export type Activities = ReturnType<typeof createActivities>;
