import { describe, test, expect } from '@jest/globals';
import type { CurrentHistoryRow, FinishState, HistoryRow } from '../../src/domain/status-history.js';
import {
  errorRow,
  finishStateAfterStatus,
  historyForObservedStatus,
  newIncidentRow,
  rowForObservedStatus,
  rowUnlessCurrent,
  systemErrorPlan,
} from '../../src/domain/status-history.js';
import type { TrackerStatusKeys } from '../../src/domain/tracker-statuses.js';
import { isFinishingStatus, noticeForStatus, statusRole, stopsSlaClock } from '../../src/domain/tracker-statuses.js';

const keys: TrackerStatusKeys = {
  onGeneration: 'naGeneraciiNb',
  notifyOperator: 'uvedomlaemOperatora',
  notifiedOperator: 'uvedomiliOperatora',
  notifyClosure: 'uvedomitOZakrytii',
  notifiedClosure: 'uvedomiliOZakrytii',
  notifyContractor: 'peredatPodradciku',
  notifiedContractor: 'peredanoPodradciku',
};

const current = (name: string, comment: string | null = null): CurrentHistoryRow => ({ name, comment });
const observedRow = (statusKey: string): HistoryRow | null => {
  const observed = historyForObservedStatus(statusKey, keys);
  return observed.kind === 'row' ? observed.row : null;
};
const t = (hhmm: string): Date => new Date(`2025-03-05T${hhmm}:00+03:00`);

describe('DEF-2 / INC-6 / INC-7', () => {
  test('INC-6: Новый row; manual incidents carry «Заявка была заведена через YandexTracker»', () => {
    expect(newIncidentRow(true)).toEqual({
      name: 'Новый',
      description: 'Инцидент только что создан и ещё не был принят в работу диспетчером',
      comment: null,
    });
    expect(newIncidentRow(false).comment).toBe('Заявка была заведена через YandexTracker');
  });

  test('INC-7: an incident without history is treated as Новый', () => {
    expect(rowUnlessCurrent(null, newIncidentRow(true))).toBeNull();
    expect(rowForObservedStatus(null, 'inProgress', keys)?.name).toBe('В работе');
  });
});

