// One long-lived workflow per incident (GEN-4, ARCHITECTURE.md §3): it reacts to e-mails linked
// to the incident and to Tracker changes, and continues as new before its history grows large,
// carrying its state (nothing pending is lost across the hand-over).
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { IncidentId } from './search-attributes.js';

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
  return { incidentId, pendingEmailIds: [], handledEmailIds: [], run: 1 };
}

export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<void> {
  const state: IncidentState = input.carriedState
    ? { ...input.carriedState, run: input.carriedState.run + 1 }
    : initialIncidentState(input.incidentId);

  // Handlers first, before any await: signals buffered before registration are delivered now.
  setHandler(mailSignal, ({ emailId }) => {
    if (!state.handledEmailIds.includes(emailId) && !state.pendingEmailIds.includes(emailId)) {
      state.pendingEmailIds.push(emailId);
    }
  });
  setHandler(stateQuery, () => state);

  if (state.run === 1) upsertSearchAttributes([{ key: IncidentId, value: input.incidentId }]);

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested ||
    (input.maxHistoryEvents !== undefined && workflowInfo().historyLength >= input.maxHistoryEvents);

  for (;;) {
    await condition(() => state.pendingEmailIds.length > 0 || shouldContinueAsNew());
    while (state.pendingEmailIds.length > 0) {
      const emailId = state.pendingEmailIds.shift()!;
      state.handledEmailIds.push(emailId);
    }
    if (shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof incidentWorkflow>({ ...input, carriedState: state });
    }
  }
}
