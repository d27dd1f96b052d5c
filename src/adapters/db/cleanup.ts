// CLEAN-1 / CLEAN-2 cleanup: old unreferenced attachment blobs and empty directories, `missing`
// marks for old attachments whose blob is gone, resolved mail failures and sent outbox rows past
// their retention. Never touches incidents, status history or e-mails (CLEAN-2).
import { existsSync } from 'node:fs';
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { CleanupCounts } from './run-records.js';

export interface CleanupSettings {
  attachmentsDir: string;
  attachmentRetentionDays: number;
  mailFailureRetentionDays: number;
  outboxRetentionDays: number;
}

const DAY_MS = 86_400_000;
const BLOB_NAME = /^[0-9a-f]{64}$/;

/** ATT-3 blob path of a SHA-256. */
export function blobPath(dir: string, sha256: string): string {
  return join(dir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
}

export async function runCleanup(
  db: CommonQueryMethods,
  settings: CleanupSettings,
  now: Date,
  heartbeat: () => void = () => undefined,
): Promise<CleanupCounts> {
  const attachmentCutoff = new Date(now.getTime() - settings.attachmentRetentionDays * DAY_MS);
  // Directory ages as they were before this run: deleting a blob refreshes its directory's mtime.
  const directoryTimes = await directoryMtimes(settings.attachmentsDir);
  const blobsDeleted = await deleteUnreferencedBlobs(db, settings.attachmentsDir, attachmentCutoff, heartbeat);
  const directoriesRemoved = await removeEmptyDirectories(
    settings.attachmentsDir,
    directoryTimes,
    attachmentCutoff,
    heartbeat,
  );
  const attachmentsMarkedMissing = await markMissingBlobs(db, settings.attachmentsDir, attachmentCutoff, heartbeat);
  const mailFailuresDeleted = (
    await db.one(sql.type(z.object({ n: z.number() }))`
      WITH gone AS (
        DELETE FROM mail_failures
        WHERE state = 'resolved'
          AND coalesce(resolved_at, updated_at) < ${sql.timestamp(new Date(now.getTime() - settings.mailFailureRetentionDays * DAY_MS))}
        RETURNING 1)
      SELECT count(*)::int AS n FROM gone`)
  ).n;
  // The e-mail rows these outbox rows produced stay (outbox.email_id points at them, not back).
  const outboxRowsDeleted = (
    await db.one(sql.type(z.object({ n: z.number() }))`
      WITH gone AS (
        DELETE FROM outbox
        WHERE state = 'sent'
          AND sent_at < ${sql.timestamp(new Date(now.getTime() - settings.outboxRetentionDays * DAY_MS))}
        RETURNING 1)
      SELECT count(*)::int AS n FROM gone`)
  ).n;
  return { blobsDeleted, directoriesRemoved, attachmentsMarkedMissing, mailFailuresDeleted, outboxRowsDeleted };
}

async function* blobFiles(dir: string): AsyncGenerator<{ path: string; sha256: string }> {
  if (!existsSync(dir)) return;
  for (const first of await readdir(dir, { withFileTypes: true })) {
    if (!first.isDirectory() || !/^[0-9a-f]{2}$/.test(first.name)) continue;
    for (const second of await readdir(join(dir, first.name), { withFileTypes: true })) {
      if (!second.isDirectory() || !/^[0-9a-f]{2}$/.test(second.name)) continue;
      const parent = join(dir, first.name, second.name);
      for (const file of await readdir(parent, { withFileTypes: true })) {
        if (file.isFile() && BLOB_NAME.test(file.name)) yield { path: join(parent, file.name), sha256: file.name };
      }
    }
  }
}

async function deleteUnreferencedBlobs(
  db: CommonQueryMethods,
  dir: string,
  cutoff: Date,
  heartbeat: () => void,
): Promise<number> {
  let deleted = 0;
  let batch: { path: string; sha256: string }[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const referenced = new Set(
      await db.anyFirst(sql.type(z.object({ sha256: z.string() }))`
        SELECT DISTINCT sha256 FROM attachments
        WHERE sha256 = ANY(${sql.array(
          batch.map((b) => b.sha256),
          'text',
        )})`),
    );
    for (const blob of batch) {
      if (referenced.has(blob.sha256)) continue;
      await rm(blob.path, { force: true });
      deleted++;
    }
    batch = [];
    heartbeat();
  };
  for await (const blob of blobFiles(dir)) {
    const info = await stat(blob.path).catch(() => null);
    if (info === null || info.mtime >= cutoff) continue;
    batch.push(blob);
    if (batch.length >= 500) await flush();
  }
  await flush();
  return deleted;
}

/** Empty directories (bottom-up, legacy date-named ones too) older than the cutoff; never the root. */
async function directoryMtimes(root: string): Promise<Map<string, Date>> {
  const times = new Map<string, Date>();
  if (!existsSync(root)) return times;
  const visit = async (dir: string): Promise<void> => {
    times.set(dir, (await stat(dir)).mtime);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) await visit(join(dir, entry.name));
    }
  };
  await visit(root);
  return times;
}

async function removeEmptyDirectories(
  root: string,
  times: ReadonlyMap<string, Date>,
  cutoff: Date,
  heartbeat: () => void,
): Promise<number> {
  if (!existsSync(root)) return 0;
  let removed = 0;
  const visit = async (dir: string): Promise<boolean> => {
    let entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.isDirectory()) await visit(join(dir, entry.name));
    }
    if (dir === root) return false;
    entries = await readdir(dir, { withFileTypes: true });
    if (entries.length > 0) return false;
    const mtime = times.get(dir) ?? (await stat(dir)).mtime;
    if (mtime >= cutoff) return false;
    await rmdir(dir).catch(() => undefined);
    removed++;
    heartbeat();
    return true;
  };
  await visit(root);
  return removed;
}

const storedRow = z.object({ id: z.number(), sha256: z.string() });

/** Attachments of e-mails older than the cutoff whose blob is gone become `missing`. */
async function markMissingBlobs(
  db: CommonQueryMethods,
  dir: string,
  cutoff: Date,
  heartbeat: () => void,
): Promise<number> {
  let marked = 0;
  let afterId = 0;
  for (;;) {
    const rows = await db.any(sql.type(storedRow)`
      SELECT a.id, a.sha256 FROM attachments a JOIN emails e ON e.id = a.email_id
      WHERE a.status = 'stored' AND a.sha256 IS NOT NULL AND e.effective_date < ${sql.timestamp(cutoff)}
        AND a.id > ${afterId}
      ORDER BY a.id LIMIT 1000`);
    if (rows.length === 0) return marked;
    afterId = rows[rows.length - 1]?.id ?? afterId;
    const missing = rows.filter((row) => !existsSync(blobPath(dir, row.sha256))).map((row) => row.id);
    if (missing.length > 0) {
      const result = await db.query(sql.unsafe`
        UPDATE attachments SET status = 'missing'
        WHERE id = ANY(${sql.array(missing, 'int8')}) AND status = 'stored'`);
      marked += result.rowCount;
    }
    heartbeat();
  }
}
