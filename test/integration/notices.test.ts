// Automatic e-mails exactly once (SPEC §16, NOTIFY-1…NOTIFY-11; AC-14, AC-15, AC-16, AC-20): the
// `sendNotice` activity called directly against real PostgreSQL, real Dovecot + Postfix (the
// sandbox mailboxes disp@example.ru, noc@operator.ru, avr@remont.ru), the Tracker emulator, and the
// in-process SMTP capture for the failure modes (NOTIFY-5).
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { simpleParser } from 'mailparser';
import { sql } from 'slonik';
import { z } from 'zod';
import { createNoticeActivities, NOTICE_FAILURE_TYPES } from '../../src/activities/notices.js';
import type { NoticeOptions } from '../../src/activities/notices.js';
import type { Alerts, AlertInput } from '../../src/adapters/telegram/alerts.js';
import { storeAndRouteEmail } from '../../src/adapters/db/emails-routing.js';
import { mailboxHasMessageId } from '../../src/adapters/mail/message-search.js';
import { parseRawMessage } from '../../src/adapters/mail/parse-message.js';
import type { Config } from '../../src/config/load.js';
import { noticeMessageId } from '../../src/domain/notices.js';
import {
  ensureSandboxCertificate,
  listMessages,
  startMailServers,
  startSmtpCapture,
  waitForMessage,
} from '../../src/sandbox/mail/index.js';
import type { MailServers, SmtpCapture, StoredMessage } from '../../src/sandbox/mail/index.js';
import { startTrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { sandboxMailboxEnv } from '../support/mail-env.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { emulatorConfig, insertIncident, quietLogger, seedAcceptanceDirectory } from '../workflow/incident-fixtures.js';

const COLLECTION = 'disp@example.ru';
const CONTRACTOR = 'avr@remont.ru';
const OPERATOR = 'noc@operator.ru';
const DOMAIN = 'dispatch.example.ru';
const FROM_NAME = 'Диспетчерская служба';
// 06:00 UTC = 11:00 in Asia/Yekaterinburg (DISPATCH_TIME_ZONE of the test env).
const REGISTRATION = new Date('2026-11-30T06:00:00Z');

let mail: MailServers;
let emulator: TrackerEmulator;
let database: TestDatabase;
let config: Config;
let site: { poleId: number; baseStationId: number };
let typeId: number;
let capture: SmtpCapture;
let captureConfig: Config;
const alerts: AlertInput[] = [];
const recordingAlerts: Alerts = {
  alert: (input) => {
    alerts.push(input);
    return Promise.resolve('sent');
  },
  recovered: () => Promise.resolve('nothing-to-recover'),
};

const idRow = z.object({ id: z.number() });
const historyRow = z.object({ name: z.string(), comment: z.string().nullable() });
const outboxRow = z.object({
  message_id: z.string(),
  trigger_key: z.string(),
  state: z.string(),
  attempts: z.number(),
  email_id: z.number().nullable(),
  last_error: z.string().nullable(),
});

function activities(cfg: Config = config, options: NoticeOptions = {}) {
  const notices = createNoticeActivities(
    // The notices never start or signal workflows: no Temporal client is needed here.
    { config: cfg, db: database.pool, log: quietLogger(), alerts: recordingAlerts, temporal: {} as Client },
    { smtp: { ca: mail.tls.ca, timeoutMs: 10_000 }, searchIntervalMs: 300, searchWindowMs: 15_000, ...options },
  );
  if (cfg !== config) return notices;
  // Against the real Postfix a transient refusal (e.g. SASL slow on a loaded CI box) is retried, as
  // the incident workflow's retry policy does (NOTIFY-5); the capture-server tests see every failure.
  return {
    async sendNotice(input: Parameters<typeof notices.sendNotice>[0]) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await notices.sendNotice(input);
        } catch (error) {
          const type = (error as { type?: unknown }).type;
          const transient =
            type === NOTICE_FAILURE_TYPES.smtpTransient || type === NOTICE_FAILURE_TYPES.mailboxUnavailable;
          if (!transient || attempt >= 3) throw error;
          process.stdout.write(`sendNotice attempt ${attempt} failed transiently, retrying: ${String(error)}\n`);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    },
  };
}

function mailEnv(): Record<string, string> {
  return {
    ...sandboxMailboxEnv(mail),
    PARSING_EMAIL_LOGIN: COLLECTION,
    MAIL_FROM_NAME: FROM_NAME,
    MAIL_MESSAGE_ID_DOMAIN: DOMAIN,
    DEFAULT_CONTRACTOR_EMAILS: '',
    DISPATCH_TIME_ZONE: 'Asia/Yekaterinburg',
  };
}

