// Single rules of mail ingestion on hand-written messages: MAIL-5, MAIL-6 (AC-25), MAIL-8 across
// folders, AC-5, MAIL-17 failure lifecycle, THREAD-1 under concurrency.
import { mkdir, rm, writeFile } from 'node:fs/promises';

import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { z } from 'zod';

import { listMailFailures, readCheckpoint, requeueMailFailures } from '../../src/adapters/db/mail-bookkeeping.js';
import { appendMessage } from '../../src/sandbox/mail/index.js';
import { connectTemporal } from '../support/temporal.js';
import type { TemporalTestContext } from '../support/temporal.js';
import {
  appendInOrder,
  COLLECTION_MAILBOX,
  startIngestionHarness,
  storedEmails,
  storedIncidents,
  tableCounts,
} from './ingestion-harness.js';
import type { IngestionHarness } from './ingestion-harness.js';

let temporal: TemporalTestContext;
let harness: IngestionHarness;

function message(fields: {
  id: string | null;
  subject: string;
  date: string;
  from?: string;
  inReplyTo?: string;
  references?: string;
  extraHeaders?: string;
  body?: string;
}): Buffer {
  const lines = [
    `From: ${fields.from ?? 'noc@operator.ru'}`,
    `To: ${COLLECTION_MAILBOX}`,
    `Subject: ${fields.subject}`,
    `Date: ${fields.date}`,
    ...(fields.id === null ? [] : [`Message-ID: ${fields.id}`]),
    ...(fields.inReplyTo ? [`In-Reply-To: ${fields.inReplyTo}`] : []),
    ...(fields.references ? [`References: ${fields.references}`] : []),
    ...(fields.extraHeaders ? [fields.extraHeaders] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    fields.body ?? 'нет питания на БС MSK0123',
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

const account = () => harness.mail.account(COLLECTION_MAILBOX);

beforeAll(async () => {
  temporal = await connectTemporal('ingestion-cases');
}, 60_000);

afterAll(async () => {
  await harness?.close();
  await temporal?.close();
});

describe('mail ingestion rules', () => {
  beforeEach(async () => {
    if (harness !== undefined) await harness.close();
    harness = await startIngestionHarness(temporal.client, temporal.taskQueue, { MAIL_INITIAL_BACKFILL_DAYS: '2' });
  }, 60_000);

  test('MAIL-5: the first run ingests only INTERNALDATE within the backfill days, then checkpoints the highest UID', async () => {
    const now = Date.now();
    await appendMessage(
      account(),
      'INBOX',
      message({ id: '<old@x>', subject: 'old', date: 'Mon, 3 Mar 2025 10:00:00 +0300' }),
      {
        internalDate: new Date(now - 10 * 24 * 3600_000),
      },
    );
    await appendMessage(
      account(),
      'INBOX',
      message({ id: '<recent@x>', subject: 'recent', date: new Date(now - 3600_000).toUTCString() }),
      {
        internalDate: new Date(now - 3600_000),
      },
    );
    const result = await harness.sync('inbox');
    expect((await storedEmails(harness)).map((e) => e.message_id)).toEqual(['<recent@x>']);
    expect(result.lastUid).toBe(2);
    expect(await readCheckpoint(harness.db.pool, 'INBOX')).toEqual({
      folderName: 'INBOX',
      uidValidity: result.uidValidity,
      lastUid: 2,
    });
  });

  test('MAIL-8: the same message in INBOX and Sent, processed concurrently, is one row', async () => {
    await harness.sync('inbox');
    await harness.sync('sent');
    const raw = message({ id: '<both@x>', subject: 'Копия', date: new Date().toUTCString(), from: COLLECTION_MAILBOX });
    await appendMessage(account(), 'INBOX', raw);
    await appendMessage(account(), 'Sent', raw);
    await Promise.all([harness.sync('inbox'), harness.sync('sent')]);
    const rows = await storedEmails(harness);
    expect(rows.map((e) => [e.message_id, e.classification])).toEqual([['<both@x>', 'self_sent']]);
    expect((await readCheckpoint(harness.db.pool, 'INBOX'))?.lastUid).toBe(1);
    expect((await readCheckpoint(harness.db.pool, 'Sent'))?.lastUid).toBe(1);
  });

  test('THREAD-1: two messages of one new conversation processed concurrently open one incident', async () => {
    await harness.sync('inbox');
    await harness.sync('sent');
    // Both reference the same unseen original (THREAD-2/THREAD-10); one arrives per folder. The
    // INBOX report is the earlier one, so THREAD-8 lets the conversation open an incident whichever
    // folder is processed first (with equal dates and UIDs the earliest e-mail would be a tie).
    const reported = new Date(Date.now() - 120_000).toUTCString();
    const answered = new Date(Date.now() - 60_000).toUTCString();
    await appendMessage(
      account(),
      'INBOX',
      message({ id: '<a@x>', subject: 'Авария', date: reported, references: '<root@x>' }),
    );
    await appendMessage(
      account(),
      'Sent',
      message({ id: '<b@x>', subject: 'Re: Авария', date: answered, references: '<root@x>', from: COLLECTION_MAILBOX }),
    );
    await Promise.all([harness.sync('inbox'), harness.sync('sent')]);
    const rows = await storedEmails(harness);
    const incidents = await storedIncidents(harness);
    expect(incidents).toHaveLength(1);
    expect(rows.map((e) => [e.message_id, e.incident_id])).toEqual(
      expect.arrayContaining([
        ['<a@x>', incidents[0]?.id],
        ['<b@x>', incidents[0]?.id],
      ]),
    );
  });

  test('AC-5: a reply processed before its original → one incident, registered at the original', async () => {
    await harness.sync('inbox');
    const original = message({ id: '<orig@x>', subject: 'Авария', date: 'Mon, 1 Dec 2025 10:00:00 +0300' });
    const reply = message({
      id: '<reply@x>',
      subject: 'Re: Авария',
      date: 'Mon, 1 Dec 2025 10:30:00 +0300',
      references: '<orig@x>',
      inReplyTo: '<orig@x>',
    });
    await appendMessage(account(), 'INBOX', reply, { internalDate: new Date('2025-12-01T07:30:05Z') });
    await harness.sync('inbox');
    const [afterReply] = await storedIncidents(harness);
    expect(afterReply?.registration_time.toISOString()).toBe('2025-12-01T07:30:00.000Z');

    await appendMessage(account(), 'INBOX', original, { internalDate: new Date('2025-12-01T07:45:00Z') });
    await harness.sync('inbox');
    const rows = await storedEmails(harness);
    const incidents = await storedIncidents(harness);
    expect(incidents).toHaveLength(1);
    expect(rows.map((e) => [e.message_id, e.incident_id])).toEqual([
      ['<reply@x>', incidents[0]?.id],
      ['<orig@x>', incidents[0]?.id],
    ]);
    expect({
      registration: incidents[0]?.registration_time.toISOString(),
      primary: incidents[0]?.primary_email_id,
      newRows: incidents[0]?.new_rows,
    }).toEqual({
      registration: '2025-12-01T07:00:00.000Z',
      primary: rows.find((e) => e.message_id === '<orig@x>')?.id,
      newRows: 1,
    });
  });

  test('AC-7: a message without Message-ID and with an obsolete date gets a synthetic id once', async () => {
    await harness.sync('inbox');
    const raw = message({ id: null, subject: 'Без идентификатора', date: '5 Mar 2025 10:15 GMT' });
    await appendMessage(account(), 'INBOX', raw, { internalDate: new Date('2025-03-05T10:20:00Z') });
    await harness.sync('inbox');
    const before = await tableCounts(harness);
    const [row] = await storedEmails(harness);
    expect(row?.is_synthetic_id).toBe(true);
    expect(row?.effective_date.toISOString()).toBe('2025-03-05T10:15:00.000Z');
    await harness.db.pool.query(sql.unsafe`UPDATE mail_folder_checkpoints SET last_uid = 0`);
    await harness.sync('inbox');
    expect(await tableCounts(harness)).toEqual(before);
  });

  test('AC-25 / MAIL-6: a new UIDVALIDITY rescans recent mail, processes only the new message and alerts', async () => {
    await harness.sync('inbox');
    const date = new Date(Date.now() - 3600_000).toUTCString();
    for (const n of [1, 2, 3]) {
      await appendMessage(account(), 'INBOX', message({ id: `<m${n}@x>`, subject: `Авария ${n}`, date }));
    }
    const first = await harness.sync('inbox');
    const before = await tableCounts(harness);
    expect(before['emails']).toBe(3);
    // The server "reports" another UIDVALIDITY: the stored one no longer matches.
    await harness.db.pool.query(sql.unsafe`UPDATE mail_folder_checkpoints SET uidvalidity = uidvalidity + 1`);
    await appendMessage(account(), 'INBOX', message({ id: '<m4@x>', subject: 'Авария 4', date }));
    await harness.sync('inbox');
    const after = await tableCounts(harness);
    expect(after).toEqual({ ...before, emails: 4, email_recipients: 4, incidents: 4, incident_status_history: 4 });
    expect(await readCheckpoint(harness.db.pool, 'INBOX')).toEqual({
      folderName: 'INBOX',
      uidValidity: first.uidValidity,
      lastUid: 4,
    });
    expect(harness.log.alerts('uidvalidity_changed')).toHaveLength(1);
  });

  test('MAIL-17: a failure is retried after 1, 5, 15, 60, 240 minutes, then abandoned with an alert; requeue reopens it', async () => {
    await harness.sync('inbox');
    await appendInOrder(harness.mail, 'INBOX', [{ raw: Buffer.alloc(0), internalDate: new Date() }]);
    const start = Date.now();
    let clock = start;
    const now = () => new Date(clock);
    await harness.sync('inbox', { now });
    const schedule: Array<[number, string | null, string]> = [];
    const record = async () => {
      const [failure] = await listMailFailures(harness.db.pool);
      schedule.push([
        failure?.attempts ?? -1,
        failure?.nextRetryAt === null || failure?.nextRetryAt === undefined
          ? null
          : `${(failure.nextRetryAt.getTime() - clock) / 60_000} min`,
        failure?.state ?? 'none',
      ]);
      return failure;
    };
    await record();
    // Not due yet: nothing changes.
    clock += 30_000;
    await harness.sync('inbox', { now });
    expect((await listMailFailures(harness.db.pool))[0]?.attempts).toBe(0);
    for (let retry = 1; retry <= 5; retry++) {
      const failure = (await listMailFailures(harness.db.pool))[0];
      clock = (failure?.nextRetryAt?.getTime() ?? clock) + 1_000;
      await harness.sync('inbox', { now });
      await record();
    }
    expect(schedule).toEqual([
      [0, '1 min', 'open'],
      [1, '5 min', 'open'],
      [2, '15 min', 'open'],
      [3, '60 min', 'open'],
      [4, '240 min', 'open'],
      [5, null, 'abandoned'],
    ]);
    expect(harness.log.alerts('mail_failure_abandoned')).toHaveLength(1);
    expect((await listMailFailures(harness.db.pool))[0]?.error).toBe('empty message (0 bytes)');
    expect((await readCheckpoint(harness.db.pool, 'INBOX'))?.lastUid).toBe(1);

    const [failure] = await listMailFailures(harness.db.pool, { state: 'abandoned' });
    expect(await requeueMailFailures(harness.db.pool, { id: failure?.id ?? 0 }, now())).toEqual([failure?.id]);
    expect(await listMailFailures(harness.db.pool, { state: 'open' })).toHaveLength(1);
  }, 60_000);

  test('MAIL-17: a storage failure is recorded, the checkpoint moves on, and a successful retry resolves it', async () => {
    await harness.sync('inbox');
    const withAttachment = Buffer.from(
      [
        'From: noc@operator.ru',
        `To: ${COLLECTION_MAILBOX}`,
        'Subject: Акт',
        `Date: ${new Date().toUTCString()}`,
        'Message-ID: <att@x>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Акт во вложении',
        '--b',
        'Content-Type: application/pdf; name="act.pdf"',
        'Content-Disposition: attachment; filename="act.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('%PDF-1.4 test').toString('base64'),
        '--b--',
        '',
      ].join('\r\n'),
    );
    await appendMessage(account(), 'INBOX', withAttachment);
    let clock = Date.now();
    const now = () => new Date(clock);
    // ATT-3 cannot write blobs: the attachments "directory" is a file for now.
    await rm(harness.attachmentsDir, { recursive: true, force: true });
    await writeFile(harness.attachmentsDir, 'not a directory');
    await harness.sync('inbox', { now });
    const [failure] = await listMailFailures(harness.db.pool);
    expect([failure?.state, failure?.messageId, failure?.error.startsWith('storage error:')]).toEqual([
      'open',
      '<att@x>',
      true,
    ]);
    expect((await readCheckpoint(harness.db.pool, 'INBOX'))?.lastUid).toBe(1);
    expect(await storedEmails(harness)).toEqual([]);

    await rm(harness.attachmentsDir, { force: true });
    await mkdir(harness.attachmentsDir, { recursive: true });
    clock += 61_000;
    await harness.sync('inbox', { now });
    expect((await listMailFailures(harness.db.pool))[0]?.state).toBe('resolved');
    expect((await storedEmails(harness)).map((e) => e.message_id)).toEqual(['<att@x>']);
    const attachments = await harness.db.pool.any(
      sql.type(
        z.object({ original_name: z.string(), status: z.string() }),
      )`SELECT original_name, status FROM attachments`,
    );
    expect(attachments).toEqual([{ original_name: 'act.pdf', status: 'stored' }]);
  }, 60_000);
});
