// Shared set-up of the mail ingestion tests: sandbox Dovecot, a fresh database, a Config pointing at
// both, and helpers to run one folder sync and to read back what was stored.
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import type { Client } from '@temporalio/client';
import { ImapFlow } from 'imapflow';
import { sql } from 'slonik';
import { z } from 'zod';

import { MailboxSync, watchedFolders } from '../../src/activities/ingestion.js';
import type { IngestionOptions, MailboxFolderKey, SyncMailboxResult } from '../../src/activities/ingestion.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import type { Logger } from '../../src/logger.js';
import { appendMessages, folderName, startMailServers } from '../../src/sandbox/mail/index.js';
import type { MailServers } from '../../src/sandbox/mail/index.js';
import { createTestDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/db.js';
import { ENV_TEMPORAL_ADDRESS, requireEnv } from '../support/services.js';
import { completeEnv } from '../fixtures/config/env.js';
import { addDispatcher } from '../../src/adapters/db/dispatchers.js';
import { runTowerStoreSync } from '../../src/adapters/towerstore/sync.js';
import type { Fixtures } from '../../src/sandbox/fixtures/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';

export const COLLECTION_MAILBOX = 'disp@example.ru';

/** The environment of the fixture generator's expected outcome (expected.config) on sandbox peers. */
export function ingestionEnv(
  mail: MailServers,
  databaseUrl: string,
  taskQueue: string,
  attachmentsDir: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    ...completeEnv(),
    DEBUG: 'false',
    PARSING_EMAIL_LOGIN: COLLECTION_MAILBOX,
    PARSING_EMAIL_PSWD: mail.collectionMailbox.password,
    PARSING_EMAIL_SERVER: mail.imap.host,
    PARSING_EMAIL_PORT: String(mail.imap.port),
    PARSING_EMAIL_SECURE: 'false',
    PARSING_EMAIL_STARTTLS: 'false',
    PARSING_EMAIL_INBOX_FOLDER_NAME: 'INBOX',
    PARSING_EMAIL_SENT_FOLDER_NAME: 'Sent',
    MAIL_IDLE_ENABLED: 'true',
    MAIL_POLL_INTERVAL_SECONDS: '1',
    MAIL_INITIAL_BACKFILL_DAYS: '0',
    MAIL_UIDVALIDITY_RESCAN_DAYS: '3',
    MAIL_DATE_MAX_SKEW_HOURS: '24',
    MAIL_SENDER_ALLOW: '',
    MAIL_SENDER_DENY: '@promo.example.com,robot@monitoring.example.ru',
    MAIL_MESSAGE_ID_DOMAIN: 'dispatch.example.ru',
    YT_QUEUE: 'AVRSERVICE',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: requireEnv(ENV_TEMPORAL_ADDRESS),
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    ATTACHMENTS_DIR: attachmentsDir,
    // Alerts are asserted on the log here; tests of the Telegram side pass the fake's TG_* variables.
    TG_TOKEN: '',
    TG_DEFAULT_USER_ID: '',
    ...overrides,
  };
}

/** Log lines kept in memory (alerts are asserted on), nothing printed. */
export class CapturedLog {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly logger: Logger;

  constructor() {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line.trim() !== '') this.lines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    });
    this.logger = createLogger({ destination: sink, name: 'ingestion-test' });
  }

  /** The areas' own alert log lines (not the Alerts service's delivery lines). */
  alerts(kind: string): Array<Record<string, unknown>> {
    return this.lines.filter((line) => line['alert'] === kind && line['component'] !== 'alerts');
  }
}

export interface IngestionHarness {
  mail: MailServers;
  db: TestDatabase;
  config: Config;
  attachmentsDir: string;
  log: CapturedLog;
  /** One syncMailbox run outside Temporal (no heartbeats). */
  sync(folderKey: MailboxFolderKey, options?: IngestionOptions): Promise<SyncMailboxResult>;
  close(): Promise<void>;
}

export async function startIngestionHarness(
  temporal: Client,
  taskQueue: string,
  overrides: Record<string, string> = {},
): Promise<IngestionHarness> {
  const mail = await startMailServers();
  const db = await createTestDatabase('ingestion');
  const attachmentsDir = await mkdtemp(join(tmpdir(), 'dispatch-att-'));
  const config = loadConfig(ingestionEnv(mail, db.url, taskQueue, attachmentsDir, overrides), { dotenvPath: null });
  const log = new CapturedLog();
  return {
    mail,
    db,
    config,
    attachmentsDir,
    log,
    async sync(folderKey, options = {}) {
      const folder = watchedFolders(config).find((f) => f.key === folderKey);
      if (folder === undefined) throw new Error(`no folder ${folderKey}`);
      const runtime = { heartbeat: () => undefined, progress: undefined };
      return new MailboxSync({ config, db: db.pool, log: log.logger, temporal }, folder, runtime, options).run();
    },
    async close() {
      await Promise.allSettled([mail.stop(), db.drop(), rm(attachmentsDir, { recursive: true, force: true })]);
    },
  };
}

export const storedEmail = z.object({
  id: z.number(),
  message_id: z.string(),
  is_synthetic_id: z.boolean(),
  folder_name: z.string().nullable(),
  folder_role: z.string(),
  uid: z.number().nullable(),
  classification: z.string(),
  incident_id: z.number().nullable(),
  effective_date: z.date(),
  subject: z.string(),
});
export type StoredEmail = z.infer<typeof storedEmail>;

export async function storedEmails(harness: IngestionHarness): Promise<StoredEmail[]> {
  return [
    ...(await harness.db.pool.any(sql.type(storedEmail)`
      SELECT id, message_id, is_synthetic_id, folder_name, folder_role, uid, classification, incident_id,
             effective_date, subject
      FROM emails ORDER BY id`)),
  ];
}

