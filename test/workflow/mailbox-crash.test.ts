// A 1,000-mail corpus processed by mailbox workflows on a real worker in a child process that is
// killed with SIGKILL twice in the middle (ARCHITECTURE §8 chaos): afterwards every mail is stored
// exactly once and grouped as expected (MAIL-4, MAIL-8, GEN-5). Prints the throughput.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { z } from 'zod';

import { readCheckpoint } from '../../src/adapters/db/mail-bookkeeping.js';
import { projectPath } from '../../src/project-root.js';
import { generateFixtures } from '../../src/sandbox/fixtures/index.js';
import type { ExpectedMail, Fixtures } from '../../src/sandbox/fixtures/index.js';
import { mailboxWorkflow } from '../../src/workflows/mailbox.js';
import { startChildWorker } from '../support/child-worker.js';
import { connectTemporal, workflowBundle } from '../support/temporal.js';
import type { TemporalTestContext } from '../support/temporal.js';
import {
  appendInOrder,
  ingestionEnv,
  startIngestionHarness,
  storedEmails,
  storedIncidents,
} from '../integration/ingestion-harness.js';
import type { IngestionHarness, StoredEmail } from '../integration/ingestion-harness.js';

const MAILS = 1000;

let temporal: TemporalTestContext;
let harness: IngestionHarness;
let fixtures: Fixtures;
let workDir: string;
let child: ChildProcess | undefined;
const watcherIds: string[] = [];
let workerEnv: Record<string, string>;

