import { stopPostgres } from '../../src/starters/local/postgres.js';
import { stopTemporalDevServer } from '../../src/starters/local/temporal-server.js';
import { TEST_PG_DIR, TEST_TEMPORAL_PID } from './services.js';

export default async function globalTeardown(): Promise<void> {
  await Promise.all([stopTemporalDevServer(TEST_TEMPORAL_PID), stopPostgres(TEST_PG_DIR)]);
}
