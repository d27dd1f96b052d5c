// Automatic e-mails, exactly once per status entry (SPEC §16, NOTIFY-1…NOTIFY-11, NOISE-5): the
// incident workflow calls `sendNotice` when it observes the issue in a notify status. Recipients
// first (refusal → YT-18), then the outbox row before the SMTP call, then — each step safe to
// repeat — the OUTBOX e-mail row, the comment copy, the notified status and the history row.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { loadIncident, linkedEmails } from '../adapters/db/incident-store.js';
import type { IncidentRecord } from '../adapters/db/incident-store.js';
import {
  noticeHistoryEmails,
  noticeIncidentType,
  noticePoleFacts,
  noticePrimaryEmail,
} from '../adapters/db/notice-data.js';
import {
  addNotifiedHistoryRow,
  claimOutboxRow,
  hasNotifiedHistoryRow,
  markOutboxFailed,
  markOutboxRetry,
  markOutboxSending,
  markOutboxSent,
  outboxByTrigger,
  recordOutboxError,
  storeSentNoticeEmail,
} from '../adapters/db/outbox.js';
import type { OutboxRecord } from '../adapters/db/outbox.js';
import { commentRecord, markCommentPending, markCommentPosted, sha256Hex } from '../adapters/db/tracker-bookkeeping.js';
import type { ImapSettings } from '../adapters/mail/imap-session.js';
import { mailboxHasMessageId } from '../adapters/mail/message-search.js';
import { createSmtpSender } from '../adapters/mail/smtp-sender.js';
import type { OutgoingMail, SmtpSender, SmtpSettings } from '../adapters/mail/smtp-sender.js';
import { createAlerts } from '../adapters/telegram/alerts.js';
import type { TrackerClient } from '../adapters/tracker/client.js';
import { trackerFieldIds, trackerStatusKeys } from '../adapters/tracker/fields.js';
import { createTrackerClient } from '../adapters/tracker/index.js';
import { commentTextKey, renderEmailComment } from '../domain/comment-format.js';
import { acceptanceNotice, closureNotice, contractorNotice, noticeFailureText } from '../domain/notices.js';
import type { NoticeContext } from '../domain/notices.js';
import { slaDeadline } from '../domain/sla.js';
import { historyForObservedStatus } from '../domain/status-history.js';
import type { NoticeRows } from '../domain/status-history.js';
import { fieldsToWrite, hasEmailId, readFieldString, withEmailIds } from '../domain/tracker-fields.js';
import type { NoticeKind } from '../domain/tracker-statuses.js';
import { INCIDENT_FAILURE_TYPES } from '../workflows/incident.js';
import type { ActivityDependencies } from './index.js';
import { atBoundary } from './incident.js';
import { reportSystemError, transitionIssue } from './issue-status.js';
import type { IssueWriter } from './issue-status.js';

/** Failure types of `sendNotice`; the non-retryable ones belong in the workflow's retry policy. */
export const NOTICE_FAILURE_TYPES = {
  /** NOTIFY-5: 4xx / connection problem; retried (the workflow bounds it to 10 minutes). */
  smtpTransient: 'SmtpTransientFailure',
  /** NOTIFY-3: the collection mailbox could not be searched for a `sending` row's Message-ID. */
  mailboxUnavailable: 'NoticeMailboxUnavailable',
  /** The input does not name a notice (non-retryable). */
  invalidInput: 'NoticeInputInvalid',
  /** The incident has no Tracker issue, so no notify status can have been observed (non-retryable). */
  noIssue: 'NoticeIncidentHasNoIssue',
} as const;

export const NOTICE_NON_RETRYABLE_TYPES = [NOTICE_FAILURE_TYPES.invalidInput, NOTICE_FAILURE_TYPES.noIssue] as const;

/** NOTIFY-3: how long a `sending` row's Message-ID is searched for in INBOX and Sent. */
export const SENT_COPY_SEARCH_WINDOW_MS = 2 * 60_000;

/** NOTIFY-5: transient SMTP errors are retried for this long (from the trigger's outbox row), then fail. */
export const TRANSIENT_RETRY_WINDOW_MS = 10 * 60_000;

