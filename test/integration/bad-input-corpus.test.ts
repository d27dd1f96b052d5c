// The bad-input corpus (test/fixtures/bad-input) through the real ingestion path: Dovecot →
// syncMailbox → PostgreSQL. Every hostile message is either stored with exactly the expected
// values or recorded as a mail failure with a readable reason (MAIL-17); the watcher carries on.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { z } from 'zod';

import { readCheckpoint } from '../../src/adapters/db/mail-bookkeeping.js';
import { attachmentBlobPath } from '../../src/adapters/mail/attachment-store.js';
import { escapeInlineMarkup, renderEmailComment } from '../../src/domain/comment-format.js';
import { appendMessage } from '../../src/sandbox/mail/index.js';
import {
  badInputCorpus,
  CORPUS_DATE,
  CORPUS_INTERNAL_DATE,
  CORPUS_MAX_STORE_MB,
  MARKUP_SUBJECT,
  TRACKER_MARKUP_BODY,
} from '../fixtures/bad-input/corpus.js';
import type { BadInputCase, StoredExpectation } from '../fixtures/bad-input/corpus.js';
import { connectTemporal } from '../support/temporal.js';
import type { TemporalTestContext } from '../support/temporal.js';
import { appendInOrder, COLLECTION_MAILBOX, startIngestionHarness } from './ingestion-harness.js';
import type { IngestionHarness } from './ingestion-harness.js';

const projectRoot = fileURLToPath(new URL('../../..', import.meta.url));

const emailRow = z.object({
  id: z.number(),
  uid: z.number().nullable(),
  message_id: z.string(),
  is_synthetic_id: z.boolean(),
  classification: z.string(),
  subject: z.string(),
  from_address: z.string(),
  body: z.string().nullable(),
  date_header: z.date().nullable(),
  effective_date: z.date(),
  in_reply_to: z.string().nullable(),
});
type EmailRow = z.infer<typeof emailRow>;

const failureRow = z.object({ uid: z.number(), message_id: z.string().nullable(), error: z.string() });
const attachmentRow = z.object({
  email_id: z.number(),
  original_name: z.string(),
  mime_type: z.string(),
  status: z.string(),
  size: z.number(),
  sha256: z.string().nullable(),
});
type AttachmentRow = z.infer<typeof attachmentRow>;

let temporal: TemporalTestContext;
let harness: IngestionHarness;
const corpus: BadInputCase[] = badInputCorpus();
let uids: number[] = [];
let emails: EmailRow[] = [];
let failures: Array<z.infer<typeof failureRow>> = [];
let attachments: AttachmentRow[] = [];
let toByEmail = new Map<number, string[]>();
let referenceCount = new Map<number, number>();

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The stored row projected onto the keys the case names, for one exact comparison. */
function projection(row: EmailRow, expected: StoredExpectation): Record<string, unknown> {
  const rowAttachments = attachments.filter((a) => a.email_id === row.id);
  const actual: Record<string, unknown> = {
    outcome: 'stored',
    messageId: row.is_synthetic_id ? 'synthetic' : row.message_id,
    classification: row.classification,
  };
  const body = row.body;
  const pick: Record<keyof StoredExpectation, () => unknown> = {
    outcome: () => 'stored',
    messageId: () => actual['messageId'],
    classification: () => row.classification,
    subject: () => row.subject,
    subjectLength: () => row.subject.length,
    fromAddress: () => row.from_address,
    body: () => body,
    bodyLength: () => body?.length ?? 0,
    bodyIncludes: () => (expected.bodyIncludes ?? []).filter((text) => body?.includes(text) === true),
    bodyExcludes: () => (expected.bodyExcludes ?? []).filter((text) => body?.includes(text) !== true),
    dateHeader: () => row.date_header?.toISOString() ?? null,
    effectiveDate: () => row.effective_date.toISOString(),
    to: () => toByEmail.get(row.id) ?? [],
    toCount: () => (toByEmail.get(row.id) ?? []).length,
    referencesCount: () => referenceCount.get(row.id) ?? 0,
    inReplyTo: () => row.in_reply_to,
    attachments: () =>
      rowAttachments.map((a) => ({ name: a.original_name, mimeType: a.mime_type, status: a.status, size: a.size })),
  };
  for (const key of Object.keys(expected) as Array<keyof StoredExpectation>) actual[key] = pick[key]();
  return actual;
}

