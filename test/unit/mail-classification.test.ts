import { describe, expect, test } from '@jest/globals';

import { classifyEmail, hasTrackerHeaders, isAutoReply, isBounce } from '../../src/domain/mail/classification.js';
import type { ClassificationInput } from '../../src/domain/mail/classification.js';
import { containsIncidentKey, findIncidentKeys, incidentKeyPattern } from '../../src/domain/mail/incident-key.js';

function input(
  overrides: Partial<ClassificationInput> & { headers?: Record<string, string> } = {},
): ClassificationInput {
  const headers = overrides.headers ?? {};
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    messageId: '<m1@client.ru>',
    outboxMessageIds: new Set<string>(),
    messageIdDomain: 'dispatch.example.ru',
    headerNames: ['From', 'To', 'Subject', ...Object.keys(headers)],
    header: (name) => lower[name] ?? null,
    subject: 'Авария на опоре',
    queue: 'AVRSERVICE',
    contentTypes: ['text/plain'],
    fromAddress: 'client@operator.ru',
    folderRole: 'INBOX',
    ownAddress: 'dispatch@example.ru',
    senderDeny: [],
    ...overrides,
  };
}

describe('NOISE-1 classification', () => {
  test('NOISE-1: own — Message-ID in the outbox (set or lookup)', () => {
    expect(classifyEmail(input({ outboxMessageIds: new Set(['<m1@client.ru>']) }))).toBe('own');
    expect(classifyEmail(input({ outboxMessageIds: (id) => id === '<m1@client.ru>' }))).toBe('own');
  });

  test('NOISE-1: own — <dispatch.…@MAIL_MESSAGE_ID_DOMAIN>, before every other rule', () => {
    expect(
      classifyEmail(
        input({
          messageId: '<dispatch.ack.5@dispatch.example.ru>',
          folderRole: 'SENT',
          headers: { 'X-Tracker-Issue-Key': 'AVRSERVICE-5', 'Auto-Submitted': 'auto-generated' },
        }),
      ),
    ).toBe('own');
  });

  test('NOISE-1: tracker — Tracker headers and a key of our queue in the subject', () => {
    for (const name of [
      'X-Yandex-Tracker-Mail-Type',
      'X-Yandex-Tracker-Env',
      'X-Tracker-Issue-Key',
      'X-Tracker-Comment-Id',
      'x-tracker-anything',
    ]) {
      expect(classifyEmail(input({ headers: { [name]: '1' }, subject: 'Re: [avrservice-12] Авария' }))).toBe('tracker');
    }
  });

  test('NOISE-1: foreign_tracker — Tracker headers without a key of our queue', () => {
    expect(classifyEmail(input({ headers: { 'X-Tracker-Issue-Key': 'OTHER-1' }, subject: 'OTHER-1 Задача' }))).toBe(
      'foreign_tracker',
    );
    expect(classifyEmail(input({ headers: { 'X-Yandex-Tracker-Env': 'x' }, subject: 'AVRSERVICE-12x' }))).toBe(
      'foreign_tracker',
    );
  });

  test('NOISE-1: tracker wins over bounce and auto_reply', () => {
    expect(
      classifyEmail(
        input({
          headers: { 'X-Tracker-Issue-Key': 'x', 'Auto-Submitted': 'auto-generated' },
          subject: 'AVRSERVICE-1',
          contentTypes: ['multipart/report'],
        }),
      ),
    ).toBe('tracker');
  });

  test('NOISE-1: bounce — multipart/report, delivery-status part, MAILER-DAEMON/postmaster, subject', () => {
    expect(classifyEmail(input({ contentTypes: ['multipart/report', 'text/plain'] }))).toBe('bounce');
    expect(classifyEmail(input({ contentTypes: ['multipart/mixed', 'message/delivery-status'] }))).toBe('bounce');
    expect(classifyEmail(input({ fromAddress: 'MAILER-DAEMON@mx.ru' }))).toBe('bounce');
    expect(classifyEmail(input({ fromAddress: 'PostMaster@mx.ru' }))).toBe('bounce');
    expect(classifyEmail(input({ subject: 'Undeliverable Mail: Авария' }))).toBe('bounce');
  });

  test('NOISE-1: bounce wins over auto_reply', () => {
    expect(
      classifyEmail(input({ fromAddress: 'mailer-daemon@mx.ru', headers: { 'Auto-Submitted': 'auto-replied' } })),
    ).toBe('bounce');
  });

  test('NOISE-1: auto_reply — Auto-Submitted not "no", X-Autoreply, X-Autorespond, Precedence bulk/auto_reply/junk', () => {
    expect(classifyEmail(input({ headers: { 'Auto-Submitted': 'auto-replied' } }))).toBe('auto_reply');
    expect(classifyEmail(input({ headers: { 'Auto-Submitted': 'Auto-Generated; owner=x' } }))).toBe('auto_reply');
    expect(classifyEmail(input({ headers: { 'X-Autoreply': 'yes' } }))).toBe('auto_reply');
    expect(classifyEmail(input({ headers: { 'X-Autorespond': '' } }))).toBe('auto_reply');
    for (const value of ['bulk', 'auto_reply', 'Junk', ' BULK ']) {
      expect(classifyEmail(input({ headers: { Precedence: value } }))).toBe('auto_reply');
    }
  });

  test('NOISE-1: Auto-Submitted: no and other Precedence values are not auto replies', () => {
    expect(classifyEmail(input({ headers: { 'Auto-Submitted': ' No (manual)' } }))).toBe('normal');
    expect(classifyEmail(input({ headers: { Precedence: 'list' } }))).toBe('normal');
    expect(classifyEmail(input({ headers: { Precedence: 'first-class' } }))).toBe('normal');
  });

  test('NOISE-1: self_sent — SENT folder role or From equal to PARSING_EMAIL_LOGIN (case-insensitive)', () => {
    expect(classifyEmail(input({ folderRole: 'SENT' }))).toBe('self_sent');
    expect(classifyEmail(input({ fromAddress: 'Dispatch@Example.RU' }))).toBe('self_sent');
  });

  test('NOISE-1: auto_reply wins over self_sent', () => {
    expect(classifyEmail(input({ folderRole: 'SENT', headers: { Precedence: 'bulk' } }))).toBe('auto_reply');
  });

  test('NOISE-1 / NOISE-4: denied — MAIL_SENDER_DENY full address, @domain, *@domain, case-insensitive', () => {
    expect(classifyEmail(input({ senderDeny: ['CLIENT@operator.ru'] }))).toBe('denied');
    expect(classifyEmail(input({ senderDeny: ['@Operator.ru'] }))).toBe('denied');
    expect(classifyEmail(input({ senderDeny: ['*@operator.RU'] }))).toBe('denied');
    expect(classifyEmail(input({ senderDeny: ['@sub.operator.ru', 'other@operator.ru'] }))).toBe('normal');
  });

  test('NOISE-1: self_sent wins over denied', () => {
    expect(classifyEmail(input({ folderRole: 'SENT', senderDeny: ['@operator.ru'] }))).toBe('self_sent');
  });

  test('NOISE-1: normal — everything else, including a missing From', () => {
    expect(classifyEmail(input())).toBe('normal');
    expect(classifyEmail(input({ fromAddress: null, senderDeny: ['@operator.ru'] }))).toBe('normal');
  });

  test('NOISE-1: helpers decide each rule on its own', () => {
    expect(hasTrackerHeaders(['Subject', 'X-Yandex-Tracker-Mail-Type'])).toBe(true);
    expect(hasTrackerHeaders(['X-Trackers', 'X-Yandex-Trackerx'])).toBe(false);
    expect(isBounce({ contentTypes: ['text/plain'], fromAddress: 'postmaster', subject: '' })).toBe(true);
    expect(isBounce({ contentTypes: ['text/plain'], fromAddress: null, subject: 'undeliverable' })).toBe(false);
    expect(isAutoReply(() => null)).toBe(false);
  });
});

