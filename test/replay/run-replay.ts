// Replays recorded histories in a plain Node process and prints one JSON line per history:
// `{"name","workflowId","ok","error"}`. A separate process keeps the replay workers (and their
// Runtime) out of the jest process.
// Usage: node dist/test/replay/run-replay.js [--unguarded] <history.json>...
import { readFile } from 'node:fs/promises';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { projectPath } from '../../src/project-root.js';
import { decodeHistory } from '../support/replay.js';
import type { RecordedHistory } from '../support/replay.js';

const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

async function main(args: string[]): Promise<void> {
  // --unguarded: every patched() answers true (test/replay/patched-procedure.test.ts).
  const unguarded = args.includes('--unguarded');
  const files = args.filter((a) => a !== '--unguarded');
  const histories = await Promise.all(
    files.map(async (f) => JSON.parse(await readFile(f, 'utf8')) as RecordedHistory),
  );
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: projectPath('dist/src/workflows/index.js'),
    logger: quiet,
    ...(unguarded
      ? {
          webpackConfigHook: (config) => ({
            ...config,
            resolve: {
              ...config.resolve,
              alias: {
                ...(config.resolve?.alias as Record<string, string> | undefined),
                '@temporalio/workflow$': projectPath('dist/test/replay/support/unguarded-workflow-api.js'),
              },
            },
          }),
        }
      : {}),
  });
  const byId = new Map(histories.map((h) => [h.workflowId, h.name] as const));
  const results = Worker.runReplayHistories(
    { workflowBundle },
    histories.map((h) => ({ workflowId: h.workflowId, history: decodeHistory(h) })),
  );
  for await (const result of results) {
    process.stdout.write(
      `${JSON.stringify({
        name: byId.get(result.workflowId) ?? result.workflowId,
        workflowId: result.workflowId,
        ok: result.error === undefined,
        error: result.error ? `${result.error.name}: ${result.error.message}` : null,
      })}\n`,
    );
  }
}

await main(process.argv.slice(2));
