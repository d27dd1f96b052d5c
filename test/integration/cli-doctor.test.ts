// `dispatch doctor` (OPS-3, YT-5) as a child process against real peers: this run's PostgreSQL and
// Temporal dev server, the sandbox Dovecot + Postfix, a Tracker emulator, the TowerStore feed
// server and the Telegram fake. Verdicts, fixes, exit codes; secrets never printed.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import proto from '@temporalio/proto';
import { projectPath } from '../../src/project-root.js';
import { startMailServers, type MailServers } from '../../src/sandbox/mail/index.js';
import { startTelegramFake, type TelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';
import { startTowerStoreFeedServer, type TowerStoreFeedServer } from '../../src/sandbox/towerstore/feed-server.js';
import { startTrackerEmulator, type TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { runCompiledCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { connectTemporal, type TemporalTestContext } from '../support/temporal.js';
import { COLLECTION_MAILBOX, ingestionEnv } from './ingestion-harness.js';

let database: TestDatabase;
let emulator: TrackerEmulator;
let mail: MailServers;
let feeds: TowerStoreFeedServer;
let telegram: TelegramFake;
let temporal: TemporalTestContext;
let cwd: string;
let env: Record<string, string>;

interface DoctorJson {
  verdict: string;
  checks: Array<{ check: string; verdict: string; detail: string; fix: string | null }>;
}

function doctor(overrides: Record<string, string> = {}, args: string[] = []): Promise<CliResult> {
  return runCompiledCli(['doctor', ...args], { cwd, env: { ...env, ...overrides } });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  database = await createTestDatabase('dispatch_cli_doctor');
  emulator = await startTrackerEmulator();
  mail = await startMailServers();
  feeds = await startTowerStoreFeedServer({ feeds: { poles: [], avr: [], bs: [] } });
  telegram = await startTelegramFake();
  temporal = await connectTemporal('cli-doctor');
  cwd = await mkdtemp(join(tmpdir(), 'dispatch-cli-doctor-'));
  // SMTP is TLS-only: the child process trusts the sandbox certificate the way production would.
  const caFile = join(cwd, 'sandbox-ca.pem');
  await writeFile(caFile, mail.tls.ca);
  env = {
    ...ingestionEnv(mail, database.url, temporal.taskQueue, join(cwd, 'attachments')),
    ...emulator.env(),
    ...feeds.env,
    ...telegram.env,
    PARSING_EMAIL_SMTP_SERVER: mail.smtp.host,
    PARSING_EMAIL_SMTP_PORT: String(mail.smtp.port),
    PARSING_EMAIL_SMTP_SECURE: 'false',
    NODE_EXTRA_CA_CERTS: caFile,
  };
});

afterAll(async () => {
  await temporal.close();
  await telegram.close();
  await feeds.close();
  await mail.stop();
  await emulator.close();
  await database.drop();
  await rm(cwd, { recursive: true, force: true });
});

const CHECKS = [
  'configuration',
  'postgresql',
  'migrations',
  'temporal',
  'temporal namespace',
  'temporal search attributes',
  'temporal worker',
  'imap',
  'smtp',
  'tracker',
  'tracker setup',
  'towerstore poles',
  'towerstore avr',
  'towerstore bs',
  'telegram',
];

async function waitForWorkflowPoller(): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const queue = await temporal.client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: temporal.taskQueue },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if ((queue.pollers ?? []).length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the test worker never polled');
}

describe('dispatch doctor (OPS-3)', () => {
  test('OPS-3: every peer reachable and a worker polling: all ok, exit 0', async () => {
    const result = await temporal.withWorker(async () => {
      await waitForWorkflowPoller();
      return doctor({}, ['--json']);
    });
    const report = JSON.parse(result.stdout) as DoctorJson;
    expect(report.checks.filter((c) => c.verdict !== 'ok')).toEqual([]);
    expect(report.checks.map((c) => c.check)).toEqual(CHECKS);
    expect(report.verdict).toBe('ok');
    expect(result.code).toBe(0);
    const byName = new Map(report.checks.map((c) => [c.check, c.detail]));
    expect(byName.get('imap')).toBe(
      `logged in as ${COLLECTION_MAILBOX} at ${mail.imap.host}:${mail.imap.port}; folders INBOX and Sent exist`,
    );
    expect(byName.get('smtp')).toBe(`logged in as ${COLLECTION_MAILBOX} at ${mail.smtp.host}:${mail.smtp.port}`);
    expect(byName.get('tracker')).toBe(`authorised as ${emulator.seed.apiUserLogin} at ${emulator.url}`);
    expect(byName.get('telegram')).toMatch(/^token valid: @\S+$/);
    const migrationFiles = (await readdir(projectPath('migrations'))).filter((n) => n.endsWith('.sql'));
    expect(byName.get('migrations')).toBe(`all ${migrationFiles.length} applied`);
  });

  test('OPS-3: no worker polling is a warning only: exit 2 with the fix', async () => {
    // A queue no worker ever polled (Temporal remembers recent pollers of the other one for minutes).
    const taskQueue = `${temporal.taskQueue}-idle`;
    const result = await doctor({ TEMPORAL_TASK_QUEUE: taskQueue });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      `WARN temporal worker: no worker polls task queue ${taskQueue}\n` +
        '     fix: start the worker (node dist/src/workers/main.js) with the same TEMPORAL_TASK_QUEUE\n',
    );
    expect(result.stdout.endsWith('doctor: warn\n')).toBe(true);
  });

  test('OPS-3: a wrong IMAP password fails the IMAP check, names the fix, never prints the password', async () => {
    const result = await doctor({ PARSING_EMAIL_PSWD: 'wrong-imap-password-42' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(`FAIL imap: IMAP login as ${COLLECTION_MAILBOX} at 127\\.0\\.0\\.1:${mail.imap.port} refused: .+\\n`),
    );
    expect(result.stdout).toContain(
      '     fix: check PARSING_EMAIL_LOGIN and PARSING_EMAIL_PSWD (for Yandex mail: an app password with IMAP access enabled)\n',
    );
    expect(result.stdout).toContain('OK   tracker: authorised as');
    expect(`${result.stdout}${result.stderr}`).not.toContain('wrong-imap-password-42');
  });

  test('OPS-3: an unreachable Tracker fails the Tracker check', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await doctor({ YT_API_BASE_URL: url }, ['--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as DoctorJson;
    const tracker = report.checks.find((c) => c.check === 'tracker');
    expect(tracker?.verdict).toBe('fail');
    expect(tracker?.detail).toMatch(new RegExp(`^Tracker at ${url} not usable: `));
    expect(tracker?.fix).toBe(`check YT_API_BASE_URL (now ${url}) and the network path to Tracker`);
    expect(report.checks.find((c) => c.check === 'imap')?.verdict).toBe('ok');
  });

  test('YT-5: a status missing from the Tracker catalog fails the setup check naming its key', async () => {
    // This emulator's queue has no status "peredanoPodradciku" (its key was renamed), the configuration still names it.
    const other = await startTrackerEmulator({
      statusKeys: { notifiedAvrContractorInWork: 'peredanoPodradcikuNovyi' },
    });
    try {
      const result = await doctor({
        ...other.env(),
        YT_NOTIFIED_AVR_CONTRACTOR_IN_WORK_STATUS_KEY: 'peredanoPodradciku',
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        'FAIL tracker setup: status "peredanoPodradciku" (YT_NOTIFIED_AVR_CONTRACTOR_IN_WORK_STATUS_KEY) does not exist\n',
      );
      expect(result.stdout).toContain(`OK   tracker: authorised as ${other.seed.apiUserLogin}`);
    } finally {
      await other.close();
    }
  });

  test('CONF-2: an invalid configuration is one failure listing every problem', async () => {
    const result = await doctor({ PARSING_EMAIL_LOGIN: '', TEMPORAL_ADDRESS: 'not a host port' });
    expect(result.code).toBe(1);
    const [first] = result.stdout.split('\n');
    expect(first?.startsWith('FAIL configuration: 2 problem(s): ')).toBe(true);
    expect(first).toContain('TEMPORAL_ADDRESS: expected host:port (e.g. localhost:7233), got "not a host port"');
    expect(first).toContain('PARSING_EMAIL_LOGIN: required');
    expect(result.stdout).toContain(
      '     fix: fix the variables named above in the environment or .env (see .env.example), then run doctor again\n',
    );
    expect(result.stdout).toContain('doctor: fail\n');
  });
});
