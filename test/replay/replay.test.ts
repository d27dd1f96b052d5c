// Replay suite (ARCHITECTURE.md §8, issue #8): every history recorded from real scenarios
// (test/replay/histories, refreshed by `npm run replay:record`) must replay against the current
// workflow code. A change that would break running incidents fails here; guard it with patched().
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from '@jest/globals';
import type { RecordedHistory } from '../support/replay.js';
import { historyFiles, replay } from './replay-runner.js';

describe('replay: recorded histories replay against the current workflow code', () => {
  test('the suite holds histories of the long-lived workflows', async () => {
    const types = new Set<string>();
    for (const file of await historyFiles()) {
      types.add((JSON.parse(await readFile(file, 'utf8')) as RecordedHistory).workflowType);
    }
    expect([...types]).toEqual(
      expect.arrayContaining([
        'incidentWorkflow',
        'mailboxWorkflow',
        'trackerReconcileWorkflow',
        'towerStoreSyncWorkflow',
        'backupWorkflow',
        'cleanupWorkflow',
      ]),
    );
  });

  test('every recorded history replays without a determinism violation', async () => {
    const files = await historyFiles();
    const outcomes = await replay(files);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(outcomes).toHaveLength(files.length);
  }, 180_000);
});
