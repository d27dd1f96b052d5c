// The worker limits at their config-registry defaults: the benches measure the product as shipped,
// while the test environment (completeEnv) raises them.
import { VARIABLES } from '../../src/config/variables.js';

const LIMITS = [
  'WORKER_MAX_CACHED_WORKFLOWS',
  'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
  'WORKER_MAX_CONCURRENT_ACTIVITIES',
] as const;

export function workerDefaults(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of LIMITS) {
    const spec = VARIABLES[name].default;
    if (spec.kind !== 'value') throw new Error(`${name} has no default value`);
    env[name] = spec.value;
  }
  return env;
}

/** "WORKER_MAX_CACHED_WORKFLOWS 500, …" of the limits a bench ran with. */
export function describeWorkerLimits(env: Record<string, string>): string {
  return LIMITS.map((name) => `${name} ${env[name] ?? '?'}`).join(', ');
}
