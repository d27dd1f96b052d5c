// Activities of the incident workflow, Tracker side (SPEC §11–§14): load the incident, extract its
// pole/BS (EXTR-6), choose a dispatcher (ASSIGN), create or adopt the issue (YT-8, YT-9, YT-20),
// post e-mails as comments (YT-10) and keep the derived fields current (YT-12, YT-14).
// Every activity is idempotent with keys taken from data (incident id, e-mail id, `unique`).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import {
  fillPoleAndBaseStation,
  linkedEmails,
  loadEmail,
  loadIncident,
  markAttachmentMissing,
  markTrackerExcluded,
  postedEmailIds,
  setIncidentCode,
  setResponsibleDispatcher,
  syncAssigneeLogin,
  uploadableAttachments,
} from '../adapters/db/incident-store.js';
import type { EmailRecord, IncidentRecord } from '../adapters/db/incident-store.js';
import { directoryForTokens } from '../adapters/db/directory-store.js';
import { dispatcherLoads, dispatchers } from '../adapters/db/dispatchers.js';
import { commentRecord, markCommentPending, markCommentPosted, sha256Hex } from '../adapters/db/tracker-bookkeeping.js';
import { createAlerts } from '../adapters/telegram/alerts.js';
import { createTrackerClient } from '../adapters/tracker/index.js';
import type { TrackerClient, TrackerIssue } from '../adapters/tracker/client.js';
import { TrackerError } from '../adapters/tracker/errors.js';
import { assigneeLogin, trackerFieldIds } from '../adapters/tracker/fields.js';
import { assignmentCandidates, chooseDispatcher } from '../domain/assignment.js';
import {
  commentTextKey,
  renderEmailComment,
  renderIssueDescription,
  renderIssueSummary,
} from '../domain/comment-format.js';
import { buildDirectoryIndex } from '../domain/directory-index.js';
import {
  extractForNewIncident,
  extractFromEmail,
  extractTokens,
  shouldExtractFromLinkedEmail,
} from '../domain/extraction.js';
import { primaryEmailOf } from '../domain/primary-email.js';
import { SLA_STATUS } from '../domain/sla.js';
import {
  NEW_MESSAGE,
  deriveTrackerFields,
  fieldsToWrite,
  hasEmailId,
  parseEmailIds,
  readFieldString,
  withEmailIds,
} from '../domain/tracker-fields.js';
import type { FieldValue, TrackerFieldIds } from '../domain/tracker-fields.js';
import type { EmailClassification } from '../domain/threading.js';
import { INCIDENT_FAILURE_TYPES } from '../workflows/incident.js';
import type { ActivityDependencies } from './index.js';

/** What the workflow keeps about its incident (small; dates as ISO strings for the payload). */
export interface IncidentContext {
  incidentId: number;
  issueKey: string | null;
  trackerExcluded: boolean;
  isAuto: boolean;
  isFinished: boolean;
  registrationTime: string;
  poleCode: string | null;
  baseStationName: string | null;
  operatorNames: string[];
  contractorName: string | null;
  dispatcherLogin: string | null;
  statusName: string;
  primaryEmailId: number | null;
  /** Linked e-mails in (effective date, id) order (YT-8). */
  emailIds: number[];
  /** Those already in the issue (YT-10 records in state `posted`). */
  postedEmailIds: number[];
  /** SLA-1 inputs: the DB type (set only after VAL) and its minutes; SLA-3 end point. */
  problemType: string | null;
  slaMinutes: number | null;
  slaEndAt: string | null;
  /** INC-12: days a finished incident's workflow stays before completing (`INCIDENT_IDLE_CLOSE_DAYS`). */
  idleCloseDays: number;
}

export type CommentOutcome = 'posted' | 'already_posted' | 'not_commented' | 'no_issue' | 'not_linked';

export interface EmailCommentResult {
  outcome: CommentOutcome;
  classification: EmailClassification | null;
  /** ASSIGN-4 / NOISE-2: a new `normal` inbound e-mail. */
  normalInbound: boolean;
}

export interface EnsureIssueResult {
  issueKey: string | null;
  created: boolean;
  /** YT-20: the incident is excluded by region; no issue exists. */
  excluded: boolean;
}

/** NOISE-2: classes whose e-mails become Tracker comments. */
const COMMENTED_CLASSES: ReadonlySet<EmailClassification> = new Set(['bounce', 'auto_reply', 'self_sent', 'normal']);

