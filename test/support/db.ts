// A fresh, migrated database with default data for one test file (its own name, dropped after).
import { randomBytes, randomInt } from 'node:crypto';
import { createDatabase, databaseUrl, dropDatabase } from '../../src/adapters/db/admin.js';
import { ensureDefaultData } from '../../src/adapters/db/defaults.js';
import { migrate } from '../../src/adapters/db/migrate.js';
import { createDbPool, type DbPool } from '../../src/adapters/db/pool.js';
import { ENV_PG_ADMIN_URL, requireEnv } from './services.js';
import { sql } from 'slonik';

const INCIDENT_ID_BASE = () => randomInt(1, 2_000_000) * 1000;

export interface TestDatabase {
  name: string;
  url: string;
  pool: DbPool;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'dispatch_test'): Promise<TestDatabase> {
  const adminUrl = requireEnv(ENV_PG_ADMIN_URL);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await createDatabase(adminUrl, name);
  const url = databaseUrl(adminUrl, name);
  await migrate(url);
  const pool = await createDbPool(url);
  await ensureDefaultData(pool);
  // Incident workflows are `incident-<id>` on the run's one Temporal server: every test database
  // numbers its incidents from its own random base, so two files never share a workflow.
  await pool.query(sql.unsafe`SELECT setval(pg_get_serial_sequence('incidents', 'id'), ${INCIDENT_ID_BASE()})`);
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      await dropDatabase(adminUrl, name);
    },
  };
}
