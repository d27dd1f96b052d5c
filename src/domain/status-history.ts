// The incident's status history (INC-6…INC-10) and how system errors reach Tracker (YT-18).
// Pure decisions: the workflow passes the observed status, the current history row and the
// configured status keys, and writes what these functions return.

import type { HistoryStatusName } from './reference-data.js';
import { STATUS, historyStatusDefinition } from './reference-data.js';
import { truncateHistoryComment } from './text-limits.js';
import type { NoticeKind, TrackerStatusKeys } from './tracker-statuses.js';
import { FIXED_STATUS_KEYS, isFinishingStatus, noticeForStatus, statusRole } from './tracker-statuses.js';

/** INC-6 / INC-8: comments of rows written by the system. */
export const HISTORY_COMMENT = {
  manualIncident: 'Заявка была заведена через YandexTracker',
  inProgress: 'Диспетчер принял работы в YandexTracker',
  notifyingOperator: 'Диспетчер отправил заявителю автоответ о принятии заявки в работу.',
  notifiedOperator: 'Уведомили оператора о принятии заявки в работу.',
  notifyingClosure: 'Диспетчер отправил заявителю автоответ о закрытии заявки.',
  notifiedClosure: 'Уведомили оператора о закрытии заявки.',
  notifyingContractor: 'Диспетчер отправил подрядчику автоответ с информацией по заявке.',
  notifiedContractor: 'Уведомили подрядчика о заявке.',
} as const;

/** A history row to add: the status (created with `description` if missing) and the comment. */
export interface HistoryRow {
  name: string;
  description: string;
  comment: string | null;
}

/** The incident's current history row (DATA-2: greatest inserted_at, id); null when there is none. */
export interface CurrentHistoryRow {
  name: string;
  comment: string | null;
}

/** A row of a history status (name and description from reference-data.ts) with a comment. */
function row(name: HistoryStatusName, comment: string | null = null): HistoryRow {
  return { ...historyStatusDefinition(name), comment };
}

/** INC-6: the `Новый` row, written once at creation (manual incidents carry a comment). */
export function newIncidentRow(isAuto: boolean): HistoryRow {
  return row(STATUS.new, isAuto ? null : HISTORY_COMMENT.manualIncident);
}

/** NOTIFY-4 / INC-8: rows of a notice: "notifying" before sending, "notified" after success. */
export interface NoticeRows {
  kind: NoticeKind;
  /** NOTIFY-4: the status the issue is moved to after sending, with `notifiedRow.comment`. */
  notifiedStatusKey: string;
  notifyingRow: HistoryRow;
  notifiedRow: HistoryRow;
}

/** What observing a Tracker status means for the history (INC-8). */
export type ObservedStatusHistory =
  /** `open` or a status DISPATCH has no row for. */
  | { kind: 'none' }
  | { kind: 'row'; row: HistoryRow }
  /** A notify status: rows are written by the notice sequence (NOTIFY-4), not on observation. */
  | { kind: 'notice'; notice: NoticeRows };

const NOTICE_ROWS: Record<NoticeKind, Omit<NoticeRows, 'notifiedStatusKey'>> = {
  ack: {
    kind: 'ack',
    notifyingRow: row(STATUS.notifyingOperator, HISTORY_COMMENT.notifyingOperator),
    notifiedRow: row(STATUS.notifiedOperator, HISTORY_COMMENT.notifiedOperator),
  },
  close: {
    kind: 'close',
    notifyingRow: row(STATUS.notifyingClosure, HISTORY_COMMENT.notifyingClosure),
    notifiedRow: row(STATUS.notifiedClosure, HISTORY_COMMENT.notifiedClosure),
  },
  avr: {
    kind: 'avr',
    notifyingRow: row(STATUS.handingToContractor, HISTORY_COMMENT.notifyingContractor),
    notifiedRow: row(STATUS.handedToContractor, HISTORY_COMMENT.notifiedContractor),
  },
};

