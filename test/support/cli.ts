// Runs the compiled `dispatch` CLI as a child process (what an operator types), capturing its output.
import { spawn } from 'node:child_process';
import { projectPath } from '../../src/project-root.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCompiledCli(
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [projectPath('dist/src/cli/main.js'), ...args], options);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
