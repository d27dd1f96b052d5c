// The process-wide metrics registry: counters updated from code (Tracker calls) and Node process
// metrics. Scrape-time gauges read from PostgreSQL live in their own registry (database.ts), merged
// at the /metrics endpoint.
import { collectDefaultMetrics, Registry } from 'prom-client';

export const processRegistry = new Registry();

let processMetricsInstalled = false;

/** Node process metrics (CPU, memory, event loop, GC) with the `dispatch_` prefix; once per process. */
export function installProcessMetrics(): void {
  if (processMetricsInstalled) return;
  processMetricsInstalled = true;
  collectDefaultMetrics({ register: processRegistry, prefix: 'dispatch_' });
}
