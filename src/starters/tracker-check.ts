// Admin command (YT-5, OPS-3): verify the Tracker setup and print a verdict.
// `node dist/src/starters/tracker-check.js` — exit code 0 when ready, 1 when not.
import { createDbPool } from '../adapters/db/pool.js';
import { incidentTypeNames } from '../adapters/db/incident-store.js';
import { checkTrackerSetup, createTrackerClient, formatSetupReport } from '../adapters/tracker/index.js';
import type { SetupReport } from '../adapters/tracker/index.js';
import { loadConfigOrExit } from '../config/cli.js';
import type { Config } from '../config/load.js';
import { secretValues } from '../config/redact.js';
import { createLogger, type Logger } from '../logger.js';
import { isMainModule } from './main-module.js';

/** YT-5 with the product's own DB (shared tokens, incident types). */
export async function runTrackerCheck(config: Config, log: Logger): Promise<SetupReport> {
  const db = await createDbPool(config.database.url);
  const client = createTrackerClient(config.tracker, db, log);
  try {
    return await checkTrackerSetup(client, config.tracker, await incidentTypeNames(db));
  } finally {
    await client.close();
    await db.end();
  }
}

if (isMainModule(import.meta.url)) {
  const config = loadConfigOrExit(process.env);
  const log = createLogger({ debug: config.debug, secrets: secretValues(config), name: 'tracker-check' });
  const report = await runTrackerCheck(config, log);
  console.log(formatSetupReport(report, config.tracker.queue));
  process.exitCode = report.ok ? 0 : 1;
}
