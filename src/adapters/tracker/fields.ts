// Field ids of DISPATCH's Tracker fields (YT-7): the configured global ids, and the queue-local
// problem-type field found by listing the queue's local fields.
import type { TrackerFieldIds } from '../../domain/tracker-fields.js';
import type { Config } from '../../config/load.js';
import type { TrackerClient, TrackerField } from './client.js';
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
