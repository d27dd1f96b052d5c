// Restore procedure: a backup file into a database (normally a fresh scratch one, to check a
// backup or to recover). `node dist/src/adapters/backup/restore.js <file.dump> <database-url>`
// restores into an existing empty database with a client matching the server's major version.
import { sql } from 'slonik';
import { z } from 'zod';
import { createDbPool } from '../db/pool.js';
import { isMainModule } from '../../starters/main-module.js';
import { serverMajorVersion } from './backup.js';
import { findPgClient } from './pg-client.js';
import type { PgClient } from './pg-client.js';
import { libpqEnv, runTool } from './pg-tools.js';

export async function restoreBackup(file: string, targetUrl: string, client?: PgClient): Promise<void> {
  let tool = client;
  if (tool === undefined) {
    const db = await createDbPool(targetUrl, { maxPoolSize: 1 });
    try {
      tool = await findPgClient(await serverMajorVersion(db));
    } finally {
      await db.end();
    }
  }
  const result = await runTool(
    tool.pgRestore,
    [
      '--no-owner',
      '--no-privileges',
      '--exit-on-error',
      '--single-transaction',
      '-d',
      libpqEnv(targetUrl).PGDATABASE ?? '',
      file,
    ],
    libpqEnv(targetUrl),
  );
  if (result.code !== 0) throw new Error(`pg_restore exited with ${result.code}: ${result.stderr.trim()}`);
}

/** Row counts of every table of the public schema (what a restore check compares). */
export async function tableRowCounts(databaseUrl: string): Promise<Record<string, number>> {
  const db = await createDbPool(databaseUrl, { maxPoolSize: 1 });
  try {
    const tables = await db.anyFirst(
      sql.type(
        z.object({ tablename: z.string() }),
      )`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
    );
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const row = await db.one(sql.type(z.object({ n: z.number() }))`
        SELECT count(*)::int AS n FROM ${sql.identifier(['public', table])}`);
      counts[table] = row.n;
    }
    return counts;
  } finally {
    await db.end();
  }
}

if (isMainModule(import.meta.url)) {
  const [file, url] = process.argv.slice(2);
  if (!file || !url) {
    console.error('usage: restore.js <backup file> <target database URL>');
    process.exit(2);
  }
  await restoreBackup(file, url);
  console.log(`restored ${file}`);
}