beforeAll(async () => {
  temporal = await connectTemporal('bad-input');
  harness = await startIngestionHarness(temporal.client, temporal.taskQueue, {
    ATTACHMENT_MAX_STORE_MB: String(CORPUS_MAX_STORE_MB),
  });
  // MAIL-5 with MAIL_INITIAL_BACKFILL_DAYS = 0: the first run only sets the checkpoint.
  await harness.sync('inbox');
  uids = await appendInOrder(
    harness.mail,
    'INBOX',
    corpus.map((c) => ({ raw: c.raw(), internalDate: CORPUS_INTERNAL_DATE })),
  );
  await harness.sync('inbox');
  const { pool } = harness.db;
  emails = [
    ...(await pool.any(sql.type(emailRow)`
      SELECT id, uid, message_id, is_synthetic_id, classification, subject, from_address, body, date_header,
             effective_date, in_reply_to
      FROM emails WHERE folder_name = 'INBOX' ORDER BY id`)),
  ];
  failures = [...(await pool.any(sql.type(failureRow)`SELECT uid, message_id, error FROM mail_failures ORDER BY uid`))];
  attachments = [
    ...(await pool.any(sql.type(attachmentRow)`
      SELECT email_id, original_name, mime_type, status, size, sha256 FROM attachments ORDER BY email_id, part_index`)),
  ];
  const recipients = await pool.any(
    sql.type(z.object({ email_id: z.number(), address: z.string() }))`
      SELECT email_id, address FROM email_recipients WHERE kind = 'to' ORDER BY email_id, position`,
  );
  toByEmail = new Map();
  for (const r of recipients) toByEmail.set(r.email_id, [...(toByEmail.get(r.email_id) ?? []), r.address]);
  const references = await pool.any(
    sql.type(z.object({ email_id: z.number(), count: z.number() }))`
      SELECT email_id, count(*) AS count FROM email_references GROUP BY email_id`,
  );
  referenceCount = new Map(references.map((r) => [r.email_id, r.count]));
}, 300_000);

afterAll(async () => {
  await harness?.close();
  await temporal?.close();
});

