// Worker process: `node dist/src/workers/main.js`. Configuration from the environment (+ .env);
// SIGINT/SIGTERM drain the worker and exit. The HTTP server (health, readiness, metrics) lives and
// dies with the worker.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type Worker } from '@temporalio/worker';
import { createTrackerRouterFor } from '../activities/tracker-sync.js';
import { createDbPool } from '../adapters/db/pool.js';
import { createAlerts } from '../adapters/telegram/alerts.js';
import { loadConfigOrExit } from '../config/cli.js';
import { secretValues } from '../config/redact.js';
import { trackerWebhookRoute } from '../http/tracker-webhook.js';
import { startWorkerHttpServer } from '../http/worker-server.js';
import { runTrackerCheck } from '../starters/tracker-check.js';
import { formatSetupReport } from '../adapters/tracker/index.js';
import type { HttpServer } from '../http/server.js';
import { createLogger } from '../logger.js';
import { createTemporalSdkMetrics } from '../metrics/temporal-sdk.js';
import { createDispatchWorker } from './worker.js';

const config = loadConfigOrExit(process.env);
const log = createLogger({ debug: config.debug, secrets: secretValues(config), name: 'worker' });

// Temporal SDK metrics go to the worker's own /metrics (buffered, drained by the bridge); the
// telemetry options must reach Runtime.install before any Worker or NativeConnection exists.
const temporalSdkMetrics = createTemporalSdkMetrics({ log });
Runtime.install({
  logger: new DefaultLogger(config.debug ? 'DEBUG' : 'INFO', (entry) => {
    const level = entry.level.toLowerCase() as Lowercase<LogLevel>;
    log[level === 'trace' ? 'trace' : level]({ ...(entry.meta ?? {}), sdk: true }, entry.message);
  }),
  telemetryOptions: temporalSdkMetrics.telemetryOptions,
});

const db = await createDbPool(config.database.url);
const connection = await NativeConnection.connect({ address: config.temporal.address });
const clientConnection = await Connection.connect({ address: config.temporal.address });
const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
// One Alerts service per worker process, shared by every activity (SPEC §19).
const alerts = createAlerts({ config, db, log });
// YT-5: a queue without the statuses or fields the product relies on stops the start. An
// unreachable Tracker does not: the activities wait for it (GEN-5).
try {
  const report = await runTrackerCheck(config, log);
  if (!report.checked) {
    log.warn(
      { findings: report.findings },
      'Tracker setup not checked at start (YT-5): Tracker unreachable; continuing',
    );
  } else if (!report.ok) {
    const text = formatSetupReport(report, config.tracker.queue);
    log.fatal({ alert: 'tracker_misconfigured' }, `Tracker setup incomplete (YT-5):\n${text}`);
    await alerts.alert({
      level: 'error',
      kind: 'tracker_misconfigured',
      subject: config.tracker.queue,
      text: `Очередь Трекера ${config.tracker.queue} настроена не полностью, воркер не запущен (YT-5):\n${text}`,
    });
    await db.end();
    process.exit(78);
  }
} catch (error) {
  log.warn({ err: error }, 'Tracker setup check could not run at start (YT-5); continuing, activities retry Tracker');
}
const trackerRouter = createTrackerRouterFor({ config, db, log, temporal, alerts });
// Liveness answers while the workflow bundle is built; readiness waits for the worker to poll.
const started: { worker?: Worker } = {};
let http: HttpServer | null = null;
try {
  http = await startWorkerHttpServer({
    port: config.http.port,
    db,
    temporal: clientConnection,
    isWorkerRunning: () => started.worker?.getState() === 'RUNNING',
    log,
    temporalSdk: temporalSdkMetrics,
    // The Tracker trigger webhook: the fast path of change detection (YT-13), same routing as the poll.
    extraRoutes: [
      trackerWebhookRoute({
        config,
        route: (issueKey) => trackerRouter.routeIssueByKey(issueKey, 'webhook'),
        log,
      }),
    ],
  });
  log.info({ url: http.url }, 'HTTP server listening (/healthz, /readyz, /metrics)');
} catch (error) {
  // Health and metrics are for operators: a busy port must not keep incidents from being processed.
  log.error({ err: error, port: config.http.port }, 'HTTP server could not start; running without it');
}
const worker = await createDispatchWorker({ config, db, log, temporal, alerts }, connection);
started.worker = worker;
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
  temporalSdkMetrics.stop();
  await http?.close();
  await connection.close();
  await clientConnection.close();
  await db.end();
  log.info('DISPATCH worker stopped');
}
