// What /metrics serves: the process registry (Tracker counters, Node process metrics) merged with
// the scrape-time PostgreSQL gauges.
import { Registry } from 'prom-client';
import type { DbPool } from '../adapters/db/pool.js';
import type { Logger } from '../logger.js';
import { createDatabaseMetrics } from './database.js';
import { installProcessMetrics, processRegistry } from './registry.js';
// Registers the Tracker counters, even in a process that has not called Tracker yet.
import './tracker.js';

export interface MetricsSource {
  contentType: string;
  /** Prometheus text exposition; refreshes the database gauges first. */
  render(): Promise<string>;
  registry: Registry;
}

export function createMetrics(options: { db: DbPool; now?: () => Date; log?: Logger }): MetricsSource {
  installProcessMetrics();
  const database = createDatabaseMetrics(options);
  const registry = Registry.merge([processRegistry, database.registry]);
  return {
    contentType: registry.contentType,
    registry,
    async render() {
      await database.refresh();
      return registry.metrics();
    },
  };
}
