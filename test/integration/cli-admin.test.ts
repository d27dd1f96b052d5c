// The `dispatch` admin CLI (OPS-3) run as a child process against this run's PostgreSQL.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { z } from 'zod';
import { ensureIncidentStatusId } from '../../src/adapters/db/defaults.js';
import { STATUS } from '../../src/domain/reference-data.js';
import { completeEnv } from '../fixtures/config/env.js';
import { runCompiledCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ENV_TEMPORAL_ADDRESS, requireEnv } from '../support/services.js';

let database: TestDatabase;
let cwd: string;
let env: Record<string, string>;

function runCli(args: string[], overrideEnv: Record<string, string> = env): Promise<CliResult> {
  return runCompiledCli(args, { cwd, env: overrideEnv });
}

const idRow = z.object({ id: z.number() });

beforeAll(async () => {
  database = await createTestDatabase('dispatch_cli');
  // A directory without .env: the CLI sees only the environment given here.
  cwd = await mkdtemp(join(tmpdir(), 'dispatch-cli-'));
  env = {
    ...completeEnv(),
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: requireEnv(ENV_TEMPORAL_ADDRESS),
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: `cli-${randomUUID()}`,
  };
});

afterAll(async () => {
  await database.drop();
  await rm(cwd, { recursive: true, force: true });
});

