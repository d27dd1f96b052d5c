// What must hold after a chaos run (issue #8 part 1) once the faults are off and the system is
// quiet: nothing lost, nothing twice, against the fixture generator's expected outcome.
import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { Config } from '../../src/config/load.js';
import { evaluateSla } from '../../src/domain/sla.js';
import { parseEmailIds } from '../../src/domain/tracker-fields.js';
import type { ExpectedIncident, ExpectedMail, Fixtures } from '../../src/sandbox/fixtures/index.js';
import { listMessages } from '../../src/sandbox/mail/index.js';
import { stateQuery } from '../../src/workflows/incident.js';
import type { Delivered } from './delivery.js';
import type { DispatcherCrew } from './dispatchers.js';
import { COLLECTION_MAILBOX, type ChaosServers } from './servers.js';

/** NOISE-2: these classes are commented into the issue; own/tracker/foreign_tracker/denied are not. */
const COMMENTABLE = new Set(['normal', 'bounce', 'auto_reply', 'self_sent']);
/** Scheduled workflows whose failed run the next scheduled run supersedes (tracker-sync.ts retry policy). */
const SUPERSEDED_RUNS = new Set(['trackerReconcileWorkflow']);
/** NOTIFY-4: a notice leaves a copy of itself and a success comment on the issue. */
const COMMENTS_PER_NOTICE = 2;

export interface CheckContext {
  db: DatabasePool;
  servers: ChaosServers;
  config: Config;
  fixtures: Fixtures;
  delivered: Delivered;
  crew: DispatcherCrew;
}

export interface Tally {
  expected: number;
  actual: number;
  lost: number;
  duplicated: number;
}

export interface InvariantReport {
  emails: Tally;
  incidents: Tally;
  issues: Tally;
  comments: Tally;
  emailIdsFields: { expected: number; wrong: number };
  notices: Tally & { collectionCopies: number; recipientCopies: number };
  sla: { checked: number; wrong: number; byStatus: Record<string, number> };
  workflows: {
    incidents: number;
    running: number;
    notRunning: number;
    /** Failed, timed-out or terminated workflows other than superseded scheduled runs. */
    failedAnywhere: number;
    stuck: number;
    /** Scheduled runs that gave up (the next run redoes their work), with their failure. */
    scheduledRunsFailed: string[];
  };
  secretsInLogs: number;
  /** One line per broken invariant; empty when the run is clean. */
  violations: string[];
}

const emailRow = z.object({
  id: z.number(),
  message_id: z.string(),
  folder_name: z.string().nullable(),
  uid: z.number().nullable(),
  uidvalidity: z.number().nullable(),
  incident_id: z.number().nullable(),
  classification: z.string(),
});
type EmailRow = z.infer<typeof emailRow>;

const loadEmails = (db: DatabasePool) =>
  db.any(sql.type(emailRow)`
    SELECT id, message_id, folder_name, uid, uidvalidity, incident_id, classification FROM emails
    WHERE folder_role <> 'OUTBOX' AND message_id NOT IN (SELECT message_id FROM outbox) ORDER BY id`);

const incidentRow = z.object({
  id: z.number(),
  code: z.string().nullable(),
  is_auto: z.boolean(),
  tracker_excluded: z.boolean(),
  registration_time: z.date(),
  sla_end_at: z.date().nullable(),
  sla_minutes: z.number().nullable(),
});

const loadIncidents = (db: DatabasePool) =>
  db.any(sql.type(incidentRow)`
    SELECT i.id, i.code, i.is_auto, i.tracker_excluded, i.registration_time, i.sla_end_at, t.sla_minutes
    FROM incidents i LEFT JOIN incident_types t ON t.id = i.incident_type_id ORDER BY i.id`);

const outboxRow = z.object({
  message_id: z.string(),
  incident_id: z.number(),
  kind: z.string(),
  state: z.string(),
  to_addresses: z.array(z.string()),
  cc_addresses: z.array(z.string()),
  email_id: z.number().nullable(),
});

const loadOutbox = (db: DatabasePool) =>
  db.any(sql.type(outboxRow)`
    SELECT message_id, incident_id, kind, state, to_addresses, cc_addresses, email_id FROM outbox ORDER BY id`);