beforeAll(async () => {
  [mail, emulator, database] = await Promise.all([
    startMailServers(),
    startTrackerEmulator(),
    createTestDatabase('notices'),
  ]);
  config = emulatorConfig(emulator, database.url, mailEnv());
  site = await seedAcceptanceDirectory(database.pool);
  await database.pool.query(sql.unsafe`
    UPDATE poles SET address = 'г. Москва, ул. Тверская, 1', latitude = 55.7558, longitude = 37.6173
    WHERE id = ${site.poleId}`);
  typeId = await database.pool.oneFirst(sql.type(idRow)`
    INSERT INTO incident_types (name, description, sla_minutes)
    VALUES ('Тестовая авария', 'Нет питания на опоре.', 240) RETURNING id`);
  const certificate = await ensureSandboxCertificate(dirname(mail.tls.certFile));
  capture = await startSmtpCapture({ tls: { key: certificate.key, cert: certificate.cert, implicit: true } });
  captureConfig = emulatorConfig(emulator, database.url, {
    ...mailEnv(),
    PARSING_EMAIL_SMTP_SERVER: capture.host,
    PARSING_EMAIL_SMTP_PORT: String(capture.port),
  });
}, 120_000);

afterAll(async () => {
  await capture?.close();
  await database?.drop();
  await emulator?.close();
  await mail?.stop();
}, 60_000);

// ---------------------------------------------------------------------------------------------
// Fixtures

/** Moves the issue along `path` as dispatcher ivanov and returns the id of the last changelog entry. */
function moveIssue(issueKey: string, path: readonly string[]): string {
  for (const status of path) emulator.dispatcher.executeTransition({ login: 'ivanov', issue: issueKey, status });
  const changelog = emulator.issueHistory(issueKey)?.changelog ?? [];
  return String(changelog[changelog.length - 1]?.['id']);
}

const keys = () => config.tracker.statusKeys;
const toNotifyContractor = () => [
  'inProgress',
  keys().notifyOperatorInWork,
  keys().notifiedOperatorInWork,
  keys().notifyAvr,
];
const toNotifyOperator = () => ['inProgress', keys().notifyOperatorInWork];

interface Incident {
  incidentId: number;
  issueKey: string;
  summary: string;
  primaryMessageId: string | null;
}

/** An e-mail incident (AC-1: from noc@operator.ru) or a manual one, with its issue in the emulator. */
async function createIncident(options: { manual?: boolean; pole?: boolean; summary: string }): Promise<Incident> {
  const db = database.pool;
  let incidentId: number;
  let primaryMessageId: string | null = null;
  if (options.manual === true) {
    incidentId = await db.oneFirst(sql.type(idRow)`
      INSERT INTO incidents (registration_time, is_auto) VALUES (${sql.timestamp(REGISTRATION)}, false) RETURNING id`);
  } else {
    primaryMessageId = `<orig-${Math.random().toString(36).slice(2)}@operator.ru>`;
    const created = await insertIncident(db, {
      messageId: primaryMessageId,
      subject: options.summary,
      from: OPERATOR,
      to: [COLLECTION],
      cc: ['duty@operator.ru'],
      date: REGISTRATION,
      body: 'Нет связи на опоре 12345-MSK-01, БС MSK0123.',
    });
    incidentId = created.incidentId;
    await db.query(sql.unsafe`
      INSERT INTO email_references (email_id, position, ref_message_id)
      VALUES (${created.emailId}, 0, '<thread-start@operator.ru>')`);
  }
  if (options.pole !== false) await setPole(incidentId);
  const issue = emulator.dispatcher.createIssue({ login: 'ivanov', summary: options.summary });
  const issueKey = String(issue['key']);
  await db.query(sql.unsafe`UPDATE incidents SET code = ${issueKey} WHERE id = ${incidentId}`);
  return { incidentId, issueKey, summary: options.summary, primaryMessageId };
}

async function setPole(
  incidentId: number,
  where: { poleId: number; baseStationId: number | null } = site,
): Promise<void> {
  await database.pool.query(sql.unsafe`
    UPDATE incidents SET pole_id = ${where.poleId}, base_station_id = ${where.baseStationId}, incident_type_id = ${typeId}
    WHERE id = ${incidentId}`);
}

/** A pole of the default contractor `undefined` (TS-7: it has no e-mails of its own). */
async function defaultContractorPole(): Promise<number> {
  return database.pool.oneFirst(sql.type(idRow)`
    INSERT INTO poles (site_id, pole, bs_name, region, region_ru)
    VALUES (1002, '67890-MSK-02', 'MSK0456', 'Moscow Region', 'Московская область')
    ON CONFLICT (site_id) DO UPDATE SET pole = EXCLUDED.pole RETURNING id`);
}

