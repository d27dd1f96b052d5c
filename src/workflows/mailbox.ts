// One long-lived watcher per folder (ARCHITECTURE §3, MAIL-1): `mailbox-<folderKey>` runs the
// `syncMailbox` activity in a loop — each run ends after a quiet IDLE/poll period — and continues
// as new every N cycles so its history stays small. A lost IMAP connection fails the activity,
// which is retried with exponential back-off capped at 5 minutes (MAIL-3); the activity logs the
// MAIL-16 alert itself after 15 minutes of failures.
import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { createIngestionActivities, MailboxFolderKey } from '../activities/ingestion.js';

export interface MailboxWorkflowInput {
  folderKey: MailboxFolderKey;
  /** syncMailbox runs before continue-as-new. Default 100. */
  cyclesPerRun?: number;
  /** How soon a dead worker's sync is taken over (heartbeat timeout). Default 30 s. */
  heartbeatTimeoutSeconds?: number;
}

export function mailboxWorkflowId(folderKey: MailboxFolderKey): string {
  return `mailbox-${folderKey}`;
}

export async function mailboxWorkflow(input: MailboxWorkflowInput): Promise<void> {
  const { syncMailbox } = proxyActivities<ReturnType<typeof createIngestionActivities>>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: `${input.heartbeatTimeoutSeconds ?? 30} seconds`,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '5 minutes',
    },
  });
  const cycles = input.cyclesPerRun ?? 100;
  for (let cycle = 0; cycle < cycles; cycle++) {
    await syncMailbox({ folderKey: input.folderKey });
  }
  await continueAsNew<typeof mailboxWorkflow>(input);
}