/** INC-8: the history consequence of observing the issue in `statusKey`. */
export function historyForObservedStatus(statusKey: string, keys: TrackerStatusKeys): ObservedStatusHistory {
  const notice = noticeForStatus(statusKey, keys);
  if (notice !== null) return { kind: 'notice', notice: { ...NOTICE_ROWS[notice.kind], ...notice } };
  switch (statusRole(statusKey, keys)) {
    case 'inProgress':
      return { kind: 'row', row: row(STATUS.inProgress, HISTORY_COMMENT.inProgress) };
    case 'needAcceptance':
      return { kind: 'row', row: row(STATUS.awaitingConfirmation) };
    case 'error':
      return { kind: 'row', row: row(STATUS.error) };
    case 'closed':
      return { kind: 'row', row: row(STATUS.closed) };
    case 'onGeneration':
      return { kind: 'row', row: row(STATUS.onGeneration) };
    case 'notifiedOperator':
      return { kind: 'row', row: row(STATUS.notifiedOperator) };
    case 'notifiedClosure':
      return { kind: 'row', row: row(STATUS.notifiedClosure) };
    case 'notifiedContractor':
      return { kind: 'row', row: row(STATUS.handedToContractor) };
    default:
      return { kind: 'none' };
  }
}

/** INC-7: an incident without history is in `Новый`. */
export function currentStatusName(current: CurrentHistoryRow | null): string {
  return current?.name ?? STATUS.new;
}

/** INC-8: a row is added unless the current status already has that name. */
export function rowUnlessCurrent(current: CurrentHistoryRow | null, candidate: HistoryRow): HistoryRow | null {
  return currentStatusName(current) === candidate.name ? null : candidate;
}

/** INC-8 in one step: the row to add after observing `statusKey` (notify statuses excluded, see NOTIFY-4). */
export function rowForObservedStatus(
  current: CurrentHistoryRow | null,
  statusKey: string,
  keys: TrackerStatusKeys,
): HistoryRow | null {
  const observed = historyForObservedStatus(statusKey, keys);
  return observed.kind === 'row' ? rowUnlessCurrent(current, observed.row) : null;
}

/**
 * INC-9: one `Ошибка` row per system-detected error, with the error text (GEN-8: ≤ 512) as
 * comment; none when the current row is already `Ошибка` with the identical comment.
 */
export function errorRow(current: CurrentHistoryRow | null, errorText: string): HistoryRow | null {
  const comment = truncateHistoryComment(errorText);
  if (current !== null && current.name === STATUS.error && current.comment === comment) return null;
  return row(STATUS.error, comment);
}

/** YT-18: how a system error reaches Tracker. */
export type ErrorWrite =
  /** Transition the issue to `error` with the text as the transition comment. */
  | 'transition'
  /** The issue already is in `error`: post the text as a plain comment. */
  | 'comment'
  /** Already in `error` and the last system-written error comment is identical. */
  | 'none';

export interface SystemErrorInput {
  /** The issue's current Tracker status key. */
  issueStatusKey: string;
  /** The last error text the system wrote to this incident's issue (transition or plain comment). */
  lastSystemErrorComment: string | null;
  errorText: string;
  /** The incident's current history row (INC-9). */
  current: CurrentHistoryRow | null;
}

/** YT-18 + INC-9: what to write for one system-detected error. */
export function systemErrorPlan(input: SystemErrorInput): { tracker: ErrorWrite; historyRow: HistoryRow | null } {
  const tracker: ErrorWrite =
    input.issueStatusKey !== FIXED_STATUS_KEYS.error
      ? 'transition'
      : input.lastSystemErrorComment?.trim() === input.errorText.trim()
        ? 'none'
        : 'comment';
  return { tracker, historyRow: errorRow(input.current, input.errorText) };
}

/** INC-10: the incident's finish flag and time. */
export interface FinishState {
  isFinished: boolean;
  finishedAt: Date | null;
}

export type FinishChange = 'finished' | 'reopened' | 'unchanged';

/**
 * INC-10: entering `closed` or the on-generation status finishes the incident at the time Tracker
 * recorded the change; moving between finishing statuses keeps `finished_at`; any other status
 * reopens it (`finished_at` cleared; the SLA side is `slaEndAtAfterStatus`, SLA-7).
 */
export function finishStateAfterStatus(
  current: FinishState,
  statusKey: string,
  keys: TrackerStatusKeys,
  statusChangedAt: Date,
): { state: FinishState; change: FinishChange } {
  if (isFinishingStatus(statusKey, keys)) {
    if (current.isFinished) return { state: current, change: 'unchanged' };
    return { state: { isFinished: true, finishedAt: statusChangedAt }, change: 'finished' };
  }
  if (!current.isFinished) return { state: current, change: 'unchanged' };
  return { state: { isFinished: false, finishedAt: null }, change: 'reopened' };
}
