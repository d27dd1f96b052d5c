// CLEAN-1 / CLEAN-2: what cleanup removes, marks and keeps, on real files and a real database.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'slonik';
import { z } from 'zod';
import { blobPath, runCleanup } from '../../src/adapters/db/cleanup.js';
import { createTestDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/db.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const OLD = new Date('2025-01-01T00:00:00Z'); // > 360 days before NOW
const RECENT = new Date('2026-05-20T00:00:00Z');
const sha = (c: string) => c.repeat(64);

let database: TestDatabase;
let dir: string;

async function blob(hash: string, mtime: Date): Promise<string> {
  const path = blobPath(dir, hash);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, hash);
  await utimes(path, mtime, mtime);
  return path;
}

const idOf = z.object({ id: z.number() });

async function email(messageId: string, date: Date, incidentId: number | null): Promise<number> {
  return database.pool.oneFirst(sql.type(idOf)`
    INSERT INTO emails (message_id, effective_date, folder_role, classification, incident_id)
    VALUES (${messageId}, ${sql.timestamp(date)}, 'INBOX', 'normal', ${incidentId}) RETURNING id`);
}

async function attachment(emailId: number, part: number, hash: string): Promise<number> {
  return database.pool.oneFirst(sql.type(idOf)`
    INSERT INTO attachments (email_id, part_index, kind, original_name, mime_type, size, sha256, status)
    VALUES (${emailId}, ${part}, 'attachment', 'act.pdf', 'application/pdf', 64, ${hash}, 'stored') RETURNING id`);
}

beforeAll(async () => {
  database = await createTestDatabase('cleanup');
  dir = await mkdtemp(join(tmpdir(), 'dispatch-attachments-'));
});

afterAll(async () => {
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

test('CLEAN-1/CLEAN-2: old unreferenced blobs, old empty directories, missing marks, resolved failures and sent outbox rows', async () => {
  const db = database.pool;
  const incident = await db.oneFirst(sql.type(idOf)`
    INSERT INTO incidents (registration_time, is_auto) VALUES (${sql.timestamp(OLD)}, true) RETURNING id`);
  const oldEmail = await email('<old@example.ru>', OLD, incident);
  const newEmail = await email('<new@example.ru>', RECENT, incident);
  const referencedOld = await blob(sha('a'), OLD);
  const unreferencedOld = await blob(sha('b'), OLD);
  const unreferencedNew = await blob(sha('c'), RECENT);
  await attachment(oldEmail, 1, sha('a'));
  const goneOld = await attachment(oldEmail, 2, sha('d')); // blob missing, e-mail old → missing
  const goneNew = await attachment(newEmail, 1, sha('e')); // blob missing, e-mail recent → untouched
  // A legacy date-named folder and an empty content folder, both old; one recent empty folder.
  await mkdir(join(dir, '2024-01-05'), { recursive: true });
  await utimes(join(dir, '2024-01-05'), OLD, OLD);
  await mkdir(join(dir, 'ff', 'ee'), { recursive: true });
  await utimes(join(dir, 'ff', 'ee'), OLD, OLD);
  await utimes(join(dir, 'ff'), OLD, OLD);
  await mkdir(join(dir, '2026-05-30'));
  // The folders of the deleted old blob are old too: they go once empty.
  await utimes(join(dir, 'bb', 'bb'), OLD, OLD);
  await utimes(join(dir, 'bb'), OLD, OLD);

  await db.query(sql.unsafe`
    INSERT INTO mail_failures (folder_name, uidvalidity, uid, error, state, resolved_at) VALUES
      ('INBOX', 1, 1, 'x', 'resolved', ${sql.timestamp(new Date('2026-04-01T00:00:00Z'))}),
      ('INBOX', 1, 2, 'x', 'resolved', ${sql.timestamp(new Date('2026-05-25T00:00:00Z'))}),
      ('INBOX', 1, 3, 'x', 'open', NULL)`);
  await db.query(sql.unsafe`
    INSERT INTO outbox (message_id, incident_id, kind, trigger_key, to_addresses, subject, body, state, sent_at, email_id) VALUES
      ('<o1@d>', ${incident}, 'ack', 't1', '{a@b.ru}', 's', 'b', 'sent', ${sql.timestamp(new Date('2025-11-01T00:00:00Z'))}, ${newEmail}),
      ('<o2@d>', ${incident}, 'ack', 't2', '{a@b.ru}', 's', 'b', 'sent', ${sql.timestamp(new Date('2026-05-01T00:00:00Z'))}, NULL),
      ('<o3@d>', ${incident}, 'ack', 't3', '{a@b.ru}', 's', 'b', 'failed', NULL, NULL)`);

  const counts = await runCleanup(
    db,
    { attachmentsDir: dir, attachmentRetentionDays: 360, mailFailureRetentionDays: 30, outboxRetentionDays: 180 },
    NOW,
  );
  expect(counts).toEqual({
    blobsDeleted: 1,
    directoriesRemoved: 5,
    attachmentsMarkedMissing: 1,
    mailFailuresDeleted: 1,
    outboxRowsDeleted: 1,
  });
  expect([existsSync(referencedOld), existsSync(unreferencedOld), existsSync(unreferencedNew)]).toEqual([
    true,
    false,
    true,
  ]);
  expect([
    existsSync(join(dir, '2024-01-05')),
    existsSync(join(dir, 'ff')),
    existsSync(join(dir, 'bb')),
    existsSync(join(dir, '2026-05-30')),
    existsSync(dir),
  ]).toEqual([false, false, false, true, true]);
  const statuses = await db.any(sql.type(z.object({ id: z.number(), status: z.string() }))`
    SELECT id, status FROM attachments WHERE id IN (${goneOld}, ${goneNew}) ORDER BY id`);
  expect(statuses).toEqual([
    { id: goneOld, status: 'missing' },
    { id: goneNew, status: 'stored' },
  ]);
  expect(
    await db.anyFirst(sql.type(z.object({ uid: z.number() }))`SELECT uid FROM mail_failures ORDER BY uid`),
  ).toEqual([2, 3]);
  expect(
    await db.anyFirst(sql.type(z.object({ m: z.string() }))`SELECT message_id AS m FROM outbox ORDER BY 1`),
  ).toEqual(['<o2@d>', '<o3@d>']);
  // CLEAN-2: incidents and e-mails stay, including the e-mail the deleted outbox row produced.
  expect(await db.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM emails`)).toBe(2);
  expect(await db.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM incidents`)).toBe(1);
});
