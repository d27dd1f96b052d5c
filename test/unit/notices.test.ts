import { describe, test, expect } from '@jest/globals';
import type {
  ContractorNoticeDetails,
  ContractorNoticeInput,
  NoticeContext,
  NoticeHistoryEmail,
  PrimaryEmail,
  RequesterNoticeInput,
} from '../../src/domain/notices.js';
import {
  NOTICE_FAILURE,
  NOTICE_REFUSAL,
  acceptanceNotice,
  closureNotice,
  contractorNotice,
  contractorNoticeBody,
  contractorRecipients,
  noticeFailureText,
  noticeHeaders,
  noticeMessageId,
  noticeSubject,
  requesterRecipients,
  uniqueAddresses,
} from '../../src/domain/notices.js';
import { fnv1a64Hex } from '../../src/domain/stable-hash.js';

const msk = (hhmm: string, day = '05'): Date => new Date(`2025-03-${day}T${hhmm}:00+03:00`);

const primary = (overrides: Partial<PrimaryEmail> = {}): PrimaryEmail => ({
  messageId: '<orig-1@operator.ru>',
  isSyntheticId: false,
  references: [],
  fromAddress: 'noc@operator.ru',
  requesterAddress: null,
  to: ['disp@example.ru'],
  cc: [],
  observers: [],
  ...overrides,
});

const context = (overrides: Partial<NoticeContext> = {}): NoticeContext => ({
  incidentId: 17,
  issueKey: 'AVRSERVICE-7',
  summary: 'Авария',
  triggerKey: '5f3c1a2b9d8e7f6a5b4c3d2e',
  collectionMailbox: 'disp@example.ru',
  messageIdDomain: 'dispatch.example.ru',
  primaryEmail: primary(),
  ...overrides,
});

const requesterInput = (overrides: Partial<RequesterNoticeInput> = {}): RequesterNoticeInput => ({
  ...context(),
  isAuto: true,
  ...overrides,
});

const history: NoticeHistoryEmail[] = [
  { id: 12, effectiveDate: msk('11:30'), body: '  Бригада выехала.\nОжидаем.  ', classification: 'self_sent' },
  { id: 10, effectiveDate: msk('10:00'), body: 'нет питания на БС MSK0123', classification: 'normal' },
  { id: 13, effectiveDate: msk('11:40'), body: 'Заявка принята', classification: 'own' },
  { id: 14, effectiveDate: msk('11:45'), body: 'Undeliverable', classification: 'bounce' },
  { id: 15, effectiveDate: msk('11:50'), body: 'Я в отпуске', classification: 'auto_reply' },
  { id: 16, effectiveDate: msk('11:55'), body: 'спам', classification: 'denied' },
  { id: 11, effectiveDate: msk('10:30'), body: ' \n ', classification: 'normal' },
];

const details = (overrides: Partial<ContractorNoticeDetails> = {}): ContractorNoticeDetails => ({
  pole: {
    code: '12345-MSK-01',
    region: 'Moscow Region',
    regionRu: 'Московская область',
    address: 'г. Москва, ул. Ленина, 1',
    latitude: 55.7558,
    longitude: '37.6173',
  },
  baseStation: { name: 'MSK0123', operatorNames: ['МТС', 'Билайн'] },
  registrationTime: msk('10:00'),
  slaDeadline: msk('14:00'),
  incidentType: {
    name: 'Авария по питанию для МСК',
    description: 'Аварийное отключение или сбой питания на объекте в Москве',
  },
  emails: history,
  ...overrides,
});

const contractorInput = (overrides: Partial<ContractorNoticeInput> = {}): ContractorNoticeInput => ({
  ...context(),
  details: details(),
  contractor: { name: 'ООО Ремонт', emails: ['avr@remont.ru'] },
  defaultContractorEmails: ['fallback@avr.ru'],
  ...overrides,
});

