// E-mail rows (DATA-3, DATA-4): idempotent insert by Message-ID (MAIL-8) with recipients, references,
// observers and attachment metadata, and the THREAD-2 thread loader. Every function takes the
// transaction it runs in: storing, classifying and linking one message is one transaction (MAIL-13).

import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';

import type { ParsedEmail } from '../../domain/mail/parsed-email.js';
import type { ThreadEmail } from '../../domain/threading.js';
import { EMAIL_CLASSIFICATIONS, FOLDER_ROLES } from '../../domain/threading.js';

const idRow = z.object({ id: z.number() });

export interface StoredEmailRow {
  emailId: number;
  incidentId: number | null;
  /** False when the Message-ID was already stored (MAIL-8): only missing child rows were added. */
  inserted: boolean;
}

function timestampOrNull(date: Date | null) {
  return date === null ? null : sql.timestamp(date);
}

const threadJson = z.array(
  z.object({
    id: z.number(),
    message_id: z.string(),
    in_reply_to: z.string().nullable(),
    references: z.array(z.string()),
    incident_id: z.number().nullable(),
    effective_date: z.string(),
    uid: z.number().nullable(),
    classification: z.enum(EMAIL_CLASSIFICATIONS),
    folder_role: z.enum(FOLDER_ROLES),
  }),
);

const ingestedRow = z.object({
  email_id: z.number(),
  email_incident_id: z.number().nullable(),
  inserted: z.boolean(),
  outbox_incident_id: z.number().nullable(),
  thread: threadJson,
  incident_ids_by_code: z.record(z.string(), z.number()),
});

export interface IngestedEmail extends StoredEmailRow {
  /** NOISE-1 rule 1: the incident of the outbox row with this Message-ID (the e-mail is `own`). */
  outboxIncidentId: number | null;
  /** THREAD-2: the thread of `seeds` after the insert. */
  thread: ThreadEmail[];
  /** THREAD-4: incident ids of the asked codes that exist. */
  incidentIdsByCode: Map<string, number>;
}

/**
 * THREAD-1 + MAIL-8 + THREAD-2 in one round trip (SQL function `ingest_email`, migration 0007):
 * takes the thread-resolution lock, classifies an outbox Message-ID as `own`, inserts the e-mail
 * and its child rows unless the Message-ID is stored (then also adds its missing child rows and
 * reloads the thread), and returns the thread of `seeds` and the incidents named by `codes`.
 * Must run inside the message's transaction.
 */
