// Temporal SDK runtime metrics (task slots, pollers, schedule-to-start and execution latencies,
// workflow completions and failures) on the worker's own /metrics endpoint: the SDK core buffers
// metric updates (MetricsBuffer) and this bridge drains them into a prom-client registry, at every
// scrape and on a timer so the buffer never fills up (a full buffer drops updates).
//
// Names: the SDK's own (`temporal_` prefix); counters get the Prometheus `_total` suffix.
// Histograms keep the SDK name (durations are in seconds: useSecondsForDurations), e.g.
// `temporal_workflow_task_schedule_to_start_latency_bucket`.
import { MetricsBuffer, type BufferedMetricUpdate, type TelemetryOptions } from '@temporalio/worker';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../logger.js';

/**
 * Buckets for SDK durations, in seconds. Poll and schedule-to-start latencies live between a few
 * milliseconds and the 60–70 s long poll; activity executions (Tracker, SMTP, IMAP calls) up to
 * minutes; an incident workflow's end-to-end latency is hours to days (SLA timers, closing by the
 * dispatcher), hence the 1 h, 1 day and 1 week buckets.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86_400, 604_800,
];
/** Histograms without a time unit (none in SDK 1.24): prom-client's default buckets. */
const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const MILLISECOND_BUCKETS = DURATION_BUCKETS_SECONDS.map((seconds) => seconds * 1000);

export const SDK_METRIC_ERRORS = 'dispatch_temporal_sdk_metric_errors_total';
/** Why an update was skipped (the `reason` label of SDK_METRIC_ERRORS); every one starts at 0. */
export const SDK_METRIC_ERROR_REASONS = [
  'invalid_update',
  'invalid_metric',
  'invalid_value',
  'kind_conflict',
  'apply_failed',
  'drain_failed',
] as const;
type ErrorReason = (typeof SDK_METRIC_ERROR_REASONS)[number];

/** A buffered update as the SDK describes it; everything is checked, nothing trusted. */
export type SdkMetricUpdate = BufferedMetricUpdate;

type Instrument =
  | { kind: 'counter'; metric: Counter }
  | { kind: 'gauge'; metric: Gauge }
  | { kind: 'up-down-counter'; metric: Gauge }
  | { kind: 'histogram'; metric: Histogram };

interface Series {
  promName: string;
  instrument: Instrument;
  /** Sanitized label name → the SDK attribute key it comes from. */
  labels: ReadonlyArray<readonly [label: string, attribute: string]>;
  /** The SDK re-uses attribute objects: their label values are computed once. */
  labelCache: WeakMap<object, Record<string, string>>;
}

export interface TemporalSdkMetricsBridge {
  /** The SDK metrics, created lazily on their first update, and the bridge's error counter. */
  registry: Registry;
  /** Applies updates to the registry; a bad update is counted and skipped, never thrown. */
  record(updates: Iterable<unknown>): void;
}

/** The Prometheus name of an SDK metric (counters get `_total`), or null if it cannot be one. */
export function prometheusNameOf(name: string, kind: string): string | null {
  const sanitized = sanitizeName(name);
  if (sanitized === null) return null;
  return kind === 'counter' && !sanitized.endsWith('_total') ? `${sanitized}_total` : sanitized;
}

/** `[a-zA-Z_][a-zA-Z0-9_]*`: other characters become `_`, a leading digit gets a `_` prefix. */
export function sanitizeName(name: string): string | null {
  if (name.length === 0) return null;
  const replaced = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(replaced) ? `_${replaced}` : replaced;
}

