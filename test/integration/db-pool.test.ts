// The slonik pool's value conventions and row-schema checks, on a fresh database of the run's
// embedded PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { SchemaValidationError, sql, UniqueIntegrityConstraintViolationError } from 'slonik';
import { z } from 'zod';
import { createDatabase, databaseUrl, dropDatabase } from '../../src/adapters/db/admin.js';
import { createDbPool } from '../../src/adapters/db/pool.js';
import type { DbPool } from '../../src/adapters/db/pool.js';
import { ENV_PG_ADMIN_URL, requireEnv } from '../support/services.js';

const adminUrl = requireEnv(ENV_PG_ADMIN_URL);
const databaseName = `dispatch_test_${randomBytes(6).toString('hex')}`;
let pool: DbPool;

beforeAll(async () => {
  await createDatabase(adminUrl, databaseName);
  pool = await createDbPool(databaseUrl(adminUrl, databaseName), { maxPoolSize: 2 });
});

afterAll(async () => {
  await pool.end();
  await dropDatabase(adminUrl, databaseName);
});

describe('createDbPool', () => {
  test('bigint values are numbers and timestamptz values are Date instants (GEN-6)', async () => {
    const row = await pool.one(sql.type(z.object({ id: z.number(), at: z.date(), n: z.number() }))`
      SELECT 9007199254740991::bigint AS id, '2025-03-05 13:15:00+03'::timestamptz AS at, count(*) AS n
      FROM generate_series(1, 3)`);

    expect(row).toEqual({ id: Number.MAX_SAFE_INTEGER, at: new Date('2025-03-05T10:15:00.000Z'), n: 3 });
  });

  test('a bigint beyond the safe integer range fails instead of losing digits', async () => {
    await expect(pool.oneFirst(sql.unsafe`SELECT 9007199254740993::bigint AS id`)).rejects.toThrow(
      'int8 value 9007199254740993 is outside the safe integer range',
    );
  });

  test('bigint arrays are arrays of numbers', async () => {
    const ids = await pool.oneFirst(sql.type(z.object({ ids: z.array(z.number()) }))`
      SELECT ARRAY[1, 22, 333]::bigint[] AS ids`);

    expect(ids).toEqual([1, 22, 333]);
  });

  test('rows are checked against the query schema: a mismatch is a SchemaValidationError', async () => {
    const failure = pool.one(sql.type(z.object({ name: z.string() }))`SELECT 42 AS name`);

    await expect(failure).rejects.toBeInstanceOf(SchemaValidationError);
    await expect(failure).rejects.toMatchObject({ row: { name: 42 } });
  });

  test('a constraint violation reaches the caller as the typed slonik error', async () => {
    await pool.query(sql.unsafe`CREATE TABLE probe (message_id text UNIQUE)`);
    await pool.query(sql.unsafe`INSERT INTO probe VALUES ('<a@example.ru>')`);

    const failure = pool.query(sql.unsafe`INSERT INTO probe VALUES ('<a@example.ru>')`);

    await expect(failure).rejects.toBeInstanceOf(UniqueIntegrityConstraintViolationError);
    await expect(failure).rejects.toMatchObject({ constraint: 'probe_message_id_key' });
  });

  test('transforming schemas shape the returned row', async () => {
    const row = await pool.one(sql.type(z.object({ code: z.string().transform((code) => code.toUpperCase()) }))`
      SELECT 'avrservice-7' AS code`);

    expect(row).toEqual({ code: 'AVRSERVICE-7' });
  });
});
