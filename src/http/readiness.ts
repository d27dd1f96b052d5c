// Readiness (`GET /readyz`): every dependency the worker needs, each checked with a time limit.
import type { ConnectionLike } from '@temporalio/client';
import { sql } from 'slonik';
import type { DbPool } from '../adapters/db/pool.js';

export interface ReadinessCheck {
  /** Named in the /readyz body: `postgres`, `temporal`, `worker`. */
  name: string;
  /** Resolves when the dependency works; rejects with the reason otherwise. */
  check(): Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  /** Names of the failing checks. */
  failing: string[];
  checks: Record<string, { ok: true } | { ok: false; error: string }>;
}

export const CHECK_TIMEOUT_MS = 2_000;

export function postgresReadiness(db: DbPool): ReadinessCheck {
  return {
    name: 'postgres',
    async check() {
      await db.oneFirst(sql.unsafe`SELECT 1`);
    },
  };
}

export function temporalReadiness(connection: ConnectionLike): ReadinessCheck {
  return {
    name: 'temporal',
    async check() {
      await connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => connection.workflowService.getSystemInfo({}));
    },
  };
}

/** The worker sets the flag: ready only while it polls its task queue. */
export function workerReadiness(isRunning: () => boolean): ReadinessCheck {
  return {
    name: 'worker',
    check: () => (isRunning() ? Promise.resolve() : Promise.reject(new Error('worker is not running'))),
  };
}

export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<ReadinessReport> {
  type Result = ReadinessReport['checks'][string];
  const results = await Promise.all(
    checks.map(async (readiness): Promise<[string, Result]> => {
      try {
        await withTimeout(readiness.check(), timeoutMs);
        return [readiness.name, { ok: true }];
      } catch (error) {
        return [readiness.name, { ok: false, error: error instanceof Error ? error.message : String(error) }];
      }
    }),
  );
  const failing = results.filter(([, result]) => !result.ok).map(([name]) => name);
  const report: Record<string, Result> = Object.fromEntries(results);
  return { ready: failing.length === 0, failing, checks: report };
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
