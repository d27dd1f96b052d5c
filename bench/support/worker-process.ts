// The DISPATCH worker as a child process (`node dist/src/workers/main.js`), so the benchmark can read
// its memory from /proc and kill it like an operator's OOM killer would.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

import { projectPath } from '../../src/project-root.js';

export interface MemorySample {
  /** ms since the sampler started */
  at: number;
  rssMiB: number;
  hwmMiB: number;
  phase: string;
}

export interface WorkerProcess {
  readonly pid: number;
  /** Resolves when the worker logged that it polls its task queue. */
  readonly started: Promise<void>;
  /** Lines of the worker's log at warn level or above (kept for the report). */
  readonly problems: string[];
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** VmRSS and VmHWM of a process in MiB, or null once it is gone. */
export async function processMemory(pid: number): Promise<{ rssMiB: number; hwmMiB: number } | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  if (status === null) return null;
  const kib = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: Math.round(kib('VmRSS') / 1024), hwmMiB: Math.round(kib('VmHWM') / 1024) };
}

export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  const child: ChildProcess = spawn(process.execPath, [projectPath('dist/src/workers/main.js')], {
    cwd: projectPath('.'),
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const problems: string[] = [];
  let buffered = '';
  const started = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`worker exited before start (${code ?? signal})`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('DISPATCH worker started')) resolve();
        // pino levels: 40 warn, 50 error, 60 fatal
        if (/"level":(4|5|6)0/.test(line) && problems.length < 50) problems.push(line.slice(0, 400));
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (problems.length < 50) problems.push(chunk.toString('utf8').slice(0, 400));
    });
  });
  started.catch(() => undefined);
  return {
    pid: child.pid ?? -1,
    started,
    problems,
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      await exited;
    },
  };
}

/** Samples a process's memory every second, labelled with the current phase. */
export function memorySampler(pid: () => number): {
  phase: string;
  samples: MemorySample[];
  stop(): void;
} {
  const t0 = Date.now();
  const state = {
    phase: 'start',
    samples: [] as MemorySample[],
    stop: () => clearInterval(timer),
  };
  const timer = setInterval(() => {
    void processMemory(pid()).then((memory) => {
      if (memory !== null) state.samples.push({ at: Date.now() - t0, ...memory, phase: state.phase });
    });
  }, 1_000);
  return state;
}
