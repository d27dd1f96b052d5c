// Finds a pg_dump / pg_restore pair whose major version equals the server's (BAK-1): pg_dump
// refuses newer servers and an older pg_restore cannot read a newer archive, so a mismatch is
// reported up front with both versions instead of as a half-written dump.
import { execFile as execFileCb } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { projectPath } from '../../project-root.js';

const execFile = promisify(execFileCb);

export interface PgClientVersion {
  major: number;
  /** e.g. `pg_dump (PostgreSQL) 18.6`. */
  text: string;
}

export interface PgClient {
  pgDump: string;
  pgRestore: string;
  version: PgClientVersion;
}

export class PgClientVersionError extends Error {
  constructor(
    readonly serverMajor: number,
    readonly found: readonly string[],
  ) {
    super(
      `no pg_dump/pg_restore of PostgreSQL ${serverMajor} (the server's major version) found; ` +
        (found.length > 0 ? `found only: ${found.join('; ')}` : 'none found at all') +
        `. Install one: node dist/src/adapters/backup/pg-client-install.js ${serverMajor}`,
    );
    this.name = 'PgClientVersionError';
  }
}

/** Major version of a PostgreSQL client binary, from its `--version` line. */
export async function clientVersion(binary: string): Promise<PgClientVersion> {
  const { stdout } = await execFile(binary, ['--version']);
  const text = stdout.trim();
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(text);
  if (!match?.[1]) throw new Error(`cannot read the version of ${binary}: ${JSON.stringify(text)}`);
  return { major: Number(match[1]), text };
}

/** Server major version from `server_version_num` (e.g. 180004 → 18). */
export function serverMajor(versionNum: number): number {
  return Math.floor(versionNum / 10000);
}

/** Directories searched in order: the project's own install, Debian's layout, then PATH. */
export function candidateDirs(major: number, path = process.env.PATH ?? ''): string[] {
  return [
    projectPath('.tools', `postgresql-${major}`, 'bin'),
    `/usr/lib/postgresql/${major}/bin`,
    ...path.split(delimiter).filter((dir) => dir !== ''),
  ];
}

export async function findPgClient(major: number, dirs = candidateDirs(major)): Promise<PgClient> {
  const found: string[] = [];
  for (const dir of [...new Set(dirs)]) {
    const pgDump = join(dir, 'pg_dump');
    const pgRestore = join(dir, 'pg_restore');
    if (!existsSync(pgDump) || !existsSync(pgRestore)) continue;
    const version = await clientVersion(pgDump).catch(() => null);
    if (version === null) continue;
    if (version.major === major) return { pgDump, pgRestore, version };
    found.push(`${pgDump} is ${version.text}`);
  }
  throw new PgClientVersionError(major, found);
}
