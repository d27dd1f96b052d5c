// deploy/grafana/dispatch.json: a valid dashboard whose every dispatch_* query names a metric the
// worker exposes (no dangling panel) and every temporal_* query a Temporal SDK metric as the bridge
// names it, on the ${DS_PROMETHEUS} datasource input.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { DbPool } from '../../src/adapters/db/pool.js';
import { createMetrics } from '../../src/metrics/index.js';
import { projectPath } from '../../src/project-root.js';
import { createTemporalSdkMetricsBridge, prometheusNameOf } from '../../src/metrics/temporal-sdk.js';

interface Target {
  expr?: string;
  datasource?: { uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
  gridPos?: { h: number; w: number; x: number; y: number };
}
interface Dashboard {
  schemaVersion: number;
  __inputs: { name: string; type: string; pluginId: string }[];
  panels: Panel[];
}

const dashboard = JSON.parse(readFileSync(projectPath('deploy/grafana/dispatch.json'), 'utf8')) as Dashboard;
const allPanels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = allPanels.filter((p) => p.type !== 'row');
const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));

// The registries are built without touching the database: only metric names are read.
const exposed = new Set(
  [createMetrics({ db: {} as DbPool }).registry, createTemporalSdkMetricsBridge().registry]
    .flatMap((registry) => registry.getMetricsAsArray())
    .map((metric) => metric.name),
);

/**
 * SDK metrics (name, kind) as the SDK 1.24 buffer reported them in a worker run (a workflow with a
 * succeeding and a failing activity, a failing workflow); the bridge creates them lazily, so the
 * dashboard is checked against this list.
 */
const SDK_METRICS: ReadonlyArray<readonly [string, 'counter' | 'gauge' | 'histogram']> = [
  ['temporal_worker_task_slots_used', 'gauge'],
  ['temporal_worker_task_slots_available', 'gauge'],
  ['temporal_num_pollers', 'gauge'],
  ['temporal_sticky_cache_size', 'gauge'],
  ['temporal_sticky_cache_hit', 'counter'],
  ['temporal_sticky_cache_total_forced_eviction', 'counter'],
  ['temporal_workflow_completed', 'counter'],
  ['temporal_workflow_failed', 'counter'],
  ['temporal_workflow_task_execution_failed', 'counter'],
  ['temporal_workflow_task_queue_poll_succeed', 'counter'],
  ['temporal_activity_execution_failed', 'counter'],
  ['temporal_activity_task_received', 'counter'],
  ['temporal_worker_start', 'counter'],
  ['temporal_request', 'counter'],
  ['temporal_long_request', 'counter'],
  ['temporal_workflow_task_schedule_to_start_latency', 'histogram'],
  ['temporal_workflow_task_execution_latency', 'histogram'],
  ['temporal_workflow_task_replay_latency', 'histogram'],
  ['temporal_workflow_endtoend_latency', 'histogram'],
  ['temporal_activity_schedule_to_start_latency', 'histogram'],
  ['temporal_activity_execution_latency', 'histogram'],
  ['temporal_activity_succeed_endtoend_latency', 'histogram'],
  ['temporal_request_latency', 'histogram'],
  ['temporal_long_request_latency', 'histogram'],
];
/** Every series name a query may use for an SDK metric: histograms have `_bucket`, `_sum`, `_count`. */
const sdkSeries = new Set(
  SDK_METRICS.flatMap(([name, kind]) => {
    const promName = prometheusNameOf(name, kind) ?? name;
    return kind === 'histogram' ? [`${promName}_bucket`, `${promName}_sum`, `${promName}_count`] : [promName];
  }),
);

/** Histogram series names (`_bucket`, `_sum`, `_count`) belong to the histogram's name. */
function metricOf(series: string): string {
  if (exposed.has(series)) return series;
  return series.replace(/_(bucket|sum|count)$/, '');
}

describe('Grafana dashboard', () => {
  test('schemaVersion ≥ 38 with a Prometheus datasource input DS_PROMETHEUS', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(38);
    expect(dashboard.__inputs).toContainEqual(
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    );
  });

  test('every query panel and target uses ${DS_PROMETHEUS} and has a query', () => {
    expect(queryPanels.length).toBeGreaterThanOrEqual(20);
    for (const panel of queryPanels) {
      expect(panel.datasource?.uid).toBe('${DS_PROMETHEUS}');
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource?.uid).toBe('${DS_PROMETHEUS}');
        expect(target.expr).toMatch(/\S/);
      }
    }
  });

  test('panel ids are unique and every panel has a grid position', () => {
    const ids = allPanels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of allPanels) expect(panel.gridPos).toEqual(expect.objectContaining({ w: expect.any(Number) }));
  });

  test('every dispatch_* metric a panel queries exists in the registry (no dangling panel)', () => {
    const queried = new Set(exprs.flatMap((expr) => expr.match(/\bdispatch_[a-z0-9_]+/g) ?? []).map(metricOf));
    const dangling = [...queried].filter((name) => !exposed.has(name));
    expect(dangling).toEqual([]);
    // The areas the dashboard must cover.
    for (const name of [
      'dispatch_emails_stored',
      'dispatch_mail_ingestion_lag_seconds',
      'dispatch_mail_failures',
      'dispatch_incidents_open_by_status',
      'dispatch_incidents_open_by_sla_status',
      'dispatch_sla_breaches',
      'dispatch_tracker_requests_total',
      'dispatch_tracker_request_errors_total',
      'dispatch_tracker_request_duration_seconds',
      'dispatch_outbox',
      'dispatch_schedule_last_run_status',
    ]) {
      expect(queried).toContain(name);
    }
  });

  test('issue #10: every temporal_* series a panel queries is an SDK metric as the bridge names it', () => {
    const queried = new Set(exprs.flatMap((expr) => expr.match(/\btemporal_[a-z0-9_]+/g) ?? []));
    expect([...queried].filter((name) => !sdkSeries.has(name))).toEqual([]);
    for (const name of [
      'temporal_worker_task_slots_used',
      'temporal_worker_task_slots_available',
      'temporal_workflow_task_schedule_to_start_latency_bucket',
      'temporal_activity_schedule_to_start_latency_bucket',
      'temporal_workflow_completed_total',
      'temporal_workflow_failed_total',
      'temporal_activity_execution_failed_total',
      'temporal_workflow_task_execution_failed_total',
      'temporal_sticky_cache_size',
    ]) {
      expect(queried).toContain(name);
    }
  });

  test('issue #10: the Temporal worker row holds the SDK panels', () => {
    const rowIndex = dashboard.panels.findIndex((p) => p.type === 'row' && p.title === 'Temporal worker');
    expect(rowIndex).toBeGreaterThan(-1);
    const next = dashboard.panels.slice(rowIndex + 1);
    const end = next.findIndex((p) => p.type === 'row');
    const inRow = end === -1 ? next : next.slice(0, end);
    expect(inRow.length).toBeGreaterThanOrEqual(4);
    for (const panel of inRow) {
      expect((panel.targets ?? []).every((t) => /\btemporal_/.test(t.expr ?? ''))).toBe(true);
    }
  });
});
