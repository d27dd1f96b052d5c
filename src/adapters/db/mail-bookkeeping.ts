// Mail bookkeeping (DATA-6): per-folder checkpoints (MAIL-3…MAIL-6) and mail failures (MAIL-17).

import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';

export type WatchedFolderRole = 'INBOX' | 'SENT';

export interface FolderCheckpoint {
  folderName: string;
  uidValidity: number;
  lastUid: number;
}

const checkpointRow = z.object({ folder_name: z.string(), uidvalidity: z.number(), last_uid: z.number() });

export async function readCheckpoint(db: CommonQueryMethods, folderName: string): Promise<FolderCheckpoint | null> {
  const row = await db.maybeOne(sql.type(checkpointRow)`
    SELECT folder_name, uidvalidity, last_uid FROM mail_folder_checkpoints WHERE folder_name = ${folderName}`);
  return row === null ? null : { folderName: row.folder_name, uidValidity: row.uidvalidity, lastUid: row.last_uid };
}

/**
 * MAIL-4: moves the checkpoint forward over a stored or failed message. A checkpoint never moves
 * back within one UIDVALIDITY; a new UIDVALIDITY (MAIL-6) replaces it.
 */
export async function advanceCheckpoint(
  db: CommonQueryMethods,
  folder: { name: string; role: WatchedFolderRole },
  uidValidity: number,
  lastUid: number,
): Promise<void> {
  await db.query(sql.unsafe`
    INSERT INTO mail_folder_checkpoints (folder_name, folder_role, uidvalidity, last_uid)
    VALUES (${folder.name}, ${folder.role}, ${uidValidity}, ${lastUid})
    ON CONFLICT (folder_name) DO UPDATE SET
      folder_role = EXCLUDED.folder_role,
      uidvalidity = EXCLUDED.uidvalidity,
      last_uid = CASE
        WHEN mail_folder_checkpoints.uidvalidity = EXCLUDED.uidvalidity
          THEN greatest(mail_folder_checkpoints.last_uid, EXCLUDED.last_uid)
        ELSE EXCLUDED.last_uid
      END`);
}

/**
 * MAIL-4 / MAIL-14: a synchronously committed write. Message transactions commit asynchronously
 * (`storeAndRouteEmail` with `asyncCommit`); this flushes the WAL of all of them, so it runs
 * before their e-mail ids are signalled. Must not run inside a transaction.
 */
export async function flushIngestionCommits(db: CommonQueryMethods, folderName: string): Promise<void> {
  await db.query(sql.unsafe`
    INSERT INTO mail_ingestion_flushes (folder_name) VALUES (${folderName})
    ON CONFLICT (folder_name) DO UPDATE SET flushed_at = now()`);
}

/** Operators (and AC-7 tests) may reset a checkpoint: the next run is a first run (MAIL-5). */
export async function deleteCheckpoint(db: CommonQueryMethods, folderName: string): Promise<void> {
  await db.query(sql.unsafe`DELETE FROM mail_folder_checkpoints WHERE folder_name = ${folderName}`);
}

/** MAIL-17: retries after 1, 5, 15, 60 and 240 minutes; after the fifth failed retry: `abandoned`. */
export const MAIL_FAILURE_RETRY_MINUTES = [1, 5, 15, 60, 240] as const;

/**
 * MAIL-17: when a failure with `attempts` failed retries behind it is retried next, or null when it
 * is abandoned (pure; `now` is passed in).
 */
export function nextFailureRetry(attempts: number, now: Date): Date | null {
  const minutes = MAIL_FAILURE_RETRY_MINUTES[attempts];
  return minutes === undefined ? null : new Date(now.getTime() + minutes * 60_000);
}

export type MailFailureState = 'open' | 'resolved' | 'abandoned';

export interface MailFailure {
  id: number;
  folderName: string;
  uidValidity: number;
  uid: number;
  messageId: string | null;
  error: string;
  /** Failed retries so far (the first failure is not a retry). */
  attempts: number;
  nextRetryAt: Date | null;
  state: MailFailureState;
}

const failureRow = z.object({
  id: z.number(),
  folder_name: z.string(),
  uidvalidity: z.number(),
  uid: z.number(),
  message_id: z.string().nullable(),
  error: z.string(),
  attempts: z.number(),
  next_retry_at: z.date().nullable(),
  state: z.enum(['open', 'resolved', 'abandoned']),
});

function toFailure(row: z.infer<typeof failureRow>): MailFailure {
  return {
    id: row.id,
    folderName: row.folder_name,
    uidValidity: row.uidvalidity,
    uid: row.uid,
    messageId: row.message_id,
    error: row.error,
    attempts: row.attempts,
    nextRetryAt: row.next_retry_at,
    state: row.state,
  };
}

export interface FailureKey {
  folderName: string;
  uidValidity: number;
  uid: number;
}

/**
 * MAIL-17: records that a message could not be processed. The first failure schedules the first
 * retry; a failed retry counts one attempt and schedules the next, and the fifth failed retry
 * abandons the record. Returns the record as it is now.
 */
