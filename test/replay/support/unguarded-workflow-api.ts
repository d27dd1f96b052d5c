// Test-only stand-in for '@temporalio/workflow' in a replay bundle: every patch is taken as if the
// history had its marker. It shows what replaying an old history with a change that is NOT guarded
// by patched() does (test/replay/patched-procedure.test.ts).
export * from '@temporalio/workflow/lib/index.js';
export function patched(_patchId: string): boolean {
  return true;
}
