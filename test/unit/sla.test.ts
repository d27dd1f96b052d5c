import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import type { SlaBreachAlertState, SlaStatus } from '../../src/domain/sla.js';
import {
  INITIAL_SLA_BREACH_ALERT_STATE,
  SLA_STATUS,
  evaluateSla,
  nextSlaTimer,
  slaBreachAlertStep,
  slaDeadline,
  slaEndAtAfterStatus,
  slaStatusAt,
  slaTimerInstants,
} from '../../src/domain/sla.js';
import { formatHumanDateTime } from '../../src/domain/datetime.js';
import type { TrackerStatusKeys } from '../../src/domain/tracker-statuses.js';

/** A Moscow wall-clock time on 2025-03-05 (UTC+3, no DST). */
const msk = (hhmm: string): Date => new Date(`2025-03-05T${hhmm}:00+03:00`);

const keys: TrackerStatusKeys = {
  onGeneration: 'naGeneraciiNb',
  notifyOperator: 'uvedomlaemOperatora',
  notifiedOperator: 'uvedomiliOperatora',
  notifyClosure: 'uvedomitOZakrytii',
  notifiedClosure: 'uvedomiliOZakrytii',
  notifyContractor: 'peredatPodradciku',
  notifiedContractor: 'peredanoPodradciku',
};

describe('SLA-4 exact status strings', () => {
  test('SLA-4: the five dropdown values', () => {
    expect(SLA_STATUS).toEqual({
      unknown: '⬜️ Неизвестно',
      breached: '🟥 Просрочен',
      closedOnTime: '🟩 Закрыт вовремя',
      lessThanHour: '🟨 Осталось менее часа',
      inProgress: '🟦 В работе',
    });
    // ⬜️ carries VARIATION SELECTOR-16; the coloured squares do not.
    expect([...SLA_STATUS.unknown].slice(0, 2).map((c) => c.codePointAt(0))).toEqual([0x2b1c, 0xfe0f]);
    expect(SLA_STATUS.breached.codePointAt(0)).toBe(0x1f7e5);
  });
});

describe('SLA-1 deadline', () => {
  test('SLA-1: registration time + type minutes', () => {
    expect(slaDeadline(msk('10:00'), 240)?.toISOString()).toBe(msk('14:00').toISOString());
    expect(slaDeadline(msk('10:00'), 2880)?.toISOString()).toBe('2025-03-07T07:00:00.000Z');
  });

  test('SLA-1: no type or no minutes → no deadline → ⬜️ Неизвестно', () => {
    expect(slaDeadline(msk('10:00'), null)).toBeNull();
    expect(slaDeadline(msk('10:00'), undefined)).toBeNull();
    expect(slaDeadline(msk('10:00'), 0)).toBeNull();
    expect(slaDeadline(msk('10:00'), -5)).toBeNull();
    expect(slaDeadline(msk('10:00'), 1.5)).toBeNull();
    expect(slaStatusAt({ deadline: null, slaEndAt: null }, msk('10:05'))).toBe('⬜️ Неизвестно');
    expect(slaStatusAt({ deadline: null, slaEndAt: msk('11:00') }, msk('10:05'))).toBe('⬜️ Неизвестно');
  });
});

