// Child process of notice-crash.test: a full DISPATCH worker (every activity) whose contractor
// hand-over notice kills the process with SIGKILL right after the SMTP server accepted the message
// and before the outbox row is marked `sent` (AC-14) — once: the marker file records the crash.
import { existsSync, writeFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { createNoticeActivities } from '../../src/activities/notices.js';
import { createDbPool } from '../../src/adapters/db/pool.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';

const config = loadConfig(process.env, { dotenvPath: null });
const marker = process.env['CRASH_MARKER'] ?? '';
Runtime.install({ logger: new DefaultLogger('ERROR') });
const log = createLogger({ name: 'notice-crash-worker', debug: false });
const db = await createDbPool(config.database.url);
const temporal = new Client({ connection: await Connection.connect({ address: config.temporal.address }) });
const deps = { config, db, log, temporal };
const notices = createNoticeActivities(deps, {
  afterSmtpAccepted: (messageId) => {
    if (messageId.includes('dispatch.avr.') && !existsSync(marker)) {
      writeFileSync(marker, messageId);
      process.kill(process.pid, 'SIGKILL');
    }
    return Promise.resolve();
  },
});
const worker = await Worker.create({
  connection: await NativeConnection.connect({ address: config.temporal.address }),
  namespace: config.temporal.namespace,
  taskQueue: config.temporal.taskQueue,
  workflowBundle: { codePath: process.env['CRASH_WORKFLOW_BUNDLE'] ?? '' },
  activities: { ...createActivities(deps), ...notices },
});
process.stdout.write('{"msg":"crash-worker ready"}\n');
await worker.run();
