// The DISPATCH worker (`node dist/src/workers/main.js`) as a child process the chaos run kills with
// SIGKILL and starts again. It is also restarted when it exits by itself (counted: a worker that
// gives up when a peer restarts is a finding).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { projectPath } from '../../src/project-root.js';

export interface WorkerProcess {
  logFile: string;
  kills: number;
  /** Exits nobody asked for (not SIGKILLed by the run, not stopped at the end). */
  unexpectedExits: Array<{ code: number | null; signal: string | null; at: string }>;
  start(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export function workerProcess(env: Record<string, string>, logFile: string, httpPort: number): WorkerProcess {
  let child: ChildProcess | undefined;
  let log: WriteStream | undefined;
  let expectingExit = false;
  let stopped = false;
  const state: WorkerProcess = {
    logFile,
    kills: 0,
    unexpectedExits: [],
    async start() {
      log ??= createWriteStream(logFile, { flags: 'a' });
      expectingExit = false;
      const started = spawn(process.execPath, [projectPath('dist/src/workers/main.js')], {
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      started.stdout?.pipe(log, { end: false });
      started.stderr?.pipe(log, { end: false });
      started.once('exit', (code, signal) => {
        if (expectingExit || stopped) return;
        state.unexpectedExits.push({ code, signal, at: new Date().toISOString() });
        // Keep the system running: a worker that died on its own is started again after a pause.
        setTimeout(() => {
          if (!stopped && child === started) void state.start();
        }, 2_000);
      });
      await waitReady(httpPort, 60_000);
    },
    async kill() {
      const victim = child;
      if (victim === undefined || victim.exitCode !== null || victim.signalCode !== null) return;
      expectingExit = true;
      const exited = new Promise((resolve) => victim.once('exit', resolve));
      victim.kill('SIGKILL');
      await exited;
      state.kills += 1;
    },
    async stop() {
      stopped = true;
      const victim = child;
      if (victim !== undefined && victim.exitCode === null && victim.signalCode === null) {
        const exited = new Promise((resolve) => victim.once('exit', resolve));
        victim.kill('SIGTERM');
        const timer = setTimeout(() => victim.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      await new Promise<void>((resolve) => (log === undefined ? resolve() : log.end(resolve)));
    },
  };
  return state;
}

/** The worker's HTTP server answers once the process is up (readiness itself may wait for peers). */
async function waitReady(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
