// What /metrics serves: the process registry (Tracker counters, Node process metrics) merged with
// the scrape-time PostgreSQL gauges and, in the worker process, the Temporal SDK metrics.
import { Registry } from 'prom-client';
import type { DbPool } from '../adapters/db/pool.js';
import type { Logger } from '../logger.js';
import { createDatabaseMetrics } from './database.js';
import { installProcessMetrics, processRegistry } from './registry.js';
// Registers the Tracker counters, even in a process that has not called Tracker yet.
import './tracker.js';

export interface MetricsSource {
  contentType: string;
  /** Prometheus text exposition; refreshes the database gauges (and drains the SDK metrics) first. */
  render(): Promise<string>;
  /** Process and database metrics; the SDK metrics appear in render() only (created lazily). */
  registry: Registry;
}

/** Metrics drained from elsewhere at scrape time: the Temporal SDK bridge (temporal-sdk.ts). */
export interface DrainedMetrics {
  registry: Registry;
  drain(): void;
}

export function createMetrics(options: {
  db: DbPool;
  now?: () => Date;
  log?: Logger;
  temporalSdk?: DrainedMetrics;
}): MetricsSource {
  installProcessMetrics();
  const database = createDatabaseMetrics(options);
  const registry = Registry.merge([processRegistry, database.registry]);
  const { temporalSdk } = options;
  return {
    contentType: registry.contentType,
    registry,
    async render() {
      await database.refresh();
      if (temporalSdk === undefined) return registry.metrics();
      temporalSdk.drain();
      // Merged per scrape: the bridge creates its metrics on their first update.
      return Registry.merge([registry, temporalSdk.registry]).metrics();
    },
  };
}
