// Database backup (BAK-1…BAK-3), started by its Temporal Schedule or on demand.
import { proxyActivities } from '@temporalio/workflow';
import type { createAlertActivities } from '../activities/alerts.js';
import type { createOperationsActivities } from '../activities/operations.js';

const { backupDatabase } = proxyActivities<ReturnType<typeof createOperationsActivities>>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  // A failed dump is a recorded, alerted outcome, not an exception: retries only cover crashes.
  retry: { maximumAttempts: 2, initialInterval: '1 minute' },
});

const { sendAlert } = proxyActivities<ReturnType<typeof createAlertActivities>>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

export interface BackupSummary {
  runId: number;
  status: 'succeeded' | 'failed';
  file: string | null;
  sizeBytes: number | null;
  error: string | null;
}

export async function backupWorkflow(): Promise<BackupSummary> {
  const result = await backupDatabase();
  await sendAlert(result.alert);
  return {
    runId: result.runId,
    status: result.status,
    file: result.file,
    sizeBytes: result.sizeBytes,
    error: result.error,
  };
}
