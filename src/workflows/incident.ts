// One long-lived workflow per incident (GEN-4, ARCHITECTURE.md §3). On its first run it creates
// the Tracker issue from the primary e-mail (EXTR-6 extraction, ASSIGN dispatcher, YT-8/YT-9,
// YT-20), posts the other linked e-mails as comments, then reacts, one event at a time (INC-2), to
// each linked e-mail (YT-10, ASSIGN-4 retry, EXTR-6 later fill, INC-4 registration move), to
// changes of its issue (YT-16 snapshot processing, NOTIFY e-mails), to directory changes (TS-9) and
// to its durable SLA timers (SLA-5). A finished incident's workflow completes after
// INCIDENT_IDLE_CLOSE_DAYS without events (INC-12); it continues as new before its history grows
// large, carrying its state (pending events and the SLA clock survive the hand-over).
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { createAlertActivities } from '../activities/alerts.js';
import type { IncidentActivities, IncidentContext } from '../activities/incident.js';
import type { createNoticeActivities } from '../activities/notices.js';
import type { SlaSnapshot, createSnapshotActivities } from '../activities/tracker-snapshot.js';
import {
  INITIAL_SLA_BREACH_ALERT_STATE,
  SLA_STATUS,
  nextSlaTimer,
  slaDeadline,
  slaBreachAlertStep,
  slaStatusAt,
} from '../domain/sla.js';
import type { SlaBreachAlertState, SlaClock, SlaStatus as SlaStatusValue } from '../domain/sla.js';
import {
  BaseStation,
  Contractor,
  Dispatcher,
  IncidentId,
  IncidentKey,
  IncidentStatus,
  Operator,
  PoleCode,
  ProblemType,
  RegisteredAt,
  SlaDeadline,
  SlaStatus,
} from './search-attributes.js';
import { directoryChangedSignal, trackerChangedSignal } from './signals.js';

/** Failure types of the incident activities that are final (a refused request, a missing row). */
export const INCIDENT_FAILURE_TYPES = {
  trackerRejected: 'TrackerRequestRejected',
  incidentNotFound: 'IncidentNotFound',
} as const;

export interface MailSignal {
  /** DB id of an e-mail linked to this incident. */
  emailId: number;
}

export const mailSignal = defineSignal<[MailSignal]>('mail');

export interface IncidentState {
  incidentId: number;
  /** E-mails signalled but not yet handled, in arrival order. */
  pendingEmailIds: number[];
  /** E-mails already handled (signals are at-least-once: ingestion may repeat them). */
  handledEmailIds: number[];
  /** How many runs this incident's workflow has had (1 = first run). */
  run: number;
  /** The issue exists (or the incident is excluded) and the e-mails linked before it are posted. */
  initialized: boolean;
  issueKey: string | null;
  /** YT-20: no issue; later e-mails are only stored and linked. */
  trackerExcluded: boolean;
  /** Login of the responsible dispatcher (ASSIGN-4: null = retry on the next `normal` e-mail). */
  dispatcher: string | null;
  poleCode: string | null;
  baseStationName: string | null;
  /** E-mails Tracker refused to take (a 4xx that retrying cannot fix); reported in the log. */
  failedEmailIds: number[];
  /** TS-9: the directory values changed; the derived fields are refreshed. */
  directoryChanged: boolean;
  /** What was last published as search attributes and current details (OPS-1). */
  published: string | null;
  /** YT-13: the issue version last processed, and the newest one signalled but not yet processed. */
  trackerVersion: number | null;
  pendingTrackerVersion: number | null;
  /** The SLA clock (SLA-1…SLA-5) as last evaluated; instants as ISO strings. */
  sla: SlaState | null;
  /** SLA-8: one breach alert per open period. */
  slaBreach: SlaBreachAlertState;
  /** INC-12: workflow time (ms) of the last event. */
  lastEventAt: number | null;
}

