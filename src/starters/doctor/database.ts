// Doctor: PostgreSQL reachable and every migration file applied (DATA-1…DATA-10).
import { readdir } from 'node:fs/promises';
import pg from 'pg';
import { defaultMigrationsDir } from '../../adapters/db/migrate.js';
import type { Config } from '../../config/load.js';
import { CHECK_TIMEOUT_MS, fail, ok, runCheck, type CheckResult } from './verdicts.js';

const BOOTSTRAP = 'run the bootstrap (node dist/src/starters/bootstrap.js), which applies the migrations';

export function checkDatabase(config: Config): Promise<CheckResult[]> {
  const where = `${config.database.host}:${config.database.port}/${config.database.name}`;
  return runCheck(
    'postgresql',
    `start PostgreSQL or fix DATABASE_URL (now ${where}) and the database user's password`,
    async () => {
      const client = new pg.Client({
        connectionString: config.database.url,
        connectionTimeoutMillis: CHECK_TIMEOUT_MS,
        query_timeout: CHECK_TIMEOUT_MS,
      });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const reachable = ok('postgresql', `reachable at ${where}`);
        const table = await client.query<{ present: boolean }>(
          "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
        );
        if (table.rows[0]?.present !== true) {
          return [
            reachable,
            fail('migrations', 'no schema_migrations table: the schema was never migrated', BOOTSTRAP),
          ];
        }
        const applied = new Set(
          (await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
        );
        const files = (await readdir(defaultMigrationsDir())).filter((n) => /^\d{4}_[a-z0-9_]+\.sql$/.test(n)).sort();
        const missing = files.filter((name) => !applied.has(name.slice(0, 4)));
        if (missing.length > 0) {
          return [reachable, fail('migrations', `not applied: ${missing.join(', ')}`, BOOTSTRAP)];
        }
        return [reachable, ok('migrations', `all ${files.length} applied`)];
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  );
}
