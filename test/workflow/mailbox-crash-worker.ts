// Child process of mailbox-crash.test: a worker with the ingestion activities only, killed with
// SIGKILL by the test. Configuration from the environment; the workflow bundle is prebuilt by the
// test (CRASH_WORKFLOW_BUNDLE) so a restart takes seconds.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

import { createIngestionActivities } from '../../src/activities/ingestion.js';
import { createDbPool } from '../../src/adapters/db/pool.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';

const config = loadConfig(process.env, { dotenvPath: null });
const taskQueue = process.env['CRASH_WORKER_QUEUE'] ?? '';
const codePath = process.env['CRASH_WORKFLOW_BUNDLE'] ?? '';
Runtime.install({ logger: new DefaultLogger('ERROR') });
const log = createLogger({ name: 'crash-worker' });
const db = await createDbPool(config.database.url);
const temporal = new Client({ connection: await Connection.connect({ address: config.temporal.address }) });
const worker = await Worker.create({
  connection: await NativeConnection.connect({ address: config.temporal.address }),
  namespace: config.temporal.namespace,
  taskQueue,
  workflowBundle: { codePath },
  activities: createIngestionActivities({ config, db, log, temporal }),
});
process.stdout.write('{"msg":"crash-worker ready"}\n');
await worker.run();
