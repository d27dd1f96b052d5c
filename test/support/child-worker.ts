// A worker in a child process that a test can kill with SIGKILL (crash tests): started with the
// given environment, resolved once it printed its ready line, rejected with its output if it exits.
import { spawn, type ChildProcess } from 'node:child_process';

export async function startChildWorker(
  script: string,
  options: { cwd: string; env: Record<string, string>; readyText?: string },
): Promise<ChildProcess> {
  const readyText = options.readyText ?? 'crash-worker ready';
  const worker = spawn(process.execPath, [script], {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    worker.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes(readyText)) resolve();
    });
    worker.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${output.slice(-2000)}`)));
  });
  worker.removeAllListeners('exit');
  return worker;
}
