// Signals sent to incident workflows by scheduled jobs. The incident workflow registers handlers
// for them; a signal to an incident whose workflow is not running is skipped by the sender.
import { defineSignal } from '@temporalio/workflow';

export interface DirectoryChangedSignal {
  /** The TowerStore sync run (towerstore_sync_runs.id) that changed the incident's directory values. */
  towerStoreRunId: number;
}

/** TS-9: the incident's pole, BS, contractor or operators changed: refresh the derived Tracker fields (YT-14). */
export const directoryChangedSignal = defineSignal<[DirectoryChangedSignal]>('directoryChanged');

/** Workflow id of an incident (GEN-4). */
export function incidentWorkflowId(incidentId: number): string {
  return `incident-${incidentId}`;
}
