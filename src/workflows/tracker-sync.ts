// Tracker change detection (YT-13), started every YT_POLL_INTERVAL_SECONDS by the `tracker-reconcile`
// Schedule (overlap skipped): one poll activity; the outcome is the run's result and current details
// in the Web UI (OPS-1 / OPS-2).
import { ActivityFailure, patched, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/common';
import type { createAlertActivities } from '../activities/alerts.js';
import type { PollResult, createTrackerSyncActivities } from '../activities/tracker-sync.js';
import { TRACKER_POLL_FAILED_ALERT } from './signals.js';

const POLL_OPTIONS: ActivityOptions = {
  // A daily reconciliation reads and routes every open issue of the queue.
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  // The next scheduled run polls again: a few attempts, not an endless retry loop.
  retry: { maximumAttempts: 3, initialInterval: '5 seconds' },
};

const { pollTrackerChanges } = proxyActivities<ReturnType<typeof createTrackerSyncActivities>>(POLL_OPTIONS);

const { sendAlert } = proxyActivities<ReturnType<typeof createAlertActivities>>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

export interface TrackerReconcileInput {
  /** Force the reconciliation of all open issues (otherwise once a day). */
  full?: boolean;
}

export async function trackerReconcileWorkflow(input: TrackerReconcileInput = {}): Promise<PollResult> {
  const full = input.full === true;
  let result: PollResult;
  try {
    result = await pollTrackerChanges.executeWithOptions(
      {
        ...POLL_OPTIONS,
        summary: full ? 'Tracker: reconcile all open issues (YT-13)' : 'Tracker: poll changed issues (YT-13)',
      },
      [{ full }],
    );
  } catch (error) {
    // ALERT-3: a failed scheduled job is alerted (ALERT-2 keeps an outage to one message per
    // cool-down; the first successful poll sends the recovery). The run still fails, visibly.
    if (error instanceof ActivityFailure && patched('alert-tracker-poll-failure')) {
      const cause = error.cause?.message ?? error.message;
      await sendAlert({
        level: 'error',
        ...TRACKER_POLL_FAILED_ALERT,
        text:
          `Отслеживание изменений в Трекере не удалось (YT-13): ${cause}. ` +
          'Следующий запуск по расписанию повторит опрос с того же места; изменения не теряются.',
      });
    }
    throw error;
  }
  setCurrentDetails(
    `${result.full ? 'Full reconciliation' : 'Poll'}: ${result.seen} issues seen, ${result.signalled} signalled, ` +
      `${result.imported} imported, ${result.skippedOldVersion} unchanged, ${result.errors} errors; ` +
      `cursor ${result.cursor}`,
  );
  return result;
}
