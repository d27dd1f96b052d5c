// MAIL-13 / MAIL-14 / THREAD-1: one parsed message stored, classified and linked in ONE transaction,
// serialised with every other resolution by a transaction-scoped advisory lock, so two messages of
// one conversation (e.g. from the INBOX and Sent watchers at once) cannot open two incidents.
// Signalling the incident workflows happens after the commit (the caller does it with `signals`).

import type { CommonQueryMethods, DatabasePool } from 'slonik';

import { findIncidentKeys } from '../../domain/mail/incident-key.js';
import type { ParsedEmail } from '../../domain/mail/parsed-email.js';
import type { RegistrationState } from '../../domain/primary-email.js';
import { resolveThread, threadEdges } from '../../domain/threading.js';
import type { EmailClassification, ThreadConflict, ThreadDecision, ThreadEmail } from '../../domain/threading.js';
import { ingestEmail, loadThread, outboxMessageIdsAmong } from './emails.js';
import type { IngestedEmail } from './emails.js';
import { createEmailIncidentLinking, linkToIncident, recordThreadConflict, updatePrimaryEmail } from './incidents.js';

/** THREAD-1: one lock id for all thread resolution ("DSPTHRD1" as a number). */
export const THREAD_RESOLUTION_LOCK = 0x4453505448524431n;

export interface RoutingOptions {
  /** `YT_QUEUE` (THREAD-5). */
  queue: string;
  /** `MAIL_SENDER_ALLOW` (NOISE-4). */
  senderAllowList: readonly string[];
  /**
   * Commit without waiting for the WAL flush (issue 9, P2). The caller must then make the commit
   * durable (`flushIngestionCommits`) before it signals anything of the result.
   */
  asyncCommit?: boolean;
}

export interface IncidentSignal {
  incidentId: number;
  emailId: number;
}

export interface RoutingResult {
  emailId: number;
  messageId: string;
  /** False when the Message-ID was stored before (MAIL-8). */
  inserted: boolean;
  classification: EmailClassification;
  /** The incident M is linked to after this transaction, or null. */
  incidentId: number | null;
  /** Set when this message opened a new incident (THREAD-8). */
  createdIncidentId: number | null;
  reason: ThreadDecision['reason'];
  /** E-mails whose incident workflow must be signalled (MAIL-14); repeating is harmless. */
  signals: IncidentSignal[];
  /** THREAD-7 conflicts recorded now (not the ones already open). */
  conflicts: ThreadConflict[];
  /** NOISE-3: outbox Message-IDs a bounce quotes ("automatic e-mail not delivered"). */
  bouncedOutboxMessageIds: string[];
}

/** MAIL-8 / MAIL-13 / MAIL-14 / THREAD: store one message and route it, in one transaction. */
export async function storeAndRouteEmail(
  db: Pick<DatabasePool, 'transaction'>,
  email: ParsedEmail,
  options: RoutingOptions,
): Promise<RoutingResult> {
  return db.transaction((tx) => routeEmail(tx, email, options));
}

/**
 * `storeAndRouteEmail` inside the caller's transaction: all of one message's rows are written in
 * it, after the rows of the messages routed before in the same transaction (MAIL-7 order).
 */
