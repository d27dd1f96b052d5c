// Dispatcher assignment (SPEC §13): who may receive a new incident (ASSIGN-1) and who gets it
// (ASSIGN-3). Loads are counted in SQL (ASSIGN-2); the choice runs in an activity whose result
// the workflow records, so replay is deterministic.

import { compareByCodePoint } from './code-point-order.js';

export interface DispatcherRecord {
  login: string;
  isActive: boolean;
}

/** A Tracker user as read from the (fully paginated) user list. */
export interface TrackerUserRecord {
  login: string;
  dismissed: boolean;
  disableNotifications: boolean;
}

export interface DispatcherLoad {
  login: string;
  /** ASSIGN-2: open incidents the dispatcher is responsible for. */
  load: number;
  /** Incidents assigned to the dispatcher within `ASSIGN_RECENT_HOURS`. */
  recentAssignments: number;
}

/** ASSIGN-1: active dispatchers whose login is a Tracker user not dismissed and with notifications enabled. */
export function assignmentCandidates(
  dispatchers: readonly DispatcherRecord[],
  trackerUsers: readonly TrackerUserRecord[],
): string[] {
  const reachable = new Set(trackerUsers.filter((u) => !u.dismissed && !u.disableNotifications).map((u) => u.login));
  const logins = dispatchers.filter((d) => d.isActive && reachable.has(d.login)).map((d) => d.login);
  return [...new Set(logins)].sort(compareByCodePoint);
}

/** ASSIGN-3: minimum load, then fewest recent assignments, then login in byte order; null when nobody is available (ASSIGN-4). */
export function chooseDispatcher(candidates: readonly DispatcherLoad[]): string | null {
  let best: DispatcherLoad | null = null;
  for (const candidate of candidates) {
    if (
      best === null ||
      candidate.load < best.load ||
      (candidate.load === best.load &&
        (candidate.recentAssignments < best.recentAssignments ||
          (candidate.recentAssignments === best.recentAssignments &&
            compareByCodePoint(candidate.login, best.login) < 0)))
    ) {
      best = candidate;
    }
  }
  return best === null ? null : best.login;
}
