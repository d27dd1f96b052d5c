import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeCluster, stopPostgres } from '../../src/starters/local/postgres.js';
import { stopTemporalDevServer } from '../../src/starters/local/temporal-server.js';
import { ENV_RUN_ID, runDir } from './services.js';

export default async function globalTeardown(): Promise<void> {
  const runId = process.env[ENV_RUN_ID];
  if (!runId) return;
  const dir = runDir(runId);
  await Promise.all([stopTemporalDevServer(join(dir, 'temporal.pid')), stopPostgres(join(dir, 'postgres'))]);
  await removeCluster(join(dir, 'postgres'));
  await rm(dir, { recursive: true, force: true });
}
