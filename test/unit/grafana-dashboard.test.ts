// deploy/grafana/dispatch.json: a valid dashboard whose every dispatch_* query names a metric the
// worker exposes (no dangling panel), on the ${DS_PROMETHEUS} datasource input.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { DbPool } from '../../src/adapters/db/pool.js';
import { createMetrics } from '../../src/metrics/index.js';
import { projectPath } from '../../src/project-root.js';

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

// The registry is built without touching the database: only metric names are read.
const exposed = new Set(
  createMetrics({ db: {} as DbPool })
    .registry.getMetricsAsArray()
    .map((metric) => metric.name),
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

  test('worker task slots come from the Temporal SDK metrics', () => {
    expect(exprs.some((e) => e.includes('temporal_worker_task_slots_used'))).toBe(true);
    expect(exprs.some((e) => e.includes('temporal_worker_task_slots_available'))).toBe(true);
  });
});
