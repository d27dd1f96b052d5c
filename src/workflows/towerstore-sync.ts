// TowerStore sync (SPEC §18), started by its Temporal Schedule (TS-1, overlap skipped) or on demand:
// one activity downloads, validates, guards and applies; then the changed open incidents are asked
// to refresh (TS-9) and the summary or failure is alerted (TS-8).
import { proxyActivities } from '@temporalio/workflow';
import type { createAlertActivities } from '../activities/alerts.js';
import type { createOperationsActivities } from '../activities/operations.js';

const { syncTowerStore } = proxyActivities<ReturnType<typeof createOperationsActivities>>({
  // Three downloads of up to TS_HTTP_TIMEOUT_SECONDS each plus the apply of a large directory.
  startToCloseTimeout: '45 minutes',
  heartbeatTimeout: '3 minutes',
  retry: { maximumAttempts: 3, initialInterval: '30 seconds' },
});

const { signalDirectoryChanged } = proxyActivities<ReturnType<typeof createOperationsActivities>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

const { sendAlert } = proxyActivities<ReturnType<typeof createAlertActivities>>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

export interface TowerStoreSyncSummary {
  runId: number;
  status: 'applied' | 'refused' | 'failed';
  reason: string | null;
  signalledIncidentIds: number[];
  /** Changed incidents without a running workflow (nothing to refresh). */
  skippedIncidentIds: number[];
}

export async function towerStoreSyncWorkflow(): Promise<TowerStoreSyncSummary> {
  const result = await syncTowerStore();
  let signals = { signalled: [] as number[], skipped: [] as number[] };
  if (result.status === 'applied' && result.changedIncidentIds.length > 0) {
    signals = await signalDirectoryChanged({ incidentIds: result.changedIncidentIds, towerStoreRunId: result.runId });
  }
  await sendAlert(result.alert);
  return {
    runId: result.runId,
    status: result.status,
    reason: result.reason,
    signalledIncidentIds: signals.signalled,
    skippedIncidentIds: signals.skipped,
  };
}
