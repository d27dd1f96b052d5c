// Worker process: `node dist/src/workers/main.js`. Configuration from the environment (+ .env);
// SIGINT/SIGTERM drain the worker and exit.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { createDbPool } from '../adapters/db/pool.js';
import { createAlerts } from '../adapters/telegram/alerts.js';
import { loadConfigOrExit } from '../config/cli.js';
import { secretValues } from '../config/redact.js';
import { createLogger } from '../logger.js';
import { createDispatchWorker } from './worker.js';

const config = loadConfigOrExit(process.env);
const log = createLogger({ debug: config.debug, secrets: secretValues(config), name: 'worker' });

Runtime.install({
  logger: new DefaultLogger(config.debug ? 'DEBUG' : 'INFO', (entry) => {
    const level = entry.level.toLowerCase() as Lowercase<LogLevel>;
    log[level === 'trace' ? 'trace' : level]({ ...(entry.meta ?? {}), sdk: true }, entry.message);
  }),
});

const db = await createDbPool(config.database.url);
const connection = await NativeConnection.connect({ address: config.temporal.address });
const clientConnection = await Connection.connect({ address: config.temporal.address });
const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
// One Alerts service per worker process, shared by every activity (SPEC §19).
const alerts = createAlerts({ config, db, log });
const worker = await createDispatchWorker({ config, db, log, temporal, alerts }, connection);
log.info(
  { taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, address: config.temporal.address },
  `DISPATCH worker started (${config.debug ? 'debug mode' : 'production'})`,
);
// ALERT-3: start-up notice (the Alerts service never throws; de-duplicated by its cool-down).
void alerts.alert({
  level: 'info',
  kind: 'startup',
  subject: config.temporal.taskQueue,
  text: `DISPATCH запущен: ${config.debug ? 'режим отладки (debug mode)' : 'рабочий режим (production)'}, очередь задач «${config.temporal.taskQueue}».`,
});
try {
  await worker.run();
} finally {
  await connection.close();
  await clientConnection.close();
  await db.end();
  log.info('DISPATCH worker stopped');
}
