import { ensurePostgres } from '../../src/starters/local/postgres.js';
import { freePort } from '../../src/starters/local/processes.js';
import { ensureTemporalDevServer } from '../../src/starters/local/temporal-server.js';
import { ENV_PG_ADMIN_URL, ENV_TEMPORAL_ADDRESS, TEST_DATA_DIR, TEST_PG_DIR, TEST_TEMPORAL_PID } from './services.js';

export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const [pg, temporal] = await Promise.all([
    ensurePostgres({ dataDir: TEST_PG_DIR, port: pgPort, logFile: `${TEST_DATA_DIR}/postgres.log` }),
    ensureTemporalDevServer({
      port: temporalPort,
      uiPort: null,
      dbFile: null,
      pidFile: TEST_TEMPORAL_PID,
      logFile: `${TEST_DATA_DIR}/temporal.log`,
    }),
  ]);
  process.env[ENV_PG_ADMIN_URL] = pg.adminUrl;
  process.env[ENV_TEMPORAL_ADDRESS] = temporal.address;
  console.log(
    `\n[test services] PostgreSQL 127.0.0.1:${pg.port}, Temporal dev server ${temporal.address} (pid ${temporal.pid}) ` +
      `ready in ${Date.now() - t0} ms`,
  );
}
