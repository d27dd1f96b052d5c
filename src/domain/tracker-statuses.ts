// Tracker status keys and what each means to DISPATCH (YT-6). The fixed keys are the queue
// workflow's; the others come from configuration (CONF-3) and are passed in.

/** YT-6: keys fixed by the queue workflow. */
export const FIXED_STATUS_KEYS = {
  open: 'open',
  inProgress: 'inProgress',
  needAcceptance: 'needAcceptance',
  error: 'error',
  closed: 'closed',
} as const;

/** YT-6: configured status keys (`YT_*_STATUS_KEY`). */
export interface TrackerStatusKeys {
  /** `YT_ON_GENERATION_STATUS_KEY` */
  onGeneration: string;
  /** `YT_NOTIFY_OPERATOR_ISSUE_IN_WORK_STATUS_KEY` */
  notifyOperator: string;
  /** `YT_NOTIFIED_OPERATOR_ISSUE_IN_WORK_STATUS_KEY` */
  notifiedOperator: string;
  /** `YT_NOTIFY_OPERATOR_ISSUE_CLOSED_STATUS_KEY` */
  notifyClosure: string;
  /** `YT_NOTIFIED_OPERATOR_ISSUE_CLOSED_STATUS_KEY` */
  notifiedClosure: string;
  /** `YT_NOTIFY_AVR_CONTRACTOR_IN_WORK_STATUS_KEY` */
  notifyContractor: string;
  /** `YT_NOTIFIED_AVR_CONTRACTOR_IN_WORK_STATUS_KEY` */
  notifiedContractor: string;
}

export type StatusRole =
  | keyof typeof FIXED_STATUS_KEYS
  | keyof TrackerStatusKeys
  /** A status DISPATCH has no rule for (a queue may have more statuses). */
  | 'other';

/** The role of an observed status key; fixed keys win over a configured key with the same value. */
export function statusRole(statusKey: string, keys: TrackerStatusKeys): StatusRole {
  for (const [role, key] of Object.entries(FIXED_STATUS_KEYS)) {
    if (key === statusKey) return role as keyof typeof FIXED_STATUS_KEYS;
  }
  for (const [role, key] of Object.entries(keys) as [keyof TrackerStatusKeys, string][]) {
    if (key === statusKey) return role;
  }
  return 'other';
}

/** INC-10: `closed` and the on-generation status finish an incident. */
export function isFinishingStatus(statusKey: string, keys: TrackerStatusKeys): boolean {
  const role = statusRole(statusKey, keys);
  return role === 'closed' || role === 'onGeneration';
}

/** SLA-3: statuses that stop the SLA clock. */
export function stopsSlaClock(statusKey: string, keys: TrackerStatusKeys, onGenerationStopsSla: boolean): boolean {
  const role = statusRole(statusKey, keys);
  return role === 'closed' || (role === 'onGeneration' && onGenerationStopsSla);
}

/** The three automatic e-mail kinds (DATA-7). */
export type NoticeKind = 'ack' | 'close' | 'avr';

/** NOTIFY-1: which notice a notify status triggers, and the status the issue moves to after sending. */
export function noticeForStatus(
  statusKey: string,
  keys: TrackerStatusKeys,
): { kind: NoticeKind; notifiedStatusKey: string } | null {
  switch (statusRole(statusKey, keys)) {
    case 'notifyOperator':
      return { kind: 'ack', notifiedStatusKey: keys.notifiedOperator };
    case 'notifyClosure':
      return { kind: 'close', notifiedStatusKey: keys.notifiedClosure };
    case 'notifyContractor':
      return { kind: 'avr', notifiedStatusKey: keys.notifiedContractor };
    default:
      return null;
  }
}