describe('INC-8 status history mapping', () => {
  test('INC-8: open → no row; unknown statuses → no row', () => {
    expect(historyForObservedStatus('open', keys)).toEqual({ kind: 'none' });
    expect(historyForObservedStatus('someQueueStatus', keys)).toEqual({ kind: 'none' });
  });

  test('INC-8: inProgress → В работе, always with its comment', () => {
    expect(observedRow('inProgress')).toEqual({
      name: 'В работе',
      description: 'Инцидент в процессе обработки',
      comment: 'Диспетчер принял работы в YandexTracker',
    });
  });

  test('INC-8: needAcceptance, error, closed, on-generation rows without comment', () => {
    expect(observedRow('needAcceptance')).toEqual({
      name: 'Ждем подтверждения',
      description: 'Ждем информацию об инциденте для его дальнейшей обработки.',
      comment: null,
    });
    expect(observedRow('error')).toEqual({
      name: 'Ошибка',
      description: 'Обнаружена ошибка при обработке инцидента или некорректные данные',
      comment: null,
    });
    expect(observedRow('closed')).toEqual({
      name: 'Закрыт',
      description: 'Инцидент полностью обработан и закрыт, никаких дальнейших действий не требуется',
      comment: null,
    });
    expect(observedRow('naGeneraciiNb')).toEqual({
      name: 'На генерации НБ',
      description: 'Питание от генератора.',
      comment: null,
    });
  });

  test('INC-8: notified statuses observed directly → their row without comment', () => {
    expect(observedRow('uvedomiliOperatora')).toEqual({
      name: 'Уведомили оператора',
      description: 'Отправили письмо заявителю о принятии инцидента в работу.',
      comment: null,
    });
    expect(observedRow('uvedomiliOZakrytii')).toEqual({
      name: 'Уведомили о закрытии',
      description: 'Отправили письмо заявителю о закрытии работ.',
      comment: null,
    });
    expect(observedRow('peredanoPodradciku')).toEqual({
      name: 'Передано подрядчику',
      description: 'Отправили письмо с инцидентом.',
      comment: null,
    });
  });

  test('INC-8 / NOTIFY-4: notify-operator key → Уведомляем оператора → Уведомили оператора', () => {
    expect(historyForObservedStatus('uvedomlaemOperatora', keys)).toEqual({
      kind: 'notice',
      notice: {
        kind: 'ack',
        notifiedStatusKey: 'uvedomiliOperatora',
        notifyingRow: {
          name: 'Уведомляем оператора',
          description: 'Отправляем письмо заявителю о принятии инцидента в работу.',
          comment: 'Диспетчер отправил заявителю автоответ о принятии заявки в работу.',
        },
        notifiedRow: {
          name: 'Уведомили оператора',
          description: 'Отправили письмо заявителю о принятии инцидента в работу.',
          comment: 'Уведомили оператора о принятии заявки в работу.',
        },
      },
    });
  });

  test('INC-8 / NOTIFY-4: notify-closure key → Уведомляем о закрытии → Уведомили о закрытии', () => {
    expect(historyForObservedStatus('uvedomitOZakrytii', keys)).toEqual({
      kind: 'notice',
      notice: {
        kind: 'close',
        notifiedStatusKey: 'uvedomiliOZakrytii',
        notifyingRow: {
          name: 'Уведомляем о закрытии',
          description: 'Отправляем письмо заявителю о закрытии работ.',
          comment: 'Диспетчер отправил заявителю автоответ о закрытии заявки.',
        },
        notifiedRow: {
          name: 'Уведомили о закрытии',
          description: 'Отправили письмо заявителю о закрытии работ.',
          comment: 'Уведомили оператора о закрытии заявки.',
        },
      },
    });
  });

  test('INC-8 / NOTIFY-4: notify-AVR key → Передать подрядчику → Передано подрядчику', () => {
    expect(historyForObservedStatus('peredatPodradciku', keys)).toEqual({
      kind: 'notice',
      notice: {
        kind: 'avr',
        notifiedStatusKey: 'peredanoPodradciku',
        notifyingRow: {
          name: 'Передать подрядчику',
          description: 'Отправляем письмо с инцидентом.',
          comment: 'Диспетчер отправил подрядчику автоответ с информацией по заявке.',
        },
        notifiedRow: {
          name: 'Передано подрядчику',
          description: 'Отправили письмо с инцидентом.',
          comment: 'Уведомили подрядчика о заявке.',
        },
      },
    });
  });

  test('INC-8: no row when the current status already has that name', () => {
    expect(
      rowForObservedStatus(current('В работе', 'Диспетчер принял работы в YandexTracker'), 'inProgress', keys),
    ).toBeNull();
    expect(rowForObservedStatus(current('Закрыт'), 'closed', keys)).toBeNull();
    expect(rowForObservedStatus(current('Ошибка', 'текст'), 'error', keys)).toBeNull();
    expect(rowForObservedStatus(current('Закрыт'), 'inProgress', keys)?.name).toBe('В работе');
  });

  test('INC-8: notify statuses produce no row on observation (written by NOTIFY-4 after recipients resolve)', () => {
    expect(rowForObservedStatus(current('В работе'), 'uvedomlaemOperatora', keys)).toBeNull();
  });

  test('AC-14: history shows Передать подрядчику then Передано подрядчику', () => {
    const observed = historyForObservedStatus('peredatPodradciku', keys);
    if (observed.kind !== 'notice') throw new Error('expected a notice');
    const notifying = rowUnlessCurrent(current('В работе'), observed.notice.notifyingRow);
    expect(notifying?.name).toBe('Передать подрядчику');
    const notified = rowUnlessCurrent(current('Передать подрядчику'), observed.notice.notifiedRow);
    expect(notified?.name).toBe('Передано подрядчику');
    // AC-15: staying in «Передано подрядчику» across polls adds nothing.
    expect(
      rowForObservedStatus(
        current('Передано подрядчику', 'Уведомили подрядчика о заявке.'),
        'peredanoPodradciku',
        keys,
      ),
    ).toBeNull();
  });
});

describe('INC-9 error rows', () => {
  const text = 'Не найдено опор, начинающихся с "99999"';

  test('INC-9: a system-detected error adds one Ошибка row with the error text', () => {
    expect(errorRow(current('В работе'), text)).toEqual({
      name: 'Ошибка',
      description: 'Обнаружена ошибка при обработке инцидента или некорректные данные',
      comment: text,
    });
  });

  test('INC-9: none if the current row is Ошибка with the identical comment', () => {
    expect(errorRow(current('Ошибка', text), text)).toBeNull();
    expect(errorRow(current('Ошибка', 'другая ошибка'), text)?.comment).toBe(text);
    expect(errorRow(current('Ошибка', null), text)?.comment).toBe(text);
  });

  test('GEN-8: the comment is at most 512 characters, and the identity check uses the stored text', () => {
    const long = 'ошибка '.repeat(100);
    const row = errorRow(current('В работе'), long);
    expect(row?.comment).toBe(long.slice(0, 512));
    expect(errorRow(current('Ошибка', long.slice(0, 512)), long)).toBeNull();
  });
});