async function history(incidentId: number) {
  return database.pool.any(sql.type(historyRow)`
    SELECT s.name, h.comment FROM incident_status_history h JOIN incident_statuses s ON s.id = h.status_id
    WHERE h.incident_id = ${incidentId} ORDER BY h.inserted_at, h.id`);
}

async function outbox(incidentId: number) {
  return database.pool.any(sql.type(outboxRow)`
    SELECT message_id, trigger_key, state, attempts, email_id, last_error FROM outbox
    WHERE incident_id = ${incidentId} ORDER BY id`);
}

const statusOf = (issueKey: string) => (emulator.getIssue(issueKey)?.['status'] as { key?: string } | undefined)?.key;
const commentsOf = (issueKey: string) =>
  (emulator.issueHistory(issueKey)?.comments ?? []).map((c) => String(c['text']));
// A long Message-ID header may be folded onto the next line (RFC 5322): unfold before matching.
// Postfix → LMTP takes ~0.6 s; a shared CI box may be much slower.
const DELIVERY = { timeoutMs: 30_000 };
const withMessageId = (id: string) => (m: StoredMessage) =>
  m.raw
    .toString('latin1')
    .replace(/\r?\n[ \t]+/g, ' ')
    .includes(`Message-ID: ${id}`);
const countWithMessageId = async (mailbox: string, id: string) =>
  (await listMessages(mail.account(mailbox), 'INBOX')).filter(withMessageId(id)).length;

const HAND_OVER_BODY = [
  'На вас назначен новый инцидент.',
  '',
  'ИНФОРМАЦИЯ ОБ ОПОРЕ:',
  '   • Шифр опоры: 12345-MSK-01',
  '   • Регион: Московская область',
  '   • Адрес: г. Москва, ул. Тверская, 1',
  '   • Координаты: 55.7558, 37.6173',
  '',
  'ИНФОРМАЦИЯ О БАЗОВОЙ СТАНЦИИ:',
  '   • Номер БС: MSK0123',
  '   • Операторы: Билайн, МТС',
  '',
  'ДЕТАЛИ ИНЦИДЕНТА:',
  '   • Дата регистрации: 30.11.2026 11:00',
  '   • SLA дедлайн: 30.11.2026 15:00',
  '   • Тип инцидента: Тестовая авария',
  '   • Описание типа: Нет питания на опоре.',
  '',
  'ИСТОРИЯ ПЕРЕПИСКИ:',
  '------------------------------',
  '',
  '*Сообщение №1* (30.11.2026 11:00):',
  'Нет связи на опоре 12345-MSK-01, БС MSK0123.',
  '',
  '',
  'ВАЖНО: НЕ МЕНЯЙТЕ ТЕМУ ПИСЬМА ПРИ ОТВЕТЕ',
].join('\n');

// ---------------------------------------------------------------------------------------------

