// The servers a benchmark needs: the test harness's own start-up (one embedded PostgreSQL and one
// Temporal dev server under .data/test/runs/<pid>), reused as is so benchmarks and tests share one
// definition of the stack. Sets the same environment variables the test support modules read.
import globalSetup from '../../test/support/global-setup.js';
import globalTeardown from '../../test/support/global-teardown.js';

export interface BenchServices {
  stop(): Promise<void>;
}

export async function startBenchServices(): Promise<BenchServices> {
  await globalSetup();
  return { stop: () => globalTeardown() };
}
