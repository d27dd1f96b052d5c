// Queries of the maintenance commands (`dispatch incident resync`, `dispatch mail backfill`).
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';

/** The incident by id (digits) or Tracker key; null when there is none. */
export async function findIncidentRef(
  db: CommonQueryMethods,
  ref: string,
): Promise<{ id: number; code: string | null } | null> {
  const where = /^\d{1,15}$/.test(ref) ? sql.fragment`id = ${Number(ref)}` : sql.fragment`code = ${ref}`;
  return db.maybeOne(sql.type(z.object({ id: z.number(), code: z.string().nullable() }))`
    SELECT id, code FROM incidents WHERE ${where}`);
}

/** The last TowerStore sync run that changed the directory (TS-9), 0 when none ran yet. */
export async function lastAppliedTowerStoreRunId(db: CommonQueryMethods): Promise<number> {
  return db.oneFirst(sql.type(z.object({ id: z.number() }))`
    SELECT coalesce(max(id), 0)::bigint AS id FROM towerstore_sync_runs WHERE status = 'applied'`);
}

/** Which of these Message-IDs are not stored yet (MAIL-8). */
export async function unstoredMessageIds(db: CommonQueryMethods, messageIds: readonly string[]): Promise<string[]> {
  if (messageIds.length === 0) return [];
  const stored = await db.anyFirst(sql.type(z.object({ message_id: z.string() }))`
    SELECT message_id FROM emails WHERE message_id = ANY(${sql.array(messageIds, 'text')})`);
  const known = new Set(stored);
  return messageIds.filter((id) => !known.has(id));
}
