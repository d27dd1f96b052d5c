// Runs test/replay/run-replay.ts (compiled) in a child Node process and parses its results.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectPath } from '../../src/project-root.js';

export const HISTORIES_DIR = projectPath('test/replay/histories');

export interface ReplayOutcome {
  name: string;
  workflowId: string;
  ok: boolean;
  error: string | null;
}

export async function historyFiles(): Promise<string[]> {
  return (await readdir(HISTORIES_DIR))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(HISTORIES_DIR, f));
}

export async function replay(files: string[], options: { unguarded?: boolean } = {}): Promise<ReplayOutcome[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [projectPath('dist/test/replay/run-replay.js'), ...(options.unguarded ? ['--unguarded'] : []), ...files],
    { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NODE_OPTIONS: '' } },
  );
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as ReplayOutcome);
}