export const incidentRow = z.object({
  id: z.number(),
  code: z.string().nullable(),
  is_auto: z.boolean(),
  primary_email_id: z.number().nullable(),
  registration_time: z.date(),
  new_rows: z.number(),
});
export type IncidentRow = z.infer<typeof incidentRow>;

export async function storedIncidents(harness: IngestionHarness): Promise<IncidentRow[]> {
  return [
    ...(await harness.db.pool.any(sql.type(incidentRow)`
      SELECT i.id, i.code, i.is_auto, i.primary_email_id, i.registration_time,
             (SELECT count(*) FROM incident_status_history h JOIN incident_statuses s ON s.id = h.status_id
              WHERE h.incident_id = i.id AND s.name = 'Новый') AS new_rows
      FROM incidents i ORDER BY i.id`)),
  ];
}

/** Counts of every table ingestion writes (AC-7: re-processing changes none of them). */
export async function tableCounts(harness: IngestionHarness): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [
    'emails',
    'email_recipients',
    'email_references',
    'email_observers',
    'attachments',
    'incidents',
    'incident_status_history',
    'thread_conflicts',
    'mail_failures',
  ]) {
    counts[table] = await harness.db.pool.oneFirst(
      sql.type(z.object({ count: z.number() }))`SELECT count(*) FROM ${sql.identifier([table])}`,
    );
  }
  return counts;
}

/** E-mail ids signalled to `incident-<id>` (MAIL-14), read from the workflow history. */
export async function signalledEmailIds(temporal: Client, incidentId: number): Promise<number[]> {
  const history = await temporal.workflow.getHandle(`incident-${incidentId}`).fetchHistory();
  const ids: number[] = [];
  for (const event of history.events ?? []) {
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName !== 'mail') continue;
    const data = signal.input?.payloads?.[0]?.data;
    if (data) ids.push((JSON.parse(Buffer.from(data).toString('utf8')) as { emailId: number }).emailId);
  }
  return ids;
}

export interface MailToAppend {
  raw: Buffer;
  internalDate: Date;
}

/**
 * Puts messages into a folder in order and returns their UIDs. Dovecot refuses to APPEND a 0-byte
 * message, so an empty one is dropped into the Maildir as a file and the folder is selected once,
 * which makes Dovecot give it the next UID.
 */
export async function appendInOrder(
  mail: MailServers,
  folder: 'INBOX' | 'Sent',
  messages: readonly MailToAppend[],
): Promise<number[]> {
  const account = mail.account(COLLECTION_MAILBOX);
  const maildir = join(
    mail.root,
    'dovecot',
    'mail',
    COLLECTION_MAILBOX,
    'Maildir',
    folder === 'INBOX' ? '' : `.${folder}`,
  );
  const uids: number[] = [];
  let batch: MailToAppend[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    uids.push(...(await appendMessages(account, folder, batch)).map((a) => a.uid));
    batch = [];
  };
  let dropped = 0;
  for (const message of messages) {
    if (message.raw.length > 0) {
      batch.push(message);
      continue;
    }
    await flush();
    const file = join(
      maildir,
      'new',
      `${Math.floor(Date.now() / 1000)}.M${++dropped}P${process.pid}.dispatch-test,S=0`,
    );
    await writeFile(file, message.raw);
    await chown(file, 8, 8); // Debian's `mail` user owns the sandbox maildirs
    uids.push((await selectAndReadUidNext(mail, folder)) - 1);
  }
  await flush();
  return uids;
}

/** A plain IMAP client on the sandbox collection mailbox (tests and benches read or append with it). */
export function collectionMailboxClient(mail: MailServers): ImapFlow {
  const account = mail.account(COLLECTION_MAILBOX);
  return new ImapFlow({
    host: account.host,
    port: account.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: account.user, pass: account.password },
    logger: false,
  });
}

async function selectAndReadUidNext(mail: MailServers, folder: string): Promise<number> {
  const client = collectionMailboxClient(mail);
  await client.connect();
  try {
    const box = await client.mailboxOpen(folderName(folder), { readOnly: true });
    return box.uidNext;
  } finally {
    await client.logout();
  }
}

/** The dispatchers of the emulator's seed that corpus runs assign issues to (ASSIGN). */
export const CORPUS_DISPATCHERS = ['ivanov', 'petrov', 'sidorov'] as const;

/**
 * What a generated corpus expects before its mail arrives: the directory the extraction reads
 * (EXTR-6), the dispatchers (ASSIGN), and the generator's seed issues in Tracker (created first, so
 * their keys match) with their incident rows.
 */
export async function prepareCorpusStage(
  harness: IngestionHarness,
  emulator: TrackerEmulator,
  fixtures: Fixtures,
): Promise<void> {
  const { config, db, log } = harness;
  await runTowerStoreSync({ config, db: db.pool, log: log.logger });
  for (const login of CORPUS_DISPATCHERS)
    await addDispatcher(db.pool, { login, email: `${login}@example.ru`, displayName: login, isActive: true });
  for (const seed of fixtures.expected.seedIssues) {
    const issue = emulator.dispatcher.createIssue({
      login: 'ivanov',
      summary: seed.summary,
      fields: { [emulator.seed.fields.poleNumber]: seed.pole },
    });
    if (issue['key'] !== seed.key) throw new Error(`seed issue ${seed.key} became ${String(issue['key'])}`);
    await db.pool.query(sql.unsafe`
      INSERT INTO incidents (code, registration_time, is_auto)
      VALUES (${seed.key}, ${sql.timestamp(new Date(seed.createdAt))}, false)`);
  }
}