describe('YT-18 system errors in Tracker', () => {
  const text =
    'Найдено 4 опор, начинающихся с "12345-MSK". Примеры: 12345-MSK-01, 12345-MSK-02, 12345-MSK-03. Уточните шифр опоры.';

  test('YT-18: issue not in error → transition to error with the text, plus the INC-9 row', () => {
    const plan = systemErrorPlan({
      issueStatusKey: 'inProgress',
      lastSystemErrorComment: null,
      errorText: text,
      current: current('В работе'),
    });
    expect(plan.tracker).toBe('transition');
    expect(plan.historyRow?.comment).toBe(text);
  });

  test('YT-18: issue already in error → plain comment unless the last system error comment is identical', () => {
    expect(
      systemErrorPlan({
        issueStatusKey: 'error',
        lastSystemErrorComment: 'прежняя ошибка',
        errorText: text,
        current: current('Ошибка', 'прежняя ошибка'),
      }).tracker,
    ).toBe('comment');
    expect(
      systemErrorPlan({
        issueStatusKey: 'error',
        lastSystemErrorComment: null,
        errorText: text,
        current: current('Ошибка'),
      }).tracker,
    ).toBe('comment');
  });

  test('AC-8: the following polls write no second comment and no second row', () => {
    const repeat = systemErrorPlan({
      issueStatusKey: 'error',
      lastSystemErrorComment: text,
      errorText: text,
      current: current('Ошибка', text),
    });
    expect(repeat).toEqual({ tracker: 'none', historyRow: null });
  });
});

describe('INC-10 finishing and reopening', () => {
  const open: FinishState = { isFinished: false, finishedAt: null };

  test('AC-12: closing finishes at the Tracker change time (13:30), not the detection time', () => {
    const result = finishStateAfterStatus(open, 'closed', keys, t('13:30'));
    expect(result.change).toBe('finished');
    expect(result.state).toEqual({ isFinished: true, finishedAt: t('13:30') });
    expect(rowForObservedStatus(current('В работе'), 'closed', keys)?.name).toBe('Закрыт');
  });

  test('INC-10: the on-generation status finishes too', () => {
    expect(finishStateAfterStatus(open, 'naGeneraciiNb', keys, t('12:00')).state).toEqual({
      isFinished: true,
      finishedAt: t('12:00'),
    });
  });

  test('INC-10: moving between finishing statuses keeps finished_at', () => {
    const finished: FinishState = { isFinished: true, finishedAt: t('12:00') };
    expect(finishStateAfterStatus(finished, 'closed', keys, t('16:00'))).toEqual({
      state: finished,
      change: 'unchanged',
    });
  });

  test('INC-10: leaving a finishing status reopens (finished_at cleared)', () => {
    const finished: FinishState = { isFinished: true, finishedAt: t('13:30') };
    expect(finishStateAfterStatus(finished, 'inProgress', keys, t('15:00'))).toEqual({
      state: { isFinished: false, finishedAt: null },
      change: 'reopened',
    });
    expect(finishStateAfterStatus(open, 'inProgress', keys, t('15:00'))).toEqual({ state: open, change: 'unchanged' });
  });

  test('AC-13: reopen at 15:00 and re-close at 15:10 → history Закрыт, В работе, Закрыт', () => {
    const history: string[] = ['Новый', 'В работе'];
    let state: FinishState = open;
    for (const [statusKey, at] of [
      ['closed', t('13:30')],
      ['inProgress', t('15:00')],
      ['inProgress', t('15:00')],
      ['closed', t('15:10')],
    ] as const) {
      state = finishStateAfterStatus(state, statusKey, keys, at).state;
      const row = rowForObservedStatus(current(history[history.length - 1] ?? 'Новый'), statusKey, keys);
      if (row !== null) history.push(row.name);
    }
    expect(history.slice(2)).toEqual(['Закрыт', 'В работе', 'Закрыт']);
    expect(state).toEqual({ isFinished: true, finishedAt: t('15:10') });
  });
});

describe('YT-6 status roles', () => {
  test('YT-6: fixed and configured keys map to their roles', () => {
    expect(statusRole('open', keys)).toBe('open');
    expect(statusRole('peredanoPodradciku', keys)).toBe('notifiedContractor');
    expect(statusRole('whatever', keys)).toBe('other');
    expect(isFinishingStatus('closed', keys)).toBe(true);
    expect(isFinishingStatus('naGeneraciiNb', keys)).toBe(true);
    expect(isFinishingStatus('uvedomiliOZakrytii', keys)).toBe(false);
    expect(stopsSlaClock('naGeneraciiNb', keys, false)).toBe(false);
    expect(noticeForStatus('uvedomitOZakrytii', keys)).toEqual({
      kind: 'close',
      notifiedStatusKey: 'uvedomiliOZakrytii',
    });
    expect(noticeForStatus('uvedomiliOZakrytii', keys)).toBeNull();
  });
});
