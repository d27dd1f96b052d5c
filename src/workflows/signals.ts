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

/** Where an observed Tracker change came from (shown in the workflow history). */
export type TrackerChangeSource = 'poll' | 'reconcile' | 'webhook' | 'import' | 'resync';

export interface TrackerChangedSignal {
  issueKey: string;
  /** The issue `version` observed; YT-13: not greater than the last processed one → ignored. */
  version: number;
  /** The issue's `updatedAt` as Tracker sent it. */
  updatedAt: string;
  source: TrackerChangeSource;
}

/** YT-13 / YT-15 step 3: the incident's issue changed in Tracker; the workflow processes it (YT-16). */
export const trackerChangedSignal = defineSignal<[TrackerChangedSignal]>('trackerChanged');

/**
 * How every starter starts (or signals) an incident workflow (GEN-4, INC-2): the id from the
 * incident, and a static summary the Web UI shows next to the run (OPS-1).
 */
export function incidentStartOptions(
  incidentId: number,
  taskQueue: string,
  startedBy: 'e-mail' | 'Tracker' | 'admin',
): { workflowId: string; taskQueue: string; args: [{ incidentId: number }]; staticSummary: string } {
  return {
    workflowId: incidentWorkflowId(incidentId),
    taskQueue,
    args: [{ incidentId }],
    staticSummary: `Инцидент ${incidentId} · started by ${startedBy}`,
  };
}

/** ALERT-2 key of the failed Tracker change detection: alerted by the workflow, recovered by the poll. */
export const TRACKER_POLL_FAILED_ALERT = { kind: 'tracker_poll_failed', subject: 'tracker-reconcile' } as const;
