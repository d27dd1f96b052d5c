// MAIL-13 / MAIL-14 / THREAD-1: one parsed message stored, classified and linked in ONE transaction,
// serialised with every other resolution by a transaction-scoped advisory lock, so two messages of
// one conversation (e.g. from the INBOX and Sent watchers at once) cannot open two incidents.
// Signalling the incident workflows happens after the commit (the caller does it with `signals`).

import { sql } from 'slonik';
import type { CommonQueryMethods, DatabasePool } from 'slonik';

import { findIncidentKeys } from '../../domain/mail/incident-key.js';
import type { ParsedEmail } from '../../domain/mail/parsed-email.js';
import { resolveThread, threadEdges } from '../../domain/threading.js';
import type { EmailClassification, ThreadConflict, ThreadDecision, ThreadEmail } from '../../domain/threading.js';
import { loadThread, outboxIncidentId, outboxMessageIdsAmong, upsertEmail } from './emails.js';
import {
  createEmailIncident,
  incidentIdsByCode,
  linkUnlinkedEmails,
  recordThreadConflict,
  updatePrimaryEmail,
} from './incidents.js';

/** THREAD-1: one lock id for all thread resolution ("DSPTHRD1" as a number). */
export const THREAD_RESOLUTION_LOCK = 0x4453505448524431n;

export interface RoutingOptions {
  /** `YT_QUEUE` (THREAD-5). */
  queue: string;
  /** `MAIL_SENDER_ALLOW` (NOISE-4). */
  senderAllowList: readonly string[];
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
  db: DatabasePool,
  email: ParsedEmail,
  options: RoutingOptions,
): Promise<RoutingResult> {
  return db.transaction(async (tx) => {
    await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(${THREAD_RESOLUTION_LOCK.toString()}::bigint)`);

    // NOISE-1 rule 1: a Message-ID in the outbox is `own`, whatever the parser saw.
    const outboxIncident = await outboxIncidentId(tx, email.messageId);
    const classification: EmailClassification = outboxIncident !== null ? 'own' : email.classification;
    const stored = await upsertEmail(tx, email, classification);

    const resolution = await resolve(tx, email, stored.emailId, outboxIncident, options);
    const { decision, self } = resolution;
    const bouncedOutboxMessageIds =
      self.classification === 'bounce' ? await outboxMessageIdsAmong(tx, email.embeddedMessageIds) : [];

    let incidentId: number | null = self.incidentId;
    let createdIncidentId: number | null = null;
    const signals: IncidentSignal[] = [];
    const conflicts: ThreadConflict[] = [];

    if (decision.link !== null) {
      if (decision.link === 'new') {
        createdIncidentId = await createEmailIncident(tx, { emailId: self.id, effectiveDate: self.effectiveDate });
        incidentId = createdIncidentId;
      } else {
        incidentId = decision.link;
      }
      const newlyLinked = await linkUnlinkedEmails(tx, incidentId, [self.id, ...decision.adopt]);
      const byId = new Map(resolution.thread.map((e) => [e.id, e]));
      await updatePrimaryEmail(
        tx,
        incidentId,
        newlyLinked.map((id) => byId.get(id)).filter((e): e is ThreadEmail => e !== undefined),
      );
      for (const conflict of decision.conflicts) {
        if (await recordThreadConflict(tx, conflict)) conflicts.push(conflict);
      }
      const toSignal = new Set(newlyLinked);
      if (!stored.inserted) {
        // A re-processed message (e.g. after a crash between commit and signal): its thread's e-mails
        // of this incident are signalled again; the workflow ignores e-mails it has seen.
        for (const e of resolution.thread) if (e.incidentId === incidentId) toSignal.add(e.id);
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
  });
}

interface Resolution {
  decision: ThreadDecision;
  self: ThreadEmail;
  thread: ThreadEmail[];
}

async function resolve(
  tx: CommonQueryMethods,
  email: ParsedEmail,
  emailId: number,
  outboxIncident: number | null,
  options: RoutingOptions,
): Promise<Resolution> {
  const first = await resolveWith(tx, email, emailId, outboxIncident, options, []);
  // NOISE-3: a bounce its own headers do not link is linked through its embedded original.
  if (first.decision.link === null && first.self.classification === 'bounce' && email.embeddedMessageIds.length > 0) {
    const second = await resolveWith(tx, email, emailId, outboxIncident, options, email.embeddedMessageIds);
    if (second.decision.link !== null) return second;
  }
  return first;
}

async function resolveWith(
  tx: CommonQueryMethods,
  email: ParsedEmail,
  emailId: number,
  outboxIncident: number | null,
  options: RoutingOptions,
  extraEdges: readonly string[],
): Promise<Resolution> {
  const seeds = [...new Set([...threadEdges(email), ...extraEdges])];
  const thread = await loadThread(tx, seeds);
  const stored = thread.find((e) => e.id === emailId);
  if (stored === undefined) throw new Error(`e-mail ${emailId} is missing from its own thread`);
  // The stored row is authoritative (a duplicate keeps its first folder, class and link).
  const self: ThreadEmail = { ...stored, references: [...stored.references, ...extraEdges] };
  const keys = findIncidentKeys(email.subject, options.queue);
  const decision = resolveThread({
    email: self,
    thread: thread.filter((e) => e.id !== emailId),
    subject: email.subject,
    queue: options.queue,
    incidentIdByKey: await incidentIdsByCode(tx, keys),
    fromAddress: email.fromAddress ?? '',
    senderAllowList: options.senderAllowList,
    outboxIncidentId: outboxIncident,
  });
  return { decision, self, thread };
}