describe('AC-14 / AC-15: contractor hand-over, exactly once per status entry', () => {
  let incident: Incident;
  let firstMessageId: string;

  test('AC-14 / NOTIFY-10 / NOTIFY-11: one e-mail to the contractor, Cc the collection mailbox, comment copy, notified status and history', async () => {
    incident = await createIncident({ summary: 'Авария на 12345-MSK-01' });
    const trigger = moveIssue(incident.issueKey, toNotifyContractor());
    const started = Date.now();
    const result = await activities().sendNotice({ incidentId: incident.incidentId, kind: 'avr', triggerKey: trigger });
    const elapsed = Date.now() - started;
    firstMessageId = noticeMessageId('avr', incident.incidentId, trigger, DOMAIN);
    expect(result).toEqual({ outcome: 'sent', messageId: firstMessageId, errorText: null });
    process.stdout.write(`sendNotice (avr, Postfix) returned after ${elapsed} ms\n`);

    const delivered = await waitForMessage(mail.account(CONTRACTOR), 'INBOX', withMessageId(firstMessageId), DELIVERY);
    const parsed = await simpleParser(delivered.raw);
    expect(parsed.subject).toBe(`Re: ${incident.issueKey}: Авария на 12345-MSK-01`);
    expect(parsed.from?.value).toEqual([{ address: COLLECTION, name: FROM_NAME }]);
    expect(parsed.to).toMatchObject({ value: [{ address: CONTRACTOR, name: '' }] });
    expect(parsed.cc).toMatchObject({ value: [{ address: COLLECTION, name: '' }] });
    expect(parsed.text).toBe(HAND_OVER_BODY);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.inReplyTo).toBe(incident.primaryMessageId);
    // The Cc copy reaches the collection mailbox (NOTIFY-2).
    await waitForMessage(mail.account(COLLECTION), 'INBOX', withMessageId(firstMessageId), DELIVERY);
    expect(await countWithMessageId(CONTRACTOR, firstMessageId)).toBe(1);

    // NOTIFY-4: the sent e-mail is stored (OUTBOX, own, linked) and the outbox row is `sent`.
    const [row] = await outbox(incident.incidentId);
    expect(row).toMatchObject({ message_id: firstMessageId, trigger_key: trigger, state: 'sent', attempts: 1 });
    const email = await database.pool.one(
      sql.type(
        z.object({
          folder_role: z.string(),
          classification: z.string(),
          incident_id: z.number(),
          message_id: z.string(),
        }),
      )`SELECT folder_role, classification, incident_id, message_id FROM emails WHERE id = ${row?.email_id ?? 0}`,
    );
    expect(email).toEqual({
      folder_role: 'OUTBOX',
      classification: 'own',
      incident_id: incident.incidentId,
      message_id: firstMessageId,
    });

    // YT-11 comment copy (From = collection mailbox) recorded like YT-10, without the new-message flag.
    const comments = commentsOf(incident.issueKey);
    const copy = comments.find((c) => c.startsWith(`### 📧 "**Re: ${incident.issueKey}: Авария на 12345-MSK-01**"`));
    expect(copy).toContain(`| **От:** | \`${COLLECTION}\` |`);
    expect(copy).toContain(`| **Кому:** | \`${CONTRACTOR}\` |`);
    expect(copy).toContain(`| **Копия:** | \`${COLLECTION}\` |`);
    expect(copy).toContain('| **Дата:** |');
    expect(copy).toContain('*Сообщение №1* (30.11.2026 11:00):');
    const issue = emulator.getIssue(incident.issueKey) ?? {};
    expect(String(issue[config.tracker.fieldIds.localEmailsIds])).toBe(String(row?.email_id));
    expect(issue[config.tracker.fieldIds.newMessage] ?? null).toBeNull();
    const record = await database.pool.one(sql.type(z.object({ state: z.string(), issue_key: z.string() }))`
      SELECT state, issue_key FROM tracker_comments WHERE email_id = ${row?.email_id ?? 0}`);
    expect(record).toEqual({ state: 'posted', issue_key: incident.issueKey });

    // The issue moved to «Передано подрядчику» with the success comment; history in order.
    expect(statusOf(incident.issueKey)).toBe(keys().notifiedAvr);
    expect(comments).toContain('Уведомили подрядчика о заявке.');
    expect(await history(incident.incidentId)).toEqual([
      { name: 'Передать подрядчику', comment: 'Диспетчер отправил подрядчику автоответ с информацией по заявке.' },
      { name: 'Передано подрядчику', comment: 'Уведомили подрядчика о заявке.' },
    ]);
  }, 60_000);

  test('AC-15 / NOTIFY-3: the same trigger again sends nothing; re-entering the notify status sends a second e-mail with another Message-ID', async () => {
    const firstTrigger = (await outbox(incident.incidentId))[0]?.trigger_key ?? '';
    const again = await activities().sendNotice({
      incidentId: incident.incidentId,
      kind: 'avr',
      triggerKey: firstTrigger,
    });
    expect(again).toEqual({ outcome: 'already_sent', messageId: firstMessageId, errorText: null });
    expect((await outbox(incident.incidentId)).map((r) => [r.state, r.attempts])).toEqual([['sent', 1]]);

    const secondTrigger = moveIssue(incident.issueKey, ['error', ...toNotifyContractor()]);
    const second = await activities().sendNotice({
      incidentId: incident.incidentId,
      kind: 'avr',
      triggerKey: secondTrigger,
    });
    const secondMessageId = noticeMessageId('avr', incident.incidentId, secondTrigger, DOMAIN);
    expect(secondMessageId).not.toBe(firstMessageId);
    expect(second).toEqual({ outcome: 'sent', messageId: secondMessageId, errorText: null });
    await waitForMessage(mail.account(CONTRACTOR), 'INBOX', withMessageId(secondMessageId), DELIVERY);
    const ours = (await listMessages(mail.account(CONTRACTOR), 'INBOX')).filter((m) =>
      m.raw
        .toString('latin1')
        .replace(/\r?\n[ \t]+/g, ' ')
        .includes(`Message-ID: <dispatch.avr.${incident.incidentId}.`),
    );
    expect(ours).toHaveLength(2);
    expect((await outbox(incident.incidentId)).map((r) => [r.message_id, r.state, r.attempts])).toEqual([
      [firstMessageId, 'sent', 1],
      [secondMessageId, 'sent', 1],
    ]);
    expect(statusOf(incident.issueKey)).toBe(keys().notifiedAvr);
    const names = (await history(incident.incidentId)).map((h) => h.name);
    expect(names.filter((n) => n === 'Передать подрядчику')).toHaveLength(2);
    expect(names.filter((n) => n === 'Передано подрядчику')).toHaveLength(2);
  }, 60_000);
});