describe('SLA-4 status rules', () => {
  const deadline = msk('14:00');

  test('SLA-4: end ≥ deadline → 🟥 Просрочен (end = now while running)', () => {
    expect(slaStatusAt({ deadline, slaEndAt: null }, msk('14:00'))).toBe('🟥 Просрочен');
    expect(slaStatusAt({ deadline, slaEndAt: null }, msk('15:00'))).toBe('🟥 Просрочен');
  });

  test('SLA-4: end = sla_end_at when set; closed late stays 🟥 Просрочен', () => {
    expect(slaStatusAt({ deadline, slaEndAt: msk('14:10') }, msk('14:20'))).toBe('🟥 Просрочен');
  });

  test('SLA-4: sla_end_at before the deadline → 🟩 Закрыт вовремя, even within the last hour', () => {
    expect(slaStatusAt({ deadline, slaEndAt: msk('13:30') }, msk('13:31'))).toBe('🟩 Закрыт вовремя');
    expect(slaStatusAt({ deadline, slaEndAt: msk('13:30') }, msk('20:00'))).toBe('🟩 Закрыт вовремя');
  });

  test('SLA-4: deadline − now ≤ 60 minutes → 🟨 Осталось менее часа', () => {
    expect(slaStatusAt({ deadline, slaEndAt: null }, msk('13:00'))).toBe('🟨 Осталось менее часа');
    expect(slaStatusAt({ deadline, slaEndAt: null }, new Date(deadline.getTime() - 1))).toBe('🟨 Осталось менее часа');
  });

  test('SLA-4: otherwise → 🟦 В работе', () => {
    expect(slaStatusAt({ deadline, slaEndAt: null }, new Date(msk('13:00').getTime() - 1))).toBe('🟦 В работе');
    expect(slaStatusAt({ deadline, slaEndAt: null }, msk('10:05'))).toBe('🟦 В работе');
  });

  test('SLA-4: for a running clock the status never goes back as time passes (property)', () => {
    const rank: Record<SlaStatus, number> = {
      [SLA_STATUS.unknown]: -1,
      [SLA_STATUS.inProgress]: 0,
      [SLA_STATUS.lessThanHour]: 1,
      [SLA_STATUS.breached]: 2,
      [SLA_STATUS.closedOnTime]: -2,
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.nat(200_000), fc.nat(200_000), (minutes, a, b) => {
        const deadlineAt = slaDeadline(msk('10:00'), minutes);
        const early = new Date(msk('10:00').getTime() + Math.min(a, b) * 60_000);
        const late = new Date(msk('10:00').getTime() + Math.max(a, b) * 60_000);
        const clock = { deadline: deadlineAt, slaEndAt: null };
        expect(rank[slaStatusAt(clock, early)]).toBeLessThanOrEqual(rank[slaStatusAt(clock, late)]);
      }),
    );
  });
});

describe('SLA-5 timers', () => {
  test('SLA-5: timers at deadline − 60 min and at the deadline while the clock runs', () => {
    const timers = slaTimerInstants({ deadline: msk('14:00'), slaEndAt: null });
    expect(timers?.warningAt.toISOString()).toBe(msk('13:00').toISOString());
    expect(timers?.deadlineAt.toISOString()).toBe(msk('14:00').toISOString());
  });

  test('SLA-5: no timers without a deadline or once sla_end_at is set', () => {
    expect(slaTimerInstants({ deadline: null, slaEndAt: null })).toBeNull();
    expect(slaTimerInstants({ deadline: msk('14:00'), slaEndAt: msk('13:30') })).toBeNull();
  });

  test('SLA-5: next timer is the first instant strictly after now; past instants take effect immediately', () => {
    const clock = { deadline: msk('14:00'), slaEndAt: null };
    expect(nextSlaTimer(clock, msk('10:05'))?.toISOString()).toBe(msk('13:00').toISOString());
    expect(nextSlaTimer(clock, msk('13:00'))?.toISOString()).toBe(msk('14:00').toISOString());
    expect(nextSlaTimer(clock, msk('13:30'))?.toISOString()).toBe(msk('14:00').toISOString());
    expect(nextSlaTimer(clock, msk('14:00'))).toBeNull();
    expect(slaStatusAt(clock, msk('13:30'))).toBe('🟨 Осталось менее часа');
  });
});

