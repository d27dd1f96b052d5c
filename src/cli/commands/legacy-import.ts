// `dispatch legacy import [--dry-run] [--json]` (MIGR-1…3): the cut-over from the legacy system.
// Progress per table on stderr, the summary on stdout. Exit 0 when every legacy row was imported,
// 1 when some rows were reported as problems (the others are imported all the same), 78 when the
// legacy variables are missing.
import type { Command } from 'commander';
import { sql } from 'slonik';
import { z } from 'zod';
import { createDbPool } from '../../adapters/db/pool.js';
import { importLegacy, type LegacyImportSummary } from '../../legacy/import.js';
import { startOpenIncidentWorkflows, type WorkflowStartSummary } from '../../legacy/workflows.js';
import { CliFailure, EXIT_PROBLEM, printJson, printLines, withDb, withTemporal } from '../context.js';
import { commandGroup } from './command-group.js';

const EXIT_CONFIG = 78;
const openIncident = z.object({ id: z.number(), code: z.string().nullable() });

function summaryLines(summary: LegacyImportSummary, workflows: WorkflowStartSummary | null): string[] {
  const lines = [summary.dryRun ? 'legacy import (dry run, nothing written):' : 'legacy import:'];
  for (const [table, t] of Object.entries(summary.tables)) {
    lines.push(`  ${table}: ${t.read} read, ${t.inserted} inserted, ${t.updated} updated, ${t.unchanged} unchanged`);
  }
  for (const [table, next] of Object.entries(summary.sequences))
    lines.push(`  sequence of ${table} continues at ${next}`);
  for (const file of summary.missingFiles) {
    lines.push(`  missing file for e-mail ${file.emailId} part ${file.partIndex}: ${file.path ?? '(no file URL)'}`);
  }
  for (const p of summary.problems) lines.push(`  problem: ${p.table} ${p.legacyId}: ${p.reason}`);
  if (workflows !== null) {
    lines.push(`  workflows started: ${workflows.started.length}, already running: ${workflows.alreadyRunning.length}`);
  } else if (summary.dryRun) {
    lines.push(`  workflows to start for open incidents: ${summary.openIncidentIds.length}`);
  }
  lines.push(summary.changed ? '  changes were made' : '  no changes: everything was already imported');
  return lines;
}

export function registerLegacyImport(program: Command): void {
  commandGroup(program, 'legacy', 'the cut-over from the legacy system (MIGR)')
    .command('import')
    .description('import the legacy database and media, then start workflows of open incidents (MIGR-1…3)')
    .option('--dry-run', 'read and validate everything, report counts, write nothing')
    .option('--json', 'print JSON')
    .action(async (options: { dryRun?: boolean; json?: boolean }) => {
      const dryRun = options.dryRun === true;
      const progress = (line: string) => process.stderr.write(`${line}\n`);
      const { summary, open } = await withDb(async (db, config) => {
        const { legacyDatabaseUrl, legacyMediaRoot } = config.migration;
        if (legacyDatabaseUrl === null || legacyMediaRoot === null) {
          throw new CliFailure('LEGACY_DATABASE_URL and LEGACY_MEDIA_ROOT must be set for the import', EXIT_CONFIG);
        }
        const legacy = await createDbPool(legacyDatabaseUrl, { maxPoolSize: 1 });
        try {
          const result = await importLegacy({
            legacy,
            db,
            mediaRoot: legacyMediaRoot,
            attachmentsDir: config.attachments.dir,
            sentFolder: config.mail.imap.sentFolder,
            dryRun,
            progress,
          });
          const rows = await db.any(sql.type(openIncident)`
            SELECT id, code FROM incidents
            WHERE NOT is_finished AND id = ANY(${sql.array(result.openIncidentIds, 'int8')}) ORDER BY id`);
          return { summary: result, open: rows };
        } finally {
          await legacy.end();
        }
      });
      const workflows = dryRun
        ? null
        : await withTemporal((client, config) => startOpenIncidentWorkflows(client, config.temporal.taskQueue, open));
      if (options.json === true) printJson({ ...summary, workflows });
      else printLines(summaryLines(summary, workflows));
      if (summary.problems.length > 0) process.exitCode = EXIT_PROBLEM;
    });
}