/** Activity boundary (YT-1): Retry-After becomes the next retry delay; refused requests are final. */
export async function atBoundary<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof TrackerError)) throw error;
    if (error.retryable) {
      throw ApplicationFailure.create({
        message: error.message,
        type: 'TrackerUnavailable',
        nonRetryable: false,
        ...(error.retryAfterMs === undefined ? {} : { nextRetryDelay: error.retryAfterMs }),
        details: [{ code: error.code, status: error.status }],
      });
    }
    throw ApplicationFailure.create({
      message: error.message,
      type: INCIDENT_FAILURE_TYPES.trackerRejected,
      nonRetryable: true,
      details: [{ code: error.code, status: error.status }],
    });
  }
}

function dedupeAddresses(addresses: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of addresses) {
    const address = raw.trim();
    const key = address.toLowerCase();
    if (address === '' || seen.has(key)) continue;
    seen.add(key);
    out.push(address);
  }
  return out;
}

export function createIncidentActivities(deps: ActivityDependencies) {
  const { config, db } = deps;
  const tracker = config.tracker;
  const alerts = deps.alerts ?? createAlerts({ config, db, log: deps.log });
  let client: TrackerClient | undefined;
  // YT-3 / ALERT-3: a failed token refresh reaches Telegram, not only the log.
  const onRefreshFailed = (error: unknown) =>
    alerts.alert({
      level: 'error',
      kind: 'tracker_token_refresh_failed',
      subject: 'tracker',
      text:
        'Не удалось обновить OAuth-токен Яндекс Трекера: ' +
        `${error instanceof Error ? error.message : String(error)}. Проверьте YT_REFRESH_TOKEN и учётные данные приложения.`,
    });
  const trackerClient = (): TrackerClient =>
    (client ??= createTrackerClient(tracker, db, deps.log, { onRefreshFailed }));
  // The fields written here never include the problem type, so its unresolved id is enough for
  // compare-before-write (the local-field lookup is not needed on this path).
  const fieldIds: TrackerFieldIds = trackerFieldIds(tracker, tracker.fieldIds.typeOfProblem);
  const excludedRegions = new Set(tracker.excludedRegions.map((r: string) => r.trim().toLowerCase()));

  /** YT-14 values from the DB; SLA values stay unknown here (the SLA rules own them). */
  const derivedFieldsOf = (incident: IncidentRecord, site: { poleCode?: string | null; bsName?: string | null }) =>
    deriveTrackerFields(
      {
        registrationTime: incident.registrationTime,
        slaDeadline: null,
        slaStatus: SLA_STATUS.unknown,
        hasPole: incident.poleId !== null,
        contractorName: incident.contractorName,
        operatorNames: incident.operatorNames,
        ...site,
      },
      fieldIds,
    );

  const requireIncident = async (incidentId: number): Promise<IncidentRecord> => {
    const incident = await loadIncident(db, incidentId);
    if (incident === null) {
      throw ApplicationFailure.create({
        message: `incident ${incidentId} does not exist`,
        type: INCIDENT_FAILURE_TYPES.incidentNotFound,
        nonRetryable: true,
      });
    }
    return incident;
  };

  const uniqueOf = (incidentId: number) => `${tracker.uniquePrefix}:${tracker.queue}:incident:${incidentId}`;

  /** ATT-6: upload stored files ≤ ATTACHMENT_MAX_UPLOAD_MB; a missing blob is marked and skipped. */
  const uploadAttachments = async (emailId: number): Promise<string[]> => {
    const files = await uploadableAttachments(db, emailId, config.attachments.maxUploadBytes);
    const ids: string[] = [];
    for (const file of files) {
      const path = join(config.attachments.dir, file.sha256.slice(0, 2), file.sha256.slice(2, 4), file.sha256);
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        await markAttachmentMissing(db, file.id);
        deps.log.warn({ emailId, attachmentId: file.id }, 'attachment blob missing: not uploaded (ATT-6)');
        continue;
      }
      ids.push(await trackerClient().uploadAttachment(file.name, file.mimeType, bytes));
    }
    return ids;
  };

  const adoptExisting = async (incidentId: number): Promise<TrackerIssue | null> => {
    const byUnique = await trackerClient().findIssueByUnique(uniqueOf(incidentId));
    if (byUnique !== null) return byUnique;
    const found = await trackerClient().searchIssues({ queue: tracker.queue, [fieldIds.localId]: incidentId });
    return found[0] ?? null;
  };

  const primaryOf = (incident: IncidentRecord, emails: EmailRecord[]): EmailRecord | null =>
    emails.find((e) => e.id === incident.primaryEmailId) ?? primaryEmailOf(emails);

  return {
    /** Incident row, directory names and linked e-mails. */
    async loadIncidentContext(incidentId: number): Promise<IncidentContext> {
      const incident = await requireIncident(incidentId);
      const emails = await linkedEmails(db, incidentId);
      return {
        incidentId,
        issueKey: incident.code,
        trackerExcluded: incident.trackerExcluded,
        isAuto: incident.isAuto,
        isFinished: incident.isFinished,
        registrationTime: incident.registrationTime.toISOString(),
        poleCode: incident.poleCode,
        baseStationName: incident.baseStationName,
        operatorNames: incident.operatorNames,
        contractorName: incident.contractorName,
        dispatcherLogin: incident.dispatcherLogin,
        statusName: incident.statusName,
        primaryEmailId: primaryOf(incident, emails)?.id ?? null,
        emailIds: emails.map((e) => e.id),
        postedEmailIds: await postedEmailIds(db, incidentId),
        problemType: incident.problemType,
        slaMinutes: incident.slaMinutes,
        slaEndAt: incident.slaEndAt?.toISOString() ?? null,
        idleCloseDays: config.incidents.idleCloseDays,
      };
    },

    /**
     * EXTR-6: at creation (no `emailId`) the chronologically first linked e-mail that yields a pole;
     * later, a newly linked e-mail while the incident has no pole and the issue's pole and BS fields
     * are empty. Fills the DB only; `syncIssueFields` writes the issue. True when a pole was set.
     */
    async extractPoleAndBs(input: { incidentId: number; emailId?: number }): Promise<boolean> {
      return atBoundary(async () => {
        const incident = await requireIncident(input.incidentId);
        if (incident.poleId !== null) return false;
        const emails = (await linkedEmails(db, input.incidentId)).filter(
          (e) => input.emailId === undefined || e.id === input.emailId,
        );
        if (emails.length === 0) return false;
        if (input.emailId !== undefined && incident.code !== null) {
          const issue = await trackerClient().getIssue(incident.code);
          const extractable = shouldExtractFromLinkedEmail({
            incidentPoleId: incident.poleId,
            trackerPoleField: readFieldString(issue[fieldIds.poleNumber]),
            trackerBaseStationField: readFieldString(issue[fieldIds.baseStation]),
          });
          if (!extractable) return false;
        }
        const tokens = emails.flatMap((e) => [...extractTokens(e.subject), ...extractTokens(e.body)]);
        const index = buildDirectoryIndex(await directoryForTokens(db, tokens));
        const found =
          input.emailId === undefined
            ? (extractForNewIncident(emails, index)?.result ?? null)
            : extractFromEmail(emails[0] as EmailRecord, index);
        if (found === null) return false;
        return fillPoleAndBaseStation(db, input.incidentId, found.pole.id, found.baseStation?.id ?? null);
      });
    },

    /**
     * ASSIGN-1…4: the responsible dispatcher, chosen once and recorded in the DB (a retry or a new
     * run returns the recorded one). Null when nobody is available (alert `no_dispatcher`).
     */
    async chooseDispatcher(incidentId: number): Promise<string | null> {
      return atBoundary(async () => {
        const incident = await requireIncident(incidentId);
        if (incident.dispatcherLogin !== null) return incident.dispatcherLogin;
        const candidates = assignmentCandidates(await dispatchers(db), await trackerClient().users());
        const loads = await dispatcherLoads(db, candidates, {
          loadWindowHours: config.assignment.loadWindowHours,
          recentHours: config.assignment.recentHours,
          excludeIncidentId: incidentId,
        });
        const login = chooseDispatcher(loads);
        if (login === null) {
          deps.log.error(
            { alert: 'no_dispatcher', incidentId },
            'no dispatcher can be assigned: the issue stays unassigned (ASSIGN-4)',
          );
          await alerts.alert({
            level: 'error',
            kind: 'no_dispatcher',
            incidentId,
            text: 'Нет доступного диспетчера: задача остаётся без исполнителя до следующего входящего письма (ASSIGN-4).',
          });
          return null;
        }
        await setResponsibleDispatcher(db, incidentId, login);
        return login;
      });
    },

    /** YT-8 / YT-9 / YT-20: the incident's issue, created once from the primary e-mail. */
    async ensureIssue(input: { incidentId: number; assignee: string | null }): Promise<EnsureIssueResult> {
      return atBoundary(async () => {
        const incident = await requireIncident(input.incidentId);
        if (incident.code !== null) return { issueKey: incident.code, created: false, excluded: false };
        if (incident.trackerExcluded) return { issueKey: null, created: false, excluded: true };
        // YT-20: incidents without a pole are never excluded.
        if (incident.poleRegion !== null && excludedRegions.has(incident.poleRegion.trim().toLowerCase())) {
          await markTrackerExcluded(db, incident.id);
          deps.log.info(
            { incidentId: incident.id, region: incident.poleRegion },
            'incident excluded from Tracker by region (YT-20)',
          );
          return { issueKey: null, created: false, excluded: true };
        }
        const emails = await linkedEmails(db, incident.id);
        const primary = primaryOf(incident, emails);
        const derived = derivedFieldsOf(incident, { poleCode: incident.poleCode, bsName: incident.baseStationName });
        const fields: Record<string, unknown> = {};
        for (const [id, value] of Object.entries(derived)) if (value !== null) fields[id] = value;
        const attachmentIds = primary === null ? [] : await uploadAttachments(primary.id);
        const body: Record<string, unknown> = {
          queue: tracker.queue,
          type: tracker.issueType,
          author: tracker.issueAuthor,
          summary: renderIssueSummary(primary?.subject, incident.id),
          description: renderIssueDescription(primary?.body),
          markupType: 'md',
          ...fields,
          [fieldIds.localId]: incident.id,
          [fieldIds.newMessage]: NEW_MESSAGE.yes,
          unique: uniqueOf(incident.id),
        };
        if (primary !== null) {
          body['emailFrom'] = (primary.requesterAddress ?? '').trim() || primary.fromAddress;
          body['emailTo'] = dedupeAddresses(primary.to);
          body['emailCc'] = dedupeAddresses([...primary.observers, ...primary.cc]);
          body[fieldIds.emailIds] = String(primary.id);
        }
        if (input.assignee !== null) body['assignee'] = input.assignee;
        if (attachmentIds.length > 0) body['attachmentIds'] = attachmentIds;

        let issue: TrackerIssue | null;
        let created = true;
        try {
          issue = await trackerClient().createIssue(body);
        } catch (error) {
          if (!(error instanceof TrackerError) || error.code !== 'conflict') throw error;
          // YT-9: an earlier attempt created it (its answer was lost).
          issue = await adoptExisting(incident.id);
          created = false;
          if (issue === null) throw error;
        }
        // YT-19: DB changes that depend on the write are committed after it succeeded.
        await setIncidentCode(db, incident.id, issue.key);
        // The e-mail the issue was made from counts as posted. An adopted issue may have been made
        // by an earlier attempt from an earlier primary (INC-4 moved it meanwhile): its e-mail-ids
        // field says which, and the current primary is then posted as a comment (YT-10).
        const inIssue = created
          ? primary === null
            ? []
            : [primary.id]
          : parseEmailIds(issue[fieldIds.emailIds]).filter((id) => emails.some((e) => e.id === id));
        for (const emailId of inIssue) await markCommentPosted(db, emailId, issue.key, null, null);
        deps.log.info(
          { incidentId: incident.id, issueKey: issue.key, created },
          created ? 'issue created' : 'issue adopted',
        );
        return { issueKey: issue.key, created, excluded: false };
      });
    },

    /** YT-10: one linked e-mail as one comment, recorded pending → posted. */
    async postEmailComment(input: { incidentId: number; emailId: number }): Promise<EmailCommentResult> {
      return atBoundary(async () => {
        const { incidentId, emailId } = input;
        const email = await loadEmail(db, emailId);
        if (email === null || email.incidentId !== incidentId) {
          return { outcome: 'not_linked', classification: email?.classification ?? null, normalInbound: false };
        }
        const normalInbound = email.classification === 'normal' && email.folderRole === 'INBOX';
        const result = (outcome: CommentOutcome): EmailCommentResult => ({
          outcome,
          classification: email.classification,
          normalInbound,
        });
        if (!COMMENTED_CLASSES.has(email.classification)) return result('not_commented');
        const incident = await requireIncident(incidentId);
        const key = incident.code;
        if (key === null || incident.trackerExcluded) return result('no_issue');
        const log = deps.log.child({ incidentId, issueKey: key, emailId });

        const record = await commentRecord(db, emailId);
        if (record?.state === 'posted') return result('already_posted');
        const client = trackerClient();
        const issue = await client.getIssue(key);
        if (hasEmailId(issue[fieldIds.emailIds], emailId)) {
          await markCommentPosted(db, emailId, key, null, null);
          return result('already_posted');
        }

        const text = renderEmailComment(
          {
            subject: email.subject,
            fromAddress: email.fromAddress,
            requesterAddress: email.requesterAddress,
            to: email.to,
            cc: email.cc,
            effectiveDate: email.effectiveDate,
            body: email.body,
          },
          config.timeZone,
        );
        const hash = sha256Hex(commentTextKey(text));
        let commentId: string | null = null;
        if (record !== null) {
          // An interrupted attempt may have posted it: an identical comment counts as posted.
          const existing = (await client.comments(key)).find((c) => sha256Hex(commentTextKey(c.text)) === hash);
          if (existing !== undefined) commentId = existing.id;
        }
        if (commentId === null) {
          await markCommentPending(db, emailId, key, hash);
          const attachmentIds = await uploadAttachments(emailId);
          commentId = (await client.addComment(key, text, attachmentIds)).id;
        }
        const desired: Record<string, FieldValue> = {
          [fieldIds.emailIds]: withEmailIds(issue[fieldIds.emailIds], [emailId]),
        };
        if (email.classification === 'normal') desired[fieldIds.newMessage] = NEW_MESSAGE.yes;
        const patch = fieldsToWrite(issue, desired, fieldIds);
        if (Object.keys(patch).length > 0) await client.updateIssue(key, patch);
        await markCommentPosted(db, emailId, key, commentId, hash);
        log.info({ commentId }, 'e-mail posted as comment');
        return result('posted');
      });
    },

    /**
     * YT-12 / YT-14: writes the derived values the Tracker side owns (email datetime, contractor,
     * operators; pole and BS while both issue fields are empty, EXTR-6), only those that differ.
     * Returns the field ids written.
     */
    async syncIssueFields(incidentId: number): Promise<string[]> {
      return atBoundary(async () => {
        const incident = await requireIncident(incidentId);
        if (incident.code === null || incident.trackerExcluded) return [];
        const issue = await trackerClient().getIssue(incident.code);
        const fieldsEmpty =
          readFieldString(issue[fieldIds.poleNumber]) === null && readFieldString(issue[fieldIds.baseStation]) === null;
        const derived = derivedFieldsOf(
          incident,
          fieldsEmpty && incident.poleId !== null
            ? { poleCode: incident.poleCode, bsName: incident.baseStationName }
            : {},
        );
        // SLA deadline and status belong to the SLA rules (SLA-*), not to this step.
        delete derived[fieldIds.slaDeadline];
        delete derived[fieldIds.slaStatus];
        const patch = fieldsToWrite(issue, derived, fieldIds);
        if (Object.keys(patch).length === 0) return [];
        await trackerClient().updateIssue(incident.code, patch);
        return Object.keys(patch);
      });
    },

    /** ASSIGN-4: assigns the issue when it still has no assignee; true when this call assigned it. */
    async assignIssue(input: { incidentId: number; login: string }): Promise<boolean> {
      return atBoundary(async () => {
        const incident = await requireIncident(input.incidentId);
        if (incident.code === null) return false;
        const issue = await trackerClient().getIssue(incident.code);
        if ((await assigneeLogin(trackerClient(), issue)) !== null) return false;
        await trackerClient().updateIssue(incident.code, { assignee: input.login });
        return true;
      });
    },

    /** ASSIGN-5: the issue's assignee mirrored to the DB (responsible dispatcher = matching active one). */
    async syncAssigneeFromIssue(incidentId: number): Promise<string | null> {
      return atBoundary(async () => {
        const incident = await requireIncident(incidentId);
        if (incident.code === null) return incident.assigneeLogin;
        const login = await assigneeLogin(trackerClient(), await trackerClient().getIssue(incident.code));
        await syncAssigneeLogin(db, incidentId, login);
        return login;
      });
    },
  };
}

export type IncidentActivities = ReturnType<typeof createIncidentActivities>;
