// The Temporal SDK metrics bridge (issue #10): buffered SDK metric updates become prom-client
// counters, gauges and histograms with the SDK's names and attributes as labels; a bad update is
// counted and skipped, never thrown; the buffer is drained at every /metrics scrape.
import { describe, expect, test } from '@jest/globals';
import { MetricsBuffer } from '@temporalio/worker';
import type { Metric, MetricKind } from '@temporalio/common';
import type { DbPool } from '../../src/adapters/db/pool.js';
import { createMetrics } from '../../src/metrics/index.js';
import {
  DURATION_BUCKETS_SECONDS,
  SDK_METRIC_ERRORS,
  createTemporalSdkMetrics,
  createTemporalSdkMetricsBridge,
  prometheusNameOf,
  sanitizeName,
} from '../../src/metrics/temporal-sdk.js';
import type { TemporalSdkMetricsBridge } from '../../src/metrics/temporal-sdk.js';

function metric(name: string, kind: MetricKind, unit?: string): Metric {
  return { name, kind, valueType: 'int', description: `SDK ${name}`, ...(unit === undefined ? {} : { unit }) };
}

const queue = { service_name: 'temporal-core-sdk', namespace: 'default', task_queue: 'dispatch' };

/** Every series of a prom metric as `labels → value`, labels as `k=v,k=v` in creation order. */
async function values(bridge: TemporalSdkMetricsBridge, name: string): Promise<Record<string, number>> {
  const found = bridge.registry.getSingleMetric(name);
  if (found === undefined) throw new Error(`${name} not in the registry`);
  const { values: samples } = await found.get();
  return Object.fromEntries(
    samples.map((sample) => {
      const labels = Object.entries(sample.labels)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',');
      const series = 'metricName' in sample && typeof sample.metricName === 'string' ? sample.metricName : name;
      return [`${series}{${labels}}`, sample.value];
    }),
  );
}

async function errorCount(bridge: TemporalSdkMetricsBridge, reason: string): Promise<number> {
  const all = await values(bridge, SDK_METRIC_ERRORS);
  return all[`${SDK_METRIC_ERRORS}{reason=${reason}}`] ?? Number.NaN;
}

describe('names', () => {
  test('issue #10: counters get the Prometheus _total suffix, gauges and histograms keep the SDK name', () => {
    expect(prometheusNameOf('temporal_workflow_completed', 'counter')).toBe('temporal_workflow_completed_total');
    expect(prometheusNameOf('temporal_request_total', 'counter')).toBe('temporal_request_total');
    expect(prometheusNameOf('temporal_sticky_cache_size', 'gauge')).toBe('temporal_sticky_cache_size');
    expect(prometheusNameOf('temporal_workflow_task_schedule_to_start_latency', 'histogram')).toBe(
      'temporal_workflow_task_schedule_to_start_latency',
    );
    expect(prometheusNameOf('', 'gauge')).toBeNull();
  });

  test('issue #10: names are sanitized to [a-zA-Z_][a-zA-Z0-9_]*', () => {
    expect(sanitizeName('task-queue')).toBe('task_queue');
    expect(sanitizeName('worker.type')).toBe('worker_type');
    expect(sanitizeName('9lives')).toBe('_9lives');
    expect(sanitizeName('')).toBeNull();
  });
});