describe('NOTIFY-2 common rules', () => {
  test('NOTIFY-2: subject Re: <KEY>: <summary>', () => {
    expect(noticeSubject('AVRSERVICE-7', 'Авария')).toBe('Re: AVRSERVICE-7: Авария');
    expect(noticeSubject('AVRSERVICE-7', 'Авария\n на БС')).toBe('Re: AVRSERVICE-7: Авария на БС');
  });

  test('NOTIFY-2: In-Reply-To = primary Message-ID, References = its References then its id; Auto-Submitted', () => {
    expect(noticeHeaders(primary({ references: ['<a@x>', '<b@x>'] }))).toEqual({
      'In-Reply-To': '<orig-1@operator.ru>',
      References: '<a@x> <b@x> <orig-1@operator.ru>',
      'Auto-Submitted': 'auto-generated',
    });
  });

  test('NOTIFY-2: at most the last 20 References are repeated', () => {
    const references = Array.from({ length: 25 }, (_, i) => `<r${i + 1}@x>`);
    const headers = noticeHeaders(primary({ references }));
    const expected = [...references.slice(5), '<orig-1@operator.ru>'].join(' ');
    expect(headers.References).toBe(expected);
    expect(headers.References?.split(' ')).toHaveLength(21);
  });

  test('NOTIFY-2: threading headers omitted without a primary e-mail or with a synthetic id', () => {
    expect(noticeHeaders(null)).toEqual({ 'Auto-Submitted': 'auto-generated' });
    expect(
      noticeHeaders(
        primary({ messageId: '<synthetic.abc@dispatch.invalid>', isSyntheticId: true, references: ['<a@x>'] }),
      ),
    ).toEqual({ 'Auto-Submitted': 'auto-generated' });
  });
});