export interface SlaState {
  registrationTime: string;
  deadline: string | null;
  slaEndAt: string | null;
  isFinished: boolean;
  status: SlaStatusValue;
}

export const stateQuery = defineQuery<IncidentState>('state');

export interface IncidentWorkflowInput {
  incidentId: number;
  /** State handed over by continue-as-new. */
  carriedState?: IncidentState;
  /** Continue as new after this many history events even if the server does not suggest it (tests). */
  maxHistoryEvents?: number;
}

export function initialIncidentState(incidentId: number): IncidentState {
  return {
    incidentId,
    pendingEmailIds: [],
    handledEmailIds: [],
    run: 1,
    initialized: false,
    issueKey: null,
    trackerExcluded: false,
    dispatcher: null,
    poleCode: null,
    baseStationName: null,
    failedEmailIds: [],
    directoryChanged: false,
    published: null,
    trackerVersion: null,
    pendingTrackerVersion: null,
    sla: null,
    slaBreach: INITIAL_SLA_BREACH_ALERT_STATE,
    lastEventAt: null,
  };
}

const BASE_OPTIONS = {
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: Object.values(INCIDENT_FAILURE_TYPES),
  },
} as const;

type SnapshotActivities = ReturnType<typeof createSnapshotActivities>;
type NoticeActivities = ReturnType<typeof createNoticeActivities>;

/** Activities with a readable summary in the Web UI history (OPS-1). */
const activities = (summary: string) => proxyActivities<IncidentActivities>({ ...BASE_OPTIONS, summary });

/**
 * The short database steps (load the incident, extract pole/BS, choose the dispatcher) run as local
 * activities: one marker in the history instead of a task-queue round trip each, which halves the
 * Temporal server's work per new incident (bench P2E). Older histories replay them as activities.
 */
const dbActivities = (summary: string) =>
  patched('incident-local-db-steps')
    ? proxyLocalActivities<IncidentActivities>({ ...BASE_OPTIONS, summary })
    : activities(summary);
const snapshotActivities = (summary: string) => proxyActivities<SnapshotActivities>({ ...BASE_OPTIONS, summary });

/**
 * NOTIFY-5: the activity itself turns transient SMTP errors that last beyond 10 minutes into the
 * permanent-failure handling (YT-18, `failed`, alert), so the workflow's limit is wider than that.
 * NOTIFY-3's search for a message whose outcome is unknown takes up to 2 minutes of one attempt and
 * heartbeats meanwhile. (Failure type names as strings: importing them would bundle nodemailer.)
 */
const noticeActivities = (summary: string) =>
  proxyActivities<NoticeActivities>({
    startToCloseTimeout: '4 minutes',
    heartbeatTimeout: '1 minute',
    scheduleToCloseTimeout: '20 minutes',
    retry: {
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      nonRetryableErrorTypes: [
        'NoticeInputInvalid',
        'NoticeIncidentHasNoIssue',
        ...Object.values(INCIDENT_FAILURE_TYPES),
      ],
    },
    summary,
  });

const NOTICE_NAMES = {
  ack: 'acceptance notice',
  close: 'closure notice',
  avr: 'contractor hand-over',
} as const;

/** ALERT-1: the Alerts service never throws and retries the Bot API itself, so few attempts suffice. */
const { sendAlert } = proxyActivities<ReturnType<typeof createAlertActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
  summary: 'Telegram alert',
});

const DAY_MS = 24 * 60 * 60 * 1000;

/** A refused Tracker request or a vanished incident: retrying will not help. */
function isFinalFailure(error: unknown): boolean {
  return (
    error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    (Object.values(INCIDENT_FAILURE_TYPES) as string[]).includes(error.cause.type ?? '')
  );
}

function slaClock(sla: SlaState): SlaClock {
  return {
    deadline: sla.deadline === null ? null : new Date(sla.deadline),
    slaEndAt: sla.slaEndAt === null ? null : new Date(sla.slaEndAt),
  };
}