/** Which stored row an expected mail became (Message-ID, or folder + UID for a synthetic id). */
function rowFinder(rows: readonly EmailRow[], delivered: Delivered) {
  const byMessageId = new Map(rows.map((r) => [r.message_id, r]));
  return (mail: ExpectedMail): EmailRow | undefined =>
    mail.messageId !== null
      ? byMessageId.get(mail.messageId)
      : rows.find((r) => r.folder_name === mail.folder && r.uid === delivered.uids.get(mail.id));
}

const storedMails = (fixtures: Fixtures) =>
  fixtures.expected.mails.filter((m) => !m.unparseable && m.duplicateOf === null);

/** The incident id each expected incident became: seed issues by key, mail incidents by their opening mail. */
function incidentIds(
  fixtures: Fixtures,
  incidents: ReadonlyArray<{ id: number; code: string | null }>,
  rowOf: (m: ExpectedMail) => EmailRow | undefined,
): Map<string, number | undefined> {
  const mails = new Map(fixtures.expected.mails.map((m) => [m.id, m]));
  return new Map(
    fixtures.expected.incidents.map((incident) => {
      if (incident.key !== null) return [incident.ref, incidents.find((i) => i.code === incident.key)?.id];
      const opening = incident.openingMail === null ? undefined : mails.get(incident.openingMail);
      return [incident.ref, opening === undefined ? undefined : (rowOf(opening)?.incident_id ?? undefined)];
    }),
  );
}

/** YT-8 / YT-10: commentable linked rows, and the comments expected (the primary one is the issue itself). */
function commentPlan(incident: ExpectedIncident, fixtures: Fixtures, rowOf: (m: ExpectedMail) => EmailRow | undefined) {
  const mails = new Map(fixtures.expected.mails.map((m) => [m.id, m]));
  const commentable = incident.mails
    .map((id) => mails.get(id))
    .filter((m): m is ExpectedMail => m !== undefined && m.classification !== null && COMMENTABLE.has(m.classification))
    .map((m) => rowOf(m)?.id ?? -1);
  const primary =
    incident.origin !== 'mail' || incident.primaryMail === null ? undefined : mails.get(incident.primaryMail);
  const primaryId = primary === undefined ? null : (rowOf(primary)?.id ?? null);
  return { commentable, comments: commentable.filter((id) => id !== primaryId).length };
}

const statusOf = (issue: Record<string, unknown> | undefined) =>
  (issue?.['status'] as { key?: string } | undefined)?.key;

/** Reasons the system is not quiet yet (empty = quiet): the quiesce loop polls this. */
export async function quiescence(ctx: CheckContext): Promise<string[]> {
  const { db, servers, fixtures, delivered, crew } = ctx;
  const pending: string[] = [];
  const rows = await loadEmails(db);
  const rowOf = rowFinder(rows, delivered);
  const missing = storedMails(fixtures).filter((m) => rowOf(m) === undefined);
  if (missing.length > 0) pending.push(`${missing.length} mails not stored yet`);
  const outbox = await loadOutbox(db);
  const unsent = outbox.filter((o) => o.state === 'pending' || o.state === 'sending');
  if (unsent.length > 0) pending.push(`${unsent.length} outbox rows pending/sending`);
  const incidents = await loadIncidents(db);
  const noIssue = incidents.filter((i) => i.code === null && !i.tracker_excluded);
  if (noIssue.length > 0) pending.push(`${noIssue.length} incidents without issue`);
  const open = [...crew.picked].filter((k) => !crew.closed.has(k));
  if (open.length > 0)
    pending.push(
      `issues still worked on: ${open.map((k) => `${k} ${statusOf(servers.tracker.getIssue(k)) ?? '?'}`).join(', ')}`,
    );
  const waiting = [...crew.picked].filter((k) => {
    const s = statusOf(servers.tracker.getIssue(k));
    return (
      s === servers.tracker.seed.statusKeys.notifyOperatorInWork ||
      s === servers.tracker.seed.statusKeys.notifyOperatorClosed
    );
  });
  if (waiting.length > 0) pending.push(`${waiting.length} issues in a notify status`);
  const ids = incidentIds(fixtures, incidents, rowOf);
  const unsettled = fixtures.expected.incidents.filter((incident) => {
    const code = incidents.find((i) => i.id === ids.get(incident.ref))?.code ?? '';
    const plan = commentPlan(incident, fixtures, rowOf);
    const comments = servers.tracker.issueHistory(code)?.comments.length ?? 0;
    const notices = crew.notices.filter((n) => n.issueKey === code).length;
    return comments < plan.comments + COMMENTS_PER_NOTICE * notices;
  });
  if (unsettled.length > 0) pending.push(`${unsettled.length} issues missing comments`);
  if (pending.length > 0) return pending;
  const busy = await withTemporal(ctx, async (client) => {
    const out: string[] = [];
    for (const incident of incidents) {
      const handle = client.workflow.getHandle(`incident-${incident.id}`);
      const state = await handle.query(stateQuery).catch(() => null);
      if (state === null) continue; // no workflow (a seed issue without mail) or not answering: checked later
      if (state.pendingEmailIds.length > 0 || state.pendingTrackerVersion !== null)
        out.push(`incident ${incident.id} busy`);
    }
    return out;
  });
  return busy;
}

