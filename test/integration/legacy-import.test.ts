// MIGR-1…3: the cut-over import from a legacy database (test/fixtures/legacy/schema.sql + seed.sql,
// a second database on the run's PostgreSQL) into a fresh DISPATCH database, then the workflows of
// the open incidents on the run's Temporal server (no worker: started workflows stay RUNNING).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowNotFoundError } from '@temporalio/common';
import pg from 'pg';
import { sql } from 'slonik';
import { z } from 'zod';
import { createDatabase, databaseUrl, dropDatabase } from '../../src/adapters/db/admin.js';
import { attachmentBlobPath } from '../../src/adapters/mail/attachment-store.js';
import { createDbPool, type DbPool } from '../../src/adapters/db/pool.js';
import { importLegacy, type LegacyImportOptions, type LegacyImportSummary } from '../../src/legacy/import.js';
import { startOpenIncidentWorkflows } from '../../src/legacy/workflows.js';
import { incidentWorkflowId } from '../../src/workflows/signals.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ENV_PG_ADMIN_URL, ENV_TEMPORAL_ADDRESS, requireEnv } from '../support/services.js';
import { connectTemporal, type TemporalTestContext } from '../support/temporal.js';
import { runCompiledCli } from '../support/cli.js';
import { completeEnv } from '../fixtures/config/env.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const PDF = Buffer.from('%PDF-1.4 акт 101\n', 'utf8');
const PDF_SHA = createHash('sha256').update(PDF).digest('hex');

let target: TestDatabase;
let legacyName: string;
let legacy: DbPool;
let mediaRoot: string;
let attachmentsDir: string;
let temporal: TemporalTestContext;
let first: LegacyImportSummary;
const progressLines: string[] = [];

function options(dryRun: boolean): LegacyImportOptions {
  return {
    legacy,
    db: target.pool,
    mediaRoot,
    attachmentsDir,
    sentFolder: 'Sent',
    dryRun,
    progress: (line) => progressLines.push(line),
  };
}

async function count(table: string): Promise<number> {
  return target.pool.oneFirst(
    sql.type(z.object({ n: z.number() }))`SELECT count(*)::int8 AS n FROM ${sql.identifier([table])}`,
  );
}

const EXPECTED_PROBLEMS = [
  { table: 'users_user', legacyId: 5, reason: 'username "ab" is not a valid Tracker login' },
  { table: 'ts_avrcontractor_phones', legacyId: '3:12345', reason: 'unusable value "12345"' },
  { table: 'incidents_incidentstatus', legacyId: 5, reason: 'unknown status name "Загадочный статус"' },
  { table: 'incidents_incidentstatushistory', legacyId: 1007, reason: 'its status 5 has an unknown name' },
  { table: 'emails_emailmessage', legacyId: 206, reason: 'no usable Message-ID ("   ")' },
];

beforeAll(async () => {
  target = await createTestDatabase('legacy_import');
  // MIGR-1 sequences: start the incident numbering low so the move above the imported ids shows.
  await target.pool.query(sql.unsafe`SELECT setval(pg_get_serial_sequence('incidents', 'id'), 1, false)`);
  const adminUrl = requireEnv(ENV_PG_ADMIN_URL);
  legacyName = `legacy_django_${randomBytes(6).toString('hex')}`;
  await createDatabase(adminUrl, legacyName);
  const client = new pg.Client({ connectionString: databaseUrl(adminUrl, legacyName) });
  await client.connect();
  try {
    await client.query(await readFile(join(root, 'test/fixtures/legacy/schema.sql'), 'utf8'));
    await client.query(await readFile(join(root, 'test/fixtures/legacy/seed.sql'), 'utf8'));
  } finally {
    await client.end();
  }
  legacy = await createDbPool(databaseUrl(adminUrl, legacyName));
  mediaRoot = await mkdtemp(join(tmpdir(), 'legacy-media-'));
  attachmentsDir = await mkdtemp(join(tmpdir(), 'legacy-attachments-'));
  await mkdir(join(mediaRoot, 'email_attachments/2026-11-01'), { recursive: true });
  await writeFile(join(mediaRoot, 'email_attachments/2026-11-01/akt-101.pdf'), PDF);
  temporal = await connectTemporal('legacy-import');
}, 120_000);

