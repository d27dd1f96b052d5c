// One long-lived workflow per incident (GEN-4, ARCHITECTURE.md §3). On its first run it creates
// the Tracker issue from the primary e-mail (EXTR-6 extraction, ASSIGN dispatcher, YT-8/YT-9,
// YT-20), posts the other linked e-mails as comments, then reacts to each linked e-mail (YT-10,
// ASSIGN-4 retry, EXTR-6 later fill) and to directory changes (TS-9). It continues as new before
// its history grows large, carrying its state (nothing pending is lost across the hand-over).
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
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { createAlertActivities } from '../activities/alerts.js';
import type { IncidentActivities, IncidentContext } from '../activities/incident.js';
import {
  BaseStation,
  Contractor,
  Dispatcher,
  IncidentId,
  IncidentKey,
  Operator,
  PoleCode,
  RegisteredAt,
} from './search-attributes.js';
import { directoryChangedSignal } from './signals.js';

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

/** Activities with a readable summary in the Web UI history (OPS-1). */
const activities = (summary: string) => proxyActivities<IncidentActivities>({ ...BASE_OPTIONS, summary });

/** ALERT-1: the Alerts service never throws and retries the Bot API itself, so few attempts suffice. */
const { sendAlert } = proxyActivities<ReturnType<typeof createAlertActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
  summary: 'Telegram alert',
});

/** A refused Tracker request or a vanished incident: retrying will not help. */
function isFinalFailure(error: unknown): boolean {
  return (
    error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    (Object.values(INCIDENT_FAILURE_TYPES) as string[]).includes(error.cause.type ?? '')
  );
}

function detailsMarkdown(ctx: IncidentContext): string {
  const key = ctx.issueKey ?? (ctx.trackerExcluded ? 'без задачи в Tracker (YT-20)' : 'задача ещё не создана');
  return [
    `**${key}** · инцидент ${ctx.incidentId} · ${ctx.statusName}`,
    `Опора: ${ctx.poleCode ?? '—'} · БС: ${ctx.baseStationName ?? '—'}`,
    `Диспетчер: ${ctx.dispatcherLogin ?? 'не назначен'}`,
  ].join('\n\n');
}

export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<void> {
  const state: IncidentState = input.carriedState
    ? { ...initialIncidentState(input.incidentId), ...input.carriedState, run: input.carriedState.run + 1 }
    : initialIncidentState(input.incidentId);
  const incidentId = input.incidentId;
  let signals = 0;

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
  setHandler(stateQuery, () => state);

  const publish = (ctx: IncidentContext): void => {
    state.issueKey = ctx.issueKey;
    state.trackerExcluded = ctx.trackerExcluded;
    state.dispatcher = ctx.dispatcherLogin;
    state.poleCode = ctx.poleCode;
    state.baseStationName = ctx.baseStationName;
    // OPS-1: never e-mail addresses here (search attributes are stored unencrypted).
    const attributes: SearchAttributeUpdatePair[] = [
      { key: IncidentId, value: incidentId },
      { key: IncidentKey, value: ctx.issueKey },
      { key: PoleCode, value: ctx.poleCode },
      { key: BaseStation, value: ctx.baseStationName },
      { key: Operator, value: ctx.operatorNames.length > 0 ? ctx.operatorNames : null },
      { key: Contractor, value: ctx.contractorName },
      { key: Dispatcher, value: ctx.dispatcherLogin },
      { key: RegisteredAt, value: new Date(ctx.registrationTime) },
    ];
    const details = detailsMarkdown(ctx);
    const fingerprint = JSON.stringify([attributes.map((a) => a.value), details]);
    if (fingerprint === state.published) return;
    upsertSearchAttributes(attributes);
    setCurrentDetails(details);
    state.published = fingerprint;
  };

  const refresh = async (): Promise<void> => {
    publish(await activities('Load incident').loadIncidentContext(incidentId));
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
      let ctx = await activities('Load incident').loadIncidentContext(incidentId);
      if (ctx.issueKey === null && !ctx.trackerExcluded) {
        if (ctx.poleCode === null) await activities('Extract pole and BS').extractPoleAndBs({ incidentId });
        const assignee = ctx.dispatcherLogin ?? (await activities('Choose dispatcher').chooseDispatcher(incidentId));
        await activities('Create Tracker issue').ensureIssue({ incidentId, assignee });
        ctx = await activities('Load incident').loadIncidentContext(incidentId);
      }
      publish(ctx);
      const done = new Set([...ctx.postedEmailIds, ...(ctx.primaryEmailId === null ? [] : [ctx.primaryEmailId])]);
      for (const emailId of ctx.emailIds) {
        if (!done.has(emailId) && ctx.issueKey !== null) await postComment(emailId);
        if (!state.handledEmailIds.includes(emailId)) state.handledEmailIds.push(emailId);
      }
      state.pendingEmailIds = state.pendingEmailIds.filter((id) => !state.handledEmailIds.includes(id));
      state.initialized = true;
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
      const login = await activities('Choose dispatcher').chooseDispatcher(incidentId);
      if (login !== null) {
        await activities(`Assign issue to ${login}`).assignIssue({ incidentId, login });
        changed = true;
      }
    }
    // EXTR-6: a later e-mail fills a missing pole/BS.
    if (state.poleCode === null) {
      if (await activities('Extract pole and BS').extractPoleAndBs({ incidentId, emailId })) {
        await activities('Write derived issue fields').syncIssueFields(incidentId);
        changed = true;
      }
    }
    if (changed) await refresh();
  };

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested ||
    (input.maxHistoryEvents !== undefined && workflowInfo().historyLength >= input.maxHistoryEvents);

  const continueAsNewWhenIdle = async (): Promise<void> => {
    await condition(allHandlersFinished);
    await continueAsNew<typeof incidentWorkflow>({ ...input, carriedState: state });
  };

  for (;;) {
    if (!state.initialized && !(await initialize())) {
      const seen = signals;
      await condition(() => signals > seen || shouldContinueAsNew());
      if (shouldContinueAsNew()) await continueAsNewWhenIdle();
      continue;
    }
    await condition(() => state.pendingEmailIds.length > 0 || state.directoryChanged || shouldContinueAsNew());
    while (state.pendingEmailIds.length > 0) {
      const emailId = state.pendingEmailIds[0] as number;
      await handleEmail(emailId);
      state.pendingEmailIds.shift();
      state.handledEmailIds.push(emailId);
    }
    if (state.directoryChanged) {
      state.directoryChanged = false;
      // TS-9: the derived Tracker fields follow the directory (YT-14).
      if (state.issueKey !== null) await activities('Write derived issue fields').syncIssueFields(incidentId);
      await refresh();
    }
    if (shouldContinueAsNew()) await continueAsNewWhenIdle();
  }
}
