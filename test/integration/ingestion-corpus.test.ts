// The generated corpus (every fixture kind) through the real ingestion path: Dovecot → syncMailbox →
// PostgreSQL, compared with the generator's expected outcome (MAIL-*, NOISE-*, THREAD-*, INC-4/5/6).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { z } from 'zod';

import { readCheckpoint } from '../../src/adapters/db/mail-bookkeeping.js';
import { attachmentBlobPath } from '../../src/adapters/mail/attachment-store.js';
import { FAILURE_KINDS, generateFixtures } from '../../src/sandbox/fixtures/index.js';
import type { ExpectedMail, Fixtures } from '../../src/sandbox/fixtures/index.js';
import { connectTemporal } from '../support/temporal.js';
import type { TemporalTestContext } from '../support/temporal.js';
import {
  appendInOrder,
  signalledEmailIds,
  startIngestionHarness,
  storedEmails,
  storedIncidents,
  tableCounts,
} from './ingestion-harness.js';
import type { IncidentRow, IngestionHarness, StoredEmail } from './ingestion-harness.js';

let temporal: TemporalTestContext;
let harness: IngestionHarness;
let fixtures: Fixtures;
let emails: StoredEmail[];
let incidents: IncidentRow[];

const FAILURE_REASON: Record<string, string> = {
  empty_message: 'empty message (0 bytes)',
  headerless_message: 'message has no header',
};

function rowOf(mail: ExpectedMail): StoredEmail | undefined {
  const original = mail.duplicateOf === null ? mail : fixtures.expected.mails.find((m) => m.id === mail.duplicateOf);
  if (original === undefined) return undefined;
  return original.messageId !== null
    ? emails.find((e) => e.message_id === original.messageId)
    : emails.find((e) => e.folder_name === original.folder && e.uid === original.uid);
}

async function appendFolder(folder: 'INBOX' | 'Sent'): Promise<void> {
  const mails = fixtures.expected.mails.filter((m) => m.folder === folder);
  const bytes = new Map(fixtures.corpus.files.map((f) => [f.path, f.bytes]));
  const uids = await appendInOrder(
    harness.mail,
    folder,
    mails.map((m) => ({ raw: bytes.get(m.file) ?? Buffer.alloc(0), internalDate: new Date(m.internalDate) })),
  );
  expect(uids).toEqual(mails.map((m) => m.uid));
}

beforeAll(async () => {
  temporal = await connectTemporal('ingestion-corpus');
  harness = await startIngestionHarness(temporal.client, temporal.taskQueue);
  fixtures = generateFixtures({ seed: 4242, mails: 320, poles: 400 });
  for (const seed of fixtures.expected.seedIssues) {
    await harness.db.pool.query(sql.unsafe`
      INSERT INTO incidents (code, registration_time, is_auto)
      VALUES (${seed.key}, ${sql.timestamp(new Date(seed.createdAt))}, false)`);
  }
  // MAIL-5 with MAIL_INITIAL_BACKFILL_DAYS = 0: the first runs only set the checkpoints.
  await harness.sync('sent');
  await harness.sync('inbox');
  // The generator's processing assumption: the Sent folder is processed before the INBOX.
  await appendFolder('Sent');
  await harness.sync('sent');
  await appendFolder('INBOX');
  await harness.sync('inbox');
  emails = await storedEmails(harness);
  incidents = await storedIncidents(harness);
}, 240_000);

afterAll(async () => {
  await harness?.close();
  await temporal?.close();
});

