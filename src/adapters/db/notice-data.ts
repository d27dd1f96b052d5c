// What the automatic e-mails need from the DB (NOTIFY-6…NOTIFY-11): the primary e-mail with its
// threading ids and recipients, and the pole/BS/contractor/type facts of the hand-over body.
import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { NoticeHistoryEmail, NoticePole, PrimaryEmail } from '../../domain/notices.js';
import { primaryEmailOf } from '../../domain/primary-email.js';
import type { EmailRecord, IncidentRecord } from './incident-store.js';

const threadingRow = z.object({
  message_id: z.string(),
  is_synthetic_id: z.boolean(),
  references: z.array(z.string()),
});

/** INC-5: the incident's primary e-mail as NOTIFY-2/NOTIFY-6 need it; null when there is none. */
export async function noticePrimaryEmail(
  db: CommonQueryMethods,
  incident: IncidentRecord,
  emails: readonly EmailRecord[],
): Promise<PrimaryEmail | null> {
  const primary = emails.find((e) => e.id === incident.primaryEmailId) ?? primaryEmailOf(emails);
  if (primary === null) return null;
  const threading = await db.one(sql.type(threadingRow)`
    SELECT e.message_id, e.is_synthetic_id,
           coalesce((SELECT array_agg(r.ref_message_id ORDER BY r.position)
                     FROM email_references r WHERE r.email_id = e.id), '{}') AS "references"
    FROM emails e WHERE e.id = ${primary.id}`);
  return {
    messageId: threading.message_id,
    isSyntheticId: threading.is_synthetic_id,
    references: threading.references,
    fromAddress: primary.fromAddress,
    requesterAddress: primary.requesterAddress,
    to: primary.to,
    cc: primary.cc,
    observers: primary.observers,
  };
}

/** NOTIFY-11: the e-mails of the correspondence history (the domain selects and orders them). */
export function noticeHistoryEmails(emails: readonly EmailRecord[]): NoticeHistoryEmail[] {
  return emails.map((e) => ({
    id: e.id,
    effectiveDate: e.effectiveDate,
    body: e.body,
    classification: e.classification,
  }));
}

const poleRow = z.object({
  pole: z.string(),
  region: z.string().nullable(),
  region_ru: z.string().nullable(),
  address: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  contractor_name: z.string().nullable(),
  contractor_emails: z.array(z.string()),
});

export interface NoticePoleFacts {
  pole: NoticePole;
  /** The pole's contractor (`undefined` for the default one). */
  contractor: { name: string; emails: string[] } | null;
}

/** NOTIFY-10 / NOTIFY-11: the pole and its contractor's e-mails; null without a pole. */
export async function noticePoleFacts(db: CommonQueryMethods, poleId: number | null): Promise<NoticePoleFacts | null> {
  if (poleId === null) return null;
  const row = await db.maybeOne(sql.type(poleRow)`
    SELECT p.pole, p.region, p.region_ru, p.address, p.latitude, p.longitude, c.contractor_name,
           coalesce((SELECT array_agg(ce.email ORDER BY ce.id) FROM contractor_emails ce
                     WHERE ce.contractor_id = c.id), '{}') AS contractor_emails
    FROM poles p LEFT JOIN contractors c ON c.id = p.avr_contractor_id
    WHERE p.id = ${poleId}`);
  if (row === null) return null;
  return {
    pole: {
      code: row.pole,
      region: row.region,
      regionRu: row.region_ru,
      address: row.address,
      latitude: row.latitude,
      longitude: row.longitude,
    },
    contractor: row.contractor_name === null ? null : { name: row.contractor_name, emails: row.contractor_emails },
  };
}

const typeRow = z.object({ name: z.string(), description: z.string() });

/** NOTIFY-11: the incident type's name and description (`Описание типа`); null when unset. */
export async function noticeIncidentType(
  db: CommonQueryMethods,
  incidentId: number,
): Promise<{ name: string; description: string } | null> {
  return db.maybeOne(sql.type(typeRow)`
    SELECT t.name, t.description FROM incidents i JOIN incident_types t ON t.id = i.incident_type_id
    WHERE i.id = ${incidentId}`);
}