describe('mapping', () => {
  test('issue #10: counter deltas add up per attribute set', async () => {
    const bridge = createTemporalSdkMetricsBridge();
    const completed = metric('temporal_workflow_completed', 'counter');
    const incident = { ...queue, workflow_type: 'incidentWorkflow' };
    const mailbox = { ...queue, workflow_type: 'mailboxWorkflow' };
    bridge.record([
      { metric: completed, value: 2, attributes: incident },
      { metric: completed, value: 3, attributes: incident },
      { metric: completed, value: 1, attributes: mailbox },
    ]);
    expect(await values(bridge, 'temporal_workflow_completed_total')).toEqual({
      'temporal_workflow_completed_total{service_name=temporal-core-sdk,namespace=default,task_queue=dispatch,workflow_type=incidentWorkflow}': 5,
      'temporal_workflow_completed_total{service_name=temporal-core-sdk,namespace=default,task_queue=dispatch,workflow_type=mailboxWorkflow}': 1,
    });
  });

  test('issue #10: a gauge takes the latest value, an up-down counter adds deltas', async () => {
    const bridge = createTemporalSdkMetricsBridge();
    const slots = metric('temporal_worker_task_slots_available', 'gauge');
    const inFlight = metric('temporal_in_flight', 'up-down-counter');
    const workflowWorker = { ...queue, worker_type: 'WorkflowWorker' };
    bridge.record([
      { metric: slots, value: 40, attributes: workflowWorker },
      { metric: slots, value: 38, attributes: workflowWorker },
      { metric: inFlight, value: 3, attributes: queue },
      { metric: inFlight, value: -1, attributes: queue },
    ]);
    expect(await values(bridge, 'temporal_worker_task_slots_available')).toEqual({
      'temporal_worker_task_slots_available{service_name=temporal-core-sdk,namespace=default,task_queue=dispatch,worker_type=WorkflowWorker}': 38,
    });
    expect(await values(bridge, 'temporal_in_flight')).toEqual({
      'temporal_in_flight{service_name=temporal-core-sdk,namespace=default,task_queue=dispatch}': 2,
    });
  });

  test('issue #10: a duration histogram observes seconds into the documented buckets', async () => {
    const bridge = createTemporalSdkMetricsBridge();
    const latency = metric('temporal_workflow_task_schedule_to_start_latency', 'histogram', 's');
    bridge.record([
      { metric: latency, value: 0.02, attributes: { task_queue: 'dispatch' } },
      { metric: latency, value: 2, attributes: { task_queue: 'dispatch' } },
      { metric: latency, value: 90_000, attributes: { task_queue: 'dispatch' } },
    ]);
    const all = await values(bridge, 'temporal_workflow_task_schedule_to_start_latency');
    const series = 'temporal_workflow_task_schedule_to_start_latency';
    expect(all[`${series}_count{task_queue=dispatch}`]).toBe(3);
    expect(all[`${series}_sum{task_queue=dispatch}`]).toBeCloseTo(90_002.02, 6);
    expect(all[`${series}_bucket{le=0.01,task_queue=dispatch}`]).toBe(0);
    expect(all[`${series}_bucket{le=0.025,task_queue=dispatch}`]).toBe(1);
    expect(all[`${series}_bucket{le=2.5,task_queue=dispatch}`]).toBe(2);
    expect(all[`${series}_bucket{le=86400,task_queue=dispatch}`]).toBe(2);
    expect(all[`${series}_bucket{le=604800,task_queue=dispatch}`]).toBe(3);
    const bucketBounds = Object.keys(all)
      .map((key) => /_bucket\{le=([^,]+),/.exec(key)?.[1])
      .filter((le): le is string => le !== undefined && le !== '+Inf')
      .map(Number);
    expect(bucketBounds).toEqual([...DURATION_BUCKETS_SECONDS]);
  });

  test('issue #10: labels come from the first update; later extra keys are dropped, missing ones are empty', async () => {
    const bridge = createTemporalSdkMetricsBridge();
    const received = metric('temporal_activity_task_received', 'counter');
    bridge.record([
      { metric: received, value: 1, attributes: { namespace: 'default', 'task-queue': 'dispatch', eager: false } },
      {
        metric: received,
        value: 1,
        attributes: { namespace: 'default', 'task-queue': 'dispatch', activity_type: 'x' },
      },
      { metric: received, value: 4, attributes: { namespace: 'default', 'task-queue': 'dispatch', eager: false } },
    ]);
    expect(await values(bridge, 'temporal_activity_task_received_total')).toEqual({
      'temporal_activity_task_received_total{namespace=default,task_queue=dispatch,eager=false}': 5,
      'temporal_activity_task_received_total{namespace=default,task_queue=dispatch,eager=}': 1,
    });
  });

  test('issue #10: a bad update is counted by reason and skipped; the good ones of the batch still count', async () => {
    const bridge = createTemporalSdkMetricsBridge();
    const completed = metric('temporal_workflow_completed', 'counter');
    const batch: unknown[] = [
      null,
      { metric: completed, value: '1', attributes: queue },
      { metric: { name: 'temporal_x', kind: 'summary', valueType: 'int' }, value: 1, attributes: queue },
      { metric: completed, value: -1, attributes: queue },
      { metric: completed, value: Number.NaN, attributes: queue },
      { metric: completed, value: 1, attributes: queue },
      // Same Prometheus name as the counter above, other kind.
      { metric: metric('temporal_workflow_completed_total', 'gauge'), value: 7, attributes: queue },
    ];
    expect(() => bridge.record(batch)).not.toThrow();
    expect(await errorCount(bridge, 'invalid_update')).toBe(2);
    expect(await errorCount(bridge, 'invalid_metric')).toBe(1);
    expect(await errorCount(bridge, 'invalid_value')).toBe(2);
    expect(await errorCount(bridge, 'kind_conflict')).toBe(1);
    expect(await errorCount(bridge, 'apply_failed')).toBe(0);
    expect(await values(bridge, 'temporal_workflow_completed_total')).toEqual({
      'temporal_workflow_completed_total{service_name=temporal-core-sdk,namespace=default,task_queue=dispatch}': 1,
    });
  });
});

describe('buffer and scrape', () => {
  test('issue #10: the runtime gets a seconds-based metrics buffer', () => {
    const sdk = createTemporalSdkMetrics();
    try {
      const metrics = sdk.telemetryOptions.metrics;
      const buffer = metrics !== undefined && 'buffer' in metrics ? metrics.buffer : undefined;
      expect(buffer).toBeInstanceOf(MetricsBuffer);
      expect(buffer?.useSecondsForDurations).toBe(true);
      expect(buffer?.maxBufferSize).toBe(100_000);
    } finally {
      sdk.stop();
    }
  });

  test('issue #10: /metrics drains the buffer at scrape time, next to the dispatch_* metrics', async () => {
    const sdk = createTemporalSdkMetrics();
    try {
      const metrics = sdk.telemetryOptions.metrics;
      if (metrics === undefined || !('buffer' in metrics)) throw new Error('no buffer');
      const completed = metric('temporal_workflow_completed', 'counter');
      let pending = [{ metric: completed, value: 1, attributes: { ...queue, workflow_type: 'incidentWorkflow' } }];
      metrics.buffer.retrieveUpdates = () => {
        const drained = pending;
        pending = [];
        return drained.values();
      };
      // No database behind it: the collectors fail and are counted, the scrape still answers.
      const source = createMetrics({ db: {} as DbPool, temporalSdk: sdk });
      const first = await source.render();
      expect(first).toContain(
        'temporal_workflow_completed_total{service_name="temporal-core-sdk",namespace="default",task_queue="dispatch",workflow_type="incidentWorkflow"} 1\n',
      );
      expect(first).toContain('# TYPE dispatch_metrics_collect_errors_total counter');
      expect(first).toContain(`${SDK_METRIC_ERRORS}{reason="drain_failed"} 0\n`);
      pending = [{ metric: completed, value: 2, attributes: { ...queue, workflow_type: 'incidentWorkflow' } }];
      expect(await source.render()).toContain(
        'temporal_workflow_completed_total{service_name="temporal-core-sdk",namespace="default",task_queue="dispatch",workflow_type="incidentWorkflow"} 3\n',
      );
    } finally {
      sdk.stop();
    }
  });

  test('issue #10: a drain that throws is counted, not thrown', async () => {
    const sdk = createTemporalSdkMetrics();
    const metrics = sdk.telemetryOptions.metrics;
    if (metrics === undefined || !('buffer' in metrics)) throw new Error('no buffer');
    metrics.buffer.retrieveUpdates = () => {
      throw new Error('native side gone');
    };
    expect(() => sdk.drain()).not.toThrow();
    expect(() => sdk.stop()).not.toThrow();
    expect(await sdk.registry.getSingleMetricAsString(SDK_METRIC_ERRORS)).toContain(
      `${SDK_METRIC_ERRORS}{reason="drain_failed"} 2`,
    );
  });
});
