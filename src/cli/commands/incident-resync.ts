// `dispatch incident resync <id|key>` (OPS-3): make the incident workflow re-read its Tracker issue
// (trackerChanged, source 'resync', the issue's current version) and refresh the derived directory
// fields (directoryChanged). signalWithStart restarts a completed workflow.
import type { Command } from 'commander';
import { findIncidentRef, lastAppliedTowerStoreRunId } from '../../adapters/db/cli-maintenance.js';
import { createTrackerClient } from '../../adapters/tracker/index.js';
import { secretValues } from '../../config/redact.js';
import { createLogger } from '../../logger.js';
import { incidentWorkflow } from '../../workflows/incident.js';
import {
  directoryChangedSignal,
  incidentStartOptions,
  incidentWorkflowId,
  trackerChangedSignal,
  type DirectoryChangedSignal,
  type TrackerChangedSignal,
} from '../../workflows/signals.js';
import { CliFailure, printJson, printLines, withDb, withTemporal } from '../context.js';
import { commandGroup } from './command-group.js';

interface ResyncPlan {
  incidentId: number;
  workflowId: string;
  /** Null when the incident has no Tracker issue yet. */
  tracker: TrackerChangedSignal | null;
  directory: DirectoryChangedSignal;
}

async function planResync(ref: string): Promise<ResyncPlan> {
  return withDb(async (db, config) => {
    const incident = await findIncidentRef(db, ref);
    if (incident === null) throw new CliFailure(`no incident ${JSON.stringify(ref)}`);
    let tracker: TrackerChangedSignal | null = null;
    if (incident.code !== null) {
      const log = createLogger({
        debug: config.debug,
        secrets: secretValues(config),
        name: 'dispatch-cli',
        destination: process.stderr,
      });
      const client = createTrackerClient(config.tracker, db, log);
      try {
        const issue = await client.getIssue(incident.code);
        tracker = {
          issueKey: issue.key,
          version: issue.version,
          updatedAt: typeof issue['updatedAt'] === 'string' ? issue['updatedAt'] : '',
          source: 'resync',
        };
      } finally {
        await client.close();
      }
    }
    return {
      incidentId: incident.id,
      workflowId: incidentWorkflowId(incident.id),
      tracker,
      directory: { towerStoreRunId: await lastAppliedTowerStoreRunId(db) },
    };
  });
}

export function registerIncidentResync(program: Command): void {
  commandGroup(program, 'incident', 'incidents')
    .command('resync')
    .description('signal the incident workflow to re-read its Tracker issue and directory values')
    .argument('<ref>', 'incident id or Tracker key (e.g. AVRSERVICE-12)')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      const plan = await planResync(ref);
      await withTemporal(async (client, config) => {
        const start = incidentStartOptions(plan.incidentId, config.temporal.taskQueue, 'admin');
        if (plan.tracker !== null) {
          await client.workflow.signalWithStart(incidentWorkflow, {
            ...start,
            signal: trackerChangedSignal,
            signalArgs: [plan.tracker],
          });
        }
        await client.workflow.signalWithStart(incidentWorkflow, {
          ...start,
          signal: directoryChangedSignal,
          signalArgs: [plan.directory],
        });
      });
      if (options.json === true) return printJson(plan);
      printLines([
        `incident ${plan.incidentId}, workflow ${plan.workflowId}:`,
        plan.tracker === null
          ? '  trackerChanged not sent: the incident has no Tracker issue yet'
          : `  sent trackerChanged ${JSON.stringify(plan.tracker)}`,
        `  sent directoryChanged ${JSON.stringify(plan.directory)}`,
      ]);
    });
}
