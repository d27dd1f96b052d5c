// The short markdown summary of a chaos report (committed next to its JSON, quoted in RELIABILITY.md).
import type { ChaosReport } from './runner.js';

const s = (ms: number) => `${(ms / 1000).toFixed(0)} s`;

export function summaryMarkdown(report: ChaosReport): string {
  const inv = report.invariants;
  const row = (name: string, t: { expected: number; actual: number; lost: number; duplicated: number }) =>
    `| ${name} | ${t.expected} | ${t.actual} | ${t.lost} | ${t.duplicated} |`;
  return [
    `# Chaos run ${report.startedAt}`,
    '',
    `Seed ${report.options.seed}, ${report.options.mails} mails, ${report.workerKills} worker SIGKILLs, ` +
      `restarts: ${
        report.events
          .filter((e) => e.kind !== 'worker-kill')
          .map((e) => e.kind)
          .join(', ') || 'none'
      }; ` +
      `Tracker faults ${report.options.trackerFaults ? 'on (20 % 5xx, 10 % 429 + Retry-After, 5 % dropped after apply, +30 ms)' : 'off'}.`,
    '',
    `Durations: set-up ${s(report.durations.setupMs)}, chaos ${s(report.durations.chaosMs)}, ` +
      `quiesce ${s(report.durations.quiesceMs)}, total ${s(report.durations.totalMs)}. ` +
      `Quiesced: ${report.quiesced ? 'yes' : `NO (${report.pendingAtEnd.join('; ')})`}.`,
    '',
    '| category | expected | actual | lost | duplicated |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('e-mails stored (MAIL-8)', inv.emails),
    row('incidents (THREAD)', inv.incidents),
    row('issues (YT-9)', inv.issues),
    row('comments (YT-10, NOTIFY-4)', inv.comments),
    row('notices sent (NOTIFY-3)', inv.notices),
    '',
    `Notice copies: ${inv.notices.collectionCopies} in the collection mailbox, ${inv.notices.recipientCopies} at the recipients. ` +
      `E-mail-ids fields wrong: ${inv.emailIdsFields.wrong}/${inv.emailIdsFields.expected}. ` +
      `SLA fields checked ${inv.sla.checked}, wrong ${inv.sla.wrong} (${Object.entries(inv.sla.byStatus)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}).`,
    `Incident workflows: ${inv.workflows.running} running, ${inv.workflows.notRunning} not running, ${inv.workflows.stuck} stuck; ` +
      `failed/terminated workflows anywhere: ${inv.workflows.failedAnywhere}; ` +
      `scheduled tracker-reconcile runs that gave up under faults (superseded by the next run): ${inv.workflows.scheduledRunsFailed.length}. Secrets found in logs: ${inv.secretsInLogs}.`,
    `Tracker: ${report.trackerRequests} requests, faults injected ${Object.values(report.trackerFaultsInjected).reduce((a, b) => a + b, 0)}. ` +
      `Dispatchers: ${report.dispatcher.pickedIssues} issues worked, ${report.dispatcher.notices.ack} ack + ${report.dispatcher.notices.close} close notices asked, ${report.dispatcher.closedIssues} closed. ` +
      `Unexpected worker exits: ${report.unexpectedWorkerExits.length}.`,
    '',
    inv.violations.length === 0
      ? 'Violations: none.'
      : `Violations (${inv.violations.length}):\n\n${inv.violations.map((v) => `- ${v}`).join('\n')}`,
    '',
  ].join('\n');
}
