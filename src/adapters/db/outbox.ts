// DATA-7 outbox and the notice bookkeeping around it (NOTIFY-3, NOTIFY-4): one row per (incident,
// kind, trigger key), written before the SMTP call; the "notifying"/"notified" history rows of a
// trigger (INC-8), and the sent e-mail stored as an OUTBOX e-mail row (MAIL-8: one row per Message-ID).
import { sql } from 'slonik';
import type { CommonQueryMethods, DatabasePool } from 'slonik';
import { z } from 'zod';
import type { HistoryStatusName } from '../../domain/reference-data.js';
import type { HistoryRow } from '../../domain/status-history.js';
import type { NoticeKind } from '../../domain/tracker-statuses.js';
import { ensureIncidentStatusId } from './defaults.js';

export const OUTBOX_STATES = ['pending', 'sending', 'sent', 'failed'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

const outboxRow = z.object({
  id: z.number(),
  message_id: z.string(),
  incident_id: z.number(),
  kind: z.enum(['ack', 'close', 'avr']),
  trigger_key: z.string(),
  to_addresses: z.array(z.string()),
  cc_addresses: z.array(z.string()),
  subject: z.string(),
  body: z.string(),
  in_reply_to: z.string().nullable(),
  reference_ids: z.array(z.string()),
  state: z.enum(OUTBOX_STATES),
  attempts: z.number(),
  sending_started_at: z.date().nullable(),
  sent_at: z.date().nullable(),
  last_error: z.string().nullable(),
  email_id: z.number().nullable(),
  inserted_at: z.date(),
});

export interface OutboxRecord {
  id: number;
  messageId: string;
  incidentId: number;
  kind: NoticeKind;
  triggerKey: string;
  to: string[];
  cc: string[];
  subject: string;
  body: string;
  inReplyTo: string | null;
  references: string[];
  state: OutboxState;
  attempts: number;
  sendingStartedAt: Date | null;
  sentAt: Date | null;
  lastError: string | null;
  emailId: number | null;
  /** When the trigger was first handled: NOTIFY-5 counts the 10 minutes of transient retries from here. */
  insertedAt: Date;
}

/** What a new outbox row holds (the message as NOTIFY-2 builds it). */
export interface NewOutboxRow {
  messageId: string;
  incidentId: number;
  kind: NoticeKind;
  triggerKey: string;
  to: readonly string[];
  cc: readonly string[];
  subject: string;
  body: string;
  inReplyTo: string | null;
  references: readonly string[];
}

const outboxColumns = sql.fragment`
  id, message_id, incident_id, kind, trigger_key, to_addresses, cc_addresses, subject, body, in_reply_to,
  reference_ids, state, attempts, sending_started_at, sent_at, last_error, email_id, inserted_at`;

function toRecord(row: z.infer<typeof outboxRow>): OutboxRecord {
  return {
    id: row.id,
    messageId: row.message_id,
    incidentId: row.incident_id,
    kind: row.kind,
    triggerKey: row.trigger_key,
    to: row.to_addresses,
    cc: row.cc_addresses,
    subject: row.subject,
    body: row.body,
    inReplyTo: row.in_reply_to,
    references: row.reference_ids,
    state: row.state,
    attempts: row.attempts,
    sendingStartedAt: row.sending_started_at,
    sentAt: row.sent_at,
    lastError: row.last_error,
    emailId: row.email_id,
    insertedAt: row.inserted_at,
  };
}

export async function outboxByTrigger(
  db: CommonQueryMethods,
  incidentId: number,
  kind: NoticeKind,
  triggerKey: string,
): Promise<OutboxRecord | null> {
  const row = await db.maybeOne(sql.type(outboxRow)`
    SELECT ${outboxColumns} FROM outbox
    WHERE incident_id = ${incidentId} AND kind = ${kind} AND trigger_key = ${triggerKey}`);
  return row === null ? null : toRecord(row);
}

/** INC-8 row of a notice trigger; the trigger key (a changelog id) marks it so it is written once. */
async function addTriggerHistoryRow(
  tx: CommonQueryMethods,
  incidentId: number,
  row: HistoryRow,
  triggerKey: string,
): Promise<boolean> {
  const statusId = await ensureIncidentStatusId(tx, row.name as HistoryStatusName);
  const inserted = await tx.anyFirst(sql.type(z.object({ id: z.number() }))`
    INSERT INTO incident_status_history (incident_id, status_id, comment, source, tracker_changelog_id)
    SELECT ${incidentId}, ${statusId}, ${row.comment}, 'system', ${triggerKey}
    WHERE NOT EXISTS (
      SELECT 1 FROM incident_status_history
      WHERE incident_id = ${incidentId} AND status_id = ${statusId} AND tracker_changelog_id = ${triggerKey}
    )
    RETURNING id`);
  return inserted.length > 0;
}

/**
 * NOTIFY-3 / NOTIFY-4: the outbox row of (incident, kind, trigger key), inserted `pending` with the
 * "notifying" history row in one transaction, so the row is written exactly once per trigger;
 * an existing row is returned as it is (its stored message wins over a recomputed one).
 */
export async function claimOutboxRow(
  db: DatabasePool,
  row: NewOutboxRow,
  notifyingRow: HistoryRow,
): Promise<{ record: OutboxRecord; inserted: boolean }> {
  return db.transaction(async (tx) => {
    const inserted = await tx.maybeOne(sql.type(outboxRow)`
      INSERT INTO outbox (message_id, incident_id, kind, trigger_key, to_addresses, cc_addresses, subject, body,
                          in_reply_to, reference_ids)
      VALUES (${row.messageId}, ${row.incidentId}, ${row.kind}, ${row.triggerKey},
              ${sql.array([...row.to], 'text')}, ${sql.array([...row.cc], 'text')}, ${row.subject}, ${row.body},
              ${row.inReplyTo}, ${sql.array([...row.references], 'text')})
      ON CONFLICT (incident_id, kind, trigger_key) DO NOTHING
      RETURNING ${outboxColumns}`);
    if (inserted !== null) {
      await addTriggerHistoryRow(tx, row.incidentId, notifyingRow, row.triggerKey);
      return { record: toRecord(inserted), inserted: true };
    }
    const existing = await outboxByTrigger(tx, row.incidentId, row.kind, row.triggerKey);
    if (existing === null) throw new Error(`outbox row of incident ${row.incidentId} vanished`);
    return { record: existing, inserted: false };
  });
}

/** NOTIFY-3: `sending` right before the SMTP call (a crash leaves it so); counts the attempt. */
export async function markOutboxSending(db: CommonQueryMethods, id: number): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE outbox SET state = 'sending', attempts = attempts + 1, sending_started_at = now()
    WHERE id = ${id} AND state IN ('pending', 'sending')`);
}

export async function markOutboxSent(db: CommonQueryMethods, id: number): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE outbox SET state = 'sent', sent_at = coalesce(sent_at, now()), last_error = NULL
    WHERE id = ${id} AND state <> 'failed'`);
}

