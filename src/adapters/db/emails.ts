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

const storedEmailRow = z.object({
  id: z.number(),
  incident_id: z.number().nullable(),
  inserted: z.boolean(),
});

export interface StoredEmailRow {
  emailId: number;
  incidentId: number | null;
  /** False when the Message-ID was already stored (MAIL-8): only missing child rows were added. */
  inserted: boolean;
}

function timestampOrNull(date: Date | null) {
  return date === null ? null : sql.timestamp(date);
}

/**
 * MAIL-8 / MAIL-13: the e-mail row of `email`, inserted unless its Message-ID is stored already
 * (ON CONFLICT: concurrent INBOX and Sent processing of one message yields one row), then every
 * missing recipient, reference, observer and attachment row. `classification` may differ from the
 * parser's (NOISE-1 `own` needs the outbox, which the parser cannot see).
 */
export async function upsertEmail(
  tx: CommonQueryMethods,
  email: ParsedEmail,
  classification: ParsedEmail['classification'],
): Promise<StoredEmailRow> {
  const row = await tx.one(sql.type(storedEmailRow)`
    WITH inserted AS (
      INSERT INTO emails (
        message_id, is_synthetic_id, in_reply_to, subject, from_address, requester_address,
        date_header, internal_date, effective_date, body, folder_role, folder_name, uid, uidvalidity,
        classification
      ) VALUES (
        ${email.messageId}, ${email.isSyntheticId}, ${email.inReplyTo}, ${email.subject},
        ${email.fromAddress ?? ''}, ${email.requesterAddress}, ${timestampOrNull(email.dateHeader)},
        ${sql.timestamp(email.internalDate)}, ${sql.timestamp(email.effectiveDate)}, ${email.body},
        ${email.folderRole}, ${email.folderName}, ${email.uid}, ${email.uidValidity}, ${classification}
      )
      ON CONFLICT (message_id) DO NOTHING
      RETURNING id, incident_id
    )
    SELECT id, incident_id, true AS inserted FROM inserted
    UNION ALL
    SELECT id, incident_id, false AS inserted FROM emails
    WHERE message_id = ${email.messageId} AND NOT EXISTS (SELECT 1 FROM inserted)`);
  const emailId = row.id;
  await addRecipients(tx, emailId, 'to', email.to);
  await addRecipients(tx, emailId, 'cc', email.cc);
  await addRecipients(tx, emailId, 'bcc', email.bcc);
  await addReferences(tx, emailId, email.references);
  await addObservers(tx, emailId, email.observerAddresses);
  await addAttachments(tx, emailId, email);
  return { emailId, incidentId: row.incident_id, inserted: row.inserted };
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
 * recursive walk over Message-IDs in both directions.
 */
export async function loadThread(tx: CommonQueryMethods, messageIds: readonly string[]): Promise<ThreadEmail[]> {
  if (messageIds.length === 0) return [];
  const rows = await tx.any(sql.type(threadRow)`
    WITH RECURSIVE component(mid) AS (
      SELECT unnest(${sql.array(messageIds, 'text')}::text[])
      UNION
      SELECT neighbour.mid
      FROM component
      CROSS JOIN LATERAL (
        SELECT e.id FROM emails e WHERE e.message_id = component.mid
        UNION SELECT e.id FROM emails e WHERE e.in_reply_to = component.mid
        UNION SELECT r.email_id FROM email_references r WHERE r.ref_message_id = component.mid
      ) member
      CROSS JOIN LATERAL (
        SELECT e.message_id AS mid FROM emails e WHERE e.id = member.id
        UNION ALL SELECT e.in_reply_to FROM emails e WHERE e.id = member.id AND e.in_reply_to IS NOT NULL
        UNION ALL SELECT r.ref_message_id FROM email_references r WHERE r.email_id = member.id
      ) neighbour
    )
    SELECT e.id, e.message_id, e.in_reply_to,
           coalesce((SELECT array_agg(r.ref_message_id ORDER BY r.position)
                     FROM email_references r WHERE r.email_id = e.id), '{}') AS "references",
           e.incident_id, e.effective_date, e.uid, e.classification, e.folder_role
    FROM emails e
    -- Every stored e-mail touching the component put its own Message-ID into it.
    WHERE e.message_id IN (SELECT mid FROM component)
    ORDER BY e.id`);
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
