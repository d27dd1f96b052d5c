// Shared set-up of the incident tests: the SPEC §24 directory and dispatchers, incidents and
// e-mails inserted as ingestion would store them (the schema in migrations/ is the contract), and
// a configuration pointing at the Tracker emulator.
import { Writable } from 'node:stream';
import { sql } from 'slonik';
import { z } from 'zod';
import type { DbPool } from '../../src/adapters/db/pool.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import type { Logger } from '../../src/logger.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { requiredEnv } from '../fixtures/config/env.js';

const id = z.object({ id: z.number() });

export function quietLogger(): Logger {
  return createLogger({ destination: new Writable({ write: (_chunk, _enc, done) => done() }) });
}

export function emulatorConfig(
  emulator: TrackerEmulator,
  databaseUrl: string,
  overrides: Record<string, string> = {},
): Config {
  return parseConfig({
    env: { ...requiredEnv(), ...emulator.env(), DATABASE_URL: databaseUrl, ...overrides },
    dotenvFile: null,
  });
}

/** SPEC §24: pole 12345-MSK-01 («Московская область», «ООО Ремонт») with BS MSK0123 (МТС, Билайн). */
export async function seedAcceptanceDirectory(db: DbPool): Promise<{ poleId: number; baseStationId: number }> {
  const contractorId = await db.oneFirst(sql.type(id)`
    INSERT INTO contractors (contractor_name) VALUES ('ООО Ремонт') RETURNING id`);
  await db.query(
    sql.unsafe`INSERT INTO contractor_emails (contractor_id, email) VALUES (${contractorId}, 'avr@remont.ru')`,
  );
  const poleId = await db.oneFirst(sql.type(id)`
    INSERT INTO poles (site_id, pole, bs_name, region, region_ru, avr_contractor_id)
    VALUES (1001, '12345-MSK-01', 'MSK0123', 'Moscow Region', 'Московская область', ${contractorId}) RETURNING id`);
  const baseStationId = await db.oneFirst(sql.type(id)`
    INSERT INTO base_stations (bs_name, pole_id) VALUES ('MSK0123', ${poleId}) RETURNING id`);
  for (const name of ['МТС', 'Билайн']) {
    const operatorId = await db.oneFirst(sql.type(id)`
      INSERT INTO operators (operator_name) VALUES (${name}) RETURNING id`);
    await db.query(sql.unsafe`
      INSERT INTO base_station_operators (base_station_id, operator_id) VALUES (${baseStationId}, ${operatorId})`);
  }
  return { poleId, baseStationId };
}

/** SPEC §24: active dispatchers `ivanov` (one open incident) and `petrov` (none). */
export async function seedAcceptanceDispatchers(db: DbPool): Promise<void> {
  await db.query(sql.unsafe`
    INSERT INTO dispatchers (login, email, display_name) VALUES
      ('ivanov', 'ivanov@example.ru', 'Иван Иванов'), ('petrov', 'petrov@example.ru', 'Пётр Петров')`);
  await db.query(sql.unsafe`
    INSERT INTO incidents (code, registration_time, is_auto, responsible_dispatcher_id, assignee_login)
    SELECT 'LEGACY-1', now() - interval '3 days', true, d.id, d.login FROM dispatchers d WHERE d.login = 'ivanov'`);
}

export interface TestEmail {
  messageId: string;
  subject: string;
  from: string;
  to?: string[];
  cc?: string[];
  date: Date;
  body: string | null;
  inReplyTo?: string;
  classification?: string;
  folderRole?: 'INBOX' | 'SENT';
}

export async function insertEmail(db: DbPool, incidentId: number | null, email: TestEmail): Promise<number> {
  const emailId = await db.oneFirst(sql.type(id)`
    INSERT INTO emails (message_id, in_reply_to, subject, from_address, date_header, internal_date, effective_date,
                        body, folder_role, folder_name, classification, incident_id)
    VALUES (${email.messageId}, ${email.inReplyTo ?? null}, ${email.subject}, ${email.from},
            ${sql.timestamp(email.date)}, ${sql.timestamp(email.date)}, ${sql.timestamp(email.date)}, ${email.body},
            ${email.folderRole ?? 'INBOX'}, ${email.folderRole ?? 'INBOX'}, ${email.classification ?? 'normal'}, ${incidentId})
    RETURNING id`);
  const recipients: Array<[string, string[]]> = [
    ['to', email.to ?? []],
    ['cc', email.cc ?? []],
  ];
  for (const [kind, addresses] of recipients) {
    for (const [position, address] of addresses.entries()) {
      await db.query(sql.unsafe`
        INSERT INTO email_recipients (email_id, kind, position, address) VALUES (${emailId}, ${kind}, ${position}, ${address})`);
    }
  }
  return emailId;
}

/** An e-mail incident as ingestion opens it (THREAD-8): the incident row and its primary e-mail. */
export async function insertIncident(
  db: DbPool,
  primary: TestEmail,
  options: { trackerExcluded?: boolean } = {},
): Promise<{ incidentId: number; emailId: number }> {
  const incidentId = await db.oneFirst(sql.type(id)`
    INSERT INTO incidents (registration_time, is_auto, tracker_excluded)
    VALUES (${sql.timestamp(primary.date)}, true, ${options.trackerExcluded ?? false}) RETURNING id`);
  const emailId = await insertEmail(db, incidentId, primary);
  await db.query(sql.unsafe`UPDATE incidents SET primary_email_id = ${emailId} WHERE id = ${incidentId}`);
  return { incidentId, emailId };
}

export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 150));
  }
}
