// Contract test: Yandex's official Python client (yandex-tracker-client, pinned in
// scripts/tracker-client-venv.sh) drives the emulator through create, get, update, comments,
// transitions, search, count and changelog (TRACKER_API.md §11). The venv is made on first run.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';

type Json = Record<string, unknown>;

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../..', import.meta.url));

let emulator: TrackerEmulator;
const steps = new Map<string, Json>();
let stderr = '';

beforeAll(async () => {
  emulator = await startTrackerEmulator();
  const venv = await run('bash', ['scripts/tracker-client-venv.sh'], { cwd: root, timeout: 180_000 });
  const python = venv.stdout.trim().split('\n').at(-1) ?? '';
  let stdout: string;
  try {
    const result = await run(python, ['test/contract/official_client_contract.py'], {
      cwd: root,
      timeout: 60_000,
      env: { ...process.env, ...emulator.env(), CONTRACT_RUN_ID: 'jest' },
    });
    stdout = result.stdout;
    stderr = result.stderr;
  } catch (error) {
    // A failing step makes the script exit 1; its JSON lines still say which step and why.
    const failed = error as { stdout?: string; stderr?: string };
    stdout = failed.stdout ?? '';
    stderr = failed.stderr ?? String(error);
  }
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line) as Json;
    steps.set(String(parsed['step']), parsed);
  }
}, 240_000);

afterAll(async () => {
  await emulator.close();
});

const step = (name: string): Json => steps.get(name) ?? { step: name, ok: false, error: `missing; stderr: ${stderr}` };

describe('official Python client against the emulator', () => {
  test('every step passed', () => {
    const failures = [...steps.values()].filter((s) => s['ok'] !== true);
    expect(failures).toEqual([]);
    expect([...steps.keys()]).toEqual([
      'myself',
      'create',
      'create_duplicate_unique',
      'get',
      'update',
      'update_stale_version',
      'comments',
      'transitions_list',
      'transition_execute',
      'find_filter_paging',
      'find_query',
      'count',
      'changelog',
      'summary',
    ]);
    expect(step('summary')).toEqual({ step: 'summary', ok: true, passed: 13, failed: [] });
  });

  test('YT-9: create, and a duplicate unique resolved through 409 + _findByUnique', () => {
    expect(step('myself')).toMatchObject({ login: 'dispatch-robot', uid: 8000000000000001 });
    expect(step('create')).toMatchObject({ key: 'AVRSERVICE-1', status: 'open', version: 1 });
    expect(step('create_duplicate_unique')).toMatchObject({
      key: 'AVRSERVICE-1',
      summary: 'Контракт: авария на опоре',
    });
    expect(step('get')).toMatchObject({
      localId: 101,
      poleNumber: '12345-MSK-01',
      newMessage: '\u2714\uFE0F Да',
      emailDatetime: '2024-05-01T10:00:00.000+0000',
      type: 'incident',
    });
    const counts = emulator.requestCounts();
    expect(counts['POST /issues']).toBe(4);
    expect(counts['POST /issues/_findByUnique']).toBe(1);
    expect(counts['GET /fields']).toBe(1);
  });

  test('update with If-Match, stale version conflict, comment paging', () => {
    expect(step('update')).toMatchObject({ version: 2, followers: ['ivanov'], poleNumber: '54321-SPB-02' });
    expect(step('update_stale_version')).toMatchObject({ conflict: true, version: 2 });
    expect(step('comments')).toMatchObject({ texts: ['Комментарий 1', 'Комментарий 2', 'Комментарий 3'] });
    // perPage=2 over three comments: the client followed Link rel="next" once.
    expect(emulator.requestCounts()['GET /issues/:issue/comments']).toBe(2);
  });

  test('YT-17: transitions listed and executed; NOTIFY-3: the changelog entry matches the emulator', () => {
    expect(step('transitions_list')).toMatchObject({ targets: ['inProgress', 'error', 'needAcceptance'] });
    expect(step('transition_execute')).toMatchObject({
      status: 'inProgress',
      next: ['error', 'needAcceptance', 'uvedomlaemOperatora', 'naGeneraciiNb', 'closed'],
    });
    const changelog = step('changelog');
    expect(changelog['statusChange']).toEqual({ field: 'status', from: 'open', to: 'inProgress' });
    expect(changelog['updatedBy']).toBe('dispatch-robot');
    const workflow = emulator.issueHistory('AVRSERVICE-1')?.changelog.find((e) => e['type'] === 'IssueWorkflow');
    expect(changelog['entryId']).toBe(workflow?.['id']);
    expect(changelog['types']).toEqual([
      'IssueCreated',
      'IssueUpdated',
      'IssueCommentAdded',
      'IssueCommentAdded',
      'IssueCommentAdded',
      'IssueWorkflow',
    ]);
  });

  test('YT-2: search pages followed to the end, query search and counts', () => {
    expect(step('find_filter_paging')).toMatchObject({
      keys: ['AVRSERVICE-1', 'AVRSERVICE-2', 'AVRSERVICE-3'],
      total: 3,
    });
    expect(step('find_query')).toMatchObject({ keys: ['AVRSERVICE-1'] });
    expect(step('count')).toMatchObject({ filter: 3, query: 3 });
    // Three pages of perPage=1 for the filter search, one for the query search.
    expect(emulator.requestCounts()['POST /issues/_search']).toBe(4);
  });
});
