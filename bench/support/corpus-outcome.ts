// The corpus's expected end state in Tracker (YT-8 / YT-10 / NOISE-2), counted as
// test/e2e/corpus-to-tracker.test.ts does: one issue per expected incident, one comment per
// commentable e-mail (the primary one only on a seed issue), every commentable e-mail id listed.
import { parseEmailIds } from '../../src/domain/tracker-fields.js';
import type { ExpectedIncident, ExpectedMail, Fixtures } from '../../src/sandbox/fixtures/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { StoredEmail } from '../../test/integration/ingestion-harness.js';

// NOISE-2: these classes are commented into the issue; own/tracker/foreign_tracker/denied are not.
const COMMENTABLE = new Set(['normal', 'bounce', 'auto_reply', 'self_sent']);

/** YT-8 / YT-10 / NOISE-2 outcome of the corpus, counted as test/e2e/corpus-to-tracker.test.ts does. */
export class ExpectedOutcome {
  private readonly mailById: Map<string, ExpectedMail>;
  readonly mailIncidents: ExpectedIncident[];
  /** Comments the issues must carry in total (known from the corpus alone). */
  readonly comments: number;

  constructor(private readonly fixtures: Fixtures) {
    this.mailById = new Map(fixtures.expected.mails.map((m) => [m.id, m]));
    this.mailIncidents = fixtures.expected.incidents.filter((i) => i.origin === 'mail');
    this.comments = fixtures.expected.incidents.reduce(
      (n, incident) =>
        n +
        this.commentableMails(incident).filter((m) => !(incident.origin === 'mail' && m.id === incident.primaryMail))
          .length,
      0,
    );
  }

  private commentableMails(incident: ExpectedIncident): ExpectedMail[] {
    return incident.mails
      .map((id) => this.mailById.get(id))
      .filter(
        (m): m is ExpectedMail => m !== undefined && m.classification !== null && COMMENTABLE.has(m.classification),
      );
  }

  /** Incidents whose issue is missing or lacks comments / listed e-mail ids, with what is missing. */
  unsettled(emulator: TrackerEmulator, emails: readonly StoredEmail[], codes: ReadonlyMap<number, string>): string[] {
    const byMessageId = new Map(emails.map((e) => [e.message_id, e]));
    const byUid = new Map(emails.map((e) => [`${e.folder_name}/${e.uid}`, e]));
    const rowOf = (mail: ExpectedMail | undefined): StoredEmail | undefined =>
      mail === undefined
        ? undefined
        : mail.messageId !== null
          ? byMessageId.get(mail.messageId)
          : byUid.get(`${mail.folder}/${mail.uid}`);
    const keyOf = new Map([...codes].map(([id, code]) => [code, id]));
    const problems: string[] = [];
    for (const incident of this.fixtures.expected.incidents) {
      const incidentId =
        incident.key !== null
          ? keyOf.get(incident.key)
          : (rowOf(this.mailById.get(incident.openingMail ?? ''))?.incident_id ?? undefined);
      const key = incidentId === undefined ? undefined : codes.get(incidentId);
      const issue = key === undefined ? undefined : emulator.getIssue(key);
      if (key === undefined || issue === undefined) {
        problems.push(`${incident.ref}: no issue`);
        continue;
      }
      const commentable = this.commentableMails(incident);
      const primaryId = incident.origin === 'mail' ? rowOf(this.mailById.get(incident.primaryMail ?? ''))?.id : null;
      const wanted = commentable.map((m) => rowOf(m)?.id).filter((id) => id !== primaryId).length;
      const comments = emulator.issueHistory(key)?.comments.length ?? 0;
      const listed = parseEmailIds(issue[emulator.seed.fields.localEmailsIds]).length;
      if (comments < wanted || listed < commentable.length) {
        problems.push(`${incident.ref} (${key}): ${comments}/${wanted} comments, ${listed}/${commentable.length} ids`);
      }
    }
    return problems;
  }
}
