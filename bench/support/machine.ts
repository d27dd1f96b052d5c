// Machine facts printed next to every figure: results from different machines are not comparable.
import { execFile as execFileCb } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { promisify } from 'node:util';

import { PROJECT_ROOT } from '../../src/project-root.js';

const execFile = promisify(execFileCb);

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  gitCommit: string | null;
  /** Uncommitted changes in the working tree when the run started. */
  gitDirty: boolean | null;
  loadAverage1m: number;
}

export async function machineInfo(): Promise<MachineInfo> {
  const git = async (args: string[]): Promise<string | null> =>
    execFile('git', args, { cwd: PROJECT_ROOT }).then(
      (r) => r.stdout.trim(),
      () => null,
    );
  const commit = await git(['rev-parse', 'HEAD']);
  const status = await git(['status', '--porcelain']);
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    gitCommit: commit,
    gitDirty: status === null ? null : status !== '',
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}