/** NOTIFY-5: a transient error this late in the retry window is handled as a permanent failure. */
export function transientRetriesExhausted(
  firstAttemptAt: Date,
  now: Date,
  windowMs = TRANSIENT_RETRY_WINDOW_MS,
): boolean {
  return now.getTime() - firstAttemptAt.getTime() >= windowMs;
}

export interface SendNoticeInput {
  incidentId: number;
  kind: NoticeKind;
  /** NOTIFY-3: id of the changelog entry that moved the issue into the notify status (fallback: its time). */
  triggerKey: string;
}

export interface SendNoticeResult {
  outcome: 'sent' | 'already_sent' | 'refused' | 'failed';
  messageId: string | null;
  errorText: string | null;
}

const sendNoticeInput = z.object({
  incidentId: z.number().int().positive(),
  kind: z.enum(['ack', 'close', 'avr']),
  triggerKey: z.string().trim().min(1).max(200),
});

export interface NoticeOptions {
  /** Extra SMTP settings (tests: the sandbox CA, short timeouts). */
  smtp?: Partial<Pick<SmtpSettings, 'ca' | 'timeoutMs'>>;
  /** Extra IMAP settings for the NOTIFY-3 search (tests: the sandbox CA). */
  imap?: Partial<ImapSettings>;
  /** Pause between two searches of a `sending` row's Message-ID. Default 3 s. */
  searchIntervalMs?: number;
  /** NOTIFY-3 search window (tests shorten it). Default SENT_COPY_SEARCH_WINDOW_MS. */
  searchWindowMs?: number;
  /** NOTIFY-5 transient retry window (tests shorten it). Default TRANSIENT_RETRY_WINDOW_MS. */
  transientRetryWindowMs?: number;
  /**
   * Runs after the SMTP server accepted a notice and before its outbox row is marked `sent`
   * (tests: a throwing hook stands for the worker being killed there, AC-14).
   */
  afterSmtpAccepted?: (messageId: string) => Promise<void>;
}

/** The outbox row as the SMTP sender takes it. */
export function outgoingMailOf(record: OutboxRecord, date: Date): OutgoingMail {
  return {
    messageId: record.messageId,
    to: record.to,
    cc: record.cc,
    subject: record.subject,
    text: record.body,
    inReplyTo: record.inReplyTo,
    references: record.references,
    date,
  };
}

/** NOTIFY-2: `References` of the notice headers as a list (the outbox keeps it as an array). */
export function referencesOf(headers: Record<string, string>): string[] {
  return (headers['References'] ?? '').split(/\s+/).filter((id) => id !== '');
}

