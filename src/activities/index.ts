// Activity factory: every activity the worker registers, built from its dependencies (pool,
// clients, config) so tests can hand in real servers on other ports. Each product area has its
// own factory module (ingestion, incident, operations…) spread in here.
import type { Client } from '@temporalio/client';
import type { Config } from '../config/load.js';
import type { DbPool } from '../adapters/db/pool.js';
import type { Logger } from '../logger.js';
import type { Alerts } from '../adapters/telegram/alerts.js';
import { createIngestionActivities } from './ingestion.js';
import { createIncidentActivities } from './incident.js';
import { createOperationsActivities } from './operations.js';
import { createAlertActivities } from './alerts.js';
import { createSnapshotActivities } from './tracker-snapshot.js';
import { createNoticeActivities } from './notices.js';
import { createTrackerSyncActivities } from './tracker-sync.js';

export interface ActivityDependencies {
  config: Config;
  db: DbPool;
  log: Logger;
  /** For activities that start or signal workflows (e.g. routing a stored e-mail to its incident). */
  temporal: Client;
  /** The Telegram Alerts service (SPEC §19), created once per worker; each factory makes its own when absent. */
  alerts?: Alerts;
}

export function createActivities(deps: ActivityDependencies) {
  return {
    ...createIngestionActivities(deps),
    ...createIncidentActivities(deps),
    ...createOperationsActivities(deps),
    ...createAlertActivities(deps),
    ...createSnapshotActivities(deps),
    ...createNoticeActivities(deps),
    ...createTrackerSyncActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