describe('NOTIFY-3 deterministic Message-ID', () => {
  test('NOTIFY-3: <dispatch.<kind>.<incidentId>.<hash of trigger key>@domain>', () => {
    expect(noticeMessageId('avr', 17, 'ch-1', 'dispatch.example.ru', (key) => `H(${key})`)).toBe(
      '<dispatch.avr.17.H(ch-1)@dispatch.example.ru>',
    );
    expect(noticeMessageId('ack', 17, 'ch-1', 'dispatch.example.ru')).toBe(
      `<dispatch.ack.17.${fnv1a64Hex('ch-1')}@dispatch.example.ru>`,
    );
  });

  test('NOTIFY-3: the default hash is FNV-1a 64 (published test vectors) and stable', () => {
    expect(fnv1a64Hex('')).toBe('cbf29ce484222325');
    expect(fnv1a64Hex('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64Hex('foobar')).toBe('85944171f73967e8');
    expect(fnv1a64Hex('2025-03-05T10:15:00.000+0000')).toMatch(/^[0-9a-f]{16}$/);
    expect(fnv1a64Hex('Передать')).toBe(fnv1a64Hex('Передать'));
  });

  test('NOTIFY-3: the hash covers the UTF-8 bytes of non-ASCII keys', () => {
    // "é" as U+00E9 is the two bytes C3 A9; the decomposed form is a different key.
    expect(fnv1a64Hex('\u00e9')).not.toBe(fnv1a64Hex('e\u0301'));
    expect(fnv1a64Hex('😀')).not.toBe(fnv1a64Hex('\ud83d'));
  });

  test('AC-14: a crash and retry of the same status entry gives the same Message-ID', () => {
    const first = contractorNotice(contractorInput());
    const retry = contractorNotice(contractorInput());
    expect(first.ok && retry.ok && first.message.messageId === retry.message.messageId).toBe(true);
  });

  test('AC-15: re-entering the notify status (new changelog entry) gives a different Message-ID', () => {
    const first = contractorNotice(contractorInput({ triggerKey: 'changelog-1' }));
    const second = contractorNotice(contractorInput({ triggerKey: 'changelog-2' }));
    if (!first.ok || !second.ok) throw new Error('expected messages');
    expect(first.message.messageId).not.toBe(second.message.messageId);
  });
});

describe('NOTIFY-6 / NOTIFY-7 requester notices', () => {
  test('AC-16: acceptance notice to noc@operator.ru, threaded on the original Message-ID', () => {
    expect(acceptanceNotice(requesterInput({ primaryEmail: primary({ references: ['<r0@operator.ru>'] }) }))).toEqual({
      ok: true,
      message: {
        to: ['noc@operator.ru'],
        cc: ['disp@example.ru'],
        subject: 'Re: AVRSERVICE-7: Авария',
        text: 'Заявка "AVRSERVICE-7" принята в работу.',
        headers: {
          'In-Reply-To': '<orig-1@operator.ru>',
          References: '<r0@operator.ru> <orig-1@operator.ru>',
          'Auto-Submitted': 'auto-generated',
        },
        messageId: `<dispatch.ack.17.${fnv1a64Hex('5f3c1a2b9d8e7f6a5b4c3d2e')}@dispatch.example.ru>`,
      },
    });
  });

  test('NOTIFY-9: closure notice body', () => {
    const result = closureNotice(requesterInput());
    if (!result.ok) throw new Error(result.errorText);
    expect(result.message.text).toBe('Заявка "AVRSERVICE-7" закрыта.');
    expect(result.message.messageId).toBe(
      `<dispatch.close.17.${fnv1a64Hex('5f3c1a2b9d8e7f6a5b4c3d2e')}@dispatch.example.ru>`,
    );
  });

  test('NOTIFY-6: To = requester address; Cc = observers + To + Cc minus requester, GEN-9 de-dup', () => {
    const recipients = requesterRecipients({
      isAuto: true,
      collectionMailbox: 'disp@example.ru',
      primaryEmail: primary({
        fromAddress: 'form@site.ru',
        requesterAddress: 'Client@Mail.ru',
        observers: ['obs@x.ru', 'client@MAIL.ru'],
        to: ['DISP@example.ru', 'client@mail.ru', 'a@x.ru'],
        cc: ['A@X.ru', 'b@x.ru'],
      }),
    });
    expect(recipients).toEqual({
      ok: true,
      to: ['Client@Mail.ru'],
      cc: ['obs@x.ru', 'DISP@example.ru', 'a@x.ru', 'b@x.ru'],
    });
  });

  test('NOTIFY-6: To = From without a requester address; the collection mailbox is added to Cc', () => {
    expect(
      requesterRecipients({
        isAuto: true,
        collectionMailbox: 'disp@example.ru',
        primaryEmail: primary({ to: ['other@operator.ru'], cc: ['noc@operator.ru'] }),
      }),
    ).toEqual({ ok: true, to: ['noc@operator.ru'], cc: ['other@operator.ru', 'disp@example.ru'] });
  });

  test('NOTIFY-7: manual incidents are refused with the exact text', () => {
    expect(acceptanceNotice(requesterInput({ isAuto: false }))).toEqual({
      ok: false,
      errorText: 'Нельзя отправить автоматическое уведомление заявителю для заявки, созданной вручную.',
    });
    expect(closureNotice(requesterInput({ isAuto: false }))).toEqual({
      ok: false,
      errorText: NOTICE_REFUSAL.manualIncident,
    });
  });

  test('NOTIFY-7: e-mail incident without a primary e-mail → Не найден адрес заявителя для автоответа.', () => {
    expect(acceptanceNotice(requesterInput({ primaryEmail: null }))).toEqual({
      ok: false,
      errorText: 'Не найден адрес заявителя для автоответа.',
    });
    expect(
      acceptanceNotice(requesterInput({ primaryEmail: primary({ fromAddress: ' ', requesterAddress: null }) })),
    ).toEqual({ ok: false, errorText: 'Не найден адрес заявителя для автоответа.' });
  });
});

describe('NOTIFY-10 contractor recipients', () => {
  test('NOTIFY-10: no pole → exact refusal text', () => {
    expect(contractorNotice(contractorInput({ details: details({ pole: null }) }))).toEqual({
      ok: false,
      errorText: 'Чтобы передать заявку подрядчику, необходимо указать шифр опоры и/или номер базовой станции.',
    });
  });

  test('AC-14: To = the contractor e-mails, Cc = the collection mailbox only', () => {
    expect(
      contractorRecipients({
        details: details(),
        contractor: { name: 'ООО Ремонт', emails: ['avr@remont.ru', 'AVR@remont.ru', 'night@remont.ru'] },
        defaultContractorEmails: ['fallback@avr.ru'],
        collectionMailbox: 'disp@example.ru',
      }),
    ).toEqual({ ok: true, to: ['avr@remont.ru', 'night@remont.ru'], cc: ['disp@example.ru'] });
  });

  test('NOTIFY-10: `undefined` contractor, none, or no e-mails → DEFAULT_CONTRACTOR_EMAILS', () => {
    const base = {
      details: details(),
      defaultContractorEmails: ['d1@avr.ru', 'd2@avr.ru'],
      collectionMailbox: 'disp@example.ru',
    };
    const expected = { ok: true, to: ['d1@avr.ru', 'd2@avr.ru'], cc: ['disp@example.ru'] };
    expect(contractorRecipients({ ...base, contractor: { name: 'undefined', emails: ['x@y.ru'] } })).toEqual(expected);
    expect(contractorRecipients({ ...base, contractor: null })).toEqual(expected);
    expect(contractorRecipients({ ...base, contractor: { name: 'ООО Ремонт', emails: [] } })).toEqual(expected);
  });

  test('NOTIFY-10: still none → Не найден email подрядчика для автоответа.', () => {
    expect(contractorNotice(contractorInput({ contractor: null, defaultContractorEmails: [] }))).toEqual({
      ok: false,
      errorText: 'Не найден email подрядчика для автоответа.',
    });
  });

  test('NOTIFY-2: the collection mailbox is not added to Cc when already in To', () => {
    expect(
      contractorRecipients({
        details: details(),
        contractor: null,
        defaultContractorEmails: ['DISP@example.ru'],
        collectionMailbox: 'disp@example.ru',
      }),
    ).toEqual({ ok: true, to: ['DISP@example.ru'], cc: [] });
  });

  test('NOTIFY-10: allowed for manual incidents (no primary e-mail → no threading headers)', () => {
    const result = contractorNotice(contractorInput({ primaryEmail: null }));
    if (!result.ok) throw new Error(result.errorText);
    expect(result.message.headers).toEqual({ 'Auto-Submitted': 'auto-generated' });
    expect(result.message.to).toEqual(['avr@remont.ru']);
  });
});

describe('NOTIFY-11 contractor hand-over body', () => {
  test('NOTIFY-11: full layout, exactly', () => {
    expect(contractorNoticeBody(details())).toBe(
      [
        'На вас назначен новый инцидент.',
        '',
        'ИНФОРМАЦИЯ ОБ ОПОРЕ:',
        '   • Шифр опоры: 12345-MSK-01',
        '   • Регион: Московская область',
        '   • Адрес: г. Москва, ул. Ленина, 1',
        '   • Координаты: 55.7558, 37.6173',
        '',
        'ИНФОРМАЦИЯ О БАЗОВОЙ СТАНЦИИ:',
        '   • Номер БС: MSK0123',
        '   • Операторы: Билайн, МТС',
        '',
        'ДЕТАЛИ ИНЦИДЕНТА:',
        '   • Дата регистрации: 05.03.2025 10:00',
        '   • SLA дедлайн: 05.03.2025 14:00',
        '   • Тип инцидента: Авария по питанию для МСК',
        '   • Описание типа: Аварийное отключение или сбой питания на объекте в Москве',
        '',
        'ИСТОРИЯ ПЕРЕПИСКИ:',
        '------------------------------',
        '',
        '*Сообщение №1* (05.03.2025 10:00):',
        'нет питания на БС MSK0123',
        '',
        '*Сообщение №2* (05.03.2025 11:30):',
        'Бригада выехала.',
        'Ожидаем.',
        '',
        '',
        'ВАЖНО: НЕ МЕНЯЙТЕ ТЕМУ ПИСЬМА ПРИ ОТВЕТЕ',
      ].join('\n'),
    );
  });

  test('NOTIFY-11: sections appear only when set; details always; missing lines omitted', () => {
    const body = contractorNoticeBody(
      details({ pole: null, baseStation: null, slaDeadline: null, incidentType: null, emails: [] }),
    );
    expect(body).toBe(
      [
        'На вас назначен новый инцидент.',
        '',
        'ДЕТАЛИ ИНЦИДЕНТА:',
        '   • Дата регистрации: 05.03.2025 10:00',
        '',
        '',
        'ВАЖНО: НЕ МЕНЯЙТЕ ТЕМУ ПИСЬМА ПРИ ОТВЕТЕ',
      ].join('\n'),
    );
  });

  test('NOTIFY-11: region falls back to region; no coordinates unless both known; no None/nan', () => {
    const body = contractorNoticeBody(
      details({
        pole: {
          code: '12345-MSK-01',
          region: 'Moscow Region',
          regionRu: ' ',
          address: null,
          latitude: 'NaN',
          longitude: 37.6,
        },
        baseStation: { name: 'MSK0123', operatorNames: [] },
        incidentType: { name: 'Авария ВОЛС', description: null },
        emails: [],
      }),
    );
    expect(body.split('\n').slice(2, 9)).toEqual([
      'ИНФОРМАЦИЯ ОБ ОПОРЕ:',
      '   • Шифр опоры: 12345-MSK-01',
      '   • Регион: Moscow Region',
      '',
      'ИНФОРМАЦИЯ О БАЗОВОЙ СТАНЦИИ:',
      '   • Номер БС: MSK0123',
      '',
    ]);
    expect(body).toContain('   • Тип инцидента: Авария ВОЛС\n\n\nВАЖНО');
    expect(body).not.toMatch(/None|nan|null|undefined/i);
  });

  test('NOTIFY-11: a body longer than 1024 characters is cut + " ..."', () => {
    const long = 'абв'.repeat(500);
    const body = contractorNoticeBody(
      details({ emails: [{ id: 1, effectiveDate: msk('10:00'), body: long, classification: 'normal' }] }),
    );
    expect(body).toContain(`*Сообщение №1* (05.03.2025 10:00):\n${long.slice(0, 1024)} ...\n\n\nВАЖНО`);
  });

  test('NOTIFY-11: history ordered by (effective date, id)', () => {
    const same = msk('10:00');
    const body = contractorNoticeBody(
      details({
        emails: [
          { id: 9, effectiveDate: same, body: 'второе', classification: 'normal' },
          { id: 3, effectiveDate: same, body: 'первое', classification: 'tracker' },
        ],
      }),
    );
    expect(body).toContain('*Сообщение №1* (05.03.2025 10:00):\nпервое\n\n*Сообщение №2* (05.03.2025 10:00):\nвторое');
  });

  test('NOTIFY-11: dates in DISPATCH_TIME_ZONE', () => {
    const result = contractorNotice(contractorInput({ timeZone: 'UTC' }));
    if (!result.ok) throw new Error(result.errorText);
    expect(result.message.text).toContain('   • Дата регистрации: 05.03.2025 07:00');
  });

  test('AC-14: the hand-over e-mail to avr@remont.ru, Cc disp@example.ru, subject Re: <KEY>: <summary>', () => {
    const result = contractorNotice(contractorInput());
    if (!result.ok) throw new Error(result.errorText);
    expect(result.message.to).toEqual(['avr@remont.ru']);
    expect(result.message.cc).toEqual(['disp@example.ru']);
    expect(result.message.subject).toBe('Re: AVRSERVICE-7: Авария');
    expect(result.message.text).toBe(contractorNoticeBody(details()));
    expect(result.message.messageId).toBe(
      `<dispatch.avr.17.${fnv1a64Hex('5f3c1a2b9d8e7f6a5b4c3d2e')}@dispatch.example.ru>`,
    );
  });
});

describe('NOTIFY-5 failure texts', () => {
  test('NOTIFY-5: exact texts followed by a space and the technical reason', () => {
    expect(NOTICE_FAILURE).toEqual({
      ack: 'Не удалось уведомить оператора о принятии заявки в работу.',
      close: 'Не удалось уведомить оператора о закрытии заявки.',
      avr: 'Не удалось уведомить подрядчика о заявке.',
    });
    expect(noticeFailureText('avr', '550 5.1.1 mailbox unavailable')).toBe(
      'Не удалось уведомить подрядчика о заявке. 550 5.1.1 mailbox unavailable',
    );
    expect(noticeFailureText('close', '')).toBe('Не удалось уведомить оператора о закрытии заявки.');
  });
});

describe('GEN-9 address de-duplication', () => {
  test('GEN-9: case-insensitive, first spelling and order kept, blanks dropped', () => {
    expect(uniqueAddresses(['A@x.ru', ' a@X.ru ', '', 'b@x.ru'])).toEqual(['A@x.ru', 'b@x.ru']);
  });
});
