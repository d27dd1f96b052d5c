import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  cloneCluster,
  clusterDir,
  ensurePostgres,
  removeCluster,
  stopPostgres,
} from '../../src/starters/local/postgres.js';
import { freePort, isAlive } from '../../src/starters/local/processes.js';
import { ensureTemporalDevServer, stopTemporalDevServer } from '../../src/starters/local/temporal-server.js';
import {
  ENV_PG_ADMIN_URL,
  ENV_RUN_ID,
  ENV_TEMPORAL_ADDRESS,
  TEST_DATA_DIR,
  TEST_PG_TEMPLATE_DIR,
  runDir,
} from './services.js';

/** Runs whose jest process is gone (killed mid-run): stop their servers and remove their files. */
async function removeAbandonedRuns(): Promise<void> {
  const runs = join(TEST_DATA_DIR, 'runs');
  if (!existsSync(runs)) return;
  for (const runId of await readdir(runs)) {
    if (isAlive(Number(runId))) continue;
    const dir = runDir(runId);
    await stopTemporalDevServer(join(dir, 'temporal.pid')).catch(() => undefined);
    await stopPostgres(join(dir, 'postgres')).catch(() => undefined);
    await removeCluster(join(dir, 'postgres'));
    await rm(dir, { recursive: true, force: true });
  }
}

async function ensureTemplateCluster(): Promise<void> {
  if (existsSync(join(await clusterDir(TEST_PG_TEMPLATE_DIR), 'PG_VERSION'))) return;
  // Initialise by starting once, then stop: the copy must be a cleanly shut down cluster.
  await ensurePostgres({
    dataDir: TEST_PG_TEMPLATE_DIR,
    port: await freePort(),
    logFile: join(TEST_DATA_DIR, 'template.log'),
  });
  await stopPostgres(TEST_PG_TEMPLATE_DIR);
}

export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  const runId = String(process.pid);
  const dir = runDir(runId);
  await mkdir(TEST_DATA_DIR, { recursive: true });
  await removeAbandonedRuns();
  await ensureTemplateCluster();
  await removeCluster(join(dir, 'postgres'));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await cloneCluster(TEST_PG_TEMPLATE_DIR, join(dir, 'postgres'));
  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const [pg, temporal] = await Promise.all([
    ensurePostgres({ dataDir: join(dir, 'postgres'), port: pgPort, logFile: join(dir, 'postgres.log') }),
    ensureTemporalDevServer({
      port: temporalPort,
      uiPort: null,
      dbFile: null,
      pidFile: join(dir, 'temporal.pid'),
      logFile: join(dir, 'temporal.log'),
    }),
  ]);
  process.env[ENV_RUN_ID] = runId;
  process.env[ENV_PG_ADMIN_URL] = pg.adminUrl;
  process.env[ENV_TEMPORAL_ADDRESS] = temporal.address;
  console.log(
    `\n[test services] PostgreSQL 127.0.0.1:${pg.port}, Temporal dev server ${temporal.address} (pid ${temporal.pid}) ` +
      `ready in ${Date.now() - t0} ms`,
  );
}
