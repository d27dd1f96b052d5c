// Cleanup (CLEAN-1, CLEAN-2), started by its Temporal Schedule or on demand.
import { proxyActivities } from '@temporalio/workflow';
import type { createAlertActivities } from '../activities/alerts.js';
import type { createOperationsActivities } from '../activities/operations.js';

const { cleanupStorage } = proxyActivities<ReturnType<typeof createOperationsActivities>>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 2, initialInterval: '1 minute' },
});

const { sendAlert } = proxyActivities<ReturnType<typeof createAlertActivities>>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

export async function cleanupWorkflow(): Promise<{ runId: number; status: 'succeeded' | 'failed' }> {
  const result = await cleanupStorage();
  await sendAlert(result.alert);
  return { runId: result.runId, status: result.status };
}
