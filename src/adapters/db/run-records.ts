// DATA-10 run records of the scheduled jobs: TowerStore sync runs with per-feed counts (TS-8),
// backup runs (BAK-2) and cleanup runs (CLEAN-1).
import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';

const idRow = z.object({ id: z.number() });

export type TowerStoreFeed = 'poles' | 'avr' | 'bs';

export interface TowerStoreFeedCounts {
  downloaded: number;
  valid: number;
  skipped: number;
  inserted: number;
  updated: number;
  deleted: number;
  warnings: number;
}

export async function startTowerStoreRun(db: CommonQueryMethods): Promise<number> {
  return (await db.one(sql.type(idRow)`INSERT INTO towerstore_sync_runs DEFAULT VALUES RETURNING id`)).id;
}

export interface TowerStoreRunOutcome {
  status: 'applied' | 'refused' | 'failed';
  refusalReason?: string;
  error?: string;
  counts: Partial<Record<TowerStoreFeed, TowerStoreFeedCounts>>;
}

export async function finishTowerStoreRun(
  db: CommonQueryMethods,
  runId: number,
  outcome: TowerStoreRunOutcome,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(sql.unsafe`
      UPDATE towerstore_sync_runs
      SET status = ${outcome.status}, finished_at = now(),
          refusal_reason = ${outcome.refusalReason ?? null}, error = ${outcome.error ?? null}
      WHERE id = ${runId}`);
    for (const [feed, c] of Object.entries(outcome.counts)) {
      await tx.query(sql.unsafe`
        INSERT INTO towerstore_sync_feed_counts (run_id, feed, downloaded, valid, skipped, inserted, updated, deleted, warnings)
        VALUES (${runId}, ${feed}, ${c.downloaded}, ${c.valid}, ${c.skipped}, ${c.inserted}, ${c.updated}, ${c.deleted}, ${c.warnings})
        ON CONFLICT (run_id, feed) DO UPDATE SET
          downloaded = EXCLUDED.downloaded, valid = EXCLUDED.valid, skipped = EXCLUDED.skipped,
          inserted = EXCLUDED.inserted, updated = EXCLUDED.updated, deleted = EXCLUDED.deleted,
          warnings = EXCLUDED.warnings`);
    }
  });
}

/** TS-5 baseline: valid row counts of the last applied run, or null before the first one. */
export async function lastAcceptedCounts(db: CommonQueryMethods): Promise<Record<TowerStoreFeed, number> | null> {
  const rows = await db.any(sql.type(z.object({ feed: z.enum(['poles', 'avr', 'bs']), valid: z.number() }))`
    SELECT c.feed, c.valid FROM towerstore_sync_feed_counts c
    WHERE c.run_id = (SELECT id FROM towerstore_sync_runs WHERE status = 'applied' ORDER BY started_at DESC, id DESC LIMIT 1)`);
  if (rows.length === 0) return null;
  const counts: Record<TowerStoreFeed, number> = { poles: 0, avr: 0, bs: 0 };
  for (const row of rows) counts[row.feed] = row.valid;
  return counts;
}

export async function startBackupRun(db: CommonQueryMethods): Promise<number> {
  return (await db.one(sql.type(idRow)`INSERT INTO backup_runs DEFAULT VALUES RETURNING id`)).id;
}

export interface BackupRunOutcome {
  status: 'succeeded' | 'failed';
  filePath: string | null;
  sizeBytes: number | null;
  verified: boolean | null;
  verificationOutput: string | null;
  error: string | null;
}

export async function finishBackupRun(db: CommonQueryMethods, runId: number, outcome: BackupRunOutcome): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE backup_runs
    SET status = ${outcome.status}, finished_at = now(), file_path = ${outcome.filePath},
        size_bytes = ${outcome.sizeBytes}, verified = ${outcome.verified},
        verification_output = ${outcome.verificationOutput}, error = ${outcome.error}
    WHERE id = ${runId}`);
}

/** BAK-3: file of the newest verified backup, or null. */
export async function newestVerifiedBackupFile(db: CommonQueryMethods): Promise<string | null> {
  const row = await db.maybeOne(sql.type(z.object({ file_path: z.string() }))`
    SELECT file_path FROM backup_runs WHERE verified AND file_path IS NOT NULL
    ORDER BY started_at DESC, id DESC LIMIT 1`);
  return row?.file_path ?? null;
}

export async function startCleanupRun(db: CommonQueryMethods): Promise<number> {
  return (await db.one(sql.type(idRow)`INSERT INTO cleanup_runs DEFAULT VALUES RETURNING id`)).id;
}

export interface CleanupCounts {
  blobsDeleted: number;
  directoriesRemoved: number;
  attachmentsMarkedMissing: number;
  mailFailuresDeleted: number;
  outboxRowsDeleted: number;
}

export async function finishCleanupRun(
  db: CommonQueryMethods,
  runId: number,
  outcome: { status: 'succeeded' | 'failed'; counts: CleanupCounts; error: string | null },
): Promise<void> {
  const c = outcome.counts;
  await db.query(sql.unsafe`
    UPDATE cleanup_runs
    SET status = ${outcome.status}, finished_at = now(), blobs_deleted = ${c.blobsDeleted},
        directories_removed = ${c.directoriesRemoved}, attachments_marked_missing = ${c.attachmentsMarkedMissing},
        mail_failures_deleted = ${c.mailFailuresDeleted}, outbox_rows_deleted = ${c.outboxRowsDeleted},
        error = ${outcome.error}
    WHERE id = ${runId}`);
}
