// OPS-3: run a scheduled job now (TS-1 TowerStore sync, BAK-1 backup, CLEAN-1 cleanup).
import type { Command } from 'commander';
import { triggerSchedule, type ScheduleName } from '../../starters/schedules.js';
import { CliFailure, printJson, printLines, withTemporal, workflowUiLink } from '../context.js';

const JOBS: Record<string, ScheduleName> = { towerstore: 'towerstore-sync', backup: 'backup', cleanup: 'cleanup' };

export function registerSync(program: Command): void {
  const sync = program.command('sync').description('run a scheduled job now (OPS-3)');
  for (const [command, schedule] of Object.entries(JOBS)) {
    sync
      .command(command)
      .description(`trigger the ${schedule} schedule now`)
      .requiredOption('--now', 'run now (the only mode)')
      .option('--ui-url <url>', 'Temporal Web UI base URL (default TEMPORAL_UI_URL)')
      .option('--json', 'print JSON')
      .action(async (options: { uiUrl?: string; json?: boolean }) => {
        const result = await withTemporal(async (client, config) => ({
          workflowId: await triggerSchedule(client, config, schedule),
          namespace: config.temporal.namespace,
          uiUrl: config.temporal.uiUrl,
        }));
        if (result.workflowId === null) {
          throw new CliFailure(`${schedule}: not started (a run is already in progress, or none started within 10 s)`);
        }
        const link = workflowUiLink(options.uiUrl ?? result.uiUrl, result.namespace, result.workflowId);
        if (options.json === true) return printJson({ schedule, workflowId: result.workflowId, link });
        printLines([`${schedule} started: workflow ${result.workflowId}`, link]);
      });
  }
}
