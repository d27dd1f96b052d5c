// `dispatch mail backfill --folder <INBOX|SENT|name> --since <YYYY-MM-DD> [--dry-run]` (MAIL-17,
// MAIL-8): re-read a folder since a date through the normal ingestion path; only missing messages
// are stored. Progress on stderr, the summary on stdout.
import { type Command, Option } from 'commander';
import { watchedFolders, type WatchedFolder } from '../../activities/ingestion.js';
import type { Config } from '../../config/load.js';
import { secretValues } from '../../config/redact.js';
import { wallClock } from '../../domain/datetime.js';
import { createLogger } from '../../logger.js';
import {
  CliFailure,
  EXIT_PROBLEM,
  EXIT_USAGE,
  cliConfig,
  printJson,
  printLines,
  withDb,
  withTemporal,
} from '../context.js';
import { runBackfill, type BackfillProgress, type BackfillSummary } from './backfill-run.js';
import { commandGroup } from './command-group.js';

/** INBOX / SENT name the configured folders; any other name is read with the role given by --role. */
export function resolveFolder(config: Config, folder: string, role: 'INBOX' | 'SENT'): WatchedFolder {
  const watched = watchedFolders(config);
  const byRole = watched.find((f) => f.role === folder.toUpperCase());
  if (byRole !== undefined) return byRole;
  const byName = watched.find((f) => f.name === folder);
  if (byName !== undefined) return byName;
  return { key: role === 'SENT' ? 'sent' : 'inbox', name: folder, role };
}

/** Midnight of `date` (YYYY-MM-DD) in the dispatch time zone. */
export function startOfDay(date: string, timeZone: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) return null;
  const utc = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(utc.getTime()) || utc.toISOString().slice(0, 10) !== date) return null;
  // The zone's offset at that moment: its wall clock read as UTC, minus the instant.
  const t = wallClock(utc, timeZone);
  const wall = Date.UTC(Number(t.year), Number(t.month) - 1, Number(t.day), Number(t.hour) % 24, Number(t.minute));
  return new Date(utc.getTime() - (wall - utc.getTime()));
}

function progressReporter(dryRun: boolean): (p: BackfillProgress) => void {
  const verb = dryRun ? 'checked' : 'stored';
  const line = (p: BackfillProgress) => `backfill: ${p.done}/${p.total} ${verb} ${p.fresh} new`;
  if (process.stderr.isTTY) {
    return (p) => process.stderr.write(`\r${line(p)}${p.done === p.total ? '\n' : ''}`);
  }
  return (p) => {
    if (p.done % 100 === 0 || p.done === p.total) process.stderr.write(`${line(p)}\n`);
  };
}

function summaryLine(s: BackfillSummary): string {
  const fresh = s.dryRun ? `${s.fresh} new (dry run: nothing stored)` : `${s.fresh} new stored`;
  return (
    `backfill of ${s.folder} (${s.role}) since ${s.since}: ${s.messages} message(s), ${fresh}, ` +
    `${s.alreadyStored} already stored, ${s.failures.length} failed${s.vanished > 0 ? `, ${s.vanished} vanished` : ''}`
  );
}

export function registerMailBackfill(program: Command): void {
  commandGroup(program, 'mail', 'mail failures (MAIL-17) and thread conflicts (THREAD-7)')
    .command('backfill')
    .description('re-read a folder since a date through ingestion; only messages not yet stored are added (MAIL-8)')
    .requiredOption('--folder <folder>', 'INBOX, SENT (the configured folders) or another folder name')
    .requiredOption('--since <date>', 'first day to read (YYYY-MM-DD, in the dispatch time zone; by INTERNALDATE)')
    .addOption(
      new Option('--role <role>', 'how to treat messages of a folder other than INBOX/SENT')
        .choices(['INBOX', 'SENT'])
        .default('INBOX'),
    )
    .option('--dry-run', 'only count how many messages are not stored yet')
    .option('--json', 'print JSON')
    .action(
      async (options: { folder: string; since: string; role: 'INBOX' | 'SENT'; dryRun?: boolean; json?: boolean }) => {
        const dryRun = options.dryRun === true;
        const since = startOfDay(options.since, cliConfig().timeZone);
        if (since === null) {
          throw new CliFailure(`--since must be a date YYYY-MM-DD, got ${JSON.stringify(options.since)}`, EXIT_USAGE);
        }
        const summary = await withDb((db, config) =>
          withTemporal(async (temporal) => {
            const log = createLogger({
              debug: config.debug,
              secrets: secretValues(config),
              name: 'dispatch-backfill',
              destination: process.stderr,
            });
            // Per-message info lines would drown the progress counter; warnings and errors still show.
            if (!config.debug) log.level = 'warn';
            return runBackfill({
              config,
              db,
              temporal,
              log,
              folder: resolveFolder(config, options.folder, options.role),
              since,
              dryRun,
              onProgress: progressReporter(dryRun),
            });
          }),
        );
        if (summary.failures.length > 0) process.exitCode = EXIT_PROBLEM;
        if (options.json === true) return printJson(summary);
        printLines([
          summaryLine(summary),
          ...summary.failures.map((f) => `  failed: uid ${f.uid} ${f.messageId ?? '(no Message-ID)'}: ${f.reason}`),
        ]);
      },
    );
}