describe('SLA-3 / SLA-7 end point', () => {
  const base = { keys, onGenerationStopsSla: true, currentSlaEndAt: null, statusChangedAt: msk('13:30') };

  test('SLA-3: entering closed sets sla_end_at to the Tracker change time', () => {
    expect(slaEndAtAfterStatus({ ...base, statusKey: 'closed' })?.toISOString()).toBe(msk('13:30').toISOString());
  });

  test('SLA-3: on-generation stops the clock when ON_GENERATION_STOPS_SLA = true', () => {
    expect(slaEndAtAfterStatus({ ...base, statusKey: 'naGeneraciiNb' })?.toISOString()).toBe(
      msk('13:30').toISOString(),
    );
  });

  test('SLA-3: with ON_GENERATION_STOPS_SLA = false the clock keeps running on generation', () => {
    expect(slaEndAtAfterStatus({ ...base, statusKey: 'naGeneraciiNb', onGenerationStopsSla: false })).toBeNull();
    expect(
      slaEndAtAfterStatus({
        ...base,
        statusKey: 'naGeneraciiNb',
        onGenerationStopsSla: false,
        currentSlaEndAt: msk('12:00'),
      }),
    ).toBeNull();
  });

  test('SLA-3: moving between clock-stopping statuses keeps sla_end_at', () => {
    const kept = slaEndAtAfterStatus({
      ...base,
      statusKey: 'closed',
      currentSlaEndAt: msk('12:00'),
      statusChangedAt: msk('16:00'),
    });
    expect(kept?.toISOString()).toBe(msk('12:00').toISOString());
  });

  test('SLA-7: returning to any other status clears sla_end_at', () => {
    for (const statusKey of ['inProgress', 'open', 'error', 'uvedomiliOZakrytii', 'someOtherStatus']) {
      expect(slaEndAtAfterStatus({ ...base, statusKey, currentSlaEndAt: msk('13:30') })).toBeNull();
    }
  });
});

describe('SLA-8 breach alert once per open period', () => {
  const step = (state: SlaBreachAlertState, status: SlaStatus, isFinished = false) =>
    slaBreachAlertStep(state, { isFinished, status });

  test('SLA-8: alert when an open incident becomes 🟥 Просрочен, then not again', () => {
    const first = step(INITIAL_SLA_BREACH_ALERT_STATE, SLA_STATUS.breached);
    expect(first.sendAlert).toBe(true);
    const second = step(first.state, SLA_STATUS.breached);
    expect(second.sendAlert).toBe(false);
    // A type change that moves the deadline and breaches again in the same open period: still once.
    const third = step(step(second.state, SLA_STATUS.inProgress).state, SLA_STATUS.breached);
    expect(third.sendAlert).toBe(false);
  });

  test('SLA-8: no alert for finished incidents or other statuses', () => {
    expect(step(INITIAL_SLA_BREACH_ALERT_STATE, SLA_STATUS.breached, true).sendAlert).toBe(false);
    for (const status of [SLA_STATUS.inProgress, SLA_STATUS.lessThanHour, SLA_STATUS.unknown]) {
      expect(step(INITIAL_SLA_BREACH_ALERT_STATE, status).sendAlert).toBe(false);
    }
  });

  test('SLA-8: a reopening starts a new open period', () => {
    const alerted = step(INITIAL_SLA_BREACH_ALERT_STATE, SLA_STATUS.breached).state;
    const closed = step(alerted, SLA_STATUS.breached, true);
    expect(closed.sendAlert).toBe(false);
    const reopened = step(closed.state, SLA_STATUS.breached);
    expect(reopened.sendAlert).toBe(true);
    expect(reopened.state).toEqual({ finished: false, alertedInOpenPeriod: true });
  });
});