const countEmails = () =>
  harness.db.pool.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*) FROM emails`);

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function startWorker(): Promise<ChildProcess> {
  return startChildWorker(projectPath('dist/test/workflow/mailbox-crash-worker.js'), { cwd: workDir, env: workerEnv });
}

async function kill(worker: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  worker.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  temporal = await connectTemporal('mailbox-crash');
  harness = await startIngestionHarness(temporal.client, `${temporal.taskQueue}-incidents`);
  workDir = await mkdtemp(join(tmpdir(), 'dispatch-crash-'));
  const bundlePath = join(workDir, 'workflow-bundle.js');
  await writeFile(bundlePath, (await workflowBundle()).code);
  workerEnv = {
    ...ingestionEnv(harness.mail, harness.db.url, `${temporal.taskQueue}-incidents`, harness.attachmentsDir),
    CRASH_WORKER_QUEUE: temporal.taskQueue,
    CRASH_WORKFLOW_BUNDLE: bundlePath,
  };
  fixtures = generateFixtures({ seed: 1717, mails: MAILS, poles: 600 });
  for (const seed of fixtures.expected.seedIssues) {
    await harness.db.pool.query(sql.unsafe`
      INSERT INTO incidents (code, registration_time, is_auto)
      VALUES (${seed.key}, ${sql.timestamp(new Date(seed.createdAt))}, false)`);
  }
}, 120_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) await kill(child);
  for (const id of watcherIds) {
    await temporal.client.workflow
      .getHandle(id)
      .terminate('test finished')
      .catch(() => undefined);
  }
  await harness?.close();
  await temporal?.close();
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

function append(folder: 'INBOX' | 'Sent'): Promise<number[]> {
  const bytes = new Map(fixtures.corpus.files.map((f) => [f.path, f.bytes]));
  return appendInOrder(
    harness.mail,
    folder,
    fixtures.expected.mails
      .filter((m) => m.folder === folder)
      .map((m) => ({ raw: bytes.get(m.file) ?? Buffer.alloc(0), internalDate: new Date(m.internalDate) })),
  );
}

describe('mailbox workflows with a worker killed twice', () => {
  test(`GEN-5 / MAIL-4 / MAIL-8: ${MAILS} mails, two SIGKILLs of the worker, every mail exactly once`, async () => {
    child = await startWorker();
    for (const folderKey of ['inbox', 'sent'] as const) {
      const id = `mailbox-${folderKey}-${randomUUID()}`;
      watcherIds.push(id);
      await temporal.client.workflow.start(mailboxWorkflow, {
        workflowId: id,
        taskQueue: temporal.taskQueue,
        args: [{ folderKey, heartbeatTimeoutSeconds: 3 }],
      });
    }
    await waitUntil(
      async () =>
        (await readCheckpoint(harness.db.pool, 'INBOX')) !== null &&
        (await readCheckpoint(harness.db.pool, 'Sent')) !== null,
      60_000,
      'the first runs to set the checkpoints',
    );
    // The generator's processing assumption: the Sent folder before the INBOX.
    const sentCount = fixtures.expected.counts.byFolder.Sent;
    const inboxCount = fixtures.expected.counts.byFolder.INBOX;
    await append('Sent');
    await waitUntil(
      async () => (await readCheckpoint(harness.db.pool, 'Sent'))?.lastUid === sentCount,
      120_000,
      'the Sent folder to be processed',
    );
    const rowsBeforeInbox = await countEmails();
    const started = Date.now();
    await append('INBOX');
    const rows = fixtures.expected.counts.rows;
    const rowsAtKill: number[] = [];
    for (const share of [0.3, 0.65]) {
      await waitUntil(
        async () => (await countEmails()) >= rowsBeforeInbox + share * (rows - rowsBeforeInbox),
        180_000,
        `${share * 100}% of the INBOX rows`,
      );
      await kill(child);
      rowsAtKill.push(await countEmails());
      child = await startWorker();
    }
    // Both kills hit the middle of the INBOX backlog.
    expect(rowsAtKill.filter((n) => n > rowsBeforeInbox && n < rows)).toHaveLength(2);
    await waitUntil(
      async () => (await readCheckpoint(harness.db.pool, 'INBOX'))?.lastUid === inboxCount,
      300_000,
      'the INBOX to be processed',
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `crash test: ${inboxCount} INBOX mails in ${seconds.toFixed(1)} s with 2 worker kills ` +
        `(${(inboxCount / seconds).toFixed(1)} mails/s including restarts)`,
    );

    const emails = await storedEmails(harness);
    const incidents = await storedIncidents(harness);
    const rowOf = (mail: ExpectedMail): StoredEmail | undefined => {
      const original =
        mail.duplicateOf === null ? mail : fixtures.expected.mails.find((m) => m.id === mail.duplicateOf);
      if (original === undefined) return undefined;
      return original.messageId !== null
        ? emails.find((e) => e.message_id === original.messageId)
        : emails.find((e) => e.folder_name === original.folder && e.uid === original.uid);
    };
    expect(emails).toHaveLength(rows);
    expect(fixtures.expected.mails.filter((m) => !m.unparseable && rowOf(m) === undefined)).toEqual([]);
    expect(incidents).toHaveLength(fixtures.expected.counts.incidents);
    expect(incidents.filter((i) => i.is_auto && i.new_rows !== 1)).toEqual([]);
    // Same grouping as expected: mails of one expected incident share one DB incident, and no two
    // expected incidents share one.
    const dbIncidentOf = new Map<string, Set<number | null>>();
    for (const mail of fixtures.expected.mails.filter((m) => !m.unparseable)) {
      const key = mail.incident ?? `none:${mail.id}`;
      dbIncidentOf.set(key, (dbIncidentOf.get(key) ?? new Set()).add(rowOf(mail)?.incident_id ?? null));
    }
    const split = [...dbIncidentOf].filter(
      ([ref, ids]) => ids.size !== 1 || (!ref.startsWith('none:') && ids.has(null)),
    );
    expect(split).toEqual([]);
    const linked = [...dbIncidentOf].filter(([ref]) => !ref.startsWith('none:')).map(([, ids]) => [...ids][0]);
    expect(new Set(linked).size).toBe(linked.length);
    const unlinked = [...dbIncidentOf].filter(([ref]) => ref.startsWith('none:')).map(([, ids]) => [...ids][0]);
    expect(unlinked.filter((id) => id !== null)).toEqual([]);
  }, 600_000);
});
