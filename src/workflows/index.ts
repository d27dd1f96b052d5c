// Entry point of the workflow bundle: every workflow type the worker runs.
export { incidentWorkflow } from './incident.js';
export { mailboxWorkflow } from './mailbox.js';
export { towerStoreSyncWorkflow } from './towerstore-sync.js';
export { backupWorkflow } from './backup.js';
export { cleanupWorkflow } from './cleanup.js';
export { trackerReconcileWorkflow } from './tracker-sync.js';
