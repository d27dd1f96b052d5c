// Tracker change detection (YT-13), started every YT_POLL_INTERVAL_SECONDS by the `tracker-reconcile`
// Schedule (overlap skipped): one poll activity; the outcome is the run's result and current details
// in the Web UI (OPS-1 / OPS-2).
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/common';
import type { PollResult, createTrackerSyncActivities } from '../activities/tracker-sync.js';

const POLL_OPTIONS: ActivityOptions = {
  // A daily reconciliation reads and routes every open issue of the queue.
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  // The next scheduled run polls again: a few attempts, not an endless retry loop.
  retry: { maximumAttempts: 3, initialInterval: '5 seconds' },
};

const { pollTrackerChanges } = proxyActivities<ReturnType<typeof createTrackerSyncActivities>>(POLL_OPTIONS);

export interface TrackerReconcileInput {
  /** Force the reconciliation of all open issues (otherwise once a day). */
  full?: boolean;
}

export async function trackerReconcileWorkflow(input: TrackerReconcileInput = {}): Promise<PollResult> {
  const full = input.full === true;
  const result = await pollTrackerChanges.executeWithOptions(
    {
      ...POLL_OPTIONS,
      summary: full ? 'Tracker: reconcile all open issues (YT-13)' : 'Tracker: poll changed issues (YT-13)',
    },
    [{ full }],
  );
  setCurrentDetails(
    `${result.full ? 'Full reconciliation' : 'Poll'}: ${result.seen} issues seen, ${result.signalled} signalled, ` +
      `${result.imported} imported, ${result.skippedOldVersion} unchanged, ${result.errors} errors; ` +
      `cursor ${result.cursor}`,
  );
  return result;
}