export async function recordMailFailure(
  db: CommonQueryMethods,
  key: FailureKey,
  details: { messageId: string | null; error: string; isRetry: boolean },
  now: Date,
): Promise<MailFailure> {
  const existing = await db.maybeOne(sql.type(failureRow)`
    SELECT id, folder_name, uidvalidity, uid, message_id, error, attempts, next_retry_at, state
    FROM mail_failures
    WHERE folder_name = ${key.folderName} AND uidvalidity = ${key.uidValidity} AND uid = ${key.uid}
    FOR UPDATE`);
  const attempts = existing === null ? 0 : existing.attempts + (details.isRetry ? 1 : 0);
  const next = nextFailureRetry(attempts, now);
  const state: MailFailureState = next === null ? 'abandoned' : 'open';
  const row = await db.one(sql.type(failureRow)`
    INSERT INTO mail_failures (folder_name, uidvalidity, uid, message_id, error, attempts, next_retry_at, state)
    VALUES (
      ${key.folderName}, ${key.uidValidity}, ${key.uid}, ${details.messageId}, ${details.error}, ${attempts},
      ${next === null ? null : sql.timestamp(next)}, ${state}
    )
    ON CONFLICT (folder_name, uidvalidity, uid) DO UPDATE SET
      message_id = coalesce(EXCLUDED.message_id, mail_failures.message_id),
      error = EXCLUDED.error,
      attempts = EXCLUDED.attempts,
      next_retry_at = EXCLUDED.next_retry_at,
      state = EXCLUDED.state,
      resolved_at = NULL
    RETURNING id, folder_name, uidvalidity, uid, message_id, error, attempts, next_retry_at, state`);
  return toFailure(row);
}

/** MAIL-17: success marks the record `resolved` (no-op when there is none). */
export async function resolveMailFailure(db: CommonQueryMethods, key: FailureKey, now: Date): Promise<boolean> {
  const rows = await db.anyFirst(sql.type(z.object({ id: z.number() }))`
    UPDATE mail_failures SET state = 'resolved', next_retry_at = NULL, resolved_at = ${sql.timestamp(now)}
    WHERE folder_name = ${key.folderName} AND uidvalidity = ${key.uidValidity} AND uid = ${key.uid}
      AND state <> 'resolved'
    RETURNING id`);
  return rows.length > 0;
}

/**
 * MAIL-17: which of `uids` have an unresolved failure record — one query per batch, so a message
 * without a record (nearly all) costs no `resolveMailFailure` round trip.
 */
export async function unresolvedFailureUids(
  db: CommonQueryMethods,
  folderName: string,
  uidValidity: number,
  uids: readonly number[],
): Promise<Set<number>> {
  if (uids.length === 0) return new Set();
  const rows = await db.anyFirst(sql.type(z.object({ uid: z.number() }))`
    SELECT uid FROM mail_failures
    WHERE folder_name = ${folderName} AND uidvalidity = ${uidValidity} AND state <> 'resolved'
      AND uid = ANY(${sql.array(uids, 'int8')})`);
  return new Set(rows);
}

/** MAIL-17: open failures of one folder whose retry is due, oldest UID first. */
export async function dueMailFailures(
  db: CommonQueryMethods,
  folderName: string,
  uidValidity: number,
  now: Date,
): Promise<MailFailure[]> {
  const rows = await db.any(sql.type(failureRow)`
    SELECT id, folder_name, uidvalidity, uid, message_id, error, attempts, next_retry_at, state
    FROM mail_failures
    WHERE state = 'open' AND folder_name = ${folderName} AND uidvalidity = ${uidValidity}
      AND next_retry_at <= ${sql.timestamp(now)}
    ORDER BY uid`);
  return rows.map(toFailure);
}

/** MAIL-17 admin command: failures, newest first, optionally of one state. */
export async function listMailFailures(
  db: CommonQueryMethods,
  filter: { state?: MailFailureState } = {},
): Promise<MailFailure[]> {
  const where = filter.state === undefined ? sql.fragment`true` : sql.fragment`state = ${filter.state}`;
  const rows = await db.any(sql.type(failureRow)`
    SELECT id, folder_name, uidvalidity, uid, message_id, error, attempts, next_retry_at, state
    FROM mail_failures WHERE ${where}
    ORDER BY inserted_at DESC, id DESC`);
  return rows.map(toFailure);
}

/**
 * MAIL-17 admin command: requeues one failure (by id) or all open and abandoned ones for an
 * immediate retry with a fresh retry budget. Returns the ids requeued.
 */
export async function requeueMailFailures(
  db: CommonQueryMethods,
  target: { id: number } | 'all',
  now: Date,
): Promise<number[]> {
  const which = target === 'all' ? sql.fragment`state <> 'resolved'` : sql.fragment`id = ${target.id}`;
  const rows = await db.anyFirst(sql.type(z.object({ id: z.number() }))`
    UPDATE mail_failures SET state = 'open', attempts = 0, next_retry_at = ${sql.timestamp(now)}, resolved_at = NULL
    WHERE ${which}
    RETURNING id`);
  return [...rows].sort((a, b) => a - b);
}
