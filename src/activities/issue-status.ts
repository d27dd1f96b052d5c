// Moving an issue between statuses (YT-17) and writing system-detected errors to it (YT-18 with
// INC-9). Shared by snapshot processing and the automatic notices; both steps are safe to repeat,
// because the activities that call them are retried as a whole.
import type { Config } from '../config/load.js';
import type { DbPool } from '../adapters/db/pool.js';
import {
  addHistoryRowUnlessCurrent,
  currentHistoryRow,
  lastSystemErrorComment,
} from '../adapters/db/snapshot-store.js';
import type { Alerts } from '../adapters/telegram/alerts.js';
import type { TrackerClient } from '../adapters/tracker/client.js';
import { systemErrorPlan } from '../domain/status-history.js';
import { truncateHistoryComment } from '../domain/text-limits.js';
import { FIXED_STATUS_KEYS } from '../domain/tracker-statuses.js';
import { readDropdown } from '../domain/tracker-fields.js';
import type { Logger } from '../logger.js';

export interface IssueWriter {
  client: TrackerClient;
  db: DbPool;
  log: Logger;
  alerts: Alerts;
  config: Config;
}

/** The status key of an issue snapshot (`status` is a reference `{ key }` or a bare key). */
export function issueStatusKey(issue: Record<string, unknown>): string | null {
  const status = issue['status'];
  if (status !== null && typeof status === 'object' && 'key' in status) {
    const key = status.key;
    return typeof key === 'string' ? key : null;
  }
  return readDropdown(status);
}

/**
 * YT-17: lists transitions, executes the one whose target key matches with the comment; none →
 * log + alert kind 'tracker_transition_unavailable' (key, target) and continue.
 */
export async function transitionIssue(
  w: IssueWriter,
  input: { incidentId: number; issueKey: string; targetStatusKey: string; comment: string },
): Promise<'moved' | 'already_there' | 'unavailable'> {
  const { incidentId, issueKey, targetStatusKey } = input;
  const log = w.log.child({ incidentId, issueKey });
  const issue = await w.client.getIssue(issueKey);
  if (issueStatusKey(issue) === targetStatusKey) return 'already_there';
  const transition = (await w.client.transitions(issueKey)).find((t) => t.toKey === targetStatusKey);
  if (transition === undefined) {
    log.warn(
      { alert: 'tracker_transition_unavailable', from: issueStatusKey(issue), target: targetStatusKey },
      'no transition leads to the target status (YT-17)',
    );
    await w.alerts.alert({
      level: 'warning',
      kind: 'tracker_transition_unavailable',
      incidentId,
      issueKey,
      subject: `${issueKey}:${targetStatusKey}`,
      text: `Переход недоступен: задачу ${issueKey} нельзя перевести в статус «${targetStatusKey}» из статуса «${issueStatusKey(issue) ?? '—'}» (YT-17).`,
    });
    return 'unavailable';
  }
  await w.client.executeTransition(issueKey, transition.id, input.comment === '' ? {} : { comment: input.comment });
  log.info({ target: targetStatusKey }, 'issue transitioned');
  return 'moved';
}

/**
 * YT-18 + INC-9: error text to Tracker (transition to `error`, or plain comment when already in
 * error unless identical to the last system error) and one `Ошибка` history row (none if the
 * current row is `Ошибка` with the identical comment). Safe to repeat.
 */
export async function reportSystemError(
  w: IssueWriter,
  input: { incidentId: number; issueKey: string; errorText: string },
): Promise<void> {
  const { incidentId, issueKey, errorText } = input;
  const log = w.log.child({ incidentId, issueKey });
  const issue = await w.client.getIssue(issueKey);
  const stored = await lastSystemErrorComment(w.db, incidentId);
  // History comments are capped (GEN-8): a stored prefix of this very text counts as identical.
  const lastError = stored !== null && stored === truncateHistoryComment(errorText) ? errorText : stored;
  const plan = systemErrorPlan({
    issueStatusKey: issueStatusKey(issue) ?? '',
    lastSystemErrorComment: lastError,
    errorText,
    current: await currentHistoryRow(w.db, incidentId),
  });
  // A retry after the write but before the history row: the text is already the latest comment.
  const alreadyLatest = async () => (await w.client.comments(issueKey)).at(-1)?.text.trim() === errorText.trim();
  if (plan.tracker === 'transition') {
    const target = FIXED_STATUS_KEYS.error;
    const moved = await transitionIssue(w, { incidentId, issueKey, targetStatusKey: target, comment: errorText });
    // The error must still be visible when the workflow offers no way into `error`.
    if (moved === 'unavailable' && !(await alreadyLatest())) await w.client.addComment(issueKey, errorText);
  } else if (plan.tracker === 'comment' && !(await alreadyLatest())) {
    await w.client.addComment(issueKey, errorText);
  }
  // YT-19: the row follows the successful Tracker write.
  if (plan.historyRow !== null) {
    await addHistoryRowUnlessCurrent(w.db, incidentId, plan.historyRow, { source: 'system', sameCommentOnly: true });
  }
  log.warn({ errorText, trackerWrite: plan.tracker }, 'system error reported (YT-18)');
}
