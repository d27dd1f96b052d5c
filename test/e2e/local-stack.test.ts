// The README's start command, as a newcomer and an ops engineer use it: start on embedded defaults,
// see the sample mails become incidents (workflows in the Web UI, issues on the emulator page),
// survive SIGKILL of the whole stack (workflows still there, new mail still handled), and leave
// nothing running after Ctrl-C.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { projectPath } from '../../src/project-root.js';
import { LOCAL_PORTS } from '../../src/starters/local-stack.js';
import { removeSandboxData, SANDBOX_PORTS } from '../../src/starters/local/sandbox.js';
import { removeCluster } from '../../src/starters/local/postgres.js';
import { isPortOpen } from '../../src/starters/local/processes.js';
import { appendMessage } from '../../src/sandbox/mail/index.js';

// Ports of this stack: the fixed local ports shifted, so a developer's own stack can keep running.
const OFFSET = 10_000;
const port = (p: number) => p + OFFSET;
const ALL_PORTS = [...Object.values(LOCAL_PORTS), ...Object.values(SANDBOX_PORTS)].map(port);

let dataDir: string;
let stack: ChildProcess | undefined;

interface Started {
  child: ChildProcess;
  output: () => string;
  readyMs: number;
}

async function startStack(): Promise<Started> {
  const t0 = Date.now();
  let output = '';
  const child = spawn(process.execPath, [projectPath('dist/src/starters/local-stack.js'), 'start'], {
    cwd: dataDir, // no .env there: embedded defaults and sandbox peers for everything
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DISPATCH_DATA_DIR: dataDir,
      DISPATCH_LOCAL_PORT_OFFSET: String(OFFSET),
    },
    detached: true, // own process group: SIGKILL of the group = the whole stack's foreground part
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('Press Ctrl-C')) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`stack exited with ${code}:\n${output}`));
    });
  });
  return { child, output: () => output, readyMs: Date.now() - t0 };
}

async function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dispatch-stack-'));
});

afterAll(async () => {
  if (stack && stack.exitCode === null) {
    stack.kill('SIGINT');
    await waitExit(stack);
  }
  // Whatever a failed test left behind.
  const stop = spawn(process.execPath, [projectPath('dist/src/starters/local-stack.js'), 'stop'], {
    cwd: dataDir,
    env: { ...process.env, DISPATCH_DATA_DIR: dataDir },
    stdio: 'ignore',
  });
  await waitExit(stop);
  await removeCluster(join(dataDir, 'postgres'));
  await removeSandboxData(join(dataDir, 'sandbox'));
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

const OPERATOR_REPORT = [
  'From: noc@operator.ru',
  'To: disp@example.ru',
  'Subject: =?utf-8?B?0JDQstCw0YDQuNGPINC/0L7RgdC70LUg0L/QtdGA0LXQt9Cw0L/Rg9GB0LrQsA==?=',
  'Message-ID: <e2e-after-restart@operator.ru>',
  `Date: ${new Date().toUTCString()}`,
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 8bit',
  '',
  'Нет питания на объекте после перезапуска.',
  '',
].join('\r\n');

describe('scripts/start.sh → local stack', () => {
  test('sample mails become incidents and issues; SIGKILL loses nothing; Ctrl-C leaves nothing behind', async () => {
    const first = await startStack();
    stack = first.child;
    expect(first.output()).toContain(`Temporal Web UI            http://127.0.0.1:${port(8233)}`);
    const ui = await fetch(`http://127.0.0.1:${port(8233)}/api/v1/namespaces`);
    // The stack announces the UI only once it lists the namespace (not merely once the port is open).
    const body = (await ui.json()) as { namespaces?: { namespaceInfo: { name: string } }[] };
    expect(body).toEqual(expect.objectContaining({ namespaces: expect.any(Array) }));
    expect(body.namespaces!.map((n) => n.namespaceInfo.name)).toContain('default');

    const connection = await Connection.connect({ address: `127.0.0.1:${port(7233)}` });
    try {
      const client = new Client({ connection });
      const incidentIds = async () => {
        const ids: string[] = [];
        for await (const wf of client.workflow.list({ query: 'WorkflowType = "incidentWorkflow"' }))
          ids.push(wf.workflowId);
        return ids.sort();
      };
      // The sandbox seeded sample mails: the watchers ingest them, incident workflows open issues.
      const before = await pollUntil(incidentIds, (ids) => ids.length > 0, 60_000);
      const issuesPage = () => fetch(`http://127.0.0.1:${port(8091)}/`).then((r) => r.text());
      await pollUntil(issuesPage, (html) => html.includes('AVRSERVICE-1'), 60_000);
      // The samples arrive after the first TowerStore sync, so their incidents carry poles (EXTR).
      expect(first.output()).toMatch(/\d+ sample mails put in the sandbox INBOX after the first TowerStore sync/);
      const poleField = (await readFile(join(dataDir, 'run', 'stack.env'), 'utf8')).match(
        /^YT_POLE_NUMBER_GLOBAL_FIELD_ID='([^']+)'/m,
      )?.[1];
      expect(poleField).toBeDefined();
      const issuesWithPole = () =>
        fetch(`http://127.0.0.1:${port(8091)}/_admin/issues`)
          .then((r) => r.json() as Promise<Record<string, unknown>[]>)
          .then((issues) =>
            issues.filter((issue) => typeof issue[poleField!] === 'string' && issue[poleField!] !== ''),
          );
      await pollUntil(issuesWithPole, (issues) => issues.length > 0, 60_000);

      // Crash: the whole foreground stack (stack process + worker) is killed at once.
      process.kill(-first.child.pid!, 'SIGKILL');
      await waitExit(first.child);

      const second = await startStack();
      stack = second.child;
      expect(second.readyMs).toBeLessThan(60_000);
      for (const id of before) expect((await client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');

      // The recovered stack keeps working: a new report becomes one more incident and issue.
      await appendMessage(
        { host: '127.0.0.1', port: port(3143), secure: false, user: 'disp@example.ru', password: 'secret' },
        'INBOX',
        OPERATOR_REPORT,
      );
      // (More sample mails may still have been in flight when `before` was read: compare by inclusion.)
      const after = await pollUntil(incidentIds, (ids) => ids.length > before.length, 90_000);
      expect(after).toEqual(expect.arrayContaining(before));
      await pollUntil(issuesPage, (html) => html.includes('Авария после перезапуска'), 90_000);
    } finally {
      await connection.close();
    }

    stack.kill('SIGINT');
    await waitExit(stack);
    expect(stack.exitCode).toBe(0);
    for (const p of ALL_PORTS) expect(`${p}:${String(await isPortOpen(p))}`).toBe(`${p}:false`);
  }, 300_000);
});

async function pollUntil<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await read();
      if (done(value)) return value;
    } catch (error) {
      last = error; // the worker may still be starting
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`condition not met in ${timeoutMs} ms (last error: ${String(last)})`);
}