describe('generated corpus through syncMailbox', () => {
  test('the corpus covers every fixture kind', () => {
    const kinds = Object.entries(fixtures.expected.counts.byKind).filter(([, n]) => n === 0);
    expect(kinds).toEqual([]);
  });

  test('MAIL-8: every parseable mail is stored exactly once (duplicates across folders and redeliveries too)', () => {
    expect(emails).toHaveLength(fixtures.expected.counts.rows);
    expect(new Set(emails.map((e) => e.message_id)).size).toBe(emails.length);
    const missing = fixtures.expected.mails.filter((m) => !m.unparseable && rowOf(m) === undefined).map((m) => m.id);
    expect(missing).toEqual([]);
  });

  test('MAIL-9: mails without a Message-ID get a synthetic id', () => {
    const synthetic = fixtures.expected.mails.filter((m) => !m.unparseable && m.messageId === null);
    expect(synthetic.length).toBeGreaterThan(0);
    for (const mail of synthetic) {
      expect(rowOf(mail)?.is_synthetic_id).toBe(true);
      expect(rowOf(mail)?.message_id).toMatch(/^<synthetic\.[0-9a-f]{64}@dispatch\.invalid>$/);
    }
  });

  test('NOISE-1: every stored mail has the expected classification', () => {
    const wrong = fixtures.expected.mails
      .filter((m) => !m.unparseable && m.duplicateOf === null)
      .filter((m) => rowOf(m)?.classification !== m.classification)
      .map((m) => `${m.id} ${m.kind}: ${rowOf(m)?.classification} ≠ ${m.classification}`);
    expect(wrong).toEqual([]);
  });

  test('THREAD / NOISE-2: e-mails are grouped into incidents exactly as expected', () => {
    const incidentIdOfRef = new Map<string, number | null>();
    for (const expected of fixtures.expected.incidents) {
      const first = fixtures.expected.mails.find((m) => m.id === expected.mails[0]);
      const dbId =
        expected.key !== null
          ? (incidents.find((i) => i.code === expected.key)?.id ?? null)
          : first === undefined
            ? null
            : (rowOf(first)?.incident_id ?? null);
      incidentIdOfRef.set(expected.ref, dbId);
    }
    const wrong = fixtures.expected.mails
      .filter((m) => !m.unparseable)
      .filter((m) => {
        const expectedIncident = m.incident === null ? null : (incidentIdOfRef.get(m.incident) ?? -1);
        return (rowOf(m)?.incident_id ?? null) !== expectedIncident;
      })
      .map((m) => `${m.id} ${m.kind} → ${rowOf(m)?.incident_id ?? null}, expected ${m.incident}`);
    expect(wrong).toEqual([]);
    expect(new Set(incidentIdOfRef.values()).size).toBe(fixtures.expected.incidents.length);
    expect(incidents).toHaveLength(fixtures.expected.counts.incidents);
  });

  test('INC-4 / INC-5 / INC-6: primary e-mail, registration time and one `Новый` row per mail incident', () => {
    for (const expected of fixtures.expected.incidents.filter((i) => i.origin === 'mail')) {
      const opening = fixtures.expected.mails.find((m) => m.id === expected.openingMail);
      const primary = fixtures.expected.mails.find((m) => m.id === expected.primaryMail);
      expect(opening).toBeDefined();
      expect(primary).toBeDefined();
      const incident = incidents.find((i) => i.id === rowOf(opening as ExpectedMail)?.incident_id);
      expect({
        ref: expected.ref,
        primary: incident?.primary_email_id,
        registration: incident?.registration_time.toISOString(),
        isAuto: incident?.is_auto,
        newRows: incident?.new_rows,
      }).toEqual({
        ref: expected.ref,
        primary: rowOf(primary as ExpectedMail)?.id,
        registration: expected.registrationTime,
        isAuto: true,
        newRows: 1,
      });
    }
  });

  test('NOISE-2: no incident is opened by anything but a normal INBOX mail', () => {
    for (const incident of incidents.filter((i) => i.is_auto)) {
      const primary = emails.find((e) => e.id === incident.primary_email_id);
      expect([primary?.classification, primary?.folder_role]).toEqual(['normal', 'INBOX']);
    }
  });

  test('MAIL-17: unparseable mails are failure records with their reason, not rows', async () => {
    const failures = await harness.db.pool.any(
      sql.type(
        z.object({
          folder_name: z.string(),
          uid: z.number(),
          error: z.string(),
          state: z.string(),
          attempts: z.number(),
        }),
      )`SELECT folder_name, uid, error, state, attempts FROM mail_failures ORDER BY folder_name, uid`,
    );
    const expected = fixtures.expected.mails
      .filter((m) => m.unparseable)
      .map((m) => ({ folder_name: m.folder, uid: m.uid, error: FAILURE_REASON[m.kind], state: 'open', attempts: 0 }))
      .sort((a, b) => a.folder_name.localeCompare(b.folder_name) || a.uid - b.uid);
    expect(expected.length).toBeGreaterThanOrEqual(FAILURE_KINDS.length);
    expect(failures).toEqual(expected);
  });

  test('MAIL-3 / MAIL-4: the checkpoints equal the highest UID of each folder', async () => {
    expect((await readCheckpoint(harness.db.pool, 'INBOX'))?.lastUid).toBe(fixtures.expected.counts.byFolder.INBOX);
    expect((await readCheckpoint(harness.db.pool, 'Sent'))?.lastUid).toBe(fixtures.expected.counts.byFolder.Sent);
  });

  test('ATT-3: stored attachments are content-addressed blobs with their hash', async () => {
    const stored = await harness.db.pool.anyFirst(
      sql.type(z.object({ sha256: z.string() }))`SELECT DISTINCT sha256 FROM attachments WHERE status = 'stored'`,
    );
    expect(stored.length).toBeGreaterThan(0);
    for (const sha256 of stored) {
      const bytes = await readFile(attachmentBlobPath(harness.attachmentsDir, sha256));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256);
    }
  });

  test('MAIL-14: every linked e-mail was signalled to its incident workflow', async () => {
    const linked = emails.filter((e) => e.incident_id !== null);
    const byIncident = new Map<number, number[]>();
    for (const e of linked)
      byIncident.set(e.incident_id as number, [...(byIncident.get(e.incident_id as number) ?? []), e.id]);
    for (const [incidentId, ids] of byIncident) {
      const signalled = new Set(await signalledEmailIds(temporal.client, incidentId));
      expect(ids.filter((id) => !signalled.has(id))).toEqual([]);
    }
  });

  test('AC-7 / MAIL-4: re-processing every message after a checkpoint reset creates nothing new', async () => {
    const before = await tableCounts(harness);
    await harness.db.pool.query(sql.unsafe`UPDATE mail_folder_checkpoints SET last_uid = 0`);
    await harness.sync('sent');
    await harness.sync('inbox');
    expect(await tableCounts(harness)).toEqual(before);
    expect((await readCheckpoint(harness.db.pool, 'INBOX'))?.lastUid).toBe(fixtures.expected.counts.byFolder.INBOX);
    const after = await storedEmails(harness);
    expect(after.map((e) => [e.id, e.incident_id, e.classification])).toEqual(
      emails.map((e) => [e.id, e.incident_id, e.classification]),
    );
  }, 120_000);
});