export async function routeEmail(
  tx: CommonQueryMethods,
  email: ParsedEmail,
  options: RoutingOptions,
): Promise<RoutingResult> {
  // THREAD-1 lock, NOISE-1 rule 1 (outbox → `own`), MAIL-8 upsert and the THREAD-2/-4 look-ups.
  const stored = await ingestEmail(tx, THREAD_RESOLUTION_LOCK, email, {
    seeds: threadEdges(email),
    codes: findIncidentKeys(email.subject, options.queue),
    asyncCommit: options.asyncCommit === true,
  });
  const outboxIncident = stored.outboxIncidentId;
  const resolved =
    resolve(email, stored.emailId, outboxIncident, options, stored) ??
    (await resolveThroughEmbedded(tx, email, stored.emailId, outboxIncident, options, stored));
  const { decision, self } = resolved;
  const bouncedOutboxMessageIds =
    self.classification === 'bounce' ? await outboxMessageIdsAmong(tx, email.embeddedMessageIds) : [];

  let incidentId: number | null = self.incidentId;
  let createdIncidentId: number | null = null;
  const signals: IncidentSignal[] = [];
  const conflicts: ThreadConflict[] = [];

  if (decision.link !== null) {
    const toLink = [self.id, ...decision.adopt];
    let newlyLinked: number[];
    // INC-4 / INC-5: a new incident starts registered at, and with, its opening e-mail.
    let known: RegistrationState | undefined;
    if (decision.link === 'new') {
      const opening = { emailId: self.id, effectiveDate: self.effectiveDate };
      const created = await createEmailIncidentLinking(tx, opening, toLink);
      createdIncidentId = created.incidentId;
      incidentId = created.incidentId;
      newlyLinked = created.linked;
      known = {
        primary: { id: self.id, effectiveDate: self.effectiveDate },
        registrationTime: self.effectiveDate,
        isAuto: true,
      };
    } else {
      incidentId = decision.link;
      const linked = await linkToIncident(tx, incidentId, toLink);
      newlyLinked = linked.linked;
      known = linked.registration;
    }
    const byId = new Map(resolved.thread.map((e) => [e.id, e]));
    await updatePrimaryEmail(
      tx,
      incidentId,
      newlyLinked.map((id) => byId.get(id)).filter((e): e is ThreadEmail => e !== undefined),
      known,
    );
    for (const conflict of decision.conflicts) {
      if (await recordThreadConflict(tx, conflict)) conflicts.push(conflict);
    }
    const toSignal = new Set(newlyLinked);
    if (!stored.inserted) {
      // A re-processed message (e.g. after a crash between commit and signal): its thread's e-mails
      // of this incident are signalled again; the workflow ignores e-mails it has seen.
      for (const e of resolved.thread) if (e.incidentId === incidentId) toSignal.add(e.id);
      toSignal.add(self.id);
    }
    for (const emailId of [...toSignal].sort((a, b) => a - b)) signals.push({ incidentId, emailId });
  }

  return {
    emailId: stored.emailId,
    messageId: email.messageId,
    inserted: stored.inserted,
    classification: self.classification,
    incidentId,
    createdIncidentId,
    reason: decision.reason,
    signals,
    conflicts,
    bouncedOutboxMessageIds,
  };
}

interface Resolution {
  decision: ThreadDecision;
  self: ThreadEmail;
  thread: ThreadEmail[];
}

/**
 * THREAD on the thread `ingestEmail` loaded; null when NOISE-3 asks for a second look (a bounce its
 * own headers do not link, with embedded Message-IDs).
 */
function resolve(
  email: ParsedEmail,
  emailId: number,
  outboxIncident: number | null,
  options: RoutingOptions,
  ingested: IngestedEmail,
): Resolution | null {
  const first = decide(email, emailId, outboxIncident, options, ingested.thread, ingested.incidentIdsByCode, []);
  if (first.decision.link === null && first.self.classification === 'bounce' && email.embeddedMessageIds.length > 0) {
    return null;
  }
  return first;
}

/** NOISE-3: a bounce its own headers do not link is linked through its embedded original. */
async function resolveThroughEmbedded(
  tx: CommonQueryMethods,
  email: ParsedEmail,
  emailId: number,
  outboxIncident: number | null,
  options: RoutingOptions,
  ingested: IngestedEmail,
): Promise<Resolution> {
  const first = decide(email, emailId, outboxIncident, options, ingested.thread, ingested.incidentIdsByCode, []);
  const extraEdges = email.embeddedMessageIds;
  const thread = await loadThread(tx, [...new Set([...threadEdges(email), ...extraEdges])]);
  const second = decide(email, emailId, outboxIncident, options, thread, ingested.incidentIdsByCode, extraEdges);
  return second.decision.link !== null ? second : first;
}

function decide(
  email: ParsedEmail,
  emailId: number,
  outboxIncident: number | null,
  options: RoutingOptions,
  thread: ThreadEmail[],
  incidentIdByKey: Map<string, number>,
  extraEdges: readonly string[],
): Resolution {
  const stored = thread.find((e) => e.id === emailId);
  if (stored === undefined) throw new Error(`e-mail ${emailId} is missing from its own thread`);
  // The stored row is authoritative (a duplicate keeps its first folder, class and link).
  const self: ThreadEmail = { ...stored, references: [...stored.references, ...extraEdges] };
  const decision = resolveThread({
    email: self,
    thread: thread.filter((e) => e.id !== emailId),
    subject: email.subject,
    queue: options.queue,
    incidentIdByKey,
    fromAddress: email.fromAddress ?? '',
    senderAllowList: options.senderAllowList,
    outboxIncidentId: outboxIncident,
  });
  return { decision, self, thread };
}
