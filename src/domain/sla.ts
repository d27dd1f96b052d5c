// SLA arithmetic (SLA-1…SLA-8). Pure: "now" and every instant are parameters, so the incident
// workflow can call these with its deterministic clock and durable timers.

import { addMinutes } from './datetime.js';
import type { TrackerStatusKeys } from './tracker-statuses.js';
import { stopsSlaClock } from './tracker-statuses.js';

/** SLA-4: exact values of the Tracker "Статус SLA" dropdown. */
export const SLA_STATUS = {
  unknown: '⬜️ Неизвестно',
  breached: '🟥 Просрочен',
  closedOnTime: '🟩 Закрыт вовремя',
  lessThanHour: '🟨 Осталось менее часа',
  inProgress: '🟦 В работе',
} as const;

export type SlaStatus = (typeof SLA_STATUS)[keyof typeof SLA_STATUS];

/** SLA-4 rule 4 / SLA-5: the warning threshold before the deadline. */
export const SLA_WARNING_MINUTES = 60;

/**
 * SLA-1: deadline = registration time + the type's `sla_minutes` (absolute time, no calendars).
 * No type, no minutes, or minutes that are not a positive integer (DATA-2) → no deadline.
 */
export function slaDeadline(registrationTime: Date, slaMinutes: number | null | undefined): Date | null {
  if (slaMinutes === null || slaMinutes === undefined) return null;
  if (!Number.isInteger(slaMinutes) || slaMinutes <= 0) return null;
  return addMinutes(registrationTime, slaMinutes);
}

/** The two facts the SLA status depends on besides "now". */
export interface SlaClock {
  deadline: Date | null;
  /** SLA-3 end point; null while the clock runs. */
  slaEndAt: Date | null;
}

/** SLA-4: the status at `now`; the first matching rule wins. */
export function slaStatusAt(clock: SlaClock, now: Date): SlaStatus {
  const { deadline, slaEndAt } = clock;
  if (deadline === null) return SLA_STATUS.unknown;
  const end = slaEndAt ?? now;
  if (end.getTime() >= deadline.getTime()) return SLA_STATUS.breached;
  if (slaEndAt !== null) return SLA_STATUS.closedOnTime;
  if (deadline.getTime() - now.getTime() <= SLA_WARNING_MINUTES * 60_000) return SLA_STATUS.lessThanHour;
  return SLA_STATUS.inProgress;
}

/** SLA-5: timer instants, held only while a deadline exists and the clock runs. */
export function slaTimerInstants(clock: SlaClock): { warningAt: Date; deadlineAt: Date } | null {
  if (clock.deadline === null || clock.slaEndAt !== null) return null;
  return { warningAt: addMinutes(clock.deadline, -SLA_WARNING_MINUTES), deadlineAt: clock.deadline };
}

/**
 * SLA-5: the next instant strictly after `now` at which the status must be recomputed, or null.
 * Instants already past are not returned: their effect is already in `slaStatusAt(clock, now)`.
 */
export function nextSlaTimer(clock: SlaClock, now: Date): Date | null {
  const timers = slaTimerInstants(clock);
  if (timers === null) return null;
  for (const instant of [timers.warningAt, timers.deadlineAt]) {
    if (instant.getTime() > now.getTime()) return instant;
  }
  return null;
}

/** Inputs of the SLA end-point rule for one observed status. */
export interface SlaEndInput {
  statusKey: string;
  keys: TrackerStatusKeys;
  /** `ON_GENERATION_STOPS_SLA` (default true). */
  onGenerationStopsSla: boolean;
  currentSlaEndAt: Date | null;
  /** The time Tracker recorded the status change (YT-13), not the time it was observed. */
  statusChangedAt: Date;
}

/**
 * SLA-3 / SLA-7: `sla_end_at` after observing a status. Entering a clock-stopping status sets it to
 * the Tracker change time; moving between such statuses keeps it; any other status clears it, so
 * the clock runs again from the original registration time (time spent stopped is not credited).
 */
export function slaEndAtAfterStatus(input: SlaEndInput): Date | null {
  if (!stopsSlaClock(input.statusKey, input.keys, input.onGenerationStopsSla)) return null;
  return input.currentSlaEndAt ?? input.statusChangedAt;
}

/** Everything the workflow needs to write and to wait for (SLA-4, SLA-5, SLA-6). */
export interface SlaEvaluation {
  deadline: Date | null;
  status: SlaStatus;
  nextTimerAt: Date | null;
}

export function evaluateSla(
  input: { registrationTime: Date; slaMinutes: number | null | undefined; slaEndAt: Date | null },
  now: Date,
): SlaEvaluation {
  const clock: SlaClock = { deadline: slaDeadline(input.registrationTime, input.slaMinutes), slaEndAt: input.slaEndAt };
  return { deadline: clock.deadline, status: slaStatusAt(clock, now), nextTimerAt: nextSlaTimer(clock, now) };
}

/** SLA-8 bookkeeping, kept by the incident workflow across events (and continue-as-new). */
export interface SlaBreachAlertState {
  /** Whether the incident was finished at the previous observation. */
  finished: boolean;
  /** Whether the breach alert was already sent in the current open period. */
  alertedInOpenPeriod: boolean;
}

export const INITIAL_SLA_BREACH_ALERT_STATE: SlaBreachAlertState = { finished: false, alertedInOpenPeriod: false };

/**
 * SLA-8: an open incident whose status is `🟥 Просрочен` raises the breach alert at most once per
 * open period; a reopening (finished → not finished) starts a new period. Feed every status
 * recomputation (timer, type change, registration change, reopening) through this step.
 */
export function slaBreachAlertStep(
  state: SlaBreachAlertState,
  observation: { isFinished: boolean; status: SlaStatus },
): { state: SlaBreachAlertState; sendAlert: boolean } {
  const reopened = state.finished && !observation.isFinished;
  const alerted = reopened ? false : state.alertedInOpenPeriod;
  const sendAlert = !observation.isFinished && observation.status === SLA_STATUS.breached && !alerted;
  return {
    state: { finished: observation.isFinished, alertedInOpenPeriod: alerted || sendAlert },
    sendAlert,
  };
}