/** The SLA state a run starts from (DB values; SLA-1, SLA-3, SLA-4 at workflow time). */
function slaFromContext(ctx: IncidentContext, now: Date): SlaState {
  const deadline = slaDeadline(new Date(ctx.registrationTime), ctx.slaMinutes);
  const clock: SlaClock = { deadline, slaEndAt: ctx.slaEndAt === null ? null : new Date(ctx.slaEndAt) };
  return {
    registrationTime: ctx.registrationTime,
    deadline: deadline?.toISOString() ?? null,
    slaEndAt: ctx.slaEndAt,
    isFinished: ctx.isFinished,
    status: slaStatusAt(clock, now),
  };
}

function slaFromSnapshot(snapshot: SlaSnapshot): SlaState {
  return {
    registrationTime: snapshot.registrationTime,
    deadline: snapshot.deadline,
    slaEndAt: snapshot.slaEndAt,
    isFinished: snapshot.isFinished,
    status: snapshot.status,
  };
}

function detailsMarkdown(ctx: IncidentContext, sla: SlaState | null): string {
  const key = ctx.issueKey ?? (ctx.trackerExcluded ? 'без задачи в Tracker (YT-20)' : 'задача ещё не создана');
  const slaLine =
    sla === null || sla.deadline === null
      ? `SLA: ${sla?.status ?? SLA_STATUS.unknown}`
      : `SLA: ${sla.status} · дедлайн ${sla.deadline}`;
  return [
    `**${key}** · инцидент ${ctx.incidentId} · ${ctx.statusName}${ctx.isFinished ? ' (завершён)' : ''}`,
    `Опора: ${ctx.poleCode ?? '—'} · БС: ${ctx.baseStationName ?? '—'} · Тип: ${ctx.problemType ?? '—'}`,
    `Диспетчер: ${ctx.dispatcherLogin ?? 'не назначен'}`,
    slaLine,
  ].join('\n\n');
}

