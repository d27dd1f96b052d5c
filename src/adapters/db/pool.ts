// The one way DISPATCH talks to PostgreSQL at run time: a slonik pool with typed queries,
// `pool.one(sql.type(zodRowSchema)\`SELECT …\`)`. Rows are checked against the query's schema (slonik
// leaves that to an interceptor), so a schema/row mismatch fails loudly as SchemaValidationError.
//
// Value conventions of every row:
//   * int8 (bigint ids, COUNT(*)) -> number: ids travel through Temporal payloads as JSON, where
//     BigInt cannot go; a value beyond Number.MAX_SAFE_INTEGER throws instead of losing digits;
//   * timestamptz -> Date (an instant; the database stores UTC, GEN-6).

import { createPool, createTypeParserPreset, SchemaValidationError } from 'slonik';
import type { ClientConfigurationInput, DatabasePool, Interceptor, QueryResultRow } from 'slonik';

export type DbPool = DatabasePool;

export interface DbPoolOptions {
  /** Upper bound of open connections. Default 10. */
  maxPoolSize?: number;
  /** Per-statement timeout in milliseconds. Default 60 000. */
  statementTimeoutMs?: number;
}

export async function createDbPool(databaseUrl: string, options: DbPoolOptions = {}): Promise<DbPool> {
  const configuration: ClientConfigurationInput = {
    interceptors: [rowSchemaInterceptor],
    typeParsers: [
      ...createTypeParserPreset().filter((parser) => parser.name !== 'int8' && parser.name !== 'timestamptz'),
      { name: 'int8', parse: parseInt8 },
      { name: 'timestamptz', parse: (value: string) => new Date(value) },
    ],
    ...(options.maxPoolSize === undefined ? {} : { maxPoolSize: options.maxPoolSize }),
    ...(options.statementTimeoutMs === undefined ? {} : { statementTimeout: options.statementTimeoutMs }),
  };
  const pool = await createPool(databaseUrl, configuration);
  // slonik also emits every failed query's error on the pool. The caller gets the same error from the
  // rejected query; without a listener Node's EventEmitter would throw ERR_UNHANDLED_ERROR in its place.
  pool.on('error', () => undefined);
  return pool;
}

function parseInt8(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) {
    throw new RangeError(`int8 value ${value} is outside the safe integer range`);
  }
  return parsed;
}

// Validates (and, for transforming schemas, converts) each row with the schema given to sql.type().
const rowSchemaInterceptor: Interceptor = {
  name: 'dispatch-row-schema',
  transformRowAsync: async (context, query, row) => {
    const schema = context.resultParser;
    if (!schema) {
      return row;
    }
    const result = await schema['~standard'].validate(row);
    if (result.issues) {
      throw new SchemaValidationError(query, row, result.issues);
    }
    return result.value as QueryResultRow;
  },
};
