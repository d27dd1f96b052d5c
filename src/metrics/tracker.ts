// Tracker call metrics, updated by the HTTP transport (src/adapters/tracker/http.ts). Labels are
// endpoint templates and classes only: never issue keys, logins or ids.
import { Counter, Histogram } from 'prom-client';
import { processRegistry } from './registry.js';
import { statusClass, trackerEndpointTemplate } from './tracker-endpoint.js';

const requests = new Counter({
  name: 'dispatch_tracker_requests_total',
  help: 'Tracker API requests sent, by endpoint template, method and HTTP status class (none = no answer).',
  labelNames: ['endpoint', 'method', 'status_class'] as const,
  registers: [processRegistry],
});

const errors = new Counter({
  name: 'dispatch_tracker_request_errors_total',
  help: 'Tracker API calls that failed, by endpoint template and error code (after the one YT-3 token refresh).',
  labelNames: ['endpoint', 'code'] as const,
  registers: [processRegistry],
});

const duration = new Histogram({
  name: 'dispatch_tracker_request_duration_seconds',
  help: 'Duration of Tracker API requests, by endpoint template and method.',
  labelNames: ['endpoint', 'method'] as const,
  buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [processRegistry],
});

/** One HTTP exchange with Tracker (status 0 = no answer). */
export function observeTrackerRequest(input: { method: string; path: string; status: number; seconds: number }): void {
  const endpoint = trackerEndpointTemplate(input.path);
  requests.inc({ endpoint, method: input.method, status_class: statusClass(input.status) });
  duration.observe({ endpoint, method: input.method }, input.seconds);
}

/** One failed call, as the caller sees it (TrackerError code). */
export function observeTrackerError(input: { path: string; code: string }): void {
  errors.inc({ endpoint: trackerEndpointTemplate(input.path), code: input.code });
}
