// The worker process's HTTP server, wired to its dependencies: readiness = PostgreSQL + Temporal +
// the worker polling; metrics = the process registry + PostgreSQL gauges + Temporal SDK metrics.
import type { ConnectionLike } from '@temporalio/client';
import type { DbPool } from '../adapters/db/pool.js';
import type { Logger } from '../logger.js';
import { createMetrics, type DrainedMetrics } from '../metrics/index.js';
import { postgresReadiness, temporalReadiness, workerReadiness } from './readiness.js';
import { startHttpServer } from './server.js';
import type { HttpRoute, HttpServer } from './server.js';

export interface WorkerHttpDependencies {
  /** `HTTP_PORT` (0 = any free port). */
  port: number;
  host?: string;
  db: DbPool;
  temporal: ConnectionLike;
  isWorkerRunning: () => boolean;
  log: Logger;
  /** E.g. `POST /tracker/webhook`. */
  extraRoutes?: readonly HttpRoute[];
  /** The Temporal SDK metrics bridge, served on the same /metrics. */
  temporalSdk?: DrainedMetrics;
}

export function startWorkerHttpServer(deps: WorkerHttpDependencies): Promise<HttpServer> {
  const log = deps.log.child({ component: 'http' });
  return startHttpServer({
    port: deps.port,
    ...(deps.host === undefined ? {} : { host: deps.host }),
    readiness: [postgresReadiness(deps.db), temporalReadiness(deps.temporal), workerReadiness(deps.isWorkerRunning)],
    metrics: createMetrics({
      db: deps.db,
      log,
      ...(deps.temporalSdk === undefined ? {} : { temporalSdk: deps.temporalSdk }),
    }),
    ...(deps.extraRoutes === undefined ? {} : { extraRoutes: deps.extraRoutes }),
    log,
  });
}