/** NOTIFY-5 transient: the server refused for now (proven not accepted) — back to `pending`. */
export async function markOutboxRetry(db: CommonQueryMethods, id: number, error: string): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE outbox SET state = 'pending', last_error = ${error} WHERE id = ${id} AND state = 'sending'`);
}

/** The outcome is unknown (connection lost after DATA): stays `sending`, the error is kept. */
export async function recordOutboxError(db: CommonQueryMethods, id: number, error: string): Promise<void> {
  await db.query(sql.unsafe`UPDATE outbox SET last_error = ${error} WHERE id = ${id}`);
}

/** NOTIFY-5 permanent failure. */
export async function markOutboxFailed(db: CommonQueryMethods, id: number, error: string): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE outbox SET state = 'failed', last_error = ${error} WHERE id = ${id} AND state <> 'sent'`);
}

/** NOTIFY-4: the "notified" history row, once per trigger. True when this call wrote it. */
export async function addNotifiedHistoryRow(
  db: DatabasePool,
  incidentId: number,
  row: HistoryRow,
  triggerKey: string,
): Promise<boolean> {
  return db.transaction((tx) => addTriggerHistoryRow(tx, incidentId, row, triggerKey));
}

/** True when the trigger's "notified" row exists, i.e. every step after sending is done. */
export async function hasNotifiedHistoryRow(
  db: CommonQueryMethods,
  incidentId: number,
  row: HistoryRow,
  triggerKey: string,
): Promise<boolean> {
  const found = await db.maybeOneFirst(sql.type(z.object({ id: z.number() }))`
    SELECT h.id FROM incident_status_history h JOIN incident_statuses s ON s.id = h.status_id
    WHERE h.incident_id = ${incidentId} AND s.name = ${row.name} AND h.tracker_changelog_id = ${triggerKey}
    LIMIT 1`);
  return found !== null;
}

/**
 * NOTIFY-4: the sent notice as an e-mail row (folder role OUTBOX, class `own`) linked to the
 * incident. MAIL-8: one row per Message-ID — when ingestion stored the Cc copy first, that row is
 * reused (and linked if it was not). Returns the e-mail id, also recorded on the outbox row.
 */
export async function storeSentNoticeEmail(
  db: DatabasePool,
  record: OutboxRecord,
  fromAddress: string,
  sentAt: Date,
): Promise<number> {
  return db.transaction(async (tx) => {
    const emailId = await tx.oneFirst(sql.type(z.object({ id: z.number() }))`
      INSERT INTO emails (message_id, in_reply_to, subject, from_address, date_header, effective_date, body,
                          folder_role, classification, incident_id)
      VALUES (${record.messageId}, ${record.inReplyTo}, ${record.subject.slice(0, 1024)}, ${fromAddress},
              ${sql.timestamp(sentAt)}, ${sql.timestamp(sentAt)}, ${record.body}, 'OUTBOX', 'own', ${record.incidentId})
      ON CONFLICT (message_id) DO UPDATE SET incident_id = coalesce(emails.incident_id, EXCLUDED.incident_id)
      RETURNING id`);
    const recipients: Array<['to' | 'cc', readonly string[]]> = [
      ['to', record.to],
      ['cc', record.cc],
    ];
    for (const [kind, addresses] of recipients) {
      if (addresses.length === 0) continue;
      await tx.query(sql.unsafe`
        INSERT INTO email_recipients (email_id, kind, position, address)
        SELECT ${emailId}, ${kind}, given.ord - 1, given.address
        FROM unnest(${sql.array([...addresses], 'text')}::text[]) WITH ORDINALITY AS given(address, ord)
        WHERE NOT EXISTS (SELECT 1 FROM email_recipients r WHERE r.email_id = ${emailId} AND r.kind = ${kind})
        ON CONFLICT DO NOTHING`);
    }
    if (record.references.length > 0) {
      await tx.query(sql.unsafe`
        INSERT INTO email_references (email_id, position, ref_message_id)
        SELECT ${emailId}, given.ord - 1, given.ref
        FROM unnest(${sql.array(record.references, 'text')}::text[]) WITH ORDINALITY AS given(ref, ord)
        WHERE NOT EXISTS (SELECT 1 FROM email_references r WHERE r.email_id = ${emailId})
        ON CONFLICT DO NOTHING`);
    }
    await tx.query(sql.unsafe`UPDATE outbox SET email_id = ${emailId} WHERE id = ${record.id} AND email_id IS NULL`);
    return emailId;
  });
}
