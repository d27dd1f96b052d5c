import { emptyState, loadStateFile, saveStateFile } from './state.js';
import type { EmulatorState } from './state.js';

/** Holds the current state and writes it to the state file (if any) on every commit. */
export class Store {
  state: EmulatorState;

  constructor(
    private readonly queueKey: string,
    private readonly statePath: string | undefined,
  ) {
    this.state = (statePath ? loadStateFile(statePath, queueKey) : undefined) ?? emptyState(queueKey);
  }

  /** Persists after a change; synchronous so a response is never sent before its change is on disk. */
  commit(): void {
    if (this.statePath) saveStateFile(this.statePath, this.state);
  }

  reset(): void {
    this.state = emptyState(this.queueKey);
    this.commit();
  }
}