describe('acceptance scenarios', () => {
  const typeMinutes = 240; // «Авария по питанию для МСК» (DEF-3)

  test('AC-11: type selected at 10:05 → deadline 14:00, 🟦; 13:00 🟨; 14:00 🟥 with one alert', () => {
    const registrationTime = msk('10:00');
    const at1005 = evaluateSla({ registrationTime, slaMinutes: typeMinutes, slaEndAt: null }, msk('10:05'));
    expect(at1005.deadline?.toISOString()).toBe(msk('14:00').toISOString());
    expect(formatHumanDateTime(at1005.deadline ?? new Date(Number.NaN))).toBe('05.03.2025 14:00');
    expect(at1005.status).toBe('🟦 В работе');
    expect(at1005.nextTimerAt?.toISOString()).toBe(msk('13:00').toISOString());

    let alertState = slaBreachAlertStep(INITIAL_SLA_BREACH_ALERT_STATE, { isFinished: false, status: at1005.status });
    expect(alertState.sendAlert).toBe(false);

    // The workflow wakes only at the timer instants (no polling in between).
    const at1300 = evaluateSla({ registrationTime, slaMinutes: typeMinutes, slaEndAt: null }, msk('13:00'));
    expect(at1300.status).toBe('🟨 Осталось менее часа');
    expect(at1300.nextTimerAt?.toISOString()).toBe(msk('14:00').toISOString());
    alertState = slaBreachAlertStep(alertState.state, { isFinished: false, status: at1300.status });
    expect(alertState.sendAlert).toBe(false);

    const at1400 = evaluateSla({ registrationTime, slaMinutes: typeMinutes, slaEndAt: null }, msk('14:00'));
    expect(at1400.status).toBe('🟥 Просрочен');
    expect(at1400.nextTimerAt).toBeNull();
    alertState = slaBreachAlertStep(alertState.state, { isFinished: false, status: at1400.status });
    expect(alertState.sendAlert).toBe(true);
    expect(slaBreachAlertStep(alertState.state, { isFinished: false, status: at1400.status }).sendAlert).toBe(false);
  });

  test('AC-12: closed at 13:30, seen at 13:31 → 🟩 Закрыт вовремя, the 14:00 timer is gone', () => {
    const slaEndAt = slaEndAtAfterStatus({
      statusKey: 'closed',
      keys,
      onGenerationStopsSla: true,
      currentSlaEndAt: null,
      statusChangedAt: msk('13:30'),
    });
    expect(slaEndAt?.toISOString()).toBe(msk('13:30').toISOString());
    const seen = evaluateSla({ registrationTime: msk('10:00'), slaMinutes: typeMinutes, slaEndAt }, msk('13:31'));
    expect(seen.status).toBe('🟩 Закрыт вовремя');
    expect(seen.nextTimerAt).toBeNull();
    // Evaluated later (e.g. at 14:00) it stays closed on time.
    expect(
      evaluateSla({ registrationTime: msk('10:00'), slaMinutes: typeMinutes, slaEndAt }, msk('14:00')).status,
    ).toBe('🟩 Закрыт вовремя');
  });

  test('AC-13: reopened at 15:00 → 🟥 Просрочен (clock from 10:00), breach alerted; re-closed at 15:10 stays 🟥', () => {
    const registrationTime = msk('10:00');
    let alert = slaBreachAlertStep(INITIAL_SLA_BREACH_ALERT_STATE, {
      isFinished: true,
      status: SLA_STATUS.closedOnTime,
    });
    const reopenedEnd = slaEndAtAfterStatus({
      statusKey: 'inProgress',
      keys,
      onGenerationStopsSla: true,
      currentSlaEndAt: msk('13:30'),
      statusChangedAt: msk('15:00'),
    });
    expect(reopenedEnd).toBeNull();
    const reopened = evaluateSla({ registrationTime, slaMinutes: typeMinutes, slaEndAt: reopenedEnd }, msk('15:00'));
    expect(reopened.status).toBe('🟥 Просрочен');
    alert = slaBreachAlertStep(alert.state, { isFinished: false, status: reopened.status });
    expect(alert.sendAlert).toBe(true);

    const reclosedEnd = slaEndAtAfterStatus({
      statusKey: 'closed',
      keys,
      onGenerationStopsSla: true,
      currentSlaEndAt: reopenedEnd,
      statusChangedAt: msk('15:10'),
    });
    expect(reclosedEnd?.toISOString()).toBe(msk('15:10').toISOString());
    const reclosed = evaluateSla({ registrationTime, slaMinutes: typeMinutes, slaEndAt: reclosedEnd }, msk('15:11'));
    expect(reclosed.status).toBe('🟥 Просрочен');
    expect(slaBreachAlertStep(alert.state, { isFinished: true, status: reclosed.status }).sendAlert).toBe(false);
  });
});
