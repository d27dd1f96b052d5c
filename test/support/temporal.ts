// Per-test-file access to the run's Temporal dev server: the workflow bundle is built once per
// file and every file uses its own task queue, so files never see each other's workflows.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { projectPath } from '../../src/project-root.js';
import { ENV_TEMPORAL_ADDRESS, requireEnv } from './services.js';

type WorkflowBundle = Awaited<ReturnType<typeof bundleWorkflowCode>>;

export interface TemporalTestContext {
  client: Client;
  taskQueue: string;
  /** Runs a worker on this file's task queue while `fn` runs. */
  withWorker<T>(fn: () => Promise<T>, options?: Partial<WorkerOptions>): Promise<T>;
  close(): Promise<void>;
}

let bundle: WorkflowBundle | undefined;

export async function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= await bundleWorkflowCode({
    workflowsPath: projectPath('dist/src/workflows/index.js'),
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: console.warn,
      error: console.error,
    },
  });
  return bundle;
}

let runtimeInstalled = false;

/** Worker logs only from WARN up: test output stays readable. */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier test file in this process.
  }
}

export async function connectTemporal(prefix: string): Promise<TemporalTestContext> {
  installQuietRuntime();
  const address = requireEnv(ENV_TEMPORAL_ADDRESS);
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `${prefix}-${randomUUID()}`;
  const code = await workflowBundle();
  return {
    client,
    taskQueue,
    async withWorker(fn, options = {}) {
      const worker = await Worker.create({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        workflowBundle: code,
        maxCachedWorkflows: 50,
        ...options,
      });
      return worker.runUntil(fn());
    },
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}
