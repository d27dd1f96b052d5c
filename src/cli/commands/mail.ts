// MAIL-17: list and requeue mail failures; THREAD-7: list and resolve thread conflicts.
import { type Command, Option } from 'commander';
import { listMailFailures, requeueMailFailures } from '../../adapters/db/mail-bookkeeping.js';
import type { MailFailureState } from '../../adapters/db/mail-bookkeeping.js';
import { listThreadConflicts, resolveThreadConflict } from '../../adapters/db/cli-queries.js';
import { CliFailure, EXIT_USAGE, formatDate, parseId, printJson, printLines, withDb } from '../context.js';

export function registerMail(program: Command): void {
  const mail = program.command('mail').description('mail failures (MAIL-17) and thread conflicts (THREAD-7)');
  registerFailures(mail);
  registerConflicts(mail);
}

function registerFailures(mail: Command): void {
  const failures = mail.command('failures').description('messages that could not be processed (MAIL-17)');

  failures
    .command('list')
    .description('list mail failures, newest first')
    .addOption(new Option('--state <state>', 'only failures in this state').choices(['open', 'abandoned', 'resolved']))
    .option('--json', 'print JSON')
    .action(async (options: { state?: MailFailureState; json?: boolean }) => {
      const rows = await withDb((db) =>
        listMailFailures(db, options.state === undefined ? {} : { state: options.state }),
      );
      if (options.json === true) return printJson(rows);
      if (rows.length === 0) return printLines(['no mail failures']);
      printLines(
        rows.map((f) =>
          [
            `#${f.id}`,
            f.state,
            `${f.folderName} uidvalidity=${f.uidValidity} uid=${f.uid}`,
            `attempts=${f.attempts}`,
            `next=${formatDate(f.nextRetryAt)}`,
            f.messageId ?? '(no Message-ID)',
            f.error,
          ].join('\t'),
        ),
      );
    });

  failures
    .command('requeue')
    .description('retry one failure (by id) or all open and abandoned ones now, with a fresh retry budget')
    .argument('[id]', 'mail failure id')
    .option('--all', 'requeue every open and abandoned failure')
    .action(async (id: string | undefined, options: { all?: boolean }) => {
      if ((id === undefined) === (options.all !== true)) {
        throw new CliFailure('give either a failure id or --all', EXIT_USAGE);
      }
      const target = id === undefined ? ('all' as const) : { id: parseId(id, 'failure id') };
      const requeued = await withDb((db) => requeueMailFailures(db, target, new Date()));
      if (target !== 'all' && requeued.length === 0) throw new CliFailure(`no mail failure #${target.id}`);
      printLines([
        requeued.length === 0
          ? 'nothing to requeue'
          : `requeued ${requeued.length} failure(s): ${requeued.map((n) => `#${n}`).join(', ')}`,
      ]);
    });
}

function registerConflicts(mail: Command): void {
  const conflicts = mail.command('conflicts').description('e-mails whose thread matched several incidents (THREAD-7)');

  conflicts
    .command('list')
    .description('list thread conflicts, newest first')
    .addOption(new Option('--state <state>', 'only conflicts in this state').choices(['open', 'resolved']))
    .option('--json', 'print JSON')
    .action(async (options: { state?: 'open' | 'resolved'; json?: boolean }) => {
      const rows = await withDb((db) =>
        listThreadConflicts(db, options.state === undefined ? {} : { state: options.state }),
      );
      if (options.json === true) return printJson(rows);
      if (rows.length === 0) return printLines(['no thread conflicts']);
      printLines(
        rows.map((c) =>
          [
            `#${c.id}`,
            c.state,
            `email=${c.emailId} ${c.messageId}`,
            `candidates=${c.candidateIncidentIds.join(',')}`,
            `chosen=${c.chosenIncidentId} (${c.rule})`,
            c.state === 'resolved' ? `resolved to ${c.resolvedIncidentId} by ${c.resolvedBy}` : '',
            c.subject,
          ].join('\t'),
        ),
      );
    });

  conflicts
    .command('resolve')
    .description('resolve a conflict: link its e-mail to the named incident and record who did it')
    .argument('<id>', 'conflict id')
    .requiredOption('--incident <id>', 'the incident the e-mail belongs to')
    .requiredOption('--by <name>', 'who resolves it')
    .action(async (id: string, options: { incident: string; by: string }) => {
      const conflictId = parseId(id, 'conflict id');
      const incidentId = parseId(options.incident, '--incident');
      if (options.by.trim() === '') throw new CliFailure('--by must name who resolves the conflict', EXIT_USAGE);
      const result = await withDb((db) =>
        db.transaction((tx) => resolveThreadConflict(tx, conflictId, incidentId, options.by.trim(), new Date())),
      );
      switch (result.outcome) {
        case 'not_found':
          throw new CliFailure(`no thread conflict #${conflictId}`);
        case 'already_resolved':
          throw new CliFailure(`thread conflict #${conflictId} is already resolved`);
        case 'no_such_incident':
          throw new CliFailure(`no incident ${incidentId}`);
        case 'resolved':
          printLines([
            `conflict #${conflictId} resolved: e-mail ${result.emailId} linked to incident ${incidentId}` +
              (result.movedFrom === null ? '' : ` (moved from incident ${result.movedFrom})`),
          ]);
      }
    });
}