export async function ingestEmail(
  tx: CommonQueryMethods,
  lockKey: bigint,
  email: ParsedEmail,
  lookups: {
    seeds: readonly string[];
    codes: readonly string[];
    /** The transaction commits without waiting for the WAL flush (the caller flushes before it signals). */
    asyncCommit: boolean;
  },
): Promise<IngestedEmail> {
  const recipients = (['to', 'cc', 'bcc'] as const).flatMap((kind) =>
    email[kind].map((address, position) => ({ kind, position, address })),
  );
  const parts = email.attachments;
  const row = await tx.one(sql.type(ingestedRow)`
    SELECT email_id, email_incident_id, inserted, outbox_incident_id, thread, incident_ids_by_code
    FROM ingest_email(
      ${lockKey.toString()}::bigint,
      ${email.messageId}, ${email.isSyntheticId}, ${email.inReplyTo}, ${email.subject}, ${email.fromAddress ?? ''},
      ${email.requesterAddress}, ${timestampOrNull(email.dateHeader)}, ${sql.timestamp(email.internalDate)},
      ${sql.timestamp(email.effectiveDate)}, ${email.body}, ${email.folderRole}, ${email.folderName}, ${email.uid},
      ${email.uidValidity}, ${email.classification},
      ${sql.array(
        recipients.map((r) => r.kind),
        'text',
      )}, ${sql.array(
        recipients.map((r) => r.position),
        'int4',
      )}, ${sql.array(
        recipients.map((r) => r.address),
        'text',
      )},
      ${sql.array(email.references, 'text')}, ${sql.array(email.observerAddresses, 'text')},
      ${sql.array(
        parts.map((a) => a.partIndex),
        'int4',
      )}, ${sql.array(
        parts.map((a) => a.kind),
        'text',
      )}, ${sql.array(
        parts.map((a) => a.fileName),
        'text',
      )},
      ${sql.array(
        parts.map((a) => a.mimeType),
        'text',
      )}, ${sql.array(
        parts.map((a) => a.size),
        'int8',
      )}, ${sql.array(
        parts.map((a) => a.sha256),
        'text',
      )},
      ${sql.array(
        parts.map((a) => a.decision),
        'text',
      )},
      ${sql.array(lookups.seeds, 'text')}, ${sql.array(lookups.codes, 'text')}, ${lookups.asyncCommit}
    )`);
  let thread: ThreadEmail[] = row.thread.map((r) => ({
    id: r.id,
    messageId: r.message_id,
    inReplyTo: r.in_reply_to,
    references: r.references,
    incidentId: r.incident_id,
    effectiveDate: new Date(r.effective_date),
    uid: r.uid ?? 0,
    classification: r.classification,
    folderRole: r.folder_role,
  }));
  if (!row.inserted) {
    // MAIL-8: a stored Message-ID only gets the child rows it is missing; they may widen the thread.
    await addRecipients(tx, row.email_id, 'to', email.to);
    await addRecipients(tx, row.email_id, 'cc', email.cc);
    await addRecipients(tx, row.email_id, 'bcc', email.bcc);
    await addReferences(tx, row.email_id, email.references);
    await addObservers(tx, row.email_id, email.observerAddresses);
    await addAttachments(tx, row.email_id, email);
    thread = await loadThread(tx, lookups.seeds);
  }
  return {
    emailId: row.email_id,
    incidentId: row.email_incident_id,
    inserted: row.inserted,
    outboxIncidentId: row.outbox_incident_id,
    thread,
    incidentIdsByCode: new Map(Object.entries(row.incident_ids_by_code)),
  };
}

/** Appends the addresses not yet recorded for this kind (GEN-9: compared case-insensitively), order kept. */
async function addRecipients(
  tx: CommonQueryMethods,
  emailId: number,
  kind: 'to' | 'cc' | 'bcc',
  addresses: readonly string[],
): Promise<void> {
  if (addresses.length === 0) return;
  await tx.query(sql.unsafe`
    INSERT INTO email_recipients (email_id, kind, position, address)
    SELECT ${emailId}, ${kind},
           coalesce((SELECT max(position) + 1 FROM email_recipients WHERE email_id = ${emailId} AND kind = ${kind}), 0)
             + row_number() OVER (ORDER BY given.ord) - 1,
           given.address
    FROM unnest(${sql.array(addresses, 'text')}::text[]) WITH ORDINALITY AS given(address, ord)
    WHERE NOT EXISTS (
      SELECT 1 FROM email_recipients r
      WHERE r.email_id = ${emailId} AND r.kind = ${kind} AND lower(r.address) = lower(given.address)
    )
    ON CONFLICT DO NOTHING`);
}

async function addReferences(tx: CommonQueryMethods, emailId: number, references: readonly string[]): Promise<void> {
  if (references.length === 0) return;
  await tx.query(sql.unsafe`
    INSERT INTO email_references (email_id, position, ref_message_id)
    SELECT ${emailId},
           coalesce((SELECT max(position) + 1 FROM email_references WHERE email_id = ${emailId}), 0)
             + row_number() OVER (ORDER BY given.ord) - 1,
           given.ref
    FROM unnest(${sql.array(references, 'text')}::text[]) WITH ORDINALITY AS given(ref, ord)
    WHERE NOT EXISTS (SELECT 1 FROM email_references r WHERE r.email_id = ${emailId} AND r.ref_message_id = given.ref)
    ON CONFLICT DO NOTHING`);
}

