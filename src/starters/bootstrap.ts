// Bootstrap: everything a fresh or upgraded installation needs before workers run. Idempotent:
// migrations, default data (DEF-1…DEF-4), search attributes. Run as
// `node dist/src/starters/bootstrap.js` (compose) or called by the local stack.
import { Connection } from '@temporalio/client';
import { ensureDefaultData } from '../adapters/db/defaults.js';
import { migrate } from '../adapters/db/migrate.js';
import { createDbPool } from '../adapters/db/pool.js';
import type { Config } from '../config/load.js';
import { createLogger, type Logger } from '../logger.js';
import { loadConfigOrExit } from '../config/cli.js';
import { secretValues } from '../config/redact.js';
import { isMainModule } from './main-module.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { ensureMailboxWatchers } from './mailbox-watchers.js';
import { bootstrapSchedules } from './schedules.js';

export interface BootstrapReport {
  migrationsApplied: string[];
  defaultRowsInserted: number;
  searchAttributesAdded: string[];
}

export async function bootstrap(config: Config, log: Logger): Promise<BootstrapReport> {
  const migration = await migrate(config.database.url);
  log.info({ applied: migration.applied, alreadyApplied: migration.alreadyApplied }, 'database schema is current');

  const db = await createDbPool(config.database.url);
  let defaultRowsInserted: number;
  try {
    const counts = await ensureDefaultData(db);
    defaultRowsInserted = counts.incidentStatuses + counts.incidentTypes + counts.contractors + counts.poles;
    log.info({ inserted: counts }, 'default data present');
  } finally {
    await db.end();
  }

  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const added = await ensureSearchAttributes(connection, config.temporal.namespace);
    log.info({ added }, 'search attributes registered');
    await ensureMailboxWatchers(connection, config, log);
    await bootstrapSchedules(connection, config, log);
    return { migrationsApplied: migration.applied, defaultRowsInserted, searchAttributesAdded: added };
  } finally {
    await connection.close();
  }
}

if (isMainModule(import.meta.url)) {
  const config = loadConfigOrExit(process.env);
  const log = createLogger({ debug: config.debug, secrets: secretValues(config), name: 'bootstrap' });
  await bootstrap(config, log);
}