export function createTemporalSdkMetricsBridge(options: { log?: Logger } = {}): TemporalSdkMetricsBridge {
  const registry = new Registry();
  const errors = new Counter({
    name: SDK_METRIC_ERRORS,
    help: 'Temporal SDK metric updates that could not be applied (skipped), or buffer drains that failed.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of SDK_METRIC_ERROR_REASONS) errors.inc({ reason }, 0);
  const byName = new Map<string, Series>();
  // The SDK re-uses one Metric object per metric: a cheap lookup before the name-based one.
  const byMetric = new WeakMap<object, Series>();
  let warned = false;

  function fail(reason: ErrorReason, detail: string): void {
    errors.inc({ reason });
    // Once per bridge: a systematic problem would otherwise log on every update.
    if (!warned) {
      warned = true;
      options.log?.warn({ reason, detail }, 'Temporal SDK metric update skipped');
    }
  }

  function seriesFor(update: SdkMetricUpdate): Series | ErrorReason {
    const cached = byMetric.get(update.metric);
    if (cached !== undefined) return cached;
    const { name, kind, unit, description } = update.metric;
    if (typeof name !== 'string' || !isKind(kind)) return 'invalid_metric';
    const promName = prometheusNameOf(name, kind);
    if (promName === null) return 'invalid_metric';
    let series = byName.get(promName);
    if (series === undefined) {
      const labels = labelsOf(update.attributes, kind);
      const help = typeof description === 'string' && description !== '' ? description : `Temporal SDK ${name}`;
      const labelNames = labels.map(([label]) => label);
      const config = { name: promName, help, labelNames, registers: [registry] };
      const instrument: Instrument =
        kind === 'counter'
          ? { kind, metric: new Counter(config) }
          : kind === 'histogram'
            ? { kind, metric: new Histogram({ ...config, buckets: [...bucketsFor(unit)] }) }
            : { kind, metric: new Gauge(config) };
      series = { promName, instrument, labels, labelCache: new WeakMap() };
      byName.set(promName, series);
    } else if (series.instrument.kind !== kind) {
      return 'kind_conflict';
    }
    byMetric.set(update.metric, series);
    return series;
  }

  function apply(update: unknown): void {
    if (!isUpdate(update)) return fail('invalid_update', 'not a metric update');
    const series = seriesFor(update);
    if (typeof series === 'string') return fail(series, String(update.metric.name));
    const { value } = update;
    if (!Number.isFinite(value)) return fail('invalid_value', series.promName);
    const labels = labelValues(series, update.attributes);
    const { instrument } = series;
    switch (instrument.kind) {
      case 'counter':
        // A counter's update is a delta; a negative one would break monotonicity.
        if (value < 0) return fail('invalid_value', series.promName);
        instrument.metric.inc(labels, value);
        return;
      case 'gauge':
        instrument.metric.set(labels, value);
        return;
      case 'up-down-counter':
        instrument.metric.inc(labels, value);
        return;
      case 'histogram':
        instrument.metric.observe(labels, value);
        return;
    }
  }

  return {
    registry,
    record(updates) {
      for (const update of updates) {
        try {
          apply(update);
        } catch (error) {
          fail('apply_failed', error instanceof Error ? error.message : String(error));
        }
      }
    },
  };
}

export interface TemporalSdkMetrics {
  /** For `Runtime.install`, before any NativeConnection or Worker exists. */
  telemetryOptions: TelemetryOptions;
  registry: Registry;
  /** Moves every buffered update into the registry; never throws. */
  drain(): void;
  /** Stops the drain timer (after a last drain). */
  stop(): void;
}

export interface TemporalSdkMetricsOptions {
  log?: Logger;
  /** Drain period; default 2 s. */
  drainIntervalMs?: number;
  /** Buffered updates before the SDK drops new ones; default 100 000 (a few seconds of a busy worker). */
  maxBufferSize?: number;
}

/** The buffer, the bridge and its drain timer (unref'd: it never keeps the process alive). */
export function createTemporalSdkMetrics(options: TemporalSdkMetricsOptions = {}): TemporalSdkMetrics {
  const buffer = new MetricsBuffer({ maxBufferSize: options.maxBufferSize ?? 100_000, useSecondsForDurations: true });
  const bridge = createTemporalSdkMetricsBridge(options.log === undefined ? {} : { log: options.log });
  const drainErrors = bridge.registry.getSingleMetric(SDK_METRIC_ERRORS) as Counter;
  let warned = false;
  const drain = (): void => {
    try {
      bridge.record(buffer.retrieveUpdates());
    } catch (error) {
      drainErrors.inc({ reason: 'drain_failed' });
      // Once: the timer would repeat a lasting failure every period.
      if (!warned) options.log?.warn({ err: error }, 'Temporal SDK metrics could not be drained');
      warned = true;
    }
  };
  const timer = setInterval(drain, options.drainIntervalMs ?? 2000);
  timer.unref();
  return {
    telemetryOptions: { metrics: { buffer } },
    registry: bridge.registry,
    drain,
    stop() {
      clearInterval(timer);
      drain();
    },
  };
}

function isKind(kind: unknown): kind is Instrument['kind'] {
  return kind === 'counter' || kind === 'gauge' || kind === 'up-down-counter' || kind === 'histogram';
}

function isUpdate(update: unknown): update is SdkMetricUpdate {
  if (typeof update !== 'object' || update === null) return false;
  const { metric, value, attributes } = update as Record<string, unknown>;
  return (
    typeof metric === 'object' &&
    metric !== null &&
    typeof value === 'number' &&
    typeof attributes === 'object' &&
    attributes !== null
  );
}

/**
 * Label names from the first update's attribute keys, sanitized; duplicates after sanitizing,
 * names Prometheus reserves (`__…`) and a histogram's `le` are left out.
 */
function labelsOf(attributes: object, kind: Instrument['kind']): Array<readonly [string, string]> {
  const seen = new Set<string>();
  const labels: Array<readonly [string, string]> = [];
  for (const key of Object.keys(attributes)) {
    const label = sanitizeName(key);
    if (label === null || label.startsWith('__') || (kind === 'histogram' && label === 'le')) continue;
    if (seen.has(label)) continue;
    seen.add(label);
    labels.push([label, key]);
  }
  return labels;
}

/** Values for the series' label names: attribute keys it was not created with are dropped, missing ones ''. */
function labelValues(series: Series, attributes: object): Record<string, string> {
  const cached = series.labelCache.get(attributes);
  if (cached !== undefined) return cached;
  const record = attributes as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const [label, key] of series.labels) {
    const value = record[key];
    values[label] =
      typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
  }
  series.labelCache.set(attributes, values);
  return values;
}

function bucketsFor(unit: unknown): readonly number[] {
  if (unit === 's') return DURATION_BUCKETS_SECONDS;
  if (unit === 'ms') return MILLISECOND_BUCKETS;
  return DEFAULT_BUCKETS;
}
