// OPS-3 overview: DB and Temporal reachable, schedules, mailbox checkpoints and the bookkeeping
// counts, one verdict per line. Exit 1 when any line is FAIL.
import { ScheduleNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { readStatusCounts } from '../../adapters/db/incident-view.js';
import { imapPath } from '../../adapters/mail/imap-session.js';
import { SCHEDULE_NAMES, scheduleId } from '../../starters/schedules.js';
import { mailboxLagLines } from './status-mailbox-lag.js';
import { EXIT_PROBLEM, formatDate, printJson, printLines, withDb, withTemporal } from '../context.js';

type Verdict = 'OK' | 'WARN' | 'FAIL';

interface StatusLine {
  verdict: Verdict;
  subject: string;
  detail: string;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function databaseLines(): Promise<StatusLine[]> {
  try {
    const counts = await withDb((db) => readStatusCounts(db));
    const lines: StatusLine[] = [{ verdict: 'OK', subject: 'database', detail: 'reachable' }];
    if (counts.checkpoints.length === 0) {
      lines.push({
        verdict: 'WARN',
        subject: 'mailbox',
        detail: 'no folder checkpoint yet (MAIL-5: first run pending)',
      });
    }
    for (const c of counts.checkpoints) {
      lines.push({
        verdict: 'OK',
        subject: `mailbox ${folderLabel(c.folderName)}`,
        detail: `uidvalidity=${c.uidValidity} last uid=${c.lastUid} updated ${formatDate(c.updatedAt)}`,
      });
    }
    const { open, abandoned } = counts.mailFailures;
    lines.push({
      verdict: abandoned > 0 ? 'WARN' : 'OK',
      subject: 'mail failures',
      detail: `${open} open, ${abandoned} abandoned${abandoned > 0 ? ' (dispatch mail failures requeue --all)' : ''}`,
    });
    lines.push({
      verdict: counts.openConflicts > 0 ? 'WARN' : 'OK',
      subject: 'thread conflicts',
      detail: `${counts.openConflicts} open`,
    });
    lines.push({ verdict: 'OK', subject: 'outbox', detail: `${counts.outboxPending} pending or sending` });
    return lines;
  } catch (e) {
    return [{ verdict: 'FAIL', subject: 'database', detail: `unreachable: ${message(e)}` }];
  }
}

async function temporalLines(): Promise<StatusLine[]> {
  try {
    return await withTemporal(async (client, config) => {
      await client.workflowService.getSystemInfo({});
      const lines: StatusLine[] = [
        { verdict: 'OK', subject: 'temporal', detail: `reachable at ${config.temporal.address}` },
      ];
      for (const name of SCHEDULE_NAMES) {
        const id = scheduleId(config, name);
        try {
          const description = await client.schedule.getHandle(id).describe();
          const last = [...description.info.recentActions].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime())[0];
          const next = description.info.nextActionTimes[0] ?? null;
          lines.push({
            verdict: description.state.paused ? 'WARN' : 'OK',
            subject: `schedule ${name}`,
            detail:
              `${description.state.paused ? 'paused; ' : ''}last run ${formatDate(last?.takenAt ?? null)}` +
              `${last === undefined ? '' : ` (${last.action.workflow.workflowId})`}, next run ${formatDate(next)}`,
          });
        } catch (e) {
          if (!(e instanceof ScheduleNotFoundError)) throw e;
          lines.push({ verdict: 'FAIL', subject: `schedule ${name}`, detail: `${id} missing (run bootstrap)` });
        }
      }
      return lines;
    });
  } catch (e) {
    return [{ verdict: 'FAIL', subject: 'temporal', detail: `unreachable: ${message(e)}` }];
  }
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('health overview: DB, Temporal, schedules, mailbox checkpoints and lag, failures, conflicts, outbox')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const lines = [...(await databaseLines()), ...(await mailboxLagLines()), ...(await temporalLines())];
      if (options.json === true) printJson(lines);
      else printLines(lines.map((l) => `${l.verdict.padEnd(4)} ${l.subject}: ${l.detail}`));
      if (lines.some((l) => l.verdict === 'FAIL')) process.exitCode = EXIT_PROBLEM;
    });
}

/** A folder as people read it (the Sent folder is configured in modified UTF-7), with the raw name. */
function folderLabel(name: string): string {
  const readable = imapPath(name);
  return readable === name ? name : `${readable} (${name})`;
}
