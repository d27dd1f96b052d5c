// YT-5 start-up check: the queue, every status of YT-6, every field of YT-7, the local problem-type
// field, the values of the two dropdowns, and the incident types as problem-type values.
import { FIXED_STATUS_KEYS } from '../../domain/tracker-statuses.js';
import { SLA_STATUS } from '../../domain/sla.js';
import { NEW_MESSAGE } from '../../domain/tracker-fields.js';
import type { TrackerClient } from './client.js';
import { TrackerError } from './errors.js';
import { findLocalField } from './fields.js';
import type { TrackerConfig } from './fields.js';

export interface SetupFinding {
  /** `error` stops the start; `warning` is reported only. */
  level: 'error' | 'warning';
  message: string;
}

export interface SetupReport {
  ok: boolean;
  findings: SetupFinding[];
  /** False when Tracker could not be asked at all (network, 5xx, auth): nothing is known about the setup. */
  checked: boolean;
}

/** Verifies the Tracker setup; an unreachable or refusing Tracker is an error finding, not a throw. */
export async function checkTrackerSetup(
  client: TrackerClient,
  tracker: TrackerConfig,
  incidentTypeNames: readonly string[],
): Promise<SetupReport> {
  const findings: SetupFinding[] = [];
  const error = (message: string) => findings.push({ level: 'error', message });
  const warning = (message: string) => findings.push({ level: 'warning', message });
  try {
    try {
      await client.queue(tracker.queue);
    } catch (e) {
      if (e instanceof TrackerError && e.code === 'not_found') {
        error(`queue ${tracker.queue} (YT_QUEUE) does not exist`);
        return { ok: false, findings, checked: true };
      }
      throw e;
    }

    const statusKeys = new Set((await client.statuses()).map((s) => s.key));
    const wantedStatuses: Array<[string, string]> = [
      ...Object.values(FIXED_STATUS_KEYS).map((key): [string, string] => [key, 'fixed key of YT-6']),
      [tracker.statusKeys.onGeneration, 'YT_ON_GENERATION_STATUS_KEY'],
      [tracker.statusKeys.notifyOperatorInWork, 'YT_NOTIFY_OPERATOR_ISSUE_IN_WORK_STATUS_KEY'],
      [tracker.statusKeys.notifiedOperatorInWork, 'YT_NOTIFIED_OPERATOR_ISSUE_IN_WORK_STATUS_KEY'],
      [tracker.statusKeys.notifyOperatorClosed, 'YT_NOTIFY_OPERATOR_ISSUE_CLOSED_STATUS_KEY'],
      [tracker.statusKeys.notifiedOperatorClosed, 'YT_NOTIFIED_OPERATOR_ISSUE_CLOSED_STATUS_KEY'],
      [tracker.statusKeys.notifyAvr, 'YT_NOTIFY_AVR_CONTRACTOR_IN_WORK_STATUS_KEY'],
      [tracker.statusKeys.notifiedAvr, 'YT_NOTIFIED_AVR_CONTRACTOR_IN_WORK_STATUS_KEY'],
    ];
    for (const [key, source] of wantedStatuses) {
      if (!statusKeys.has(key)) error(`status "${key}" (${source}) does not exist`);
    }

    const fields = new Map((await client.globalFields()).map((f) => [f.id, f]));
    const f = tracker.fieldIds;
    const wantedFields: Array<[string, string]> = [
      [f.localId, 'YT_DATABASE_ID_GLOBAL_FIELD_ID'],
      [f.localEmailsIds, 'YT_EMAILS_IDS_GLOBAL_FIELD_ID'],
      [f.poleNumber, 'YT_POLE_NUMBER_GLOBAL_FIELD_ID'],
      [f.baseStationNumber, 'YT_BASE_STATION_GLOBAL_FIELD_ID'],
      [f.emailDatetime, 'YT_EMAIL_DATETIME_GLOBAL_FIELD_ID'],
      [f.newMessage, 'YT_IS_NEW_MSG_GLOBAL_FIELD_ID'],
      [f.deadlineSla, 'YT_SLA_DEADLINE_GLOBAL_FIELD_ID'],
      [f.slaStatus, 'YT_IS_SLA_EXPIRED_GLOBAL_FIELD_ID'],
      [f.operator, 'YT_OPERATOR_NAME_GLOBAL_FIELD_NAME'],
      [f.avrContractor, 'YT_AVR_NAME_GLOBAL_FIELD_ID'],
    ];
    for (const [id, source] of wantedFields) {
      if (!fields.has(id)) error(`field "${id}" (${source}) does not exist`);
    }
    const requireValues = (fieldId: string, source: string, values: readonly string[]) => {
      const field = fields.get(fieldId);
      if (field === undefined) return;
      for (const value of values) {
        if (!field.options.includes(value)) error(`dropdown "${fieldId}" (${source}) lacks the value «${value}»`);
      }
    };
    requireValues(f.newMessage, 'YT_IS_NEW_MSG_GLOBAL_FIELD_ID', Object.values(NEW_MESSAGE));
    requireValues(f.slaStatus, 'YT_IS_SLA_EXPIRED_GLOBAL_FIELD_ID', Object.values(SLA_STATUS));

    const problemType = findLocalField(await client.localFields(tracker.queue), f.typeOfProblem);
    if (problemType === undefined) {
      error(
        `local field "${f.typeOfProblem}" (YT_TYPE_OF_INCIDENT_LOCAL_FIELD_ID) not found in queue ${tracker.queue}`,
      );
    } else {
      for (const name of incidentTypeNames) {
        if (!problemType.options.includes(name)) {
          warning(`incident type «${name}» is not a value of the problem-type field ${problemType.id}`);
        }
      }
    }
  } catch (e) {
    error(`Tracker could not be checked: ${e instanceof Error ? e.message : String(e)}`);
    return { ok: false, findings, checked: false };
  }
  return { ok: !findings.some((x) => x.level === 'error'), findings, checked: true };
}

/** The verdict as the admin command prints it. */
export function formatSetupReport(report: SetupReport, queue: string): string {
  const lines = [report.ok ? `Tracker setup of queue ${queue}: OK` : `Tracker setup of queue ${queue}: NOT READY`];
  for (const finding of report.findings)
    lines.push(`  ${finding.level === 'error' ? 'ERROR' : 'warning'}: ${finding.message}`);
  return lines.join('\n');
}