describe('THREAD-5 incident keys', () => {
  test('THREAD-5: keys found case-insensitively, upper-cased, in order, each once', () => {
    expect(findIncidentKeys('Re: avrservice-12, AVRSERVICE-7 и Avrservice-12', 'AVRSERVICE')).toEqual([
      'AVRSERVICE-12',
      'AVRSERVICE-7',
    ]);
  });

  test('THREAD-5: AVRSERVICE-70 does not match key AVRSERVICE-7; word boundaries on both sides', () => {
    expect(findIncidentKeys('AVRSERVICE-70', 'AVRSERVICE')).toEqual(['AVRSERVICE-70']);
    expect(
      findIncidentKeys('XAVRSERVICE-1 AVRSERVICE-1x AVRSERVICE-1_ ЯAVRSERVICE-2 AVRSERVICE-2Я', 'AVRSERVICE'),
    ).toEqual([]);
    expect(findIncidentKeys('[AVRSERVICE-3]:AVRSERVICE-4.', 'AVRSERVICE')).toEqual(['AVRSERVICE-3', 'AVRSERVICE-4']);
  });

  test('THREAD-5: the queue is regex-escaped', () => {
    expect(findIncidentKeys('A.B-1 AXB-2', 'A.B')).toEqual(['A.B-1']);
    expect(findIncidentKeys('Q+-5', 'Q+')).toEqual(['Q+-5']);
    expect(incidentKeyPattern('A(B').source).toBe('(?<![\\p{L}\\p{N}_])A\\(B-\\d+(?![\\p{L}\\p{N}_])');
  });

  test('THREAD-5: Cyrillic queues and text around keys work', () => {
    expect(findIncidentKeys('Re: [тест-42] Задача', 'ТЕСТ')).toEqual(['ТЕСТ-42']);
    expect(containsIncidentKey('Заявка AVRSERVICE-9 закрыта', 'AVRSERVICE')).toBe(true);
  });

  test('THREAD-5: no subject, empty queue or no key → nothing', () => {
    expect(findIncidentKeys(null, 'AVRSERVICE')).toEqual([]);
    expect(findIncidentKeys('AVRSERVICE-1', ' ')).toEqual([]);
    expect(findIncidentKeys('AVRSERVICE-', 'AVRSERVICE')).toEqual([]);
    expect(containsIncidentKey('', 'AVRSERVICE')).toBe(false);
  });
});