describe('AC-14 crash case: killed after the SMTP server accepted, before the outbox row was marked sent', () => {
  test('NOTIFY-3: the `sending` row is found by Message-ID in the Cc copy and marked sent; the recipient has exactly one e-mail', async () => {
    const incident = await createIncident({ summary: 'Авария (перезапуск воркера)' });
    const trigger = moveIssue(incident.issueKey, toNotifyContractor());
    const messageId = noticeMessageId('avr', incident.incidentId, trigger, DOMAIN);
    const crashing = activities(config, {
      afterSmtpAccepted: () => Promise.reject(new Error('worker killed')),
    });
    await expect(
      crashing.sendNotice({ incidentId: incident.incidentId, kind: 'avr', triggerKey: trigger }),
    ).rejects.toThrow('worker killed');
    expect((await outbox(incident.incidentId)).map((r) => [r.state, r.attempts])).toEqual([['sending', 1]]);

    const restarted = await activities().sendNotice({
      incidentId: incident.incidentId,
      kind: 'avr',
      triggerKey: trigger,
    });
    expect(restarted).toEqual({ outcome: 'sent', messageId, errorText: null });
    await waitForMessage(mail.account(CONTRACTOR), 'INBOX', withMessageId(messageId), DELIVERY);
    expect(await countWithMessageId(CONTRACTOR, messageId)).toBe(1);
    // Not sent again: one SMTP attempt, and the steps after sending ran once.
    expect((await outbox(incident.incidentId)).map((r) => [r.state, r.attempts])).toEqual([['sent', 1]]);
    expect(statusOf(incident.issueKey)).toBe(keys().notifiedAvr);
    expect((await history(incident.incidentId)).map((h) => h.name)).toEqual([
      'Передать подрядчику',
      'Передано подрядчику',
    ]);
  }, 60_000);
});

describe('AC-16: acceptance notice to the requester, threaded', () => {
  test('NOTIFY-2 / NOTIFY-6 / NOTIFY-8: `Заявка "<KEY>" принята в работу.` to the requester, In-Reply-To and References from the primary e-mail', async () => {
    const incident = await createIncident({ summary: 'Нет связи на БС MSK0123' });
    const trigger = moveIssue(incident.issueKey, toNotifyOperator());
    const messageId = noticeMessageId('ack', incident.incidentId, trigger, DOMAIN);
    const result = await activities().sendNotice({ incidentId: incident.incidentId, kind: 'ack', triggerKey: trigger });
    expect(result).toEqual({ outcome: 'sent', messageId, errorText: null });

    const parsed = await simpleParser(
      (await waitForMessage(mail.account(OPERATOR), 'INBOX', withMessageId(messageId), DELIVERY)).raw,
    );
    expect(parsed.text).toBe(`Заявка "${incident.issueKey}" принята в работу.`);
    expect(parsed.subject).toBe(`Re: ${incident.issueKey}: Нет связи на БС MSK0123`);
    expect(parsed.to).toMatchObject({ value: [{ address: OPERATOR }] });
    // NOTIFY-6: the primary e-mail's To (the collection mailbox) and Cc, minus the requester.
    expect(parsed.cc).toMatchObject({ value: [{ address: COLLECTION }, { address: 'duty@operator.ru' }] });
    expect(parsed.inReplyTo).toBe(incident.primaryMessageId);
    expect(parsed.references).toEqual(['<thread-start@operator.ru>', incident.primaryMessageId]);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');

    // MAIL-8 / NOISE-1: the Cc copy arriving in INBOX is the stored OUTBOX row, `own`, linked, opening nothing.
    const copy = await waitForMessage(mail.account(COLLECTION), 'INBOX', withMessageId(messageId), DELIVERY);
    const parsedCopy = parseRawMessage(copy.raw, {
      folderRole: 'INBOX',
      folderName: 'INBOX',
      uid: copy.uid,
      uidValidity: 1,
      internalDate: copy.internalDate,
      ownAddress: COLLECTION,
      queueKey: config.tracker.queue,
      maxDateSkewHours: 24,
      messageIdDomain: DOMAIN,
    });
    if (!parsedCopy.ok) throw new Error(parsedCopy.reason);
    const routed = await storeAndRouteEmail(database.pool, parsedCopy, {
      queue: config.tracker.queue,
      senderAllowList: [],
    });
    const [row] = await outbox(incident.incidentId);
    expect(routed).toMatchObject({
      emailId: row?.email_id,
      inserted: false,
      classification: 'own',
      incidentId: incident.incidentId,
      createdIncidentId: null,
    });

    expect(statusOf(incident.issueKey)).toBe(keys().notifiedOperatorInWork);
    expect(commentsOf(incident.issueKey)).toContain('Уведомили оператора о принятии заявки в работу.');
    expect(await history(incident.incidentId)).toEqual([
      { name: 'Уведомляем оператора', comment: 'Диспетчер отправил заявителю автоответ о принятии заявки в работу.' },
      { name: 'Уведомили оператора', comment: 'Уведомили оператора о принятии заявки в работу.' },
    ]);
  }, 60_000);
});

