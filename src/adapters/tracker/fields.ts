// Field ids of DISPATCH's Tracker fields (YT-7): the configured global ids, and the queue-local
// problem-type field found by listing the queue's local fields; the configured status keys (YT-6);
// the assignee of an issue as a login (ASSIGN-5).
import type { TrackerFieldIds } from '../../domain/tracker-fields.js';
import type { TrackerStatusKeys } from '../../domain/tracker-statuses.js';
import type { Config } from '../../config/load.js';
import type { TrackerClient, TrackerField, TrackerIssue } from './client.js';
import { TrackerError } from './errors.js';

export type TrackerConfig = Config['tracker'];

/** YT-7: the local field whose key equals the variable or whose full id (`<prefix>--<key>`) ends with it. */
export function findLocalField(fields: readonly TrackerField[], variable: string): TrackerField | undefined {
  const wanted = variable.trim();
  return fields.find((f) => f.key === wanted) ?? fields.find((f) => f.id.endsWith(wanted));
}

/** The full id of the problem-type field, from the (cached) local field list. */
export async function problemTypeFieldId(client: TrackerClient, tracker: TrackerConfig): Promise<string> {
  const field = findLocalField(await client.localFields(tracker.queue), tracker.fieldIds.typeOfProblem);
  if (field === undefined) {
    throw new TrackerError(
      `Queue ${tracker.queue} has no local field matching YT_TYPE_OF_INCIDENT_LOCAL_FIELD_ID "${tracker.fieldIds.typeOfProblem}"`,
      { code: 'not_found', status: 404, retryable: false },
    );
  }
  return field.id;
}

/** Configured ids in the shape the domain rules use; the problem type is the resolved local id. */
export function trackerFieldIds(tracker: TrackerConfig, problemTypeId: string): TrackerFieldIds {
  const f = tracker.fieldIds;
  return {
    localId: f.localId,
    emailIds: f.localEmailsIds,
    poleNumber: f.poleNumber,
    baseStation: f.baseStationNumber,
    emailDatetime: f.emailDatetime,
    newMessage: f.newMessage,
    slaDeadline: f.deadlineSla,
    slaStatus: f.slaStatus,
    operator: f.operator,
    contractor: f.avrContractor,
    problemType: problemTypeId,
  };
}

/** YT-6: the configured status keys (CONF-3) in the shape the domain rules use. */
export function trackerStatusKeys(tracker: TrackerConfig): TrackerStatusKeys {
  const k = tracker.statusKeys;
  return {
    onGeneration: k.onGeneration,
    notifyOperator: k.notifyOperatorInWork,
    notifiedOperator: k.notifiedOperatorInWork,
    notifyClosure: k.notifyOperatorClosed,
    notifiedClosure: k.notifiedOperatorClosed,
    notifyContractor: k.notifyAvr,
    notifiedContractor: k.notifiedAvr,
  };
}

/** ASSIGN-5: the login of the issue's assignee (a user reference), via the cached user list. */
export async function assigneeLogin(client: TrackerClient, issue: TrackerIssue): Promise<string | null> {
  const ref = issue['assignee'];
  if (ref === null || ref === undefined) return null;
  const user = typeof ref === 'object' ? (ref as { id?: unknown; login?: unknown }) : { id: ref };
  if (typeof user.login === 'string') return user.login;
  const uid = String(user.id);
  return (await client.users()).find((u) => u.uid === uid || u.login === uid)?.login ?? null;
}
