// MIGR-3: after the import, every non-finished incident gets its workflow (which arms its SLA timers
// and reads its Tracker issue). A workflow that is already running is left alone, so a second import
// starts nothing. Incidents with a Tracker key are started with a trackerChanged signal (source
// `import`, version 0: any version the workflow already processed makes it a no-op, YT-13).
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { incidentWorkflow } from '../workflows/incident.js';
import { incidentStartOptions, trackerChangedSignal } from '../workflows/signals.js';

export interface OpenIncident {
  id: number;
  code: string | null;
}

export interface WorkflowStartSummary {
  started: number[];
  alreadyRunning: number[];
}

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return description.status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

export async function startOpenIncidentWorkflows(
  client: Client,
  taskQueue: string,
  incidents: readonly OpenIncident[],
): Promise<WorkflowStartSummary> {
  const summary: WorkflowStartSummary = { started: [], alreadyRunning: [] };
  for (const incident of incidents) {
    const options = incidentStartOptions(incident.id, taskQueue, 'admin');
    if (await isRunning(client, options.workflowId)) {
      summary.alreadyRunning.push(incident.id);
      continue;
    }
    if (incident.code === null) {
      await client.workflow.start(incidentWorkflow, options);
    } else {
      await client.workflow.signalWithStart(incidentWorkflow, {
        ...options,
        signal: trackerChangedSignal,
        signalArgs: [{ issueKey: incident.code, version: 0, updatedAt: '', source: 'import' }],
      });
    }
    summary.started.push(incident.id);
  }
  return summary;
}
