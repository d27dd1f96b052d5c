// NOTIFY-5 classification of SMTP errors and the NOTIFY-2/NOTIFY-3 mapping from an outbox row to
// the message handed to SMTP (pure parts of the notice sending path).
import { describe, expect, test } from '@jest/globals';
import { outgoingMailOf, referencesOf, transientRetriesExhausted } from '../../src/activities/notices.js';
import type { OutboxRecord } from '../../src/adapters/db/outbox.js';
import { classifySmtpError } from '../../src/adapters/mail/smtp-sender.js';
import { noticeHeaders } from '../../src/domain/notices.js';

describe('NOTIFY-5: SMTP errors', () => {
  test('NOTIFY-5: a 5xx reply is permanent, with the server reply as the reason', () => {
    const error = Object.assign(new Error('Message failed: 554 Mailbox unavailable'), {
      code: 'EMESSAGE',
      responseCode: 554,
      response: '554 Mailbox unavailable',
      command: 'DATA',
    });
    expect(classifySmtpError(error)).toEqual({ kind: 'permanent', reason: '554 Mailbox unavailable' });
  });

  test('NOTIFY-5: a 4xx reply is transient and proves the message was not accepted', () => {
    const error = Object.assign(new Error('Data command failed'), {
      code: 'EMESSAGE',
      responseCode: 451,
      response: 'Temporary local problem, try again later',
      command: 'DATA',
    });
    expect(classifySmtpError(error)).toEqual({
      kind: 'transient',
      reason: '451 Temporary local problem, try again later',
      mayHaveBeenAccepted: false,
    });
  });

  test('NOTIFY-5: a refused connection is transient and nothing was sent', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:465'), {
      code: 'ESOCKET',
      command: 'CONN',
    });
    expect(classifySmtpError(error)).toEqual({
      kind: 'transient',
      reason: 'connect ECONNREFUSED 127.0.0.1:465',
      mayHaveBeenAccepted: false,
    });
  });

  test('NOTIFY-3: a connection lost after DATA is transient with an unknown outcome', () => {
    const error = Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION', command: 'CONN' });
    expect(classifySmtpError(error)).toEqual({
      kind: 'transient',
      reason: 'Connection closed unexpectedly',
      mayHaveBeenAccepted: true,
    });
  });

  test('NOTIFY-5: an AUTH failure without a reply code is transient and nothing was sent', () => {
    const error = Object.assign(new Error('Invalid login: 454 4.7.0 Temporary authentication failure'), {
      code: 'EAUTH',
      command: 'AUTH PLAIN',
    });
    expect(classifySmtpError(error)).toEqual({
      kind: 'transient',
      reason: 'Invalid login: 454 4.7.0 Temporary authentication failure',
      mayHaveBeenAccepted: false,
    });
  });

  test('NOTIFY-5: a value that is not an error object still yields a reason', () => {
    expect(classifySmtpError('socket hang up')).toEqual({
      kind: 'transient',
      reason: 'socket hang up',
      mayHaveBeenAccepted: true,
    });
  });
});

describe('NOTIFY-5: the 10-minute transient retry window', () => {
  const first = new Date('2026-11-30T06:00:00Z');
  test('NOTIFY-5: retries go on before 10 minutes and stop at 10 minutes', () => {
    expect(transientRetriesExhausted(first, new Date('2026-11-30T06:09:59.999Z'))).toBe(false);
    expect(transientRetriesExhausted(first, new Date('2026-11-30T06:10:00Z'))).toBe(true);
  });
});

describe('NOTIFY-2 / NOTIFY-3: outbox row → SMTP message', () => {
  test('NOTIFY-2: References header split into the ids the outbox stores, oldest first', () => {
    const headers = noticeHeaders({
      messageId: '<orig@operator.ru>',
      isSyntheticId: false,
      references: ['<a@x>', '<b@x>'],
      fromAddress: 'noc@operator.ru',
      requesterAddress: null,
      to: [],
      cc: [],
      observers: [],
    });
    expect(referencesOf(headers)).toEqual(['<a@x>', '<b@x>', '<orig@operator.ru>']);
    expect(referencesOf(noticeHeaders(null))).toEqual([]);
  });

  test('NOTIFY-3: the stored message is sent as stored, with its deterministic Message-ID', () => {
    const record: OutboxRecord = {
      id: 7,
      messageId: '<dispatch.avr.42.00ff@dispatch.example.ru>',
      incidentId: 42,
      kind: 'avr',
      triggerKey: '5f1',
      to: ['avr@remont.ru'],
      cc: ['disp@example.ru'],
      subject: 'Re: AVRSERVICE-1: Авария',
      body: 'На вас назначен новый инцидент.',
      inReplyTo: '<orig@operator.ru>',
      references: ['<orig@operator.ru>'],
      state: 'sending',
      attempts: 1,
      sendingStartedAt: null,
      sentAt: null,
      lastError: null,
      emailId: null,
      insertedAt: new Date('2026-11-30T05:59:00Z'),
    };
    const date = new Date('2026-11-30T06:00:00Z');
    expect(outgoingMailOf(record, date)).toEqual({
      messageId: '<dispatch.avr.42.00ff@dispatch.example.ru>',
      to: ['avr@remont.ru'],
      cc: ['disp@example.ru'],
      subject: 'Re: AVRSERVICE-1: Авария',
      text: 'На вас назначен новый инцидент.',
      inReplyTo: '<orig@operator.ru>',
      references: ['<orig@operator.ru>'],
      date,
    });
  });
});
