// Schema migrations: a small runner over the plain SQL files in `migrations/` (NNNN_name.sql), applied
// in file-name order.
//
// Why no migration library: the files stay plain SQL that operations staff can read and, if need be,
// apply by hand with `psql -1 -f migrations/0001_….sql`; the runner adds only what a restartable,
// multi-worker service needs, in one screen of code:
//   * `schema_migrations(version, name, checksum, applied_at)` records what was applied;
//   * a session advisory lock serialises processes that migrate at the same time (every worker runs
//     this at start);
//   * each file runs in its own transaction, so a failing file leaves nothing half-applied;
//   * an applied file whose SHA-256 changed is an error naming the file: edited history is never
//     re-applied silently (write a new file instead).
// Files are sent with the simple query protocol (no parameters), which accepts several statements per
// call. A file therefore cannot contain statements that refuse to run in a transaction block
// (CREATE INDEX CONCURRENTLY, VACUUM).

import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { projectPath } from '../../project-root.js';

export interface MigrateOptions {
  /** Directory of the NNNN_name.sql files. Default: `<project root>/migrations`. */
  migrationsDir?: string;
}

export interface MigrateResult {
  /** File names applied by this call, in order. */
  applied: string[];
  /** Number of files that were already applied before this call. */
  alreadyApplied: number;
}

/** A migration problem that needs a person: names the file when one is concerned. */
export class MigrationError extends Error {
  constructor(
    message: string,
    readonly file: string | null,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

interface MigrationFile {
  version: string;
  name: string;
  fileName: string;
  checksum: string;
  sql: string;
}

interface AppliedRow {
  version: string;
  name: string;
  checksum: string;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;
// Arbitrary constant shared by every DISPATCH process migrating this database.
const ADVISORY_LOCK_KEY = 7_312_205_101;

export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const files = await readMigrationFiles(options.migrationsDir ?? defaultMigrationsDir());
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
    try {
      return await applyPending(client, files);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function applyPending(client: pg.Client, files: MigrationFile[]): Promise<MigrateResult> {
  await client.query(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  const { rows } = await client.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations');
  const applied = new Map(rows.map((row) => [row.version, row]));

  // Everything is checked before anything is applied.
  const known = new Set(files.map((file) => file.version));
  for (const row of rows) {
    if (!known.has(row.version)) {
      throw new MigrationError(
        `the database has migration ${row.version}_${row.name}.sql applied, which this release does not contain`,
        `${row.version}_${row.name}.sql`,
      );
    }
  }
  for (const file of files) {
    const row = applied.get(file.version);
    if (row && row.checksum !== file.checksum) {
      throw new MigrationError(
        `migration ${file.fileName} was changed after it was applied (checksum ${row.checksum} in the database, ` +
          `${file.checksum} on disk); add a new migration instead of editing an applied one`,
        file.fileName,
      );
    }
  }

  const newlyApplied: string[] = [];
  for (const file of files.filter((f) => !applied.has(f.version))) {
    await client.query('BEGIN');
    try {
      await client.query(file.sql);
      await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        file.version,
        file.name,
        file.checksum,
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      const reason = error instanceof Error ? error.message : String(error);
      throw new MigrationError(`migration ${file.fileName} failed: ${reason}`, file.fileName);
    }
    newlyApplied.push(file.fileName);
  }
  return { applied: newlyApplied, alreadyApplied: files.length - newlyApplied.length };
}

async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  const seen = new Map<string, string>();
  for (const fileName of names) {
    const match = FILE_PATTERN.exec(fileName);
    if (!match?.[1] || !match[2]) {
      throw new MigrationError(`migration file name ${fileName} does not match NNNN_name.sql`, fileName);
    }
    const version = match[1];
    const clash = seen.get(version);
    if (clash) {
      throw new MigrationError(`migrations ${clash} and ${fileName} share version ${version}`, fileName);
    }
    seen.set(version, fileName);
    // Line endings are normalised so a checkout with CRLF does not look like an edited file.
    const sql = (await readFile(path.join(dir, fileName), 'utf8')).replace(/\r\n/g, '\n');
    const checksum = createHash('sha256').update(sql, 'utf8').digest('hex');
    files.push({ version, name: match[2], fileName, checksum, sql });
  }
  return files;
}

/** `<project root>/migrations` (the root is found from the module's location: works from src/ and dist/src/). */
export function defaultMigrationsDir(): string {
  return projectPath('migrations');
}