describe('dispatch CLI basics', () => {
  test('OPS-3: --help lists the commands and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['dispatchers', 'mail', 'sync', 'tracker', 'incident', 'status']) {
      expect(result.stdout).toContain(command);
    }
    const sub = await runCli(['mail', 'failures', 'requeue', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--all');
  });

  test('an unknown command is a usage error: exit 2', async () => {
    const result = await runCli(['no-such-command']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'no-such-command'");
  });

  test('CONF-2: a configuration error exits 78 and names the problem', async () => {
    const broken = { ...env };
    delete broken['YT_QUEUE'];
    const result = await runCli(['dispatchers', 'list'], broken);
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('YT_QUEUE: required');
    expect(result.stdout).toBe('');
  });
});

describe('dispatchers (ASSIGN-6)', () => {
  test('ASSIGN-6: add, list, deactivate and activate', async () => {
    const add = await runCli(['dispatchers', 'add', 'ivan.petrov', '--email', 'ivan@example.ru', '--name', 'Иван']);
    expect(add).toEqual({ code: 0, stdout: 'added dispatcher ivan.petrov (active)\n', stderr: '' });
    const addInactive = await runCli(['dispatchers', 'add', 'olga_k', '--inactive']);
    expect(addInactive.code).toBe(0);

    const list = await runCli(['dispatchers', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      { login: 'ivan.petrov', email: 'ivan@example.ru', displayName: 'Иван', isActive: true },
      { login: 'olga_k', email: null, displayName: null, isActive: false },
    ]);

    const deactivate = await runCli(['dispatchers', 'deactivate', 'ivan.petrov']);
    expect(deactivate).toEqual({ code: 0, stdout: 'dispatcher ivan.petrov is now inactive\n', stderr: '' });
    const activate = await runCli(['dispatchers', 'activate', 'olga_k']);
    expect(activate.code).toBe(0);

    const text = await runCli(['dispatchers', 'list']);
    expect(text.stdout).toBe('ivan.petrov\tinactive\tivan@example.ru\tИван\nolga_k\tactive\t-\t-\n');
  });

  test('DATA-8: a login that breaks the rules exits 1 with the reason and adds nothing', async () => {
    const short = await runCli(['dispatchers', 'add', 'abc']);
    expect(short.code).toBe(1);
    expect(short.stderr).toBe('error: login "abc" must be at least 4 characters long (DATA-8)\n');
    const spaced = await runCli(['dispatchers', 'add', 'ivan petrov']);
    expect(spaced.code).toBe(1);
    expect(spaced.stderr).toContain('may contain only letters a-z, A-Z, digits, ".", "_" and "-"');
    const count = await database.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
      SELECT count(*)::int AS n FROM dispatchers WHERE login IN ('abc', 'ivan petrov')`);
    expect(count).toBe(0);
  });

  test('ASSIGN-6: adding an existing login or deactivating an unknown one exits 1', async () => {
    await runCli(['dispatchers', 'add', 'dup.login']);
    const again = await runCli(['dispatchers', 'add', 'dup.login']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('error: dispatcher dup.login already exists (left unchanged)\n');
    const unknown = await runCli(['dispatchers', 'deactivate', 'nobody.here']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: no dispatcher with login nobody.here\n');
  });
});

describe('mail failures (MAIL-17)', () => {
  let openId: number;
  let abandonedId: number;
  let resolvedId: number;

  beforeAll(async () => {
    const insert = (uid: number, state: string, attempts: number) =>
      database.pool.oneFirst(sql.type(idRow)`
        INSERT INTO mail_failures (folder_name, uidvalidity, uid, message_id, error, attempts, next_retry_at, state)
        VALUES ('INBOX/Dispatch', 7, ${uid}, ${`<m${uid}@example.ru>`}, 'no header', ${attempts},
          ${state === 'open' ? sql.timestamp(new Date('2030-01-01T00:00:00Z')) : null}, ${state})
        RETURNING id`);
    openId = await insert(11, 'open', 2);
    abandonedId = await insert(12, 'abandoned', 5);
    resolvedId = await insert(13, 'resolved', 1);
  });

  test('MAIL-17: lists failures, filtered by state', async () => {
    const all = await runCli(['mail', 'failures', 'list', '--json']);
    expect(all.code).toBe(0);
    const rows = z
      .array(z.object({ id: z.number(), state: z.string(), uid: z.number() }))
      .parse(JSON.parse(all.stdout));
    expect(rows.map((r) => r.id).sort((a, b) => a - b)).toEqual([openId, abandonedId, resolvedId]);

    const abandoned = await runCli(['mail', 'failures', 'list', '--state', 'abandoned']);
    expect(abandoned.code).toBe(0);
    expect(abandoned.stdout).toBe(
      `#${abandonedId}\tabandoned\tINBOX/Dispatch uidvalidity=7 uid=12\tattempts=5\tnext=-\t<m12@example.ru>\tno header\n`,
    );

    const badState = await runCli(['mail', 'failures', 'list', '--state', 'lost']);
    expect(badState.code).toBe(2);
  });

  test('MAIL-17: requeue one failure by id gives it a fresh retry budget', async () => {
    const result = await runCli(['mail', 'failures', 'requeue', String(abandonedId)]);
    expect(result).toEqual({ code: 0, stdout: `requeued 1 failure(s): #${abandonedId}\n`, stderr: '' });
    const row = await database.pool.one(sql.type(z.object({ state: z.string(), attempts: z.number() }))`
      SELECT state, attempts FROM mail_failures WHERE id = ${abandonedId}`);
    expect(row).toEqual({ state: 'open', attempts: 0 });
  });

  test('MAIL-17: requeue --all takes every unresolved failure; an unknown id exits 1', async () => {
    const all = await runCli(['mail', 'failures', 'requeue', '--all']);
    expect(all.code).toBe(0);
    expect(all.stdout).toBe(
      `requeued 2 failure(s): #${Math.min(openId, abandonedId)}, #${Math.max(openId, abandonedId)}\n`,
    );
    const resolved = await database.pool.oneFirst(sql.type(z.object({ state: z.string() }))`
      SELECT state FROM mail_failures WHERE id = ${resolvedId}`);
    expect(resolved).toBe('resolved');

    const unknown = await runCli(['mail', 'failures', 'requeue', '999999']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: no mail failure #999999\n');
    const neither = await runCli(['mail', 'failures', 'requeue']);
    expect(neither.code).toBe(2);
  });
});

describe('incident show and thread conflicts (OPS-3, THREAD-7)', () => {
  let incidentId: number;
  let otherIncidentId: number;
  let emailId: number;
  let conflictId: number;

  beforeAll(async () => {
    const db = database.pool;
    await db.query(sql.unsafe`INSERT INTO dispatchers (login) VALUES ('anna.s')`);
    const insertIncident = (code: string) =>
      db.oneFirst(sql.type(idRow)`
        INSERT INTO incidents (code, registration_time, is_auto, assignee_login, responsible_dispatcher_id)
        VALUES (${code}, '2026-03-01T05:00:00Z', true, 'anna.s', (SELECT id FROM dispatchers WHERE login = 'anna.s'))
        RETURNING id`);
    incidentId = await insertIncident('AVRSERVICE-41');
    otherIncidentId = await insertIncident('AVRSERVICE-42');
    emailId = await db.oneFirst(sql.type(idRow)`
      INSERT INTO emails (message_id, subject, from_address, effective_date, folder_role, classification, incident_id)
      VALUES ('<a1@operator.ru>', 'Авария БС 1234', 'noc@operator.ru', '2026-03-01T05:00:00Z', 'INBOX', 'normal',
        ${incidentId})
      RETURNING id`);
    const inWork = await ensureIncidentStatusId(db, STATUS.inProgress);
    await db.query(sql.unsafe`
      INSERT INTO incident_status_history (incident_id, status_id, inserted_at, source)
      VALUES (${incidentId}, ${inWork}, '2026-03-01T05:10:00Z', 'tracker')`);
    await db.query(sql.unsafe`
      INSERT INTO outbox (message_id, incident_id, kind, trigger_key, to_addresses, subject, body, state, sent_at)
      VALUES ('<ack-1@robot.example.ru>', ${incidentId}, 'ack', 'st-1', ARRAY['noc@operator.ru'], 'Re: Авария', 'Принято',
        'sent', '2026-03-01T05:11:00Z')`);
    await db.query(sql.unsafe`
      INSERT INTO tracker_comments (email_id, issue_key, tracker_comment_id, state, posted_at)
      VALUES (${emailId}, 'AVRSERVICE-41', '77', 'posted', '2026-03-01T05:01:00Z')`);
    conflictId = await db.oneFirst(sql.type(idRow)`
      INSERT INTO thread_conflicts (email_id, candidate_incident_ids, chosen_incident_id, resolution_rule)
      VALUES (${emailId}, ${sql.array([incidentId, otherIncidentId], 'int8')}, ${incidentId}, 'thread')
      RETURNING id`);
  });

  test('OPS-1: the Web UI link follows TEMPORAL_UI_URL when --ui-url is not given', async () => {
    const result = await runCli(['incident', 'show', 'AVRSERVICE-41', '--json'], {
      ...env,
      TEMPORAL_UI_URL: 'https://temporal.ops.example.ru/',
    });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { workflow: { link: string } }).workflow.link).toBe(
      `https://temporal.ops.example.ru/namespaces/default/workflows/incident-${incidentId}`,
    );
  });

  test('OPS-3: incident show by key prints row, e-mails, history, outbox, comments and workflow link', async () => {
    const result = await runCli(['incident', 'show', 'AVRSERVICE-41', '--ui-url', 'http://ui.local:8080/']);
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toContain(`Incident ${incidentId} AVRSERVICE-41\n`);
    expect(out).toContain('  status:        В работе\n');
    expect(out).toContain('  assignee:      anna.s (responsible dispatcher: anna.s)\n');
    expect(out).toContain(`  workflow:      incident-${incidentId}\n`);
    expect(out).toContain(
      `  Web UI:        http://ui.local:8080/namespaces/default/workflows/incident-${incidentId}\n`,
    );
    expect(out).toContain(
      `E-mails (1):\n  #${emailId}\t2026-03-01T05:00:00.000Z\tINBOX\tnormal\tnoc@operator.ru\tАвария БС 1234\n`,
    );
    expect(out).toContain('Status history (1):\n  2026-03-01T05:10:00.000Z\tВ работе\ttracker\n');
    expect(out).toContain('\tack\tsent\tattempts=0\tsent=2026-03-01T05:11:00.000Z\tto=noc@operator.ru\n');
    expect(out).toContain(
      `Tracker comments (1):\n  e-mail #${emailId}\tAVRSERVICE-41\tposted\t77\t2026-03-01T05:01:00.000Z\n`,
    );
  });

  test('OPS-3: incident show --json by id carries the same data (Web UI link at its default without TEMPORAL_UI_URL)', async () => {
    const withoutUiUrl = Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'TEMPORAL_UI_URL'));
    const result = await runCli(['incident', 'show', String(incidentId), '--json'], withoutUiUrl);
    expect(result.code).toBe(0);
    const view = JSON.parse(result.stdout) as {
      incident: { code: string; status: string };
      emails: Array<{ id: number; subject: string; classification: string }>;
      statusHistory: unknown[];
      outbox: Array<{ kind: string; state: string }>;
      comments: Array<{ tracker_comment_id: string }>;
      workflow: { workflowId: string; link: string };
    };
    expect(view.incident.code).toBe('AVRSERVICE-41');
    expect(view.incident.status).toBe('В работе');
    expect(view.emails).toEqual([
      expect.objectContaining({ id: emailId, subject: 'Авария БС 1234', classification: 'normal' }),
    ]);
    expect(view.statusHistory).toHaveLength(1);
    expect(view.outbox).toEqual([expect.objectContaining({ kind: 'ack', state: 'sent' })]);
    expect(view.comments).toEqual([expect.objectContaining({ tracker_comment_id: '77' })]);
    expect(view.workflow).toEqual({
      workflowId: `incident-${incidentId}`,
      link: `http://127.0.0.1:8233/namespaces/default/workflows/incident-${incidentId}`,
    });
  });

  test('OPS-3: an unknown incident exits 1', async () => {
    const result = await runCli(['incident', 'show', 'AVRSERVICE-999']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: no incident "AVRSERVICE-999"\n');
  });

  test('THREAD-7: conflicts are listed and resolved to a named incident, recording who did it', async () => {
    const open = await runCli(['mail', 'conflicts', 'list', '--state', 'open']);
    expect(open.code).toBe(0);
    expect(open.stdout).toContain(
      `#${conflictId}\topen\temail=${emailId} <a1@operator.ru>\tcandidates=${incidentId},${otherIncidentId}\tchosen=${incidentId} (thread)`,
    );

    const resolve = await runCli([
      'mail',
      'conflicts',
      'resolve',
      String(conflictId),
      '--incident',
      String(otherIncidentId),
      '--by',
      'operator.ivan',
    ]);
    expect(resolve.code).toBe(0);
    expect(resolve.stdout).toBe(
      `conflict #${conflictId} resolved: e-mail ${emailId} linked to incident ${otherIncidentId} (moved from incident ${incidentId})\n`,
    );
    const row = await database.pool.one(sql.type(
      z.object({
        state: z.string(),
        resolved_incident_id: z.number(),
        resolved_by: z.string(),
        incident_id: z.number(),
      }),
    )`
      SELECT c.state, c.resolved_incident_id, c.resolved_by, e.incident_id
      FROM thread_conflicts c JOIN emails e ON e.id = c.email_id WHERE c.id = ${conflictId}`);
    expect(row).toEqual({
      state: 'resolved',
      resolved_incident_id: otherIncidentId,
      resolved_by: 'operator.ivan',
      incident_id: otherIncidentId,
    });

    const again = await runCli([
      'mail',
      'conflicts',
      'resolve',
      String(conflictId),
      '--incident',
      String(incidentId),
      '--by',
      'operator.ivan',
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`error: thread conflict #${conflictId} is already resolved\n`);
    const none = await runCli(['mail', 'conflicts', 'list', '--state', 'open']);
    expect(none.stdout).toBe('no thread conflicts\n');
  });
});
