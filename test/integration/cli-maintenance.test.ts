// `dispatch tracker setup-fields` (YT-5), `dispatch incident resync` and `dispatch mail backfill`
// (MAIL-17, MAIL-8) run as child processes against this run's PostgreSQL, Temporal dev server,
// a Tracker emulator and the sandbox Dovecot.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/load.js';
import { appendMessages, startMailServers, type MailServers } from '../../src/sandbox/mail/index.js';
import { startTrackerEmulator, type TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { incidentWorkflowId } from '../../src/workflows/signals.js';
import { runCompiledCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { COLLECTION_MAILBOX, ingestionEnv } from './ingestion-harness.js';

let database: TestDatabase;
let emulator: TrackerEmulator;
let mail: MailServers;
let connection: Connection;
let client: Client;
let config: Config;
let cwd: string;
let env: Record<string, string>;
const startedWorkflows = new Set<string>();

function runCli(args: string[]): Promise<CliResult> {
  return runCompiledCli(args, { cwd, env });
}

beforeAll(async () => {
  database = await createTestDatabase('dispatch_cli_maint');
  emulator = await startTrackerEmulator();
  mail = await startMailServers();
  cwd = await mkdtemp(join(tmpdir(), 'dispatch-cli-maint-'));
  env = {
    ...ingestionEnv(mail, database.url, `cli-maint-${randomUUID()}`, join(cwd, 'attachments')),
    ...emulator.env(),
  };
  config = loadConfig(env, { dotenvPath: null });
  connection = await Connection.connect({ address: config.temporal.address });
  client = new Client({ connection, namespace: config.temporal.namespace });
});

afterAll(async () => {
  for (const workflowId of startedWorkflows) {
    await client.workflow
      .getHandle(workflowId)
      .terminate('cli test over')
      .catch(() => undefined);
  }
  await connection.close();
  await emulator.close();
  await mail.stop();
  await database.drop();
  await rm(cwd, { recursive: true, force: true });
});

async function trackerField(
  id: string,
): Promise<{ name: string; readonly: boolean; visible: boolean; version: number }> {
  const trackerEnv = emulator.env();
  const res = await fetch(`${emulator.url}/v2/fields/${id}`, {
    headers: { Authorization: `OAuth ${trackerEnv.YT_ACCESS_TOKEN}`, 'X-Org-ID': trackerEnv.YT_ORGANIZATION_ID },
  });
  return z
    .object({ name: z.string(), readonly: z.boolean(), visible: z.boolean(), version: z.number() })
    .parse(await res.json());
}

describe('tracker setup-fields (YT-5)', () => {
  test('YT-5: --dry-run shows the changes and writes nothing', async () => {
    const before = await trackerField(config.tracker.fieldIds.localId);
    expect(before.visible).toBe(true);
    const result = await runCli(['tracker', 'setup-fields', '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `field localId (YT_DATABASE_ID_GLOBAL_FIELD_ID): would change name "${before.name}" → "Local ID"`,
    );
    expect(await trackerField(config.tracker.fieldIds.localId)).toEqual(before);
    expect(emulator.requestLog().filter((e) => e.method === 'PATCH')).toEqual([]);
  });

  test('YT-5: names both fields, makes them writable and hidden, then is a no-op', async () => {
    const first = await runCli(['tracker', 'setup-fields']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('field localId (YT_DATABASE_ID_GLOBAL_FIELD_ID): changed name');
    expect(first.stdout).toContain('field localEmailsIds (YT_EMAILS_IDS_GLOBAL_FIELD_ID): changed name');
    const localId = await trackerField(config.tracker.fieldIds.localId);
    const emails = await trackerField(config.tracker.fieldIds.localEmailsIds);
    expect({ ...localId, version: 0 }).toEqual({ name: 'Local ID', readonly: false, visible: false, version: 0 });
    expect({ ...emails, version: 0 }).toEqual({
      name: 'Local emails IDs',
      readonly: false,
      visible: false,
      version: 0,
    });

    emulator.clearRequestLog();
    const second = await runCli(['tracker', 'setup-fields']);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(
      'field localId (YT_DATABASE_ID_GLOBAL_FIELD_ID): already set up (name "Local ID", readonly=false, visible=false)\n' +
        'field localEmailsIds (YT_EMAILS_IDS_GLOBAL_FIELD_ID): already set up (name "Local emails IDs", readonly=false, visible=false)\n',
    );
    expect(emulator.requestLog().filter((e) => e.method === 'PATCH')).toEqual([]);
    expect(await trackerField(config.tracker.fieldIds.localId)).toEqual(localId);
  });
});

interface SignalEvent {
  name: string;
  input: unknown;
}

async function signalsOf(workflowId: string): Promise<{ runId: string; signals: SignalEvent[] }> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const history = await client.workflow.getHandle(workflowId, description.runId).fetchHistory();
  const signals: SignalEvent[] = [];
  for (const event of history.events ?? []) {
    const attrs = event.workflowExecutionSignaledEventAttributes;
    if (!attrs) continue;
    const payload = attrs.input?.payloads?.[0];
    signals.push({
      name: attrs.signalName ?? '',
      input: payload?.data ? JSON.parse(Buffer.from(payload.data).toString('utf8')) : null,
    });
  }
  return { runId: description.runId, signals };
}

describe('incident resync (OPS-3)', () => {
  let incidentId: number;
  let issueKey: string;
  let issueVersion: number;

  beforeAll(async () => {
    const issue = emulator.dispatcher.createIssue({ login: 'ivanov', summary: 'Авария БС 4711' });
    issueKey = String(issue['key']);
    issueVersion = Number(issue['version']);
    incidentId = await database.pool.oneFirst(sql.type(z.object({ id: z.number() }))`
      INSERT INTO incidents (code, registration_time, is_auto) VALUES (${issueKey}, now(), true) RETURNING id`);
    startedWorkflows.add(incidentWorkflowId(incidentId));
  });

  test('resync by Tracker key: trackerChanged (source resync, current version) and directoryChanged reach the workflow history', async () => {
    const result = await runCli(['incident', 'resync', issueKey, '--json']);
    expect(result.code).toBe(0);
    const workflowId = incidentWorkflowId(incidentId);
    const tracker = JSON.parse(result.stdout) as { tracker: { updatedAt: string } };
    expect(JSON.parse(result.stdout)).toEqual({
      incidentId,
      workflowId,
      tracker: { issueKey, version: issueVersion, updatedAt: tracker.tracker.updatedAt, source: 'resync' },
      directory: { towerStoreRunId: 0 },
    });
    expect(tracker.tracker.updatedAt).toBe(emulator.getIssue(issueKey)?.['updatedAt']);
    const { signals } = await signalsOf(workflowId);
    expect(signals).toEqual([
      {
        name: 'trackerChanged',
        input: { issueKey, version: issueVersion, updatedAt: tracker.tracker.updatedAt, source: 'resync' },
      },
      { name: 'directoryChanged', input: { towerStoreRunId: 0 } },
    ]);
  });

  test('resync by id restarts a closed workflow (signalWithStart)', async () => {
    const workflowId = incidentWorkflowId(incidentId);
    const before = await signalsOf(workflowId);
    await client.workflow.getHandle(workflowId).terminate('closed for the test');
    const result = await runCli(['incident', 'resync', String(incidentId)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `incident ${incidentId}, workflow ${workflowId}:\n  sent trackerChanged {"issueKey":"${issueKey}"`,
    );
    const after = await signalsOf(workflowId);
    expect(after.runId).not.toBe(before.runId);
    expect(after.signals.map((s) => s.name)).toEqual(['trackerChanged', 'directoryChanged']);
    expect((await client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
  });

  test('resync of an unknown incident fails with exit 1 and names it', async () => {
    const result = await runCli(['incident', 'resync', 'AVRSERVICE-999999']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: no incident "AVRSERVICE-999999"\n');
  });
});

function rawMail(n: number, at: Date): string {
  return [
    'From: noc@operator.ru',
    `To: ${COLLECTION_MAILBOX}`,
    `Subject: Авария БС ${5100 + n}`,
    `Message-ID: <backfill-${n}@operator.ru>`,
    `Date: ${at.toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    `Авария на БС ${5100 + n}, нет питания.`,
    '',
  ].join('\r\n');
}

const storedMessageIds = async (): Promise<string[]> => [
  ...(await database.pool.anyFirst(sql.type(z.object({ message_id: z.string() }))`
      SELECT message_id FROM emails WHERE message_id LIKE '<backfill-%' ORDER BY message_id`)),
];

describe('mail backfill (MAIL-17, MAIL-8)', () => {
  const account = () => mail.account(COLLECTION_MAILBOX);
  const now = new Date();
  const since = new Date(now.getTime() - 24 * 3600_000).toISOString().slice(0, 10);

  afterAll(async () => {
    const ids = await database.pool.anyFirst(sql.type(z.object({ incident_id: z.number() }))`
      SELECT DISTINCT incident_id FROM emails WHERE incident_id IS NOT NULL`);
    for (const id of ids) startedWorkflows.add(incidentWorkflowId(id));
  });

  test('MAIL-8: the real run stores only messages not stored yet; --dry-run only counts', async () => {
    // An old message (before --since) and two recent ones; the backfill stores the two.
    await appendMessages(account(), 'INBOX', [
      {
        raw: rawMail(0, new Date(now.getTime() - 10 * 24 * 3600_000)),
        internalDate: new Date(now.getTime() - 10 * 24 * 3600_000),
      },
      { raw: rawMail(1, now), internalDate: now },
      { raw: rawMail(2, now), internalDate: now },
    ]);
    const first = await runCli(['mail', 'backfill', '--folder', 'INBOX', '--since', since]);
    expect(first.stderr).toContain('backfill: 2/2 stored 2 new\n');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /^backfill of INBOX \(INBOX\) since \S+: 2 message\(s\), 2 new stored, 0 already stored, 0 failed\n$/,
    );
    expect(await storedMessageIds()).toEqual(['<backfill-1@operator.ru>', '<backfill-2@operator.ru>']);

    // Three more arrive: five recent messages in the folder, two of them stored.
    await appendMessages(
      account(),
      'INBOX',
      [3, 4, 5].map((n) => ({ raw: rawMail(n, now), internalDate: now })),
    );
    const dry = await runCli(['mail', 'backfill', '--folder', 'INBOX', '--since', since, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('backfill: 5/5 checked 3 new\n');
    expect(JSON.parse(dry.stdout)).toMatchObject({
      folder: 'INBOX',
      role: 'INBOX',
      dryRun: true,
      messages: 5,
      fresh: 3,
      alreadyStored: 2,
      failures: [],
      vanished: 0,
    });
    expect(await storedMessageIds()).toEqual(['<backfill-1@operator.ru>', '<backfill-2@operator.ru>']);

    const real = await runCli(['mail', 'backfill', '--folder', 'INBOX', '--since', since, '--json']);
    expect(real.code).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({ messages: 5, fresh: 3, alreadyStored: 2, failures: [] });
    expect(await storedMessageIds()).toEqual([1, 2, 3, 4, 5].map((n) => `<backfill-${n}@operator.ru>`));

    const again = await runCli(['mail', 'backfill', '--folder', 'INBOX', '--since', since]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('5 message(s), 0 new stored, 5 already stored, 0 failed');
  });

  test('a --since that is not a date is a usage error (exit 2)', async () => {
    const result = await runCli(['mail', 'backfill', '--folder', 'INBOX', '--since', '2026-02-30']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: --since must be a date YYYY-MM-DD, got "2026-02-30"\n');
  });
});

describe('status: mailbox lag (MAIL-3, MAIL-4)', () => {
  test('status counts the messages above a checkpoint and warns when it has not moved for 15 minutes', async () => {
    const folder = 'YandexTrackerArchive';
    const appended = await appendMessages(
      mail.account(COLLECTION_MAILBOX),
      folder,
      [11, 12, 13].map((n) => ({ raw: rawMail(n, new Date()) })),
    );
    const [first] = appended;
    if (first === undefined) throw new Error('nothing appended');
    await database.pool.query(sql.unsafe`
      INSERT INTO mail_folder_checkpoints (folder_name, folder_role, uidvalidity, last_uid, updated_at)
      VALUES (${folder}, 'INBOX', ${Number(first.uidValidity)}, ${first.uid}, now() - interval '1 hour')`);
    const result = await runCli(['status']);
    expect(result.stdout).toContain(
      `WARN mailbox lag ${folder}: 2 message(s) above the checkpoint, checkpoint not moved for 60 min (is the worker running?)\n`,
    );

    await database.pool.query(sql.unsafe`
      UPDATE mail_folder_checkpoints SET last_uid = ${appended.at(-1)?.uid ?? 0} WHERE folder_name = ${folder}`);
    const caughtUp = await runCli(['status']);
    expect(caughtUp.stdout).toContain(`OK   mailbox lag ${folder}: 0 message(s) above the checkpoint\n`);
  });
});
