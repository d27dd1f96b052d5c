// Doctor: Temporal reachable, the namespace exists, our search attributes are registered, and a
// worker polls the task queue (a missing worker is a warning: incidents wait, nothing is lost).
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Config } from '../../config/load.js';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { fail, ok, runCheck, warn, type CheckResult } from './verdicts.js';

const TaskQueueType = proto.temporal.api.enums.v1.TaskQueueType;

export function checkTemporal(config: Config): Promise<CheckResult[]> {
  const { address, namespace, taskQueue } = config.temporal;
  return runCheck('temporal', `start the Temporal server or fix TEMPORAL_ADDRESS (now ${address})`, async () => {
    const connection = await Connection.connect({ address, connectTimeout: '4s' });
    try {
      const results = [ok('temporal', `reachable at ${address}`)];
      try {
        await connection.workflowService.describeNamespace({ namespace });
      } catch (error) {
        results.push(
          fail(
            'temporal namespace',
            `namespace ${namespace} not found (${error instanceof Error ? error.message : String(error)})`,
            `create it (temporal operator namespace create ${namespace}) or fix TEMPORAL_NAMESPACE`,
          ),
        );
        return results;
      }
      results.push(ok('temporal namespace', namespace));

      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const registered = customAttributes ?? {};
      const missing = ALL_SEARCH_ATTRIBUTES.map((k) => k.name).filter((name) => registered[name] === undefined);
      results.push(
        missing.length === 0
          ? ok('temporal search attributes', `all ${ALL_SEARCH_ATTRIBUTES.length} registered`)
          : fail(
              'temporal search attributes',
              `missing: ${missing.join(', ')}`,
              'run the bootstrap (node dist/src/starters/bootstrap.js), which registers them',
            ),
      );

      const queue = await connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      const pollers = queue.pollers ?? [];
      results.push(
        pollers.length > 0
          ? ok('temporal worker', `${pollers.length} poller(s) on task queue ${taskQueue}`)
          : warn(
              'temporal worker',
              `no worker polls task queue ${taskQueue}`,
              'start the worker (node dist/src/workers/main.js) with the same TEMPORAL_TASK_QUEUE',
            ),
      );
      return results;
    } finally {
      await connection.close();
    }
  });
}
