// Activities of the scheduled jobs (SPEC §18, §20): TowerStore sync, TS-9 refresh signals, backup
// and cleanup. Each job records its own run (DATA-10) and returns the alert its workflow sends.
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { runBackup } from '../adapters/backup/backup.js';
import type { BackupResult } from '../adapters/backup/backup.js';
import type { PgClient } from '../adapters/backup/pg-client.js';
import { runCleanup } from '../adapters/db/cleanup.js';
import { finishCleanupRun, startCleanupRun } from '../adapters/db/run-records.js';
import type { CleanupCounts } from '../adapters/db/run-records.js';
import type { AlertInput } from '../adapters/telegram/alerts.js';
import { runTowerStoreSync } from '../adapters/towerstore/sync.js';
import type { TowerStoreSyncResult } from '../adapters/towerstore/sync.js';
import { directoryChangedSignal, incidentWorkflowId } from '../workflows/signals.js';
import type { ActivityDependencies } from './index.js';

export interface OperationsOptions {
  /** Tests: a fixed clock for backup names and retention. */
  now?: () => Date;
  /** Tests: where pg_dump / pg_restore are looked for. */
  findPgClient?: (major: number) => Promise<PgClient>;
}

export interface CleanupResult {
  runId: number;
  status: 'succeeded' | 'failed';
  counts: CleanupCounts;
  error: string | null;
  alert: AlertInput;
}

/** Heartbeat when running as an activity; a no-op when called directly (scripts, tests). */
function heartbeat(detail?: unknown): void {
  try {
    Context.current().heartbeat(detail);
  } catch {
    // Not inside an activity.
  }
}

const NO_COUNTS: CleanupCounts = {
  blobsDeleted: 0,
  directoriesRemoved: 0,
  attachmentsMarkedMissing: 0,
  mailFailuresDeleted: 0,
  outboxRowsDeleted: 0,
};

export function createOperationsActivities(deps: ActivityDependencies & OperationsOptions) {
  const now = deps.now ?? (() => new Date());
  return {
    async syncTowerStore(): Promise<TowerStoreSyncResult> {
      return runTowerStoreSync({ config: deps.config, db: deps.db, log: deps.log, heartbeat });
    },

    /** TS-9: asks each open incident to refresh its derived fields; incidents without a running workflow are skipped. */
    async signalDirectoryChanged(input: {
      incidentIds: number[];
      towerStoreRunId: number;
    }): Promise<{ signalled: number[]; skipped: number[] }> {
      const log = deps.log.child({ towerStoreRunId: input.towerStoreRunId });
      const signalled: number[] = [];
      const skipped: number[] = [];
      for (const incidentId of input.incidentIds) {
        try {
          await deps.temporal.workflow
            .getHandle(incidentWorkflowId(incidentId))
            .signal(directoryChangedSignal, { towerStoreRunId: input.towerStoreRunId });
          signalled.push(incidentId);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          skipped.push(incidentId);
          log.debug({ incidentId }, 'no running incident workflow: directory change not signalled (TS-9)');
        }
        heartbeat(incidentId);
      }
      log.info({ signalled: signalled.length, skipped: skipped.length }, 'directory change signalled (TS-9)');
      return { signalled, skipped };
    },

    async backupDatabase(): Promise<BackupResult> {
      return runBackup({
        config: deps.config,
        db: deps.db,
        log: deps.log,
        now,
        heartbeat: () => heartbeat(),
        ...(deps.findPgClient ? { findClient: deps.findPgClient } : {}),
      });
    },

    async cleanupStorage(): Promise<CleanupResult> {
      const runId = await startCleanupRun(deps.db);
      const log = deps.log.child({ cleanupRunId: runId });
      try {
        const counts = await runCleanup(
          deps.db,
          {
            attachmentsDir: deps.config.attachments.dir,
            attachmentRetentionDays: deps.config.attachments.retentionDays,
            mailFailureRetentionDays: deps.config.cleanup.mailFailureRetentionDays,
            outboxRetentionDays: deps.config.cleanup.outboxRetentionDays,
          },
          now(),
          () => heartbeat(),
        );
        await finishCleanupRun(deps.db, runId, { status: 'succeeded', counts, error: null });
        log.info({ counts }, 'cleanup finished');
        return {
          runId,
          status: 'succeeded',
          counts,
          error: null,
          alert: {
            level: 'info',
            kind: 'cleanup.succeeded',
            subject: `run ${runId}`,
            text:
              `Очистка выполнена (запуск ${runId}): удалено файлов вложений ${counts.blobsDeleted}, ` +
              `пустых каталогов ${counts.directoriesRemoved}; отмечено отсутствующих вложений ` +
              `${counts.attachmentsMarkedMissing}; удалено записей об ошибках почты ${counts.mailFailuresDeleted}, ` +
              `отправленных писем из очереди ${counts.outboxRowsDeleted}.`,
          },
        };
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        await finishCleanupRun(deps.db, runId, { status: 'failed', counts: NO_COUNTS, error }).catch(() => undefined);
        log.error({ alert: 'cleanup.failed', error }, 'cleanup failed');
        return {
          runId,
          status: 'failed',
          counts: NO_COUNTS,
          error,
          alert: { level: 'error', kind: 'cleanup.failed', text: `Очистка не выполнена (запуск ${runId}): ${error}` },
        };
      }
    },
  };
}
