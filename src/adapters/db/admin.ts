// Database-level administration through a superuser URL: creating the DISPATCH database on a fresh
// (embedded) server and throw-away databases in tests. Not used against production at run time.

import pg from 'pg';

const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates `name` (UTF8, as 0001 requires) unless it exists; returns whether it was created. */
export async function createDatabase(adminUrl: string, name: string): Promise<boolean> {
  const database = checkName(name);
  return withAdminClient(adminUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount) {
      return false;
    }
    // template0: the encoding may differ from the cluster's template1.
    await client.query(`CREATE DATABASE ${database} TEMPLATE template0 ENCODING 'UTF8'`);
    return true;
  });
}

/** Drops `name` if it exists, disconnecting its sessions. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdminClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${checkName(name)} WITH (FORCE)`));
}

/** `adminUrl` with its database replaced by `name` (credentials and host kept). */
export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = '/' + checkName(name);
  return url.toString();
}

function checkName(name: string): string {
  // Names are interpolated into DDL (identifiers cannot be bound parameters).
  if (!DATABASE_NAME.test(name)) {
    throw new Error(`invalid database name ${JSON.stringify(name)}: expected [a-z_][a-z0-9_]*, at most 63 characters`);
  }
  return name;
}

async function withAdminClient<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