function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Called outside an activity (tests call the function directly): nothing to report to.
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createNoticeActivities(deps: ActivityDependencies, options: NoticeOptions = {}) {
  const { config, db } = deps;
  const tracker = config.tracker;
  const alerts = deps.alerts ?? createAlerts({ config, db, log: deps.log });
  const statusKeys = trackerStatusKeys(tracker);
  const fieldIds = trackerFieldIds(tracker, tracker.fieldIds.typeOfProblem);
  const searchIntervalMs = options.searchIntervalMs ?? 3_000;
  const searchWindowMs = options.searchWindowMs ?? SENT_COPY_SEARCH_WINDOW_MS;
  const transientRetryWindowMs = options.transientRetryWindowMs ?? TRANSIENT_RETRY_WINDOW_MS;
  let client: TrackerClient | undefined;
  let sender: SmtpSender | undefined;
  const trackerClient = (): TrackerClient => (client ??= createTrackerClient(tracker, db, deps.log));
  const smtp = (): SmtpSender =>
    (sender ??= createSmtpSender({
      host: config.mail.smtp.host,
      port: config.mail.smtp.port,
      secure: config.mail.smtp.secure,
      user: config.mail.login,
      password: config.mail.password,
      fromName: config.mail.fromName,
      ...options.smtp,
    }));
  const imapSettings = (): ImapSettings => ({
    host: config.mail.imap.host,
    port: config.mail.imap.port,
    secure: config.mail.imap.secure,
    startTls: config.mail.imap.startTls,
    user: config.mail.login,
    password: config.mail.password,
    ...options.imap,
  });
  const writer = (): IssueWriter => ({ client: trackerClient(), db, log: deps.log, alerts, config });

  const notifyStatusKey: Record<NoticeKind, string> = {
    ack: statusKeys.notifyOperator,
    close: statusKeys.notifyClosure,
    avr: statusKeys.notifyContractor,
  };
  const noticeRows = (kind: NoticeKind): NoticeRows => {
    const observed = historyForObservedStatus(notifyStatusKey[kind], statusKeys);
    if (observed.kind !== 'notice') throw new Error(`status key of notice ${kind} is not a notify status`);
    return observed.notice;
  };

  /** NOTIFY-6…NOTIFY-11: the notice built from the DB and the issue's current summary. */
  const buildNotice = async (incident: IncidentRecord, issueKey: string, input: SendNoticeInput) => {
    const emails = await linkedEmails(db, incident.id);
    const issue = await trackerClient().getIssue(issueKey);
    const context: NoticeContext = {
      incidentId: incident.id,
      issueKey,
      summary: readFieldString(issue['summary']) ?? '',
      triggerKey: input.triggerKey,
      collectionMailbox: config.mail.login,
      messageIdDomain: config.mail.messageIdDomain,
      primaryEmail: await noticePrimaryEmail(db, incident, emails),
    };
    if (input.kind !== 'avr') {
      const requester = { ...context, isAuto: incident.isAuto };
      return input.kind === 'ack' ? acceptanceNotice(requester) : closureNotice(requester);
    }
    const poleFacts = await noticePoleFacts(db, incident.poleId);
    const type = await noticeIncidentType(db, incident.id);
    return contractorNotice({
      ...context,
      details: {
        pole: poleFacts?.pole ?? null,
        baseStation:
          incident.baseStationName === null
            ? null
            : { name: incident.baseStationName, operatorNames: incident.operatorNames },
        registrationTime: incident.registrationTime,
        slaDeadline: slaDeadline(incident.registrationTime, incident.slaMinutes),
        incidentType: type,
        emails: noticeHistoryEmails(emails),
      },
      contractor: poleFacts?.contractor ?? null,
      defaultContractorEmails: config.mail.defaultContractorEmails,
      timeZone: config.timeZone,
    });
  };

  /**
   * NOTIFY-3: is the message of a `sending` row (outcome unknown after a crash) in INBOX or Sent?
   * Searched until found or until two minutes after the attempt started.
   */
  const foundInMailbox = async (record: OutboxRecord): Promise<boolean> => {
    const folders = [config.mail.imap.inboxFolder, config.mail.imap.sentFolder];
    const startedAt = record.sendingStartedAt?.getTime() ?? Date.now();
    const deadline = startedAt + searchWindowMs;
    for (;;) {
      heartbeat({ searching: record.messageId });
      let found: boolean;
      try {
        found = await mailboxHasMessageId(imapSettings(), folders, record.messageId);
      } catch (error) {
        throw ApplicationFailure.create({
          message: `cannot search the collection mailbox for ${record.messageId}: ${String(error)}`,
          type: NOTICE_FAILURE_TYPES.mailboxUnavailable,
          nonRetryable: false,
        });
      }
      if (found || Date.now() >= deadline) return found;
      await sleep(Math.min(searchIntervalMs, Math.max(0, deadline - Date.now())));
    }
  };

  /** YT-10 for the notice copy (NOTIFY-4): comment record + e-mail-ids field, never the new-message flag. */
  const postNoticeComment = async (issueKey: string, emailId: number, record: OutboxRecord, sentAt: Date) => {
    const existingRecord = await commentRecord(db, emailId);
    if (existingRecord?.state === 'posted') return;
    const issue = await trackerClient().getIssue(issueKey);
    if (hasEmailId(issue[fieldIds.emailIds], emailId)) {
      await markCommentPosted(db, emailId, issueKey, null, null);
      return;
    }
    const text = renderEmailComment(
      {
        subject: record.subject,
        fromAddress: config.mail.login,
        requesterAddress: null,
        to: record.to,
        cc: record.cc,
        effectiveDate: sentAt,
        body: record.body,
      },
      config.timeZone,
    );
    const hash = sha256Hex(commentTextKey(text));
    let commentId: string | null = null;
    if (existingRecord !== null) {
      // An interrupted attempt may have posted it: an identical comment counts as posted.
      const found = (await trackerClient().comments(issueKey)).find((c) => sha256Hex(commentTextKey(c.text)) === hash);
      if (found !== undefined) commentId = found.id;
    }
    if (commentId === null) {
      await markCommentPending(db, emailId, issueKey, hash);
      commentId = (await trackerClient().addComment(issueKey, text)).id;
    }
    const patch = fieldsToWrite(
      issue,
      { [fieldIds.emailIds]: withEmailIds(issue[fieldIds.emailIds], [emailId]) },
      fieldIds,
    );
    if (Object.keys(patch).length > 0) await trackerClient().updateIssue(issueKey, patch);
    await markCommentPosted(db, emailId, issueKey, commentId, hash);
  };

  /** NOTIFY-4 after a successful send, in order; every step is skipped when already done. */
  const completeAfterSend = async (issueKey: string, record: OutboxRecord, rows: NoticeRows) => {
    if (await hasNotifiedHistoryRow(db, record.incidentId, rows.notifiedRow, record.triggerKey)) return;
    const sentAt = record.sentAt ?? new Date();
    const emailId = await storeSentNoticeEmail(db, record, config.mail.login, sentAt);
    await postNoticeComment(issueKey, emailId, record, sentAt);
    await transitionIssue(writer(), {
      incidentId: record.incidentId,
      issueKey,
      targetStatusKey: rows.notifiedStatusKey,
      comment: rows.notifiedRow.comment ?? '',
    });
    await addNotifiedHistoryRow(db, record.incidentId, rows.notifiedRow, record.triggerKey);
  };

  /** NOTIFY-5 permanent failure: outbox `failed`, alert, YT-18 + one `Ошибка` row. */
  const fail = async (issueKey: string, record: OutboxRecord, reason: string): Promise<SendNoticeResult> => {
    const errorText = noticeFailureText(record.kind, reason);
    await markOutboxFailed(db, record.id, reason);
    await alerts.alert({
      level: 'error',
      kind: 'automatic_email_failed',
      incidentId: record.incidentId,
      issueKey,
      text: `${errorText} (Message-ID ${record.messageId})`,
    });
    await reportSystemError(writer(), { incidentId: record.incidentId, issueKey, errorText });
    return { outcome: 'failed', messageId: record.messageId, errorText };
  };

  /** NOTIFY-3: pending (or an unconfirmed `sending`) → sending → SMTP → sent, with the stored message. */
  const deliver = async (issueKey: string, record: OutboxRecord, rows: NoticeRows): Promise<SendNoticeResult> => {
    const log = deps.log.child({ incidentId: record.incidentId, issueKey, messageId: record.messageId });
    await markOutboxSending(db, record.id);
    const result = await smtp().send(outgoingMailOf(record, new Date()));
    if (result.kind === 'permanent') {
      log.error({ reason: result.reason }, 'automatic e-mail refused by the SMTP server (NOTIFY-5)');
      return fail(issueKey, record, result.reason);
    }
    if (result.kind === 'transient') {
      if (transientRetriesExhausted(record.insertedAt, new Date(), transientRetryWindowMs)) {
        log.error({ reason: result.reason }, 'automatic e-mail still not sent after 10 minutes (NOTIFY-5)');
        return fail(issueKey, record, result.reason);
      }
      if (result.mayHaveBeenAccepted) await recordOutboxError(db, record.id, result.reason);
      else await markOutboxRetry(db, record.id, result.reason);
      log.warn({ reason: result.reason }, 'automatic e-mail not sent yet: transient SMTP failure (NOTIFY-5)');
      throw ApplicationFailure.create({
        message: `SMTP: ${result.reason}`,
        type: NOTICE_FAILURE_TYPES.smtpTransient,
        nonRetryable: false,
      });
    }
    if (options.afterSmtpAccepted !== undefined) await options.afterSmtpAccepted(record.messageId);
    await markOutboxSent(db, record.id);
    log.info({ kind: record.kind, to: record.to.length, cc: record.cc.length }, 'automatic e-mail sent');
    const sent = (await outboxByTrigger(db, record.incidentId, record.kind, record.triggerKey)) ?? record;
    await completeAfterSend(issueKey, sent, rows);
    return { outcome: 'sent', messageId: record.messageId, errorText: null };
  };

  return {
    /** NOTIFY-1…NOTIFY-11: one automatic e-mail per (incident, kind, trigger key). */
    async sendNotice(raw: SendNoticeInput): Promise<SendNoticeResult> {
      const parsed = sendNoticeInput.safeParse(raw);
      if (!parsed.success) {
        throw ApplicationFailure.create({
          message: `invalid sendNotice input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          type: NOTICE_FAILURE_TYPES.invalidInput,
          nonRetryable: true,
        });
      }
      const input = parsed.data;
      return atBoundary(async () => {
        const incident = await loadIncident(db, input.incidentId);
        if (incident === null) {
          throw ApplicationFailure.create({
            message: `incident ${input.incidentId} does not exist`,
            type: INCIDENT_FAILURE_TYPES.incidentNotFound,
            nonRetryable: true,
          });
        }
        const issueKey = incident.code;
        if (issueKey === null) {
          throw ApplicationFailure.create({
            message: `incident ${incident.id} has no Tracker issue`,
            type: NOTICE_FAILURE_TYPES.noIssue,
            nonRetryable: true,
          });
        }
        const log = deps.log.child({ incidentId: incident.id, issueKey, kind: input.kind });
        const rows = noticeRows(input.kind);

        let record = await outboxByTrigger(db, incident.id, input.kind, input.triggerKey);
        if (record === null) {
          // NOTIFY-4: recipients first; a refusal writes no "notifying" row and sends nothing.
          const notice = await buildNotice(incident, issueKey, input);
          if (!notice.ok) {
            log.warn({ errorText: notice.errorText }, 'automatic e-mail refused: no recipient (NOTIFY-7/10)');
            await reportSystemError(writer(), { incidentId: incident.id, issueKey, errorText: notice.errorText });
            return { outcome: 'refused', messageId: null, errorText: notice.errorText };
          }
          const message = notice.message;
          record = (
            await claimOutboxRow(
              db,
              {
                messageId: message.messageId,
                incidentId: incident.id,
                kind: input.kind,
                triggerKey: input.triggerKey,
                to: message.to,
                cc: message.cc,
                subject: message.subject,
                body: message.text,
                inReplyTo: message.headers['In-Reply-To'] ?? null,
                references: referencesOf(message.headers),
              },
              rows.notifyingRow,
            )
          ).record;
        }

        switch (record.state) {
          case 'sent':
            await completeAfterSend(issueKey, record, rows);
            return { outcome: 'already_sent', messageId: record.messageId, errorText: null };
          case 'failed': {
            // The failure was reported when it happened; repeating YT-18 is a no-op there.
            const errorText = noticeFailureText(record.kind, record.lastError ?? '');
            await reportSystemError(writer(), { incidentId: incident.id, issueKey, errorText });
            return { outcome: 'failed', messageId: record.messageId, errorText };
          }
          case 'sending':
            if (await foundInMailbox(record)) {
              log.info({ messageId: record.messageId }, 'unconfirmed automatic e-mail found in the mailbox: sent');
              await markOutboxSent(db, record.id);
              const sent = (await outboxByTrigger(db, incident.id, input.kind, input.triggerKey)) ?? record;
              await completeAfterSend(issueKey, sent, rows);
              return { outcome: 'sent', messageId: record.messageId, errorText: null };
            }
            log.warn({ messageId: record.messageId }, 'unconfirmed automatic e-mail not found: sending again');
            return deliver(issueKey, record, rows);
          case 'pending':
            return deliver(issueKey, record, rows);
        }
      });
    },
  };
}

export type NoticeActivities = ReturnType<typeof createNoticeActivities>;
