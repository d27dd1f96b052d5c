// A fresh, migrated database with default data for one test file (its own name, dropped after).
import { randomBytes } from 'node:crypto';
import { createDatabase, databaseUrl, dropDatabase } from '../../src/adapters/db/admin.js';
import { ensureDefaultData } from '../../src/adapters/db/defaults.js';
import { migrate } from '../../src/adapters/db/migrate.js';
import { createDbPool, type DbPool } from '../../src/adapters/db/pool.js';
import { ENV_PG_ADMIN_URL, requireEnv } from './services.js';

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
