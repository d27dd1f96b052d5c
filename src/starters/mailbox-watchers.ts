// Bootstrap step (ARCHITECTURE §3): one `mailboxWorkflow` per watched folder (MAIL-1), started
// idempotently — a watcher that already runs is left alone (USE_EXISTING), so every bootstrap and
// every extra worker replica may call this.
import { Client, WorkflowIdConflictPolicy } from '@temporalio/client';
import type { Connection } from '@temporalio/client';
import { watchedFolders } from '../activities/ingestion.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../logger.js';
import { mailboxWorkflowId } from '../workflows/mailbox.js';
import type { MailboxWorkflowInput } from '../workflows/mailbox.js';

export async function ensureMailboxWatchers(
  connection: Connection,
  config: Config,
  log: Logger,
  input: Omit<MailboxWorkflowInput, 'folderKey'> = {},
): Promise<string[]> {
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const ids: string[] = [];
  for (const folder of watchedFolders(config)) {
    const workflowId = mailboxWorkflowId(folder.key);
    const handle = await client.workflow.start('mailboxWorkflow', {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [{ ...input, folderKey: folder.key } satisfies MailboxWorkflowInput],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    log.info({ workflowId, runId: handle.firstExecutionRunId, folder: folder.name }, 'mailbox watcher running');
    ids.push(workflowId);
  }
  return ids;
}