describe('AC-20 / NOTIFY-7 / NOTIFY-10: refusals go to YT-18 and send nothing', () => {
  test('AC-20: a manual incident refuses the acceptance notice (issue → error, one `Ошибка` row); the hand-over with a pole works', async () => {
    const incident = await createIncident({ manual: true, pole: false, summary: 'Ручная заявка' });
    const trigger = moveIssue(incident.issueKey, toNotifyOperator());
    const text = 'Нельзя отправить автоматическое уведомление заявителю для заявки, созданной вручную.';
    const result = await activities().sendNotice({ incidentId: incident.incidentId, kind: 'ack', triggerKey: trigger });
    expect(result).toEqual({ outcome: 'refused', messageId: null, errorText: text });
    expect(statusOf(incident.issueKey)).toBe('error');
    expect(commentsOf(incident.issueKey)).toContain(text);
    expect(await history(incident.incidentId)).toEqual([{ name: 'Ошибка', comment: text }]);
    expect(await outbox(incident.incidentId)).toEqual([]);

    await setPole(incident.incidentId);
    const handOver = moveIssue(incident.issueKey, toNotifyContractor());
    const sent = await activities().sendNotice({ incidentId: incident.incidentId, kind: 'avr', triggerKey: handOver });
    const messageId = noticeMessageId('avr', incident.incidentId, handOver, DOMAIN);
    expect(sent).toEqual({ outcome: 'sent', messageId, errorText: null });
    const parsed = await simpleParser(
      (await waitForMessage(mail.account(CONTRACTOR), 'INBOX', withMessageId(messageId), DELIVERY)).raw,
    );
    // A manual incident has no primary e-mail: no threading headers (NOTIFY-2), no history section.
    expect(parsed.inReplyTo).toBeUndefined();
    expect(parsed.text).not.toContain('ИСТОРИЯ ПЕРЕПИСКИ:');
    expect(statusOf(incident.issueKey)).toBe(keys().notifiedAvr);
  }, 60_000);

  test('NOTIFY-10: no pole → YT-18 with the pole/BS text, nothing sent', async () => {
    const incident = await createIncident({ pole: false, summary: 'Заявка без опоры' });
    const trigger = moveIssue(incident.issueKey, toNotifyContractor());
    const text = 'Чтобы передать заявку подрядчику, необходимо указать шифр опоры и/или номер базовой станции.';
    const result = await activities().sendNotice({ incidentId: incident.incidentId, kind: 'avr', triggerKey: trigger });
    expect(result).toEqual({ outcome: 'refused', messageId: null, errorText: text });
    expect(statusOf(incident.issueKey)).toBe('error');
    expect(await history(incident.incidentId)).toEqual([{ name: 'Ошибка', comment: text }]);
    expect(await outbox(incident.incidentId)).toEqual([]);
  }, 60_000);
});

