// "Dispatchers" working the issues through the Tracker emulator while the chaos goes on: they set
// the incident type, take issues in work, ask for the acceptance notice (NOTIFY-1 ack), then for the
// closure notice (close) and close the issue. Every notify transition they perform is one notice the
// product must send exactly once (NOTIFY-3); the product itself moves the issue to the notified status.
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';

/** A default incident type with SLA minutes (reference data DEF-1). */
export const INCIDENT_TYPE = 'Авария по питанию для МСК';
const LOGIN = 'petrov';

export interface ExpectedNotice {
  issueKey: string;
  kind: 'ack' | 'close';
}

export interface DispatcherCrew {
  /** Issues picked for work. */
  readonly picked: Set<string>;
  /** Notify transitions performed, in order. */
  readonly notices: ExpectedNotice[];
  /** Issues the crew took through to `closed`. */
  readonly closed: Set<string>;
  /** Transitions Tracker refused (not an error: the crew tries again on the next tick). */
  refused: number;
  /** One pass over the picked issues: at most one action each. */
  tick(): void;
  /** Every picked issue is closed. */
  done(): boolean;
}

export function dispatcherCrew(tracker: TrackerEmulator): DispatcherCrew {
  const keys = tracker.seed.statusKeys;
  const picked = new Set<string>();
  const notices: ExpectedNotice[] = [];
  const closed = new Set<string>();
  // What the crew already did per issue: each step once, whatever the product does meanwhile.
  const done = new Map<string, Set<string>>();
  const crew: DispatcherCrew = {
    picked,
    notices,
    closed,
    refused: 0,
    tick() {
      for (const key of picked) {
        const issue = tracker.getIssue(key);
        const status = (issue?.['status'] as { key?: string } | undefined)?.key;
        const steps = done.get(key) ?? new Set<string>();
        done.set(key, steps);
        const act = (step: string, work: () => void): void => {
          if (steps.has(step)) return;
          try {
            work();
            steps.add(step);
          } catch {
            crew.refused += 1;
          }
        };
        if (status === keys.open) {
          act('type', () =>
            tracker.dispatcher.updateFields({
              login: LOGIN,
              issue: key,
              fields: { [tracker.seed.fields.typeOfProblem]: INCIDENT_TYPE },
            }),
          );
          act('inProgress', () =>
            tracker.dispatcher.executeTransition({ login: LOGIN, issue: key, status: keys.inProgress }),
          );
        } else if (status === keys.inProgress) {
          act('ack', () => {
            tracker.dispatcher.executeTransition({ login: LOGIN, issue: key, status: keys.notifyOperatorInWork });
            notices.push({ issueKey: key, kind: 'ack' });
          });
        } else if (status === keys.notifiedOperatorInWork) {
          act('close', () => {
            tracker.dispatcher.executeTransition({ login: LOGIN, issue: key, status: keys.notifyOperatorClosed });
            notices.push({ issueKey: key, kind: 'close' });
          });
        } else if (status === keys.notifiedOperatorClosed) {
          act('closed', () => {
            tracker.dispatcher.executeTransition({ login: LOGIN, issue: key, status: keys.closed });
            closed.add(key);
          });
        }
      }
    },
    done: () => [...picked].every((key) => closed.has(key)),
  };
  return crew;
}