async function addObservers(tx: CommonQueryMethods, emailId: number, observers: readonly string[]): Promise<void> {
  if (observers.length === 0) return;
  await tx.query(sql.unsafe`
    INSERT INTO email_observers (email_id, position, address)
    SELECT ${emailId},
           coalesce((SELECT max(position) + 1 FROM email_observers WHERE email_id = ${emailId}), 0)
             + row_number() OVER (ORDER BY given.ord) - 1,
           given.address
    FROM unnest(${sql.array(observers, 'text')}::text[]) WITH ORDINALITY AS given(address, ord)
    WHERE NOT EXISTS (
      SELECT 1 FROM email_observers o WHERE o.email_id = ${emailId} AND lower(o.address) = lower(given.address)
    )
    ON CONFLICT DO NOTHING`);
}

/** DATA-4: one row per attachment part; UNIQUE (email_id, part_index) makes re-processing idempotent. */
async function addAttachments(tx: CommonQueryMethods, emailId: number, email: ParsedEmail): Promise<void> {
  if (email.attachments.length === 0) return;
  await tx.query(sql.unsafe`
    INSERT INTO attachments (email_id, part_index, kind, original_name, mime_type, size, sha256, status)
    SELECT ${emailId}, * FROM ${sql.unnest(
      email.attachments.map((a) => [a.partIndex, a.kind, a.fileName, a.mimeType, a.size, a.sha256, a.decision]),
      ['int4', 'text', 'text', 'text', 'int8', 'text', 'text'],
    )}
    ON CONFLICT (email_id, part_index) DO NOTHING`);
}

const threadRow = z.object({
  id: z.number(),
  message_id: z.string(),
  in_reply_to: z.string().nullable(),
  references: z.array(z.string()),
  incident_id: z.number().nullable(),
  effective_date: z.date(),
  uid: z.number().nullable(),
  classification: z.enum(EMAIL_CLASSIFICATIONS),
  folder_role: z.enum(FOLDER_ROLES),
});

/**
 * THREAD-2: the stored e-mails of the connected component that holds `messageIds` in the graph of
 * e-mails and Message-IDs (edges: own id, In-Reply-To, every References entry), found by a
 * recursive walk over Message-IDs in both directions (SQL function `email_thread`, migration 0007).
 */
export async function loadThread(tx: CommonQueryMethods, messageIds: readonly string[]): Promise<ThreadEmail[]> {
  if (messageIds.length === 0) return [];
  // The query is the migration's email_thread() (0007): planned once per connection, not per call.
  const rows = await tx.any(sql.type(threadRow)`
    SELECT id, message_id, in_reply_to, "references", incident_id, effective_date, uid, classification, folder_role
    FROM email_thread(${sql.array(messageIds, 'text')}::text[])`);
  return rows.map((r) => ({
    id: r.id,
    messageId: r.message_id,
    inReplyTo: r.in_reply_to,
    references: r.references,
    incidentId: r.incident_id,
    effectiveDate: r.effective_date,
    uid: r.uid ?? 0,
    classification: r.classification,
    folderRole: r.folder_role,
  }));
}

/** NOISE-1 `own` / NOISE-2: the incident the outbox row with this Message-ID names, or null. */
export async function outboxIncidentId(tx: CommonQueryMethods, messageId: string): Promise<number | null> {
  return tx.maybeOneFirst(sql.type(z.object({ incident_id: z.number() }))`
    SELECT incident_id FROM outbox WHERE message_id = ${messageId}`);
}

/** The outbox Message-IDs among `messageIds` (NOISE-3: a bounce quoting one of our notices). */
export async function outboxMessageIdsAmong(tx: CommonQueryMethods, messageIds: readonly string[]): Promise<string[]> {
  if (messageIds.length === 0) return [];
  const rows = await tx.anyFirst(sql.type(z.object({ message_id: z.string() }))`
    SELECT message_id FROM outbox WHERE message_id = ANY(${sql.array(messageIds, 'text')})`);
  return [...rows];
}

/** The e-mail id stored under a Message-ID, or null. */
export async function emailIdByMessageId(db: CommonQueryMethods, messageId: string): Promise<number | null> {
  return db.maybeOneFirst(sql.type(idRow)`SELECT id FROM emails WHERE message_id = ${messageId}`);
}
