// `dispatch sync … --now`, `dispatch status` and `dispatch tracker check` (OPS-3, YT-5) run as child
// processes against this run's PostgreSQL, Temporal dev server and a Tracker emulator.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'slonik';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/load.js';
import { startTrackerEmulator, type TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { SCHEDULE_NAMES, ensureSchedules, scheduleId } from '../../src/starters/schedules.js';
import { completeEnv } from '../fixtures/config/env.js';
import { runCompiledCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ENV_TEMPORAL_ADDRESS, requireEnv } from '../support/services.js';
import { quietLogger } from '../workflow/incident-fixtures.js';

let database: TestDatabase;
let emulator: TrackerEmulator;
let connection: Connection;
let client: Client;
let config: Config;
let cwd: string;
let env: Record<string, string>;
const startedWorkflows: string[] = [];

function runCli(args: string[], overrideEnv: Record<string, string> = env): Promise<CliResult> {
  return runCompiledCli(args, { cwd, env: overrideEnv });
}

beforeAll(async () => {
  database = await createTestDatabase('dispatch_cli_ops');
  emulator = await startTrackerEmulator();
  cwd = await mkdtemp(join(tmpdir(), 'dispatch-cli-ops-'));
  env = {
    ...completeEnv(),
    ...emulator.env(),
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: requireEnv(ENV_TEMPORAL_ADDRESS),
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: `cli-ops-${randomUUID()}`,
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
  for (const name of SCHEDULE_NAMES) {
    await client.schedule
      .getHandle(scheduleId(config, name))
      .delete()
      .catch(() => undefined);
  }
  await connection.close();
  await emulator.close();
  await database.drop();
  await rm(cwd, { recursive: true, force: true });
});

describe('status and scheduled jobs (OPS-3)', () => {
  test('OPS-3: status without schedules names them missing and exits 1', async () => {
    const result = await runCli(['status']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('OK   database: reachable\n');
    expect(result.stdout).toContain(`OK   temporal: reachable at ${config.temporal.address}\n`);
    expect(result.stdout).toContain(
      `FAIL schedule backup: ${config.temporal.taskQueue}-backup missing (run bootstrap)\n`,
    );
  });

  test('OPS-3: sync cleanup --now triggers the schedule and prints the workflow id and Web UI link', async () => {
    await ensureSchedules(client, config, quietLogger());
    const result = await runCli(['sync', 'cleanup', '--now', '--json', '--ui-url', 'http://ui.example:8233']);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { schedule: string; workflowId: string; link: string };
    startedWorkflows.push(out.workflowId);
    expect(out.schedule).toBe('cleanup');
    expect(out.workflowId.startsWith(`${config.temporal.taskQueue}-cleanup`)).toBe(true);
    expect(out.link).toBe(`http://ui.example:8233/namespaces/default/workflows/${encodeURIComponent(out.workflowId)}`);
    const description = await client.workflow.getHandle(out.workflowId).describe();
    expect(description.type).toBe('cleanupWorkflow');

    const withoutNow = await runCli(['sync', 'backup']);
    expect(withoutNow.code).toBe(2);
    expect(withoutNow.stderr).toContain("required option '--now' not specified");
  });

  test('OPS-3: status shows schedules, checkpoints and counts, each with a verdict', async () => {
    await database.pool.query(sql.unsafe`
      INSERT INTO mail_folder_checkpoints (folder_name, folder_role, uidvalidity, last_uid)
      VALUES ('INBOX/Dispatch', 'INBOX', 42, 917), ('&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-', 'SENT', 42, 12)`);
    await database.pool.query(sql.unsafe`
      INSERT INTO mail_failures (folder_name, uidvalidity, uid, error, attempts, state)
      VALUES ('INBOX/Dispatch', 42, 5, 'broken', 5, 'abandoned')`);
    const result = await runCli(['status']);
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/^OK {3}mailbox INBOX\/Dispatch: uidvalidity=42 last uid=917 updated \S+$/m);
    // MAIL-1: the Sent folder configured in modified UTF-7 reads as its name.
    expect(out).toMatch(
      /^OK {3}mailbox Отправленные \(&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-\): uidvalidity=42 last uid=12 /m,
    );
    expect(out).toContain('WARN mail failures: 0 open, 1 abandoned (dispatch mail failures requeue --all)\n');
    expect(out).toContain('OK   thread conflicts: 0 open\n');
    expect(out).toContain('OK   outbox: 0 pending or sending\n');
    expect(out).toMatch(/^OK {3}schedule cleanup: last run \S+ \(.+-cleanup.*\), next run \S+$/m);
    expect(out).toMatch(/^OK {3}schedule towerstore-sync: last run -, next run \S+$/m);
  });

  test('OPS-3: an unreachable database is a FAIL verdict with exit 1', async () => {
    const result = await runCli(['status'], {
      ...env,
      DATABASE_URL: 'postgres://nobody:secret-pass@127.0.0.1:1/none',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL database: unreachable: /m);
    expect(result.stdout).toMatch(/^FAIL temporal: unreachable: /m);
  });
});

describe('tracker check (YT-5)', () => {
  test('YT-5: the seeded queue is ready: exit 0', async () => {
    const result = await runCli(['tracker', 'check']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Tracker setup of queue ${config.tracker.queue}: OK\n`);
  });

  test('YT-5: a missing status makes the verdict NOT READY with exit 1', async () => {
    const result = await runCli(['tracker', 'check'], { ...env, YT_ON_GENERATION_STATUS_KEY: 'noSuchStatus' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      `Tracker setup of queue ${config.tracker.queue}: NOT READY\n` +
        '  ERROR: status "noSuchStatus" (YT_ON_GENERATION_STATUS_KEY) does not exist\n',
    );
  });
});