describe('NOTIFY-9 / NOTIFY-10: closure notice and the default contractor', () => {
  test('NOTIFY-9: closure notice `Заявка "<KEY>" закрыта.`; the issue moves to the notified status, not to closed', async () => {
    const incident = await createIncident({ summary: 'Работы завершены' });
    const trigger = moveIssue(incident.issueKey, [
      ...toNotifyOperator(),
      keys().notifiedOperatorInWork,
      keys().notifyOperatorClosed,
    ]);
    const messageId = noticeMessageId('close', incident.incidentId, trigger, DOMAIN);
    const result = await activities().sendNotice({
      incidentId: incident.incidentId,
      kind: 'close',
      triggerKey: trigger,
    });
    expect(result).toEqual({ outcome: 'sent', messageId, errorText: null });
    const parsed = await simpleParser(
      (await waitForMessage(mail.account(OPERATOR), 'INBOX', withMessageId(messageId), DELIVERY)).raw,
    );
    expect(parsed.text).toBe(`Заявка "${incident.issueKey}" закрыта.`);
    // NOTIFY-3 search: the Cc copy is found by its Message-ID (a long id header is folded; IMAP unfolds it).
    await waitForMessage(mail.account(COLLECTION), 'INBOX', withMessageId(messageId), DELIVERY);
    const collection = {
      host: mail.imap.host,
      port: mail.imap.port,
      secure: false,
      startTls: false,
      user: COLLECTION,
      password: mail.collectionMailbox.password,
    };
    expect(await mailboxHasMessageId(collection, ['INBOX', 'Sent'], messageId)).toBe(true);
    expect(await mailboxHasMessageId(collection, ['INBOX', 'Sent'], `<never-sent.${messageId.slice(1)}`)).toBe(false);
    expect(statusOf(incident.issueKey)).toBe(keys().notifiedOperatorClosed);
    expect(commentsOf(incident.issueKey)).toContain('Уведомили оператора о закрытии заявки.');
    expect(await history(incident.incidentId)).toEqual([
      { name: 'Уведомляем о закрытии', comment: 'Диспетчер отправил заявителю автоответ о закрытии заявки.' },
      { name: 'Уведомили о закрытии', comment: 'Уведомили оператора о закрытии заявки.' },
    ]);
  }, 60_000);

  test('NOTIFY-10: the `undefined` contractor without DEFAULT_CONTRACTOR_EMAILS → YT-18 `Не найден email подрядчика для автоответа.`', async () => {
    const incident = await createIncident({ pole: false, summary: 'Опора без подрядчика' });
    await setPole(incident.incidentId, { poleId: await defaultContractorPole(), baseStationId: null });
    const trigger = moveIssue(incident.issueKey, toNotifyContractor());
    const text = 'Не найден email подрядчика для автоответа.';
    const result = await activities().sendNotice({ incidentId: incident.incidentId, kind: 'avr', triggerKey: trigger });
    expect(result).toEqual({ outcome: 'refused', messageId: null, errorText: text });
    expect(statusOf(incident.issueKey)).toBe('error');
    expect(await outbox(incident.incidentId)).toEqual([]);
  }, 60_000);

  test('NOTIFY-10 / TS-7: the `undefined` contractor gets DEFAULT_CONTRACTOR_EMAILS, applied at send time', async () => {
    const incident = await createIncident({ pole: false, summary: 'Опора подрядчика по умолчанию' });
    await setPole(incident.incidentId, { poleId: await defaultContractorPole(), baseStationId: null });
    const trigger = moveIssue(incident.issueKey, toNotifyContractor());
    const withDefault = emulatorConfig(emulator, database.url, { ...mailEnv(), DEFAULT_CONTRACTOR_EMAILS: CONTRACTOR });
    const result = await activities(withDefault).sendNotice({
      incidentId: incident.incidentId,
      kind: 'avr',
      triggerKey: trigger,
    });
    const messageId = noticeMessageId('avr', incident.incidentId, trigger, DOMAIN);
    expect(result).toEqual({ outcome: 'sent', messageId, errorText: null });
    const parsed = await simpleParser(
      (await waitForMessage(mail.account(CONTRACTOR), 'INBOX', withMessageId(messageId), DELIVERY)).raw,
    );
    expect(parsed.to).toMatchObject({ value: [{ address: CONTRACTOR }] });
    expect(parsed.text).toContain(
      '   • Шифр опоры: 67890-MSK-02\n   • Регион: Московская область\n\nДЕТАЛИ ИНЦИДЕНТА:',
    );
  }, 60_000);
});