afterAll(async () => {
  for (const id of [101, 103, 104]) {
    await temporal?.client.workflow
      .getHandle(incidentWorkflowId(id))
      .terminate('legacy-import test done')
      .catch(() => undefined);
  }
  await temporal?.close();
  await legacy?.end();
  if (legacyName !== undefined) await dropDatabase(requireEnv(ENV_PG_ADMIN_URL), legacyName);
  await target?.drop();
  if (mediaRoot !== undefined) await rm(mediaRoot, { recursive: true, force: true });
  if (attachmentsDir !== undefined) await rm(attachmentsDir, { recursive: true, force: true });
});

describe('dispatch legacy import', () => {
  test('MIGR-1: a dry run reads and validates everything, reports counts and writes nothing', async () => {
    const summary = await importLegacy(options(true));
    expect(summary.dryRun).toBe(true);
    expect(summary.tables['incidents']).toEqual({ read: 4, inserted: 4, updated: 0, unchanged: 0 });
    expect(summary.tables['emails']).toEqual({ read: 6, inserted: 6, updated: 0, unchanged: 0 });
    expect(summary.problems).toEqual(EXPECTED_PROBLEMS);
    expect(summary.openIncidentIds).toEqual([101, 103, 104]);
    expect(summary.changed).toBe(true);
    expect(await count('incidents')).toBe(0);
    expect(await count('emails')).toBe(0);
    expect(await count('dispatchers')).toBe(0);
    expect(await count('tracker_comments')).toBe(0);
    expect(await readdir(attachmentsDir)).toEqual([]);
    const lastEmailId = await target.pool.oneFirst(sql.type(z.object({ n: z.number().nullable() }))`
      SELECT last_value AS n FROM pg_sequences WHERE sequencename = 'emails_id_seq'`);
    expect(lastEmailId).toBe(null);
  });

  test('MIGR-1: imports every table with legacy ids preserved and reports bad rows', async () => {
    first = await importLegacy(options(false));
    expect(first.problems).toEqual(EXPECTED_PROBLEMS);
    const inserted = Object.fromEntries(
      Object.entries(first.tables).map(([t, c]) => [t, [c.inserted, c.updated, c.unchanged]]),
    );
    expect(inserted).toEqual({
      dispatchers: [2, 0, 0],
      contractors: [2, 0, 0],
      contractor_emails: [2, 0, 0],
      contractor_phones: [1, 0, 0],
      poles: [2, 0, 0],
      base_stations: [2, 0, 0],
      operators: [2, 0, 0],
      base_station_operators: [3, 0, 0],
      incident_types: [1, 0, 1],
      incident_statuses: [1, 0, 3],
      incidents: [4, 0, 0],
      incident_status_history: [6, 0, 0],
      emails: [6, 0, 0],
      email_recipients: [4, 0, 0],
      email_references: [3, 0, 0],
      'incidents.primary_email_id': [0, 4, 0],
      tracker_comments: [4, 0, 0],
      attachments: [3, 0, 0],
    });
    expect(progressLines).toContain('incidents: 4 inserted, 0 updated, 0 unchanged');

    const dispatchers = await target.pool.any(sql.type(
      z.object({ id: z.number(), login: z.string(), is_active: z.boolean() }),
    )`
      SELECT id, login, is_active FROM dispatchers ORDER BY id`);
    expect(dispatchers).toEqual([
      { id: 2, login: 'ivanov.a', is_active: true },
      { id: 3, login: 'petrova.m', is_active: false },
    ]);
    const poles = await target.pool.any(sql.type(
      z.object({ id: z.number(), pole: z.string(), avr_contractor_id: z.number(), longitude: z.number().nullable() }),
    )`
      SELECT id, pole, avr_contractor_id, longitude FROM poles ORDER BY id`);
    expect(poles).toEqual([
      { id: 0, pole: 'undefined', avr_contractor_id: 0, longitude: null },
      { id: 2, pole: 'MSK-0001', avr_contractor_id: 2, longitude: 37.6184 },
      { id: 3, pole: 'SPB-0102', avr_contractor_id: 0, longitude: 30.3141 },
    ]);
    const incidentRow = z.object({
      id: z.number(),
      code: z.string().nullable(),
      is_finished: z.boolean(),
      finished_at: z.date().nullable(),
      pole_id: z.number().nullable(),
      base_station_id: z.number().nullable(),
      type: z.string().nullable(),
      responsible_dispatcher_id: z.number().nullable(),
      assignee_login: z.string().nullable(),
      is_auto: z.boolean(),
      primary_email_id: z.number().nullable(),
      registration_time: z.date(),
    });
    const incidents = await target.pool.any(sql.type(incidentRow)`
      SELECT i.id, i.code, i.is_finished, i.finished_at, i.pole_id, i.base_station_id, t.name AS type,
        i.responsible_dispatcher_id, i.assignee_login, i.is_auto, i.primary_email_id, i.registration_time
      FROM incidents i LEFT JOIN incident_types t ON t.id = i.incident_type_id ORDER BY i.id`);
    expect(incidents).toEqual([
      {
        id: 101,
        code: 'AVRSERVICE-101',
        is_finished: false,
        finished_at: null,
        pole_id: 2,
        base_station_id: 1,
        type: 'Авария по питанию РФ',
        responsible_dispatcher_id: 2,
        assignee_login: 'ivanov.a',
        is_auto: true,
        primary_email_id: 201,
        registration_time: new Date('2026-11-01T08:00:00Z'),
      },
      {
        id: 102,
        code: 'AVRSERVICE-102',
        is_finished: true,
        finished_at: new Date('2026-11-02T14:30:00Z'),
        pole_id: 3,
        base_station_id: 2,
        type: 'Плановые работы',
        responsible_dispatcher_id: 3,
        assignee_login: 'petrova.m',
        is_auto: true,
        primary_email_id: 203,
        registration_time: new Date('2026-11-02T10:00:00Z'),
      },
      {
        id: 103,
        code: 'AVRSERVICE-103',
        is_finished: false,
        finished_at: null,
        pole_id: null,
        base_station_id: null,
        type: null,
        responsible_dispatcher_id: null,
        assignee_login: 'admin',
        is_auto: false,
        primary_email_id: 204,
        registration_time: new Date('2026-11-03T11:00:00Z'),
      },
      {
        id: 104,
        code: null,
        is_finished: false,
        finished_at: null,
        pole_id: 0,
        base_station_id: null,
        type: null,
        responsible_dispatcher_id: null,
        assignee_login: null,
        is_auto: true,
        primary_email_id: 205,
        registration_time: new Date('2026-11-04T12:00:00Z'),
      },
    ]);
    const history = await target.pool.any(sql.type(
      z.object({ id: z.number(), incident_id: z.number(), status_name: z.string(), comment: z.string().nullable() }),
    )`
      SELECT h.id, h.incident_id, s.name AS status_name, h.comment FROM incident_status_history h
      JOIN incident_statuses s ON s.id = h.status_id ORDER BY h.id`);
    expect(history).toEqual([
      { id: 1001, incident_id: 101, status_name: 'Новый', comment: null },
      { id: 1002, incident_id: 101, status_name: 'В работе', comment: 'принят в работу' },
      { id: 1003, incident_id: 102, status_name: 'Новый', comment: null },
      { id: 1004, incident_id: 102, status_name: 'Закрыт', comment: 'восстановлено' },
      { id: 1005, incident_id: 103, status_name: 'Новый', comment: null },
      { id: 1006, incident_id: 103, status_name: 'На генерации НБ', comment: 'ДГУ на объекте' },
    ]);
  });

  test('MIGR-1: e-mails keep ids, normalised Message-IDs, threading headers, recipients and folder', async () => {
    const emails = await target.pool.any(sql.type(
      z.object({
        id: z.number(),
        message_id: z.string(),
        in_reply_to: z.string().nullable(),
        folder_role: z.string(),
        incident_id: z.number().nullable(),
        subject: z.string(),
      }),
    )`
      SELECT id, message_id, in_reply_to, folder_role, incident_id, subject FROM emails ORDER BY id`);
    expect(emails).toEqual([
      {
        id: 201,
        message_id: '<a1@ops.example.ru>',
        in_reply_to: null,
        folder_role: 'INBOX',
        incident_id: 101,
        subject: 'Авария MSK-0001',
      },
      {
        id: 202,
        message_id: '<t2@tracker.example.ru>',
        in_reply_to: '<a1@ops.example.ru>',
        folder_role: 'INBOX',
        incident_id: 101,
        subject: 'Re: Авария MSK-0001',
      },
      {
        id: 203,
        message_id: '<c3@ops.example.ru>',
        in_reply_to: null,
        folder_role: 'INBOX',
        incident_id: 102,
        subject: 'Авария SPB-0102',
      },
      {
        id: 204,
        message_id: '<b3@dispatch.example.ru>',
        in_reply_to: null,
        folder_role: 'SENT',
        incident_id: 103,
        subject: 'Запрос доступа',
      },
      {
        id: 205,
        message_id: '<d5@ops.example.ru>',
        in_reply_to: null,
        folder_role: 'INBOX',
        incident_id: 104,
        subject: '',
      },
      {
        id: 207,
        message_id: '<e7@ops.example.ru>',
        in_reply_to: '<a1@ops.example.ru>',
        folder_role: 'INBOX',
        incident_id: 101,
        subject: 'Re: Авария MSK-0001',
      },
    ]);
    const recipients = await target.pool.any(sql.type(
      z.object({ email_id: z.number(), kind: z.string(), position: z.number(), address: z.string() }),
    )`
      SELECT email_id, kind, position, address FROM email_recipients ORDER BY email_id, kind, position`);
    expect(recipients).toEqual([
      { email_id: 201, kind: 'cc', position: 0, address: 'boss@ops.example.ru' },
      { email_id: 201, kind: 'to', position: 0, address: 'dispatch@dispatch.example.ru' },
      { email_id: 201, kind: 'to', position: 1, address: 'Duty@ops.example.ru' },
      { email_id: 204, kind: 'to', position: 0, address: 'noc@ops.example.ru' },
    ]);
    const references = await target.pool.any(sql.type(
      z.object({ email_id: z.number(), position: z.number(), ref_message_id: z.string() }),
    )`
      SELECT email_id, position, ref_message_id FROM email_references ORDER BY email_id, position`);
    expect(references).toEqual([
      { email_id: 202, position: 0, ref_message_id: '<a1@ops.example.ru>' },
      { email_id: 207, position: 0, ref_message_id: '<a1@ops.example.ru>' },
      { email_id: 207, position: 1, ref_message_id: '<x2@ops.example.ru>' },
    ]);
  });

  test('MIGR-2: Tracker-added e-mails are posted comments, e-mails from Tracker are classified tracker', async () => {
    const comments = await target.pool.any(sql.type(
      z.object({
        email_id: z.number(),
        issue_key: z.string(),
        state: z.string(),
        tracker_comment_id: z.string().nullable(),
      }),
    )`
      SELECT email_id, issue_key, state, tracker_comment_id FROM tracker_comments ORDER BY email_id`);
    expect(comments).toEqual([
      { email_id: 201, issue_key: 'AVRSERVICE-101', state: 'posted', tracker_comment_id: null },
      { email_id: 203, issue_key: 'AVRSERVICE-102', state: 'posted', tracker_comment_id: null },
      { email_id: 204, issue_key: 'AVRSERVICE-103', state: 'posted', tracker_comment_id: null },
      { email_id: 207, issue_key: 'AVRSERVICE-101', state: 'posted', tracker_comment_id: null },
    ]);
    const classes = await target.pool.any(sql.type(z.object({ id: z.number(), classification: z.string() }))`
      SELECT id, classification FROM emails ORDER BY id`);
    expect(classes.map((e) => `${e.id}:${e.classification}`)).toEqual([
      '201:normal',
      '202:tracker',
      '203:normal',
      '204:normal',
      '205:normal',
      '207:normal',
    ]);
  });

  test('MIGR-1: attachments are stored by SHA-256 and an absent file is marked missing', async () => {
    const attachments = await target.pool.any(sql.type(
      z.object({
        email_id: z.number(),
        part_index: z.number(),
        kind: z.string(),
        original_name: z.string(),
        mime_type: z.string(),
        size: z.number(),
        sha256: z.string().nullable(),
        status: z.string(),
      }),
    )`
      SELECT email_id, part_index, kind, original_name, mime_type, size, sha256, status FROM attachments ORDER BY email_id, part_index`);
    expect(attachments).toEqual([
      {
        email_id: 201,
        part_index: 0,
        kind: 'attachment',
        original_name: 'акт-101.pdf',
        mime_type: 'application/pdf',
        size: PDF.length,
        sha256: PDF_SHA,
        status: 'stored',
      },
      {
        email_id: 201,
        part_index: 1,
        kind: 'inline',
        original_name: 'image001.png',
        mime_type: 'image/png',
        size: 0,
        sha256: null,
        status: 'missing',
      },
      {
        email_id: 203,
        part_index: 0,
        kind: 'attachment',
        original_name: 'копия акта.pdf',
        mime_type: 'application/pdf',
        size: PDF.length,
        sha256: PDF_SHA,
        status: 'stored',
      },
    ]);
    expect(await readFile(attachmentBlobPath(attachmentsDir, PDF_SHA))).toEqual(PDF);
    expect(first.missingFiles).toEqual([
      { emailId: 201, partIndex: 1, path: join(mediaRoot, 'email_attachments/2026-11-01/image001.png') },
    ]);
  });

  test('MIGR-1: identity sequences continue above the highest imported ids', async () => {
    expect(first.sequences).toEqual({
      dispatchers: 4,
      contractors: 4,
      poles: 4,
      base_stations: 3,
      operators: 3,
      incidents: 105,
      incident_status_history: 1007,
      emails: 208,
    });
    const incidentId = await target.pool.oneFirst(sql.type(z.object({ id: z.number() }))`
      INSERT INTO incidents (registration_time, is_auto) VALUES (now(), true) RETURNING id`);
    expect(incidentId).toBe(105);
    const emailId = await target.pool.oneFirst(sql.type(z.object({ id: z.number() }))`
      INSERT INTO emails (message_id, effective_date, folder_role, classification)
      VALUES ('<new-after-import@ops.example.ru>', now(), 'INBOX', 'normal') RETURNING id`);
    expect(emailId).toBe(208);
  });

  test('MIGR-3: workflows start for the non-finished incidents only', async () => {
    const open = first.openIncidentIds.map((id) => ({ id, code: id === 104 ? null : `AVRSERVICE-${id}` }));
    const started = await startOpenIncidentWorkflows(temporal.client, temporal.taskQueue, open);
    expect(started).toEqual({ started: [101, 103, 104], alreadyRunning: [] });
    for (const id of [101, 103, 104]) {
      const description = await temporal.client.workflow.getHandle(incidentWorkflowId(id)).describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.taskQueue).toBe(temporal.taskQueue);
    }
    await expect(temporal.client.workflow.getHandle(incidentWorkflowId(102)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    const again = await startOpenIncidentWorkflows(temporal.client, temporal.taskQueue, open);
    expect(again).toEqual({ started: [], alreadyRunning: [101, 103, 104] });
  });

  test('MIGR-1: a second run changes nothing and says so', async () => {
    const blobStat = await stat(attachmentBlobPath(attachmentsDir, PDF_SHA));
    const second = await importLegacy(options(false));
    expect(second.changed).toBe(false);
    expect(second.sequences).toEqual({});
    for (const [table, c] of Object.entries(second.tables)) {
      expect([table, c.inserted, c.updated]).toEqual([table, 0, 0]);
    }
    expect(second.tables['emails']).toEqual({ read: 6, inserted: 0, updated: 0, unchanged: 6 });
    expect(second.problems).toEqual(EXPECTED_PROBLEMS);
    expect((await stat(attachmentBlobPath(attachmentsDir, PDF_SHA))).mtimeMs).toBe(blobStat.mtimeMs);
  });
});

describe('dispatch legacy import (CLI)', () => {
  let cliTarget: TestDatabase;
  let cwd: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    cliTarget = await createTestDatabase('legacy_import_cli');
    cwd = await mkdtemp(join(tmpdir(), 'legacy-import-cli-'));
    env = {
      ...completeEnv(),
      DEBUG: 'false',
      DATABASE_URL: cliTarget.url,
      LEGACY_DATABASE_URL: databaseUrl(requireEnv(ENV_PG_ADMIN_URL), legacyName),
      LEGACY_MEDIA_ROOT: mediaRoot,
      ATTACHMENTS_DIR: join(cwd, 'attachments'),
      PARSING_EMAIL_SENT_FOLDER_NAME: 'Sent',
      TEMPORAL_ADDRESS: requireEnv(ENV_TEMPORAL_ADDRESS),
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: temporal.taskQueue,
    };
  });

  afterAll(async () => {
    await cliTarget?.drop();
    if (cwd !== undefined) await rm(cwd, { recursive: true, force: true });
  });

  test('MIGR-1: --dry-run --json prints the counts and the bad rows, progress on stderr, writes nothing', async () => {
    const result = await runCompiledCli(['legacy', 'import', '--dry-run', '--json'], { cwd, env });
    // Exit 1: some legacy rows were reported as problems. (On failure the whole result, stderr included, is shown.)
    expect(result).toMatchObject({ code: 1 });
    const summary = JSON.parse(result.stdout) as LegacyImportSummary & { workflows: unknown };
    expect(summary.dryRun).toBe(true);
    expect(summary.workflows).toBe(null);
    expect(summary.tables['incidents']).toEqual({ read: 4, inserted: 4, updated: 0, unchanged: 0 });
    expect(summary.problems).toEqual(EXPECTED_PROBLEMS);
    expect(result.stderr).toContain('read emails_emailmessage: 7 rows');
    expect(result.stderr).toContain('emails: 6 inserted, 0 updated, 0 unchanged');
    const incidents = await cliTarget.pool.oneFirst(
      sql.type(z.object({ n: z.number() }))`SELECT count(*)::int8 AS n FROM incidents`,
    );
    expect(incidents).toBe(0);
  });

  test('MIGR-1: without LEGACY_DATABASE_URL the command stops with the configuration exit code', async () => {
    const withoutLegacy = Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'LEGACY_DATABASE_URL'));
    const result = await runCompiledCli(['legacy', 'import', '--dry-run'], { cwd, env: withoutLegacy });
    expect(result).toMatchObject({ code: 78 });
    expect(result.stderr).toContain('LEGACY_DATABASE_URL and LEGACY_MEDIA_ROOT must be set for the import');
  });
});
