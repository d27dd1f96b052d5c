// Threads and incident matching (SPEC §10, THREAD-2…THREAD-11). Pure decisions: the mail
// adapter loads M's thread (a recursive query over Message-ID / In-Reply-To / References, under
// the THREAD-1 lock), calls `resolveThread`, applies the decision in the same transaction and
// records any conflict (THREAD-7).

import { findIncidentKeys } from './mail/incident-key.js';
import { senderMayOpenIncident } from './sender-patterns.js';

export const FOLDER_ROLES = ['INBOX', 'SENT', 'OUTBOX'] as const;
export type FolderRole = (typeof FOLDER_ROLES)[number];

/** NOISE-1 classes, in the order NOISE-1 evaluates them. */
export const EMAIL_CLASSIFICATIONS = [
  'own',
  'tracker',
  'foreign_tracker',
  'bounce',
  'auto_reply',
  'self_sent',
  'denied',
  'normal',
] as const;
export type EmailClassification = (typeof EMAIL_CLASSIFICATIONS)[number];

/** A stored e-mail as the thread rules see it (DATA-3). Message-IDs are normalised (MAIL-9, MAIL-10). */
export interface ThreadEmail {
  id: number;
  messageId: string;
  inReplyTo: string | null;
  references: readonly string[];
  incidentId: number | null;
  effectiveDate: Date;
  /** IMAP UID; the THREAD-8 tie-break after the effective date. */
  uid: number;
  classification: EmailClassification;
  folderRole: FolderRole;
}

export interface ThreadConflict {
  emailId: number;
  /** Distinct candidate incidents, ascending. */
  candidateIncidentIds: number[];
  chosenIncidentId: number;
  rule: 'THREAD-3' | 'THREAD-4';
}

export type ThreadDecisionReason =
  /** M was linked before (MAIL-8 re-run): it stays where it is. */
  | 'already-linked'
  /** An `own` message: the outbox row names the incident (NOISE-2). */
  | 'outbox'
  | 'thread'
  | 'thread-conflict'
  | 'incident-key'
  | 'incident-key-conflict'
  | 'new-incident'
  /** THREAD-8 refusals: M stays unlinked until a later message links its thread. */
  | 'not-inbox'
  | 'not-normal'
  | 'sender-not-allowed'
  | 'thread-started-outside-inbox';

export interface ThreadDecision {
  /** Incident to link M to; `'new'` = open one (THREAD-8); null = M stays unlinked. */
  link: number | 'new' | null;
  /** THREAD-6: unlinked e-mails of M's thread (M excluded) that join the same incident, ascending. */
  adopt: number[];
  conflicts: ThreadConflict[];
  reason: ThreadDecisionReason;
}

export interface ThreadResolutionInput {
  /** The message being routed (M). */
  email: ThreadEmail;
  /** Stored e-mails of M's thread; may be a superset, the component is recomputed (THREAD-2). */
  thread: readonly ThreadEmail[];
  subject: string | null;
  /** `YT_QUEUE`, for THREAD-5 keys in the subject. */
  queue: string;
  /** THREAD-4: incident id by incident code, for the keys `findIncidentKeys` returned (DB lookup). */
  incidentIdByKey: ReadonlyMap<string, number>;
  /** M's sender (From), checked against the allow list (NOISE-4). */
  fromAddress: string;
  /** `MAIL_SENDER_ALLOW` entries; empty = everyone may open. */
  senderAllowList: readonly string[];
  /** For `own` messages: the incident the outbox row names. */
  outboxIncidentId?: number | null;
}

/** Message-IDs an e-mail is joined to in the THREAD-2 graph: its own, In-Reply-To, every References entry. */
export function threadEdges(email: Pick<ThreadEmail, 'messageId' | 'inReplyTo' | 'references'>): string[] {
  const ids = [email.messageId, ...email.references];
  if (email.inReplyTo !== null) ids.push(email.inReplyTo);
  return [...new Set(ids)];
}

/**
 * THREAD-2: the connected component containing `emailId` in the graph of e-mails and Message-IDs
 * (stored or only referenced). Returns the component's e-mails in input order; empty if
 * `emailId` is not among `emails`.
 */
