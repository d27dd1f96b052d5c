// Builds the DISPATCH worker: workflows bundled once at start, explicit cache and concurrency
// limits (TEMPORAL_NOTES §8: the default cache size is derived from the heap and can OOM).
import { bundleWorkflowCode, Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities/index.js';
import { projectPath } from '../project-root.js';

export async function createDispatchWorker(deps: ActivityDependencies, connection: NativeConnection): Promise<Worker> {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: projectPath('dist/src/workflows/index.js'),
    logger: {
      trace: () => undefined,
      debug: () => undefined,
      info: (message, meta) => deps.log.debug(meta ?? {}, message),
      warn: (message, meta) => deps.log.warn(meta ?? {}, message),
      error: (message, meta) => deps.log.error(meta ?? {}, message),
      log: () => undefined,
    },
  });
  return Worker.create({
    connection,
    namespace: deps.config.temporal.namespace,
    taskQueue: deps.config.temporal.taskQueue,
    workflowBundle,
    activities: createActivities(deps),
    ...deps.config.temporal.worker,
    shutdownGraceTime: '10s',
  });
}