async function withTemporal<T>(ctx: CheckContext, work: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: ctx.servers.temporalAddress });
  try {
    return await work(new Client({ connection, namespace: ctx.config.temporal.namespace }));
  } finally {
    await connection.close();
  }
}

const occurrences = (raws: readonly Buffer[], messageId: string) =>
  raws.filter((raw) => raw.includes(messageId)).length;

export async function checkInvariants(
  ctx: CheckContext & { logFiles: string[]; secrets: string[] },
): Promise<InvariantReport> {
  const { db, servers, fixtures, delivered, crew } = ctx;
  const violations: string[] = [];
  const fields = servers.tracker.seed.fields;

  // Every mail stored exactly once (MAIL-8), none lost.
  const rows = await loadEmails(db);
  const rowOf = rowFinder(rows, delivered);
  const expectedMails = storedMails(fixtures);
  const matched = new Set<number>();
  let lostMails = 0;
  for (const mail of expectedMails) {
    const row = rowOf(mail);
    if (row === undefined) {
      lostMails += 1;
      violations.push(
        `mail ${mail.id} (${mail.messageId ?? `${mail.folder}/${delivered.uids.get(mail.id)}`}) not stored`,
      );
    } else matched.add(row.id);
  }
  const extra = rows.filter((r) => !matched.has(r.id));
  for (const r of extra) violations.push(`unexpected e-mail row ${r.id} ${r.message_id} (${r.folder_name}/${r.uid})`);
  const slots = new Set(rows.map((r) => `${r.folder_name}/${r.uidvalidity}/${r.uid}`));
  if (slots.size !== rows.length) violations.push(`${rows.length - slots.size} e-mail rows share a folder UID`);
  const emails: Tally = {
    expected: expectedMails.length,
    actual: rows.length,
    lost: lostMails,
    duplicated: extra.length,
  };

  // Grouping (THREAD): each expected incident is one incident row, and every mail sits where expected.
  const incidents = await loadIncidents(db);
  const ids = incidentIds(fixtures, incidents, rowOf);
  const idValues = [...ids.values()];
  const lostIncidents = idValues.filter((id) => id === undefined).length;
  if (new Set(idValues).size !== idValues.length) violations.push('two expected incidents map to one incident row');
  for (const mail of expectedMails) {
    const row = rowOf(mail);
    if (row === undefined) continue;
    const expectedIncident = mail.incident === null ? null : (ids.get(mail.incident) ?? -1);
    if (row.incident_id !== expectedIncident)
      violations.push(
        `mail ${mail.id} linked to incident ${row.incident_id}, expected ${mail.incident} (${expectedIncident})`,
      );
  }
  if (incidents.length !== fixtures.expected.incidents.length)
    violations.push(`${incidents.length} incident rows, expected ${fixtures.expected.incidents.length}`);
  const incidentsTally: Tally = {
    expected: fixtures.expected.incidents.length,
    actual: incidents.length,
    lost: lostIncidents,
    duplicated: Math.max(0, incidents.length - fixtures.expected.incidents.length),
  };

  // YT-9: one issue per incident (unique local ids), each pointing at its incident.
  const issues = servers.tracker.listIssues();
  const localIds = issues
    .map((i) => i[fields.localId])
    .filter((v) => v !== undefined && v !== null)
    .map(Number);
  const duplicatedIssues = localIds.length - new Set(localIds).size;
  if (duplicatedIssues > 0) violations.push(`${duplicatedIssues} issues share a local id`);
  for (const incident of incidents.filter((i) => i.is_auto)) {
    const issue = incident.code === null ? undefined : servers.tracker.getIssue(incident.code);
    if (issue === undefined) violations.push(`incident ${incident.id} has no issue`);
    else if (Number(issue[fields.localId]) !== incident.id)
      violations.push(`issue ${incident.code} has local id ${String(issue[fields.localId])}, expected ${incident.id}`);
  }
  const issuesTally: Tally = {
    expected: fixtures.expected.incidents.length,
    actual: issues.length,
    lost: incidents.filter((i) => i.is_auto && (i.code === null || servers.tracker.getIssue(i.code) === undefined))
      .length,
    duplicated: Math.max(0, issues.length - fixtures.expected.incidents.length) + duplicatedIssues,
  };

  // YT-10 / NOISE-2 / NOTIFY-4: comments and the e-mail-ids field (which lists the notices' copies too).
  const outbox = await loadOutbox(db);
  const comments: Tally = { expected: 0, actual: 0, lost: 0, duplicated: 0 };
  let wrongFields = 0;
  for (const incident of fixtures.expected.incidents) {
    const code = incidents.find((i) => i.id === ids.get(incident.ref))?.code ?? '';
    const plan = commentPlan(incident, fixtures, rowOf);
    const expectedCount = plan.comments + COMMENTS_PER_NOTICE * crew.notices.filter((n) => n.issueKey === code).length;
    const actual = servers.tracker.issueHistory(code)?.comments.length ?? 0;
    comments.expected += expectedCount;
    comments.actual += actual;
    comments.lost += Math.max(0, expectedCount - actual);
    comments.duplicated += Math.max(0, actual - expectedCount);
    if (actual !== expectedCount)
      violations.push(`${incident.ref} (${code}): ${actual} comments, expected ${expectedCount}`);
    const listed = parseEmailIds(servers.tracker.getIssue(code)?.[fields.localEmailsIds]).sort((a, b) => a - b);
    const copies = outbox.filter((o) => o.incident_id === ids.get(incident.ref) && o.email_id !== null);
    const wanted = [...plan.commentable, ...copies.map((o) => o.email_id ?? -1)].sort((a, b) => a - b);
    if (listed.join(',') !== wanted.join(',')) {
      wrongFields += 1;
      violations.push(`${incident.ref} (${code}): e-mail ids [${listed.join(',')}], expected [${wanted.join(',')}]`);
    }
  }
  const pendingComments = await db.oneFirst(
    sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM tracker_comments WHERE state <> 'posted'`,
  );
  if (pendingComments > 0) violations.push(`${pendingComments} comment records not posted`);

  // NOTIFY-3: every notice the dispatchers asked for sent exactly once, and delivered exactly once.
  const codeOf = new Map(incidents.map((i) => [i.id, i.code]));
  const sent = outbox.filter((o) => o.state === 'sent');
  for (const o of outbox.filter((row) => row.state !== 'sent')) violations.push(`outbox ${o.message_id} is ${o.state}`);
  const wantedNotices = crew.notices.map((n) => `${n.issueKey}:${n.kind}`).sort();
  const sentNotices = sent.map((o) => `${codeOf.get(o.incident_id) ?? '?'}:${o.kind}`).sort();
  if (wantedNotices.join(' ') !== sentNotices.join(' '))
    violations.push(`notices sent [${sentNotices.join(' ')}], expected [${wantedNotices.join(' ')}]`);
  const mailbox = async (address: string) =>
    (await listMessages(servers.mail.account(address), 'INBOX')).map((m) => m.raw);
  const boxes = new Map<string, Buffer[]>();
  const boxOf = (address: string) => {
    const user = servers.mail.users.find((u) => u.address.toLowerCase() === address.toLowerCase());
    return (user ?? servers.mail.sink).address;
  };
  for (const address of new Set([COLLECTION_MAILBOX, ...servers.mail.users.map((u) => u.address)]))
    boxes.set(address, await mailbox(address));
  let collectionCopies = 0;
  let recipientCopies = 0;
  let wrongCopies = 0;
  for (const o of sent) {
    const recipients = [...o.to_addresses, ...o.cc_addresses].map(boxOf);
    // One copy per mailbox: Postfix delivers once to a mailbox however many of its addresses are listed.
    for (const box of new Set(recipients)) {
      const want = 1;
      const got = occurrences(boxes.get(box) ?? [], o.message_id);
      if (box === COLLECTION_MAILBOX) collectionCopies += got;
      else recipientCopies += got;
      if (got !== want) {
        wrongCopies += 1;
        violations.push(`notice ${o.message_id}: ${got} copies in ${box}, expected ${want}`);
      }
    }
  }
  const notices = {
    expected: crew.notices.length,
    actual: sent.length,
    lost: Math.max(0, crew.notices.length - sent.length),
    duplicated: Math.max(0, sent.length - crew.notices.length) + wrongCopies,
    collectionCopies,
    recipientCopies,
  };

  // SLA-1…SLA-4: the status recomputed from the database equals the issue's field.
  const now = new Date();
  const byStatus: Record<string, number> = {};
  let slaWrong = 0;
  let slaChecked = 0;
  for (const incident of incidents.filter((i) => i.code !== null && i.is_auto)) {
    const status = evaluateSla(
      { registrationTime: incident.registration_time, slaMinutes: incident.sla_minutes, slaEndAt: incident.sla_end_at },
      now,
    ).status;
    const field = servers.tracker.getIssue(incident.code ?? '')?.[fields.slaStatus];
    slaChecked += 1;
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (field !== status) {
      slaWrong += 1;
      violations.push(`incident ${incident.id} (${incident.code}): SLA field ${String(field)}, recomputed ${status}`);
    }
  }

  // No stuck workflows: every incident workflow running, answering, nothing pending or retrying.
  const workflows = await withTemporal(ctx, async (client) => {
    let running = 0;
    let notRunning = 0;
    let stuck = 0;
    let total = 0;
    for (const incident of incidents) {
      const handle = client.workflow.getHandle(`incident-${incident.id}`);
      const description = await handle.describe().catch(() => null);
      if (description === null) {
        // A seed issue nobody wrote about has no workflow.
        if (incident.is_auto) violations.push(`incident ${incident.id}: no workflow`);
        continue;
      }
      total += 1;
      if (description.status.name !== 'RUNNING') {
        notRunning += 1;
        violations.push(`incident ${incident.id}: workflow ${description.status.name}`);
        continue;
      }
      running += 1;
      const retrying = (description.raw.pendingActivities ?? []).filter((a) => (a.attempt ?? 0) > 3);
      const taskAttempt = description.raw.pendingWorkflowTask?.attempt ?? 0;
      const state = await handle.query(stateQuery).catch(() => null);
      const busy = state === null || state.pendingEmailIds.length > 0 || state.pendingTrackerVersion !== null;
      if (retrying.length > 0 || taskAttempt > 2 || busy) {
        stuck += 1;
        violations.push(
          `incident ${incident.id}: stuck (activities retrying ${retrying.length}, task attempt ${taskAttempt}, state ${state === null ? 'no answer' : 'busy'})`,
        );
      }
    }
    let failedAnywhere = 0;
    const scheduledRunsFailed: string[] = [];
    for await (const wf of client.workflow.list({
      query: 'ExecutionStatus = "Failed" OR ExecutionStatus = "TimedOut" OR ExecutionStatus = "Terminated"',
    })) {
      const history = await client.workflow
        .getHandle(wf.workflowId, wf.runId)
        .fetchHistory()
        .catch(() => null);
      const last = history?.events?.at(-1);
      const failure =
        last?.workflowExecutionFailedEventAttributes?.failure ?? last?.workflowExecutionTerminatedEventAttributes;
      const reason = failure === undefined || failure === null ? '' : `: ${JSON.stringify(failure).slice(0, 600)}`;
      const line = `workflow ${wf.workflowId} (${wf.type}) ${wf.status.name}${reason}`;
      // A scheduled poll gives up after a few attempts by design: the next scheduled run polls again.
      if (SUPERSEDED_RUNS.has(wf.type)) scheduledRunsFailed.push(line);
      else {
        failedAnywhere += 1;
        violations.push(line);
      }
    }
    return { incidents: total, running, notRunning, failedAnywhere, stuck, scheduledRunsFailed };
  });

  // Issue #8 part 4: no secret of the configuration in any collected log.
  let secretsInLogs = 0;
  for (const file of ctx.logFiles) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const secret of ctx.secrets.filter((s) => s.length >= 6)) {
      if (text.includes(secret)) {
        secretsInLogs += 1;
        violations.push(`a secret (${secret.length} chars) appears in ${file}`);
      }
    }
  }

  return {
    emails,
    incidents: incidentsTally,
    issues: issuesTally,
    comments,
    emailIdsFields: { expected: fixtures.expected.incidents.length, wrong: wrongFields },
    notices,
    sla: { checked: slaChecked, wrong: slaWrong, byStatus },
    workflows,
    secretsInLogs,
    violations,
  };
}