export function threadOf<E extends ThreadEmail>(emailId: number, emails: readonly E[]): E[] {
  // Union-find over Message-IDs; each e-mail joins its edges into one set.
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    let root = id;
    for (let next = parent.get(root); next !== undefined && next !== root; next = parent.get(root)) root = next;
    for (let node = id; node !== root;) {
      const next = parent.get(node) as string;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  const union = (a: string, b: string): void => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  for (const email of emails) {
    for (const edge of threadEdges(email)) union(email.messageId, edge);
  }
  const target = emails.find((e) => e.id === emailId);
  if (target === undefined) return [];
  const root = find(target.messageId);
  return emails.filter((e) => find(e.messageId) === root);
}

// THREAD-5: one key finder for the whole product, the Unicode-aware one.
export { findIncidentKeys };

function byDateThenId(a: ThreadEmail, b: ThreadEmail): number {
  return a.effectiveDate.getTime() - b.effectiveDate.getTime() || a.id - b.id;
}

/** THREAD-3: M's nearest linked ancestor among several incidents. */
function nearestAncestorIncident(email: ThreadEmail, linked: readonly ThreadEmail[]): number {
  const incidentOf = (messageId: string): number | null =>
    linked.find((e) => e.messageId === messageId)?.incidentId ?? null;
  if (email.inReplyTo !== null) {
    const parent = incidentOf(email.inReplyTo);
    if (parent !== null) return parent;
  }
  for (let i = email.references.length - 1; i >= 0; i--) {
    const ancestor = incidentOf(email.references[i] as string);
    if (ancestor !== null) return ancestor;
  }
  // Latest effective date; equal dates → the later stored e-mail.
  const latest = [...linked].sort(byDateThenId)[linked.length - 1] as ThreadEmail;
  return latest.incidentId as number;
}

/** THREAD-8: why M may not open an incident, or null when it may. */
function refusalToOpen(input: ThreadResolutionInput, thread: readonly ThreadEmail[]): ThreadDecisionReason | null {
  const { email } = input;
  if (email.folderRole !== 'INBOX') return 'not-inbox';
  if (email.classification !== 'normal') return 'not-normal';
  if (!senderMayOpenIncident(input.fromAddress, input.senderAllowList)) return 'sender-not-allowed';
  // A conversation started from the collection mailbox never opens an incident.
  const earliest = [...thread].sort(
    (a, b) => a.effectiveDate.getTime() - b.effectiveDate.getTime() || a.uid - b.uid || a.id - b.id,
  )[0] as ThreadEmail;
  if (earliest.folderRole !== 'INBOX') return 'thread-started-outside-inbox';
  return null;
}

/** THREAD-3, THREAD-4, THREAD-6, THREAD-8: where M goes, and which e-mails of its thread follow it. */
export function resolveThread(input: ThreadResolutionInput): ThreadDecision {
  const { email } = input;
  const component = threadOf(email.id, [email, ...input.thread.filter((e) => e.id !== email.id)]);
  const adopt = component
    .filter((e) => e.id !== email.id && e.incidentId === null)
    .map((e) => e.id)
    .sort((a, b) => a - b);
  const linkTo = (
    incidentId: number | 'new',
    reason: ThreadDecisionReason,
    conflicts: ThreadConflict[] = [],
  ): ThreadDecision => ({ link: incidentId, adopt, conflicts, reason });

  // THREAD-6: automatic processing never moves a linked e-mail.
  if (email.incidentId !== null) return linkTo(email.incidentId, 'already-linked');
  const outboxIncidentId = input.outboxIncidentId ?? null;
  if (email.classification === 'own' && outboxIncidentId !== null) return linkTo(outboxIncidentId, 'outbox');

  // THREAD-3
  const linked = component.filter((e) => e.incidentId !== null);
  const incidents = [...new Set(linked.map((e) => e.incidentId as number))].sort((a, b) => a - b);
  if (incidents.length === 1) return linkTo(incidents[0] as number, 'thread');
  if (incidents.length > 1) {
    const chosen = nearestAncestorIncident(email, linked);
    return linkTo(chosen, 'thread-conflict', [
      { emailId: email.id, candidateIncidentIds: incidents, chosenIncidentId: chosen, rule: 'THREAD-3' },
    ]);
  }

  // THREAD-4 (THREAD-11): the leftmost key that names an incident wins.
  const matched: number[] = [];
  for (const key of findIncidentKeys(input.subject, input.queue)) {
    const incidentId = input.incidentIdByKey.get(key);
    if (incidentId !== undefined && !matched.includes(incidentId)) matched.push(incidentId);
  }
  const [byKey] = matched;
  if (byKey !== undefined) {
    if (matched.length === 1) return linkTo(byKey, 'incident-key');
    const candidates = [...matched].sort((a, b) => a - b);
    return linkTo(byKey, 'incident-key-conflict', [
      { emailId: email.id, candidateIncidentIds: candidates, chosenIncidentId: byKey, rule: 'THREAD-4' },
    ]);
  }

  // THREAD-8 (THREAD-10: a reply whose references are all unknown is a thread of its own).
  const refusal = refusalToOpen(input, component);
  if (refusal !== null) return { link: null, adopt: [], conflicts: [], reason: refusal };
  return linkTo('new', 'new-incident');
}
