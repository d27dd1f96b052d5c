// OPS-3: show an incident — DB row, e-mails, status history, outbox, comment records, workflow id.
import type { Command } from 'commander';
import { readIncidentView, type IncidentView } from '../../adapters/db/incident-view.js';
import { incidentWorkflowId } from '../../workflows/signals.js';
import { CliFailure, formatDate, printJson, printLines, withDb, workflowUiLink } from '../context.js';

export function registerIncident(program: Command): void {
  const incident = program.command('incident').description('incidents');
  incident
    .command('show')
    .description('show an incident by id or Tracker key')
    .argument('<ref>', 'incident id or Tracker key (e.g. AVRSERVICE-12)')
    .option('--ui-url <url>', 'Temporal Web UI base URL (default TEMPORAL_UI_URL)')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { uiUrl?: string; json?: boolean }) => {
      const { view, namespace, uiUrl } = await withDb(async (db, config) => ({
        view: await readIncidentView(db, ref),
        namespace: config.temporal.namespace,
        uiUrl: config.temporal.uiUrl,
      }));
      if (view === null) throw new CliFailure(`no incident ${JSON.stringify(ref)}`);
      const workflowId = incidentWorkflowId(view.incident.id);
      const link = workflowUiLink(options.uiUrl ?? uiUrl, namespace, workflowId);
      if (options.json === true) return printJson({ ...view, workflow: { workflowId, link } });
      printLines(render(view, workflowId, link));
    });
}

function render(view: IncidentView, workflowId: string, link: string): string[] {
  const i = view.incident;
  const lines = [
    `Incident ${i.id}${i.code === null ? ' (no Tracker issue yet)' : ` ${i.code}`}`,
    `  status:        ${i.status}${i.tracker_status_key === null ? '' : ` (Tracker ${i.tracker_status_key})`}`,
    `  registered:    ${formatDate(i.registration_time)}`,
    `  finished:      ${i.is_finished ? `yes, ${formatDate(i.finished_at)}` : 'no'}`,
    `  SLA end:       ${formatDate(i.sla_end_at)}`,
    `  type:          ${i.incident_type ?? '-'}`,
    `  pole / BS:     ${i.pole ?? '-'} / ${i.base_station ?? '-'}`,
    `  assignee:      ${i.assignee_login ?? '-'} (responsible dispatcher: ${i.responsible_dispatcher ?? '-'})`,
    `  auto:          ${i.is_auto ? 'yes' : 'no'}; primary e-mail: ${i.primary_email_id ?? '-'}`,
    `  workflow:      ${workflowId}`,
    `  Web UI:        ${link}`,
    `E-mails (${view.emails.length}):`,
    ...view.emails.map(
      (e) =>
        `  #${e.id}\t${formatDate(e.effective_date)}\t${e.folder_role}\t${e.classification}\t${e.from_address}\t${e.subject}`,
    ),
    `Status history (${view.statusHistory.length}):`,
    ...view.statusHistory.map(
      (h) => `  ${formatDate(h.inserted_at)}\t${h.status}\t${h.source}${h.comment === null ? '' : `\t${h.comment}`}`,
    ),
    `Outbox (${view.outbox.length}):`,
    ...view.outbox.map(
      (o) =>
        `  #${o.id}\t${o.kind}\t${o.state}\tattempts=${o.attempts}\tsent=${formatDate(o.sent_at)}\tto=${o.to_addresses.join(',')}` +
        (o.last_error === null ? '' : `\terror=${o.last_error}`),
    ),
    `Tracker comments (${view.comments.length}):`,
    ...view.comments.map(
      (c) =>
        `  e-mail #${c.email_id}\t${c.issue_key}\t${c.state}\t${c.tracker_comment_id ?? '-'}\t${formatDate(c.posted_at)}`,
    ),
  ];
  return lines;
}