export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<void> {
  const state: IncidentState = input.carriedState
    ? { ...initialIncidentState(input.incidentId), ...input.carriedState, run: input.carriedState.run + 1 }
    : initialIncidentState(input.incidentId);
  const incidentId = input.incidentId;
  let signals = 0;
  let idleCloseDays: number | null = null;
  let context: IncidentContext | null = null;

  // Handlers first, before any await: signals buffered before registration are delivered now.
  setHandler(mailSignal, ({ emailId }) => {
    signals++;
    if (!state.handledEmailIds.includes(emailId) && !state.pendingEmailIds.includes(emailId)) {
      state.pendingEmailIds.push(emailId);
    }
  });
  setHandler(directoryChangedSignal, () => {
    signals++;
    state.directoryChanged = true;
  });
  setHandler(trackerChangedSignal, ({ version }) => {
    signals++;
    // YT-13: a version not greater than the last processed one is ignored.
    if (state.trackerVersion !== null && version <= state.trackerVersion) return;
    state.pendingTrackerVersion = Math.max(state.pendingTrackerVersion ?? version, version);
  });
  setHandler(stateQuery, () => state);

  const now = () => new Date(Date.now());

  const publish = (ctx: IncidentContext): void => {
    context = ctx;
    idleCloseDays = ctx.idleCloseDays;
    state.issueKey = ctx.issueKey;
    state.trackerExcluded = ctx.trackerExcluded;
    state.dispatcher = ctx.dispatcherLogin;
    state.poleCode = ctx.poleCode;
    state.baseStationName = ctx.baseStationName;
    const sla = state.sla;
    // OPS-1: never e-mail addresses here (search attributes are stored unencrypted).
    const attributes: SearchAttributeUpdatePair[] = [
      { key: IncidentId, value: incidentId },
      { key: IncidentKey, value: ctx.issueKey },
      { key: IncidentStatus, value: ctx.statusName },
      { key: PoleCode, value: ctx.poleCode },
      { key: BaseStation, value: ctx.baseStationName },
      { key: Operator, value: ctx.operatorNames.length > 0 ? ctx.operatorNames : null },
      { key: Contractor, value: ctx.contractorName },
      { key: Dispatcher, value: ctx.dispatcherLogin },
      { key: RegisteredAt, value: new Date(ctx.registrationTime) },
    ];
    // Histories recorded before SLA handling existed published only the attributes above.
    if (patched('incident-sla-and-tracker-changes')) {
      attributes.push(
        { key: ProblemType, value: ctx.problemType ?? null },
        { key: SlaStatus, value: sla?.status ?? SLA_STATUS.unknown },
        { key: SlaDeadline, value: sla?.deadline ? new Date(sla.deadline) : null },
      );
    }
    const details = detailsMarkdown(ctx, sla);
    const fingerprint = JSON.stringify([attributes.map((a) => a.value), details]);
    if (fingerprint === state.published) return;
    upsertSearchAttributes(attributes);
    setCurrentDetails(details);
    state.published = fingerprint;
  };

  const loadContext = async (): Promise<IncidentContext> =>
    await dbActivities('Load incident').loadIncidentContext(incidentId);

  const refresh = async (): Promise<void> => {
    publish(await loadContext());
  };

  /** SLA-8: every SLA recomputation goes through the breach-alert step. */
  const observeSla = async (sla: SlaState): Promise<void> => {
    state.sla = sla;
    const step = slaBreachAlertStep(state.slaBreach, { isFinished: sla.isFinished, status: sla.status });
    state.slaBreach = step.state;
    if (!step.sendAlert) return;
    try {
      await sendAlert({
        level: 'error',
        kind: 'sla_breach',
        incidentId,
        text: `SLA просрочен: задача ${state.issueKey ?? '—'}, дедлайн ${sla.deadline ?? '—'}.`,
      });
    } catch (error) {
      log.warn('sla_breach alert not sent', { incidentId, error: String(error) });
    }
  };

  /** SLA-5 / SLA-6: recompute and write the SLA fields at workflow time (timers fire in it). */
  const writeSla = async (reason: string): Promise<void> => {
    if (state.issueKey === null || state.trackerExcluded) return;
    const result = await snapshotActivities(`Write SLA status (${reason})`).writeSlaFields({
      incidentId,
      at: now().toISOString(),
    });
    await observeSla(slaFromSnapshot(result));
  };

  const postComment = async (emailId: number) => {
    try {
      return await activities(`Post e-mail ${emailId} as comment`).postEmailComment({ incidentId, emailId });
    } catch (error) {
      if (!isFinalFailure(error)) throw error;
      log.error('Tracker refused the e-mail comment', { incidentId, emailId, error: String(error) });
      state.failedEmailIds.push(emailId);
      return null;
    }
  };

  /** INC-3 / YT-8: extraction, dispatcher, issue; then the e-mails linked before it as comments. */
  const initialize = async (): Promise<boolean> => {
    try {
      let ctx = await loadContext();
      if (ctx.issueKey === null && !ctx.trackerExcluded) {
        if (ctx.poleCode === null) await dbActivities('Extract pole and BS').extractPoleAndBs({ incidentId });
        const assignee = ctx.dispatcherLogin ?? (await dbActivities('Choose dispatcher').chooseDispatcher(incidentId));
        await activities('Create Tracker issue').ensureIssue({ incidentId, assignee });
        ctx = await loadContext();
      }
      // A fresh run (not a hand-over) starts its SLA clock from the DB.
      const freshSla = state.sla === null;
      if (freshSla && patched('incident-sla-and-tracker-changes')) state.sla = slaFromContext(ctx, now());
      publish(ctx);
      // The primary e-mail is in the issue only when this product created the issue from it (its
      // comment record says so); an issue that existed before (manual issue, key link) gets it as a
      // comment like every other e-mail (YT-10). Older histories skipped it unconditionally.
      const primaryAssumedPosted = !patched('post-primary-of-existing-issue');
      const done = new Set([
        ...ctx.postedEmailIds,
        ...(primaryAssumedPosted && ctx.primaryEmailId !== null ? [ctx.primaryEmailId] : []),
      ]);
      for (const emailId of ctx.emailIds) {
        if (!done.has(emailId) && ctx.issueKey !== null) await postComment(emailId);
        if (!state.handledEmailIds.includes(emailId)) state.handledEmailIds.push(emailId);
      }
      state.pendingEmailIds = state.pendingEmailIds.filter((id) => !state.handledEmailIds.includes(id));
      state.initialized = true;
      // SLA-5: a deadline already past or within the hour takes effect immediately on a new run.
      if (freshSla && state.sla !== null && state.sla.deadline !== null && !state.sla.isFinished) {
        await writeSla('start');
      }
      return true;
    } catch (error) {
      if (!isFinalFailure(error)) throw error;
      log.error('incident issue could not be created; retried on the next event', {
        incidentId,
        alert: 'tracker_issue_refused',
        error: String(error),
      });
      // Histories recorded before this alert existed replay without the extra activity.
      if (patched('alert-tracker-issue-refused')) {
        try {
          await sendAlert({
            level: 'error',
            kind: 'tracker_issue_refused',
            incidentId,
            text:
              'Трекер отклонил создание задачи по инциденту: ' +
              `${error instanceof ActivityFailure && error.cause ? error.cause.message : String(error)}. ` +
              'Повтор при следующем событии.',
          });
        } catch (alertError) {
          // ALERT-1: an alert that cannot be sent never fails the incident.
          log.warn('tracker_issue_refused alert not sent', { incidentId, error: String(alertError) });
        }
      }
      return false;
    }
  };

  const handleEmail = async (emailId: number): Promise<void> => {
    if (state.trackerExcluded || state.issueKey === null) return;
    const result = await postComment(emailId);
    if (result === null || result.outcome === 'not_linked') return;
    let changed = false;
    // ASSIGN-4: retry the assignment while the issue has none.
    if (result.normalInbound && state.dispatcher === null) {
      const login = await dbActivities('Choose dispatcher').chooseDispatcher(incidentId);
      if (login !== null) {
        await activities(`Assign issue to ${login}`).assignIssue({ incidentId, login });
        changed = true;
      }
    }
    // EXTR-6: a later e-mail fills a missing pole/BS.
    if (state.poleCode === null) {
      if (await dbActivities('Extract pole and BS').extractPoleAndBs({ incidentId, emailId })) {
        await activities('Write derived issue fields').syncIssueFields(incidentId);
        changed = true;
      }
    }
    if (state.sla !== null && patched('incident-sla-and-tracker-changes')) {
      // INC-4: an earlier original moved the registration time: email datetime, deadline, timers.
      const ctx = await loadContext();
      if (ctx.registrationTime !== state.sla.registrationTime) {
        await activities('Write derived issue fields').syncIssueFields(incidentId);
        state.sla = { ...state.sla, registrationTime: ctx.registrationTime };
        await writeSla('registration time moved');
        changed = true;
      }
      if (!changed) publish(ctx);
    }
    if (changed) await refresh();
  };

  /** YT-16 for the newest observed version, then NOTIFY for a notify status. */
  const handleTrackerChange = async (): Promise<void> => {
    const version = state.pendingTrackerVersion;
    state.pendingTrackerVersion = null;
    if (state.issueKey === null || state.trackerExcluded) return;
    const outcome = await snapshotActivities(`Process Tracker change (version ${version ?? '?'})`).processIssueSnapshot(
      {
        incidentId,
        at: now().toISOString(),
      },
    );
    if (!outcome.processed) return;
    state.trackerVersion = Math.max(state.trackerVersion ?? 0, outcome.version ?? 0);
    await observeSla(slaFromSnapshot(outcome.sla));
    if (outcome.notice !== null) {
      const { kind, triggerKey } = outcome.notice;
      try {
        const sent = await noticeActivities(`Send ${NOTICE_NAMES[kind]}`).sendNotice({ incidentId, kind, triggerKey });
        log.info('automatic e-mail', { incidentId, kind, outcome: sent.outcome, messageId: sent.messageId });
      } catch (error) {
        // NOTIFY-5: still failing after 10 minutes of retries; the outbox row keeps the attempt.
        log.error('automatic e-mail not sent', { incidentId, kind, error: String(error) });
        try {
          await sendAlert({
            level: 'error',
            kind: 'automatic_email_failed',
            incidentId,
            text: `Не удалось отправить автоматическое письмо (${NOTICE_NAMES[kind]}) по задаче ${state.issueKey}: ${
              error instanceof ActivityFailure && error.cause ? error.cause.message : String(error)
            }`,
          });
        } catch (alertError) {
          log.warn('automatic_email_failed alert not sent', { incidentId, error: String(alertError) });
        }
      }
    }
    await refresh();
  };

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested ||
    (input.maxHistoryEvents !== undefined && workflowInfo().historyLength >= input.maxHistoryEvents);

  const continueAsNewWhenIdle = async (): Promise<void> => {
    await condition(allHandlersFinished);
    await continueAsNew<typeof incidentWorkflow>({ ...input, carriedState: state });
  };

  const hasWork = () =>
    state.pendingEmailIds.length > 0 || state.directoryChanged || state.pendingTrackerVersion !== null;

  /** INC-12: a finished incident's workflow completes after this instant without events. */
  const idleCloseAt = (): number | null => {
    // Only runs with the SLA state (patch 'incident-sla-and-tracker-changes') know the finish flag.
    const finished = state.sla?.isFinished ?? false;
    if (!finished || idleCloseDays === null || state.lastEventAt === null) return null;
    return state.lastEventAt + idleCloseDays * DAY_MS;
  };

  if (state.lastEventAt === null) state.lastEventAt = Date.now();
  for (;;) {
    if (!state.initialized && !(await initialize())) {
      const seen = signals;
      await condition(() => signals > seen || shouldContinueAsNew());
      if (shouldContinueAsNew()) await continueAsNewWhenIdle();
      continue;
    }
    const slaTimerAt = state.sla === null ? null : nextSlaTimer(slaClock(state.sla), now());
    const closeAt = idleCloseAt();
    const wakeAt = Math.min(slaTimerAt?.getTime() ?? Infinity, closeAt ?? Infinity);
    if (wakeAt === Infinity) {
      await condition(() => hasWork() || shouldContinueAsNew());
    } else {
      await condition(() => hasWork() || shouldContinueAsNew(), Math.max(1, wakeAt - Date.now()));
    }
    if (hasWork()) state.lastEventAt = Date.now();
    while (state.pendingEmailIds.length > 0) {
      const emailId = state.pendingEmailIds[0] as number;
      await handleEmail(emailId);
      state.pendingEmailIds.shift();
      state.handledEmailIds.push(emailId);
    }
    if (state.pendingTrackerVersion !== null) await handleTrackerChange();
    if (state.directoryChanged) {
      state.directoryChanged = false;
      // TS-9: the derived Tracker fields follow the directory (YT-14).
      if (state.issueKey !== null) await activities('Write derived issue fields').syncIssueFields(incidentId);
      await refresh();
    }
    // SLA-5: a timer instant reached (the status at workflow time differs from the one written).
    if (slaTimerAt !== null && Date.now() >= slaTimerAt.getTime() && state.sla !== null) {
      if (slaStatusAt(slaClock(state.sla), now()) !== state.sla.status) await writeSla('timer');
      if (context !== null) publish(context);
    }
    if (shouldContinueAsNew()) await continueAsNewWhenIdle();
    const closeAfter = idleCloseAt();
    if (closeAfter !== null && Date.now() >= closeAfter && !hasWork()) {
      await condition(allHandlersFinished);
      log.info('finished incident idle: workflow completes (INC-12)', { incidentId });
      return;
    }
  }
}