describe('NOTIFY-5: SMTP failures (capture server)', () => {
  test('NOTIFY-5: a 4xx reply is retried (retryable failure, row back to pending); the retry sends', async () => {
    const incident = await createIncident({ summary: 'Временная ошибка SMTP' });
    const trigger = moveIssue(incident.issueKey, toNotifyContractor());
    capture.setFailure({ kind: 'transient', code: 451, times: 1 });
    const notices = activities(captureConfig);
    const error = await notices
      .sendNotice({ incidentId: incident.incidentId, kind: 'avr', triggerKey: trigger })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ type: NOTICE_FAILURE_TYPES.smtpTransient, nonRetryable: false });
    expect((await outbox(incident.incidentId)).map((r) => [r.state, r.attempts])).toEqual([['pending', 1]]);

    const before = capture.messages.length;
    const started = Date.now();
    const result = await notices.sendNotice({ incidentId: incident.incidentId, kind: 'avr', triggerKey: trigger });
    expect(result.outcome).toBe('sent');
    const accepted = capture.messages[before];
    process.stdout.write(
      `sendNotice call → SMTP accepted: ${(accepted?.receivedAt.getTime() ?? NaN) - started} ms; ` +
        `whole activity ${Date.now() - started} ms\n`,
    );
    expect(capture.messages.length - before).toBe(1);
    expect(accepted?.envelope).toEqual({ from: COLLECTION, to: [CONTRACTOR, COLLECTION] });
    expect((await outbox(incident.incidentId)).map((r) => [r.state, r.attempts])).toEqual([['sent', 2]]);
  }, 60_000);

  test('NOTIFY-5: transient errors past the 10-minute window are handled as a permanent failure', async () => {
    const incident = await createIncident({ summary: 'Долгая временная ошибка SMTP' });
    const trigger = moveIssue(incident.issueKey, toNotifyContractor());
    capture.setFailure({ kind: 'transient', code: 451, times: 1 });
    const result = await activities(captureConfig, { transientRetryWindowMs: 0 }).sendNotice({
      incidentId: incident.incidentId,
      kind: 'avr',
      triggerKey: trigger,
    });
    const text = 'Не удалось уведомить подрядчика о заявке. 451 Temporary local problem, try again later';
    expect(result).toEqual({
      outcome: 'failed',
      messageId: noticeMessageId('avr', incident.incidentId, trigger, DOMAIN),
      errorText: text,
    });
    expect((await outbox(incident.incidentId)).map((r) => r.state)).toEqual(['failed']);
    expect(statusOf(incident.issueKey)).toBe('error');
    expect((await history(incident.incidentId)).map((h) => [h.name, h.comment])).toEqual([
      ['Передать подрядчику', 'Диспетчер отправил подрядчику автоответ с информацией по заявке.'],
      ['Ошибка', text],
    ]);
  }, 60_000);

  test('NOTIFY-3: connection lost after DATA, copy not found in INBOX/Sent within the window → resent with the same Message-ID', async () => {
    const incident = await createIncident({ summary: 'Обрыв соединения SMTP' });
    const trigger = moveIssue(incident.issueKey, toNotifyContractor());
    const messageId = noticeMessageId('avr', incident.incidentId, trigger, DOMAIN);
    capture.setFailure({ kind: 'drop', times: 1 });
    const notices = activities(captureConfig, { searchWindowMs: 1_000 });
    const before = capture.messages.length;
    const error = await notices
      .sendNotice({ incidentId: incident.incidentId, kind: 'avr', triggerKey: trigger })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ type: NOTICE_FAILURE_TYPES.smtpTransient, nonRetryable: false });
    // The outcome is unknown: the row stays `sending`.
    expect((await outbox(incident.incidentId)).map((r) => [r.state, r.attempts])).toEqual([['sending', 1]]);

    const result = await notices.sendNotice({ incidentId: incident.incidentId, kind: 'avr', triggerKey: trigger });
    expect(result).toEqual({ outcome: 'sent', messageId, errorText: null });
    const ids = await Promise.all(capture.messages.slice(before).map(async (m) => (await m.parse()).messageId));
    expect(ids).toEqual([messageId, messageId]);
    expect((await outbox(incident.incidentId)).map((r) => [r.state, r.attempts])).toEqual([['sent', 2]]);
  }, 60_000);

  test('NOTIFY-5: a 5xx reply fails permanently: outbox failed, one `Ошибка` row with the failure text, alert', async () => {
    const incident = await createIncident({ summary: 'Постоянная ошибка SMTP' });
    const trigger = moveIssue(incident.issueKey, toNotifyContractor());
    capture.setFailure({ kind: 'permanent', code: 554, message: 'Mailbox unavailable', times: 1 });
    const result = await activities(captureConfig).sendNotice({
      incidentId: incident.incidentId,
      kind: 'avr',
      triggerKey: trigger,
    });
    const text = 'Не удалось уведомить подрядчика о заявке. 554 Mailbox unavailable';
    expect(result).toEqual({
      outcome: 'failed',
      messageId: noticeMessageId('avr', incident.incidentId, trigger, DOMAIN),
      errorText: text,
    });
    expect((await outbox(incident.incidentId)).map((r) => [r.state, r.last_error])).toEqual([
      ['failed', '554 Mailbox unavailable'],
    ]);
    expect(statusOf(incident.issueKey)).toBe('error');
    expect(commentsOf(incident.issueKey)).toContain(text);
    expect(alerts.filter((a) => a.incidentId === incident.incidentId).map((a) => a.kind)).toEqual([
      'automatic_email_failed',
    ]);

    // Observed again with the same trigger: nothing is sent and the error is not written twice.
    const again = await activities(captureConfig).sendNotice({
      incidentId: incident.incidentId,
      kind: 'avr',
      triggerKey: trigger,
    });
    expect(again).toEqual(result);
    expect(capture.rejections.filter((r) => r.code === 554)).toHaveLength(1);
    expect(await history(incident.incidentId)).toEqual([
      { name: 'Передать подрядчику', comment: 'Диспетчер отправил подрядчику автоответ с информацией по заявке.' },
      { name: 'Ошибка', comment: text },
    ]);
  }, 60_000);
});
