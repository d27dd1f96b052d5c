// BAK-1…BAK-3 with the real pg_dump / pg_restore on the run's PostgreSQL: a verified custom-format
// dump under the specified name, restorable into a scratch database with identical row counts;
// retention; a client of another major version is refused with both versions named. A missing
// matching client fails these tests with the reason (it is never skipped).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'slonik';
import { z } from 'zod';
import { createDatabase, databaseUrl, dropDatabase } from '../../src/adapters/db/admin.js';
import { runBackup, serverMajorVersion } from '../../src/adapters/backup/backup.js';
import { backupFileName, backupFileTime, filesToDelete } from '../../src/adapters/backup/backup-files.js';
import { findPgClient, PgClientVersionError } from '../../src/adapters/backup/pg-client.js';
import { restoreBackup, tableRowCounts } from '../../src/adapters/backup/restore.js';
import { runTool } from '../../src/adapters/backup/pg-tools.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { completeEnv } from '../fixtures/config/env.js';
import { createTestDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/db.js';
import { ENV_PG_ADMIN_URL, requireEnv } from '../support/services.js';

const log = createLogger({ destination: { write: () => true } as unknown as NodeJS.WritableStream });

let database: TestDatabase;
let backupDir: string;
let config: Config;

beforeAll(async () => {
  database = await createTestDatabase('backup');
  backupDir = await mkdtemp(join(tmpdir(), 'dispatch-backup-'));
  config = loadConfig(
    {
      ...completeEnv(),
      DATABASE_URL: database.url,
      BACKUP_DIR: backupDir,
      BACKUP_RETENTION_DAYS: '7',
      DISPATCH_TIME_ZONE: 'Europe/Moscow',
    },
    { dotenvPath: null },
  );
  // Data in ordinary tables and a large object (BAK-1: large objects included).
  await database.pool.query(sql.unsafe`
    INSERT INTO contractors (contractor_name) SELECT 'Подрядчик ' || g FROM generate_series(1, 25) g`);
  await database.pool.query(sql.unsafe`SELECT lo_from_bytea(0, '\\x0102030405'::bytea)`);
});

afterAll(async () => {
  await database.drop();
  await rm(backupDir, { recursive: true, force: true });
});

describe('BAK-1 / BAK-2 backup', () => {
  test('BAK-1: a matching pg_dump exists for the server major version', async () => {
    const major = await serverMajorVersion(database.pool);
    const client = await findPgClient(major);
    expect(client.version.major).toBe(major);
  });

  test('BAK-1/BAK-2: verified custom-format dump under backup_<db>_<YYYY-MM-DD_HH-mm>.dump, recorded, restorable with identical row counts', async () => {
    const now = new Date('2026-03-01T07:05:00Z');
    const result = await runBackup({ config, db: database.pool, log, now: () => now });
    expect(result.error).toBeNull();
    expect(result.status).toBe('succeeded');
    // 07:05 UTC is 10:05 in Moscow (GEN-6).
    expect(result.file).toBe(join(backupDir, `backup_${database.name}_2026-03-01_10-05.dump`));
    expect(await readdir(backupDir)).toEqual([`backup_${database.name}_2026-03-01_10-05.dump`]);
    expect(result.alert.kind).toBe('backup.succeeded');
    expect(result.alert.text).toContain(`backup_${database.name}_2026-03-01_10-05.dump, размер `);
    const run = await database.pool.one(
      sql.type(
        z.object({
          status: z.string(),
          file_path: z.string(),
          size_bytes: z.number(),
          verified: z.boolean(),
          verification_output: z.string(),
        }),
      )`SELECT status, file_path, size_bytes, verified, verification_output FROM backup_runs WHERE id = ${result.runId}`,
    );
    expect(run).toMatchObject({
      status: 'succeeded',
      file_path: result.file,
      size_bytes: result.sizeBytes,
      verified: true,
    });
    expect(run.verification_output).toMatch(/^; Archive created at /m);
    // BAK-1: the large object is in the archive.
    const client = await findPgClient(await serverMajorVersion(database.pool));
    const listing = await runTool(client.pgRestore, ['--list', result.file ?? ''], {});
    expect(listing.stdout).toMatch(/BLOB|LARGE OBJECT/);

    const scratch = `${database.name}_restore`;
    const adminUrl = requireEnv(ENV_PG_ADMIN_URL);
    await createDatabase(adminUrl, scratch);
    try {
      await restoreBackup(result.file ?? '', databaseUrl(adminUrl, scratch));
      const restored = await tableRowCounts(databaseUrl(adminUrl, scratch));
      // Every table, including this run's own record (inserted before the dump).
      expect(restored).toEqual(await tableRowCounts(database.url));
      expect(restored.contractors).toBe(26);
      const blobs = await database.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
        SELECT count(*)::int AS n FROM pg_largeobject_metadata`);
      expect(blobs).toBe(1);
    } finally {
      await dropDatabase(adminUrl, scratch);
    }
  });

  test('BAK-1: a client of another major version is refused naming both versions; nothing is left behind', async () => {
    const major = await serverMajorVersion(database.pool);
    const other = major === 15 ? 18 : 15;
    const result = await runBackup({
      config,
      db: database.pool,
      log,
      now: () => new Date('2026-03-01T08:00:00Z'),
      findClient: (serverMajor) => findPgClient(serverMajor, [`/usr/lib/postgresql/${other}/bin`, '/nonexistent']),
    });
    expect(result.status).toBe('failed');
    expect(result.alert).toMatchObject({ level: 'error', kind: 'backup.failed' });
    expect(result.error).toContain(`no pg_dump/pg_restore of PostgreSQL ${major}`);
    if (existsSync(`/usr/lib/postgresql/${other}/bin/pg_dump`))
      expect(result.error).toContain(`(PostgreSQL) ${other}.`);
    expect((await readdir(backupDir)).filter((f) => f.includes('09-00') || f.startsWith('.'))).toEqual([]);
    const error = await findPgClient(major, ['/nonexistent']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PgClientVersionError);
  });

  test('BAK-2: a failing pg_dump deletes the partial file and records the failure', async () => {
    const broken = loadConfig(
      { ...completeEnv(), DATABASE_URL: `${database.url}_missing`, BACKUP_DIR: backupDir },
      { dotenvPath: null },
    );
    const result = await runBackup({
      config: broken,
      db: database.pool,
      log,
      now: () => new Date('2026-03-01T09:00:00Z'),
    });
    expect(result.status).toBe('failed');
    expect(result.error).toContain('pg_dump завершился с кодом 1');
    expect((await readdir(backupDir)).filter((f) => f.includes('_missing_') || f.startsWith('.'))).toEqual([]);
    const run = await database.pool.one(sql.type(z.object({ status: z.string(), file_path: z.string().nullable() }))`
      SELECT status, file_path FROM backup_runs WHERE id = ${result.runId}`);
    expect(run).toEqual({ status: 'failed', file_path: null });
  });
});

describe('BAK-3 retention', () => {
  test('BAK-3: names carry the local time; files older than the retention are deleted, other files kept', () => {
    expect(backupFileName('dispatch', new Date('2026-01-31T22:30:00Z'), 'Europe/Moscow')).toBe(
      'backup_dispatch_2026-02-01_01-30.dump',
    );
    expect(backupFileTime('backup_dispatch_2026-02-01_01-30.dump', 'Europe/Moscow')?.toISOString()).toBe(
      '2026-01-31T22:30:00.000Z',
    );
    const now = new Date('2026-03-10T12:00:00Z');
    const names = [
      'backup_dispatch_2026-03-01_10-00.dump',
      'backup_dispatch_2026-03-04_10-00.dump',
      'backup_django_2026-02-01_01-00.sql',
      'backup_dispatch_2026-03-09_01-00.dump',
      'notes.txt',
      '.backup_dispatch_2026-03-01_10-00.dump.partial',
    ];
    expect(filesToDelete(names, now, 7, 'Europe/Moscow', null)).toEqual([
      'backup_dispatch_2026-03-01_10-00.dump',
      'backup_django_2026-02-01_01-00.sql',
    ]);
  });

  test('BAK-3: the newest verified backup is never deleted, however old', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dispatch-retention-'));
    try {
      const retention = loadConfig(
        {
          ...completeEnv(),
          DATABASE_URL: database.url,
          BACKUP_DIR: dir,
          BACKUP_RETENTION_DAYS: '7',
          DISPATCH_TIME_ZONE: 'UTC',
        },
        { dotenvPath: null },
      );
      await writeFile(join(dir, 'backup_dispatch_2020-01-01_01-00.dump'), 'old');
      await writeFile(join(dir, 'backup_dispatch_2020-01-02_01-00.sql'), 'old legacy');
      // A backup made "now" in 2020: it is the newest verified one, so it survives its own retention run.
      const result = await runBackup({
        config: retention,
        db: database.pool,
        log,
        now: () => new Date('2020-01-03T01:00:00Z'),
      });
      expect(result.status).toBe('succeeded');
      expect(result.deletedOldFiles).toEqual([]);
      const later = await runBackup({
        config: retention,
        db: database.pool,
        log,
        now: () => new Date('2020-02-01T01:00:00Z'),
      });
      expect(later.status).toBe('succeeded');
      expect(later.deletedOldFiles.sort()).toEqual(
        [
          'backup_dispatch_2020-01-01_01-00.dump',
          'backup_dispatch_2020-01-02_01-00.sql',
          `backup_${database.name}_2020-01-03_01-00.dump`,
        ].sort(),
      );
      expect(await readdir(dir)).toEqual([`backup_${database.name}_2020-02-01_01-00.dump`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
