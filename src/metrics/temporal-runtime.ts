// Temporal SDK metrics (worker task slots, poll and schedule-to-start latencies) are exported by the
// SDK core on its own Prometheus endpoint; Runtime.install must receive this before any Worker or
// NativeConnection exists.
import type { TelemetryOptions } from '@temporalio/worker';

/** `host:port` to bind the SDK's Prometheus endpoint, or null to keep SDK metrics off. */
export function temporalTelemetryOptions(bindAddress: string | null): TelemetryOptions | undefined {
  if (bindAddress === null) return undefined;
  return {
    metrics: {
      // Prometheus conventions: counters end in _total, durations in seconds.
      prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true },
    },
  };
}
