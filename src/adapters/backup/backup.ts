// One backup run (BAK-1…BAK-3): pg_dump in custom format with large objects into a temporary name,
// verified with `pg_restore --list`, renamed on success; the run recorded with size and
// verification result; a failure removes the partial file; old files pruned by retention.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { sql } from 'slonik';
import { z } from 'zod';
import type { Config } from '../../config/load.js';
import type { Logger } from '../../logger.js';
import type { DbPool } from '../db/pool.js';
import { finishBackupRun, newestVerifiedBackupFile, startBackupRun } from '../db/run-records.js';
import type { AlertInput } from '../telegram/alerts.js';
import { backupFileName, filesToDelete } from './backup-files.js';
import { findPgClient, serverMajor } from './pg-client.js';
import type { PgClient } from './pg-client.js';
import { libpqEnv, runTool } from './pg-tools.js';

export interface BackupDependencies {
  config: Pick<Config, 'backup' | 'database' | 'timeZone'>;
  db: DbPool;
  log: Logger;
  now?: () => Date;
  heartbeat?: () => void;
  /** Tests: where to look for the client (default: findPgClient's search path). */
  findClient?: (major: number) => Promise<PgClient>;
}

export interface BackupResult {
  runId: number;
  status: 'succeeded' | 'failed';
  file: string | null;
  sizeBytes: number | null;
  deletedOldFiles: string[];
  error: string | null;
  alert: AlertInput;
}

export async function serverMajorVersion(db: DbPool): Promise<number> {
  const row = await db.one(
    sql.type(z.object({ v: z.coerce.number() }))`SELECT current_setting('server_version_num') AS v`,
  );
  return serverMajor(row.v);
}

export function databaseName(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, '')) || 'postgres';
}

export async function runBackup(deps: BackupDependencies): Promise<BackupResult> {
  const { config, db } = deps;
  const now = deps.now ?? (() => new Date());
  const heartbeat = deps.heartbeat ?? (() => undefined);
  const runId = await startBackupRun(db);
  const log = deps.log.child({ backupRunId: runId });
  const dir = config.backup.dir;
  const name = backupFileName(databaseName(config.database.url), now(), config.timeZone);
  const file = join(dir, name);
  const partial = join(dir, `.${name}.partial`);

  const fail = async (error: string, verificationOutput: string | null = null): Promise<BackupResult> => {
    await rm(partial, { force: true });
    await finishBackupRun(db, runId, {
      status: 'failed',
      filePath: null,
      sizeBytes: null,
      verified: verificationOutput === null ? null : false,
      verificationOutput,
      error,
    });
    log.error({ alert: 'backup.failed', error }, 'backup failed');
    return {
      runId,
      status: 'failed',
      file: null,
      sizeBytes: null,
      deletedOldFiles: [],
      error,
      alert: {
        level: 'error',
        kind: 'backup.failed',
        text: `Резервная копия БД не создана (запуск ${runId}): ${error}`,
      },
    };
  };

  try {
    const client = await (deps.findClient ?? findPgClient)(await serverMajorVersion(db));
    await mkdir(dir, { recursive: true });
    const env = libpqEnv(config.database.url);
    // Custom format (-Fc) with large objects (-b), into a name retention never matches.
    const dump = await runTool(client.pgDump, ['-Fc', '-b', '-f', partial], env, heartbeat);
    if (dump.code !== 0) return await fail(`pg_dump завершился с кодом ${dump.code}: ${tail(dump.stderr)}`);
    const list = await runTool(client.pgRestore, ['--list', partial], {}, heartbeat);
    const verified = list.code === 0 && /^;\s*Archive created at/m.test(list.stdout);
    const verificationOutput = verified ? head(list.stdout) : tail(`${list.stdout}\n${list.stderr}`);
    if (!verified)
      return await fail(`проверка pg_restore --list не пройдена: ${tail(list.stderr)}`, verificationOutput);
    await rename(partial, file);
    const sizeBytes = (await stat(file)).size;
    await finishBackupRun(db, runId, {
      status: 'succeeded',
      filePath: file,
      sizeBytes,
      verified: true,
      verificationOutput,
      error: null,
    });
    const deletedOldFiles = await applyRetention(deps, now(), log);
    log.info({ file, sizeBytes, deletedOldFiles }, 'backup verified');
    return {
      runId,
      status: 'succeeded',
      file,
      sizeBytes,
      deletedOldFiles,
      error: null,
      alert: {
        level: 'info',
        kind: 'backup.succeeded',
        subject: `run ${runId}`,
        text:
          `Резервная копия БД создана и проверена (pg_restore --list): ${basename(file)}, ` +
          `размер ${formatSize(sizeBytes)}. Удалено старых копий: ${deletedOldFiles.length}.`,
      },
    };
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}

/** BAK-3: prunes old files, keeping the newest verified backup whatever its age. */
export async function applyRetention(
  deps: Pick<BackupDependencies, 'config' | 'db'>,
  now: Date,
  log: Logger,
): Promise<string[]> {
  const dir = deps.config.backup.dir;
  const newest = await newestVerifiedBackupFile(deps.db);
  const keep = newest !== null && join(dir, basename(newest)) === newest ? basename(newest) : null;
  const names = await readdir(dir);
  const doomed = filesToDelete(names, now, deps.config.backup.retentionDays, deps.config.timeZone, keep);
  for (const name of doomed) {
    await rm(join(dir, name), { force: true });
    log.info({ file: name }, 'old backup deleted (BAK-3)');
  }
  return doomed;
}

function formatSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} КиБ`;
  return `${(bytes / 1024 / 1024).toFixed(1)} МиБ`;
}

function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > 1500 ? `...${trimmed.slice(-1500)}` : trimmed;
}

function head(text: string): string {
  return text.length > 4000 ? `${text.slice(0, 4000)}\n...` : text;
}
