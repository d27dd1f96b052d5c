// The Tracker adapter: build one client per process from the configuration (YT-1, YT-3).
import type { DatabasePool } from 'slonik';
import type { Logger } from '../../logger.js';
import { TrackerClient } from './client.js';
import type { TrackerConfig } from './fields.js';
import { DbTokenSource } from './tokens.js';

export { TrackerClient, nextLink } from './client.js';
export type {
  TrackerComment,
  TrackerField,
  TrackerIssue,
  TrackerStatus,
  TrackerTransition,
  TrackerUser,
} from './client.js';
export { TrackerError } from './errors.js';
export type { TrackerErrorCode } from './errors.js';
export { findLocalField, problemTypeFieldId, trackerFieldIds } from './fields.js';
export type { TrackerConfig } from './fields.js';
export { checkTrackerSetup, formatSetupReport } from './setup-check.js';
export type { SetupFinding, SetupReport } from './setup-check.js';

export interface TrackerClientOptions {
  /** YT-3: called when the OAuth refresh fails (the `tracker_token_refresh_failed` alert). */
  onRefreshFailed?: (error: unknown) => Promise<unknown>;
}

export function createTrackerClient(
  tracker: TrackerConfig,
  db: DatabasePool,
  log: Logger,
  options: TrackerClientOptions = {},
): TrackerClient {
  return new TrackerClient({
    baseUrl: tracker.apiBaseUrl,
    orgId: tracker.organizationId,
    tokens: new DbTokenSource(
      db,
      {
        tokenUrl: tracker.oauthTokenUrl,
        clientId: tracker.clientId,
        clientSecret: tracker.clientSecret,
        accessToken: tracker.accessToken,
        refreshToken: tracker.refreshToken,
      },
      log.child({ component: 'tracker-tokens' }),
      options.onRefreshFailed,
    ),
  });
}
