// AC-14 / AC-16 through the incident workflow with a real worker process, real Dovecot + Postfix,
// the Tracker emulator and PostgreSQL: the dispatcher takes the issue in work, sends the acceptance
// notice, then hands it over to the contractor. The worker is killed with SIGKILL right after the
// SMTP server accepted the hand-over e-mail and before its outbox row was marked; after a restart
// the contractor still has exactly one e-mail (NOTIFY-3: found by its Message-ID in the Cc copy).
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTrackerRouterFor } from '../../src/activities/tracker-sync.js';
import type { TrackerRouter } from '../../src/activities/tracker-sync.js';
import { parseConfig } from '../../src/config/load.js';
import { projectPath } from '../../src/project-root.js';
import { listMessages, startMailServers, waitForMessage } from '../../src/sandbox/mail/index.js';
import type { MailServers, StoredMessage } from '../../src/sandbox/mail/index.js';
import { startTrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { incidentWorkflow, mailSignal, stateQuery } from '../../src/workflows/incident.js';
import { requiredEnv } from '../fixtures/config/env.js';
import { sandboxMailboxEnv } from '../support/mail-env.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { recordHistory } from '../support/replay.js';
import { ENV_TEMPORAL_ADDRESS, requireEnv } from '../support/services.js';
import { startChildWorker } from '../support/child-worker.js';
import { connectTemporal, workflowBundle, type TemporalTestContext } from '../support/temporal.js';
import { insertIncident, quietLogger, seedAcceptanceDirectory, waitFor } from './incident-fixtures.js';

const COLLECTION = 'disp@example.ru';
const CONTRACTOR = 'avr@remont.ru';
const OPERATOR = 'noc@operator.ru';

let mail: MailServers;
let emulator: TrackerEmulator;
let database: TestDatabase;
let temporal: TemporalTestContext;
let router: TrackerRouter;
let workDir: string;
let env: Record<string, string>;
let child: ChildProcess | undefined;

function startWorker(): Promise<ChildProcess> {
  return startChildWorker(projectPath('dist/test/workflow/notice-crash-worker.js'), { cwd: workDir, env: env });
}

beforeAll(async () => {
  [mail, emulator, database, temporal] = await Promise.all([
    startMailServers(),
    startTrackerEmulator(),
    createTestDatabase('notice_crash'),
    connectTemporal('notice-crash'),
  ]);
  workDir = await mkdtemp(join(tmpdir(), 'dispatch-notice-crash-'));
  const bundlePath = join(workDir, 'workflow-bundle.js');
  await writeFile(bundlePath, (await workflowBundle()).code);
  env = {
    ...requiredEnv(),
    ...emulator.env(),
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: requireEnv(ENV_TEMPORAL_ADDRESS),
    TEMPORAL_TASK_QUEUE: temporal.taskQueue,
    ...sandboxMailboxEnv(mail),
    PARSING_EMAIL_LOGIN: COLLECTION,
    MAIL_MESSAGE_ID_DOMAIN: 'dispatch.example.ru',
    NODE_EXTRA_CA_CERTS: mail.tls.certFile,
    CRASH_WORKFLOW_BUNDLE: bundlePath,
    CRASH_MARKER: join(workDir, 'crashed'),
  };
  await seedAcceptanceDirectory(database.pool);
  await database.pool.query(sql.unsafe`
    INSERT INTO dispatchers (login, email, display_name) VALUES ('petrov', 'petrov@example.ru', 'Пётр Петров')`);
  const config = parseConfig({ env, dotenvFile: null });
  router = createTrackerRouterFor({ config, db: database.pool, log: quietLogger(), temporal: temporal.client });
}, 120_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  await temporal?.close();
  await database?.drop();
  await emulator?.close();
  await mail?.stop();
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

const withId = (id: string) => (m: StoredMessage) => m.raw.includes(id);

describe('AC-14 crash-safe hand-over through the workflow', () => {
  test('acceptance notice, then a hand-over whose worker dies after SMTP accepted it: exactly one e-mail each', async () => {
    const { incidentId, emailId } = await insertIncident(database.pool, {
      messageId: '<crash-original@operator.ru>',
      subject: 'Авария',
      from: OPERATOR,
      to: [COLLECTION],
      date: new Date(Date.now() - 10 * 60_000),
      body: 'нет питания на БС MSK0123',
    });
    const workflowId = `incident-${incidentId}`;
    child = await startWorker();
    const handle = await temporal.client.workflow.signalWithStart(incidentWorkflow, {
      workflowId,
      taskQueue: temporal.taskQueue,
      args: [{ incidentId }],
      signal: mailSignal,
      signalArgs: [{ emailId }],
    });
    const key = (
      await waitFor(
        () => handle.query(stateQuery),
        (s) => s.issueKey !== null,
      )
    ).issueKey as string;
    const statusOf = () => (emulator.getIssue(key)?.['status'] as { key: string } | undefined)?.key;
    const move = async (status: string) => {
      emulator.dispatcher.executeTransition({ login: 'petrov', issue: key, status });
      await router.routeIssueByKey(key, 'poll');
    };
    const seen = async (status: string, timeoutMs = 60_000) => {
      // Our own transitions are changes too: detection keeps routing until the workflow caught up.
      const deadline = Date.now() + timeoutMs;
      while (statusOf() !== status && Date.now() < deadline) {
        await router.routeIssueByKey(key, 'poll');
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(statusOf()).toBe(status);
    };

    await move('inProgress');
    await waitFor(
      () => handle.query(stateQuery),
      (s) => s.pendingTrackerVersion === null && s.trackerVersion !== null,
    );
    // AC-16: the acceptance notice goes out and the issue moves to the notified status.
    await move('uvedomlaemOperatora');
    await seen('uvedomiliOperatora');
    const ack = await waitForMessage(mail.account(OPERATOR), 'INBOX', (m) => m.raw.includes('dispatch.ack.'), {
      timeoutMs: 30_000,
    });
    expect(ack.raw.toString('utf8')).toContain('In-Reply-To: <crash-original@operator.ru>');

    // AC-14: the hand-over; the worker dies right after Postfix accepted the e-mail.
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    await move('peredatPodradciku');
    await exited;
    const messageId = await readFile(join(workDir, 'crashed'), 'utf8');
    expect(existsSync(join(workDir, 'crashed'))).toBe(true);
    const stuck = await database.pool.oneFirst(sql.type(z.object({ state: z.string() }))`
      SELECT state FROM outbox WHERE message_id = ${messageId}`);
    expect(stuck).toBe('sending');

    child = await startWorker();
    await seen('peredanoPodradciku', 150_000);
    await waitForMessage(mail.account(CONTRACTOR), 'INBOX', withId(messageId), { timeoutMs: 30_000 });
    expect((await listMessages(mail.account(CONTRACTOR), 'INBOX')).filter(withId(messageId))).toHaveLength(1);
    expect((await listMessages(mail.account(COLLECTION), 'INBOX')).filter(withId(messageId))).toHaveLength(1);
    const outbox = await database.pool.any(sql.type(z.object({ kind: z.string(), state: z.string() }))`
      SELECT kind, state FROM outbox WHERE incident_id = ${incidentId} ORDER BY id`);
    expect(outbox).toEqual([
      { kind: 'ack', state: 'sent' },
      { kind: 'avr', state: 'sent' },
    ]);
    const history = await database.pool.anyFirst(sql.type(z.object({ name: z.string() }))`
      SELECT s.name FROM incident_status_history h JOIN incident_statuses s ON s.id = h.status_id
      WHERE h.incident_id = ${incidentId} ORDER BY h.inserted_at, h.id`);
    expect(history).toEqual([
      'В работе',
      'Уведомляем оператора',
      'Уведомили оператора',
      'Передать подрядчику',
      'Передано подрядчику',
    ]);
    // NOTIFY-4: one comment copy per notice and one success comment per notified transition, nothing twice.
    const comments = (emulator.issueHistory(key)?.comments ?? []).map((c) => String(c['text']));
    expect(comments.filter((t) => t.startsWith('### 📧'))).toHaveLength(2);
    expect(comments.filter((t) => !t.startsWith('### 📧'))).toEqual([
      'Уведомили оператора о принятии заявки в работу.',
      'Уведомили подрядчика о заявке.',
    ]);
    await recordHistory(
      temporal.client,
      workflowId,
      'incident-notices-with-worker-crash',
      'AC-14 crash (notice-crash)',
    );
    await handle.terminate('test done');
  }, 300_000);
});