describe('bad-input corpus through ingestion', () => {
  test('the corpus has at least 40 kinds, each named once, and README.md lists every kind', async () => {
    const kinds = corpus.map((c) => c.kind);
    expect(kinds.length).toBeGreaterThanOrEqual(40);
    expect(new Set(kinds).size).toBe(kinds.length);
    const readme = await readFile(join(projectRoot, 'test', 'fixtures', 'bad-input', 'README.md'), 'utf8');
    expect(kinds.filter((kind) => !readme.includes(`| \`${kind}\``))).toEqual([]);
  });

  test('MAIL-4 / MAIL-17: the checkpoint is at the last UID and every message is one e-mail row or one failure row', async () => {
    expect(uids).toHaveLength(corpus.length);
    expect((await readCheckpoint(harness.db.pool, 'INBOX'))?.lastUid).toBe(uids.at(-1));
    const handled = [...emails.map((e) => e.uid), ...failures.map((f) => f.uid)].sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(handled).toEqual(uids);
    expect(emails.length + failures.length).toBe(corpus.length);
  });

  test.each(corpus.map((c, i) => [c.kind, i] as const))('%s: handled as the corpus says', (_kind, i) => {
    const c = corpus[i] as BadInputCase;
    const uid = uids[i];
    const row = emails.find((e) => e.uid === uid);
    const failure = failures.find((f) => f.uid === uid);
    if (c.expected.outcome === 'failure') {
      expect({ row: row?.message_id ?? null, failure }).toEqual({
        row: null,
        failure: { uid, message_id: c.expected.messageId, error: c.expected.reason },
      });
      return;
    }
    expect(failure).toBeUndefined();
    expect(row === undefined ? null : projection(row, c.expected)).toEqual(c.expected);
  });

  test('GEN-8 / ATT-2: truncations, replaced ids, skipped files and cut MIME trees are logged with the UID', () => {
    const warningsOf = (kind: string): unknown[] => {
      const uid = uids[corpus.findIndex((c) => c.kind === kind)];
      return harness.log.lines
        .filter((line) => line['msg'] === 'message parsed with a warning' && line['uid'] === uid)
        .map((line) => line['warning']);
    };
    expect({
      subject: warningsOf('subject-10000-chars'),
      messageId: warningsOf('message-id-2000-chars'),
      big: warningsOf('attachment-20mb'),
      parts: warningsOf('multipart-10000-parts'),
    }).toEqual({
      subject: ['subject truncated to 1024 characters'],
      messageId: ['Message-ID longer than 998 characters: synthetic id used'],
      big: [`attachment "big.pdf" (application/pdf, ${20 * 1024 * 1024} bytes): skipped_size`],
      parts: ['MIME structure too large at part root: 5001 part(s) ignored'],
    });
  });

  test('ATT-3 / ATT-4: every stored blob is <dir>/<h2>/<h2>/<sha256> and nothing else was written', async () => {
    const stored = attachments.filter((a) => a.status === 'stored');
    expect(stored.length).toBeGreaterThan(0);
    const expectedFiles = [...new Set(stored.map((a) => attachmentBlobPath(harness.attachmentsDir, a.sha256 ?? '')))];
    const written = await filesUnder(harness.attachmentsDir);
    expect(written.sort()).toEqual(expectedFiles.sort());
    for (const file of written) {
      expect(relative(harness.attachmentsDir, file).split(sep)).toEqual([
        expect.stringMatching(/^[0-9a-f]{2}$/),
        expect.stringMatching(/^[0-9a-f]{2}$/),
        expect.stringMatching(/^[0-9a-f]{64}$/),
      ]);
    }
    // ATT-2: the 20 MB file over the limit left no blob.
    const big = attachments.find((a) => a.original_name === 'big.pdf');
    expect(big?.status).toBe('skipped_size');
    await expect(stat(attachmentBlobPath(harness.attachmentsDir, big?.sha256 ?? ''))).rejects.toThrow();
  });

  test('YT-11: the stored Tracker-markup body renders inside one fence that no body line can close', () => {
    const row = emails.find((e) => e.message_id === '<bad.tracker-markdown-and-fences@corpus.example>');
    expect(row?.body).toBe(TRACKER_MARKUP_BODY);
    const comment = renderEmailComment({
      subject: row?.subject ?? null,
      fromAddress: row?.from_address ?? null,
      requesterAddress: null,
      to: [COLLECTION_MAILBOX],
      cc: [],
      effectiveDate: row?.effective_date ?? new Date(0),
      body: row?.body ?? null,
    });
    const lines = comment.split('\n');
    expect(lines.slice(-TRACKER_MARKUP_BODY.split('\n').length - 2)).toEqual([
      '`````text',
      ...TRACKER_MARKUP_BODY.split('\n'),
      '`````',
    ]);
  });

  test('YT-11: the stored Tracker-markup subject renders as escaped text in the heading', () => {
    const row = emails.find((e) => e.message_id === '<bad.subject-tracker-markup@corpus.example>');
    expect(row?.subject).toBe(MARKUP_SUBJECT);
    const heading = renderEmailComment({
      subject: row?.subject ?? null,
      fromAddress: row?.from_address ?? null,
      requesterAddress: null,
      to: [],
      cc: [],
      effectiveDate: row?.effective_date ?? new Date(0),
      body: row?.body ?? null,
    }).split('\n')[0];
    expect(heading).toBe(`### 📧 "**${escapeInlineMarkup(MARKUP_SUBJECT)}**"`);
    expect(escapeInlineMarkup(MARKUP_SUBJECT)).toBe(
      '\\*\\*Срочно\\*\\* \\[клик\\](https://evil.example) \\{% cut "x" %\\} \\<b\\>\\`code\\`\\</b\\> \\#\\|',
    );
  });

  test('MAIL-3: a normal message appended after the corpus is ingested', async () => {
    const raw = Buffer.from(
      [
        'From: noc@operator.ru',
        `To: ${COLLECTION_MAILBOX}`,
        'Subject: Авария после плохих писем',
        `Date: ${CORPUS_DATE}`,
        'Message-ID: <after-corpus@corpus.example>',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Нет питания на опоре',
        '',
      ].join('\r\n'),
    );
    const appended = await appendMessage(harness.mail.account(COLLECTION_MAILBOX), 'INBOX', raw, {
      internalDate: CORPUS_INTERNAL_DATE,
    });
    await harness.sync('inbox');
    const row = await harness.db.pool.maybeOne(
      sql.type(z.object({ uid: z.number().nullable(), classification: z.string(), body: z.string().nullable() }))`
        SELECT uid, classification, body FROM emails WHERE message_id = '<after-corpus@corpus.example>'`,
    );
    expect(row).toEqual({ uid: appended.uid, classification: 'normal', body: 'Нет питания на опоре' });
    expect((await readCheckpoint(harness.db.pool, 'INBOX'))?.lastUid).toBe(appended.uid);
  }, 60_000);
});
