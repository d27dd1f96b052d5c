// The procedure for changing workflow code that running incidents replay (test/replay/README.md),
// shown on a real case: in issue #5 the incident workflow started posting the primary e-mail of an
// issue that existed before its first e-mail. The history below was recorded with the code before
// that change (commit 18e724a). Guarded by patched('post-primary-of-existing-issue') the new code
// replays it; the same change without the guard schedules an activity the history does not have.
import { describe, expect, test } from '@jest/globals';
import { HISTORIES_DIR, replay } from './replay-runner.js';

const OLD_HISTORY = `${HISTORIES_DIR}/incident-manual-issue-before-primary-patch.json`;

describe('patched(): changing the incident workflow without breaking running incidents', () => {
  test('the history recorded before the change replays with the guarded new code', async () => {
    expect(await replay([OLD_HISTORY])).toEqual([expect.objectContaining({ ok: true, error: null })]);
  }, 120_000);

  test('the same change without patched() fails that replay with a determinism violation', async () => {
    const [outcome] = await replay([OLD_HISTORY], { unguarded: true });
    expect(outcome?.ok).toBe(false);
    expect(outcome?.error).toMatch(/DeterminismViolationError/);
  }, 120_000);
});
