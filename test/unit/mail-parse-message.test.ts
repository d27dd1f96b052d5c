import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import iconv from 'iconv-lite';

import { parseRawMessage } from '../../src/adapters/mail/parse-message.js';
import type { ParseContext, ParsedEmail, ParseFailure } from '../../src/adapters/mail/parse-message.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const fixture = (name: string): Buffer => readFileSync(`${ROOT}test/fixtures/mail/${name}`);
const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

const INTERNAL = new Date('2024-01-02T06:20:00Z');
const CTX: ParseContext = {
  folderRole: 'INBOX',
  folderName: 'INBOX',
  uid: 7,
  uidValidity: 42,
  internalDate: INTERNAL,
  ownAddress: 'test@example.test',
  queueKey: 'ТЕСТ',
  maxDateSkewHours: 24,
};

function parsed(raw: Buffer, ctx: Partial<ParseContext> = {}): ParsedEmail {
  const result = parseRawMessage(raw, { ...CTX, ...ctx });
  if (!result.ok) throw new Error(`expected a parsed e-mail, got failure: ${result.reason}`);
  return result;
}

function failed(raw: Buffer): ParseFailure {
  const result = parseRawMessage(raw, CTX);
  if (result.ok) throw new Error('expected a failure');
  return result;
}

/** A message from header/body lines joined with CRLF; Buffers are inserted as raw bytes. */
function eml(...lines: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  lines.forEach((line, i) => {
    parts.push(typeof line === 'string' ? Buffer.from(line, 'utf8') : line);
    if (i < lines.length - 1) parts.push(Buffer.from('\r\n'));
  });
  return Buffer.concat(parts);
}

describe('fixtures (test/fixtures/mail)', () => {
  test('MAIL-11: 01 — split UTF-8 encoded-words, base64 body', () => {
    const email = parsed(fixture('01-utf8-split-encoded-words.eml'));
    expect(email).toMatchObject({
      messageId: '<tracker-42-1@yandex.test>',
      isSyntheticId: false,
      inReplyTo: null,
      references: [],
      subject: '[ТЕСТ-42] Задача: не работает отправка писем',
      fromAddress: 'tracker@yandex.test',
      to: ['test@example.test'],
      cc: [],
      bcc: [],
      dateHeader: new Date('2024-01-02T06:15:00Z'),
      effectiveDate: new Date('2024-01-02T06:15:00Z'),
      internalDate: INTERNAL,
      body: 'Иван Петров изменил статус задачи ТЕСТ-42: Открыт → В работе',
      classification: 'normal',
      folderRole: 'INBOX',
      folderName: 'INBOX',
      uid: 7,
      uidValidity: 42,
      attachments: [],
      embeddedMessageIds: [],
      warnings: [],
    });
    expect(email.rawSha256).toBe(sha256(fixture('01-utf8-split-encoded-words.eml')));
  });

  test('MAIL-9 / MAIL-12: 02 — cp1251 8-bit body, no Message-ID → synthetic id', () => {
    const email = parsed(fixture('02-cp1251-8bit-no-message-id.eml'));
    const body = 'Добрый день!\nВо вложении счёт № 15. Ёлки-палки, буква Ё.';
    const hashed = JSON.stringify([
      '=?windows-1251?Q?=C1=F3=F5=E3=E0=EB=F2=E5=F0=E8=FF?= <buh@firma.test>',
      'Mon, 01 Jan 2024 12:00:00 +0300',
      '=?windows-1251?Q?=D1=F7=B8=F2_=B9_15_=EE=F2_01.01.2024?=',
      body,
    ]);
    expect(email).toMatchObject({
      messageId: `<synthetic.${sha256(hashed)}@dispatch.invalid>`,
      isSyntheticId: true,
      subject: 'Счёт № 15 от 01.01.2024',
      fromAddress: 'buh@firma.test',
      dateHeader: new Date('2024-01-01T09:00:00Z'),
      effectiveDate: new Date('2024-01-01T09:00:00Z'),
      body,
      warnings: [],
    });
  });

  test('MAIL-9: 02 — the synthetic id is the same on every parse (MAIL-8 de-duplication)', () => {
    const raw = fixture('02-cp1251-8bit-no-message-id.eml');
    expect(parsed(raw).messageId).toBe(parsed(raw, { folderRole: 'SENT', uid: 99 }).messageId);
  });

  test('MAIL-12: 03 — koi8-r quoted-printable body with soft line breaks', () => {
    expect(parsed(fixture('03-koi8r-quoted-printable.eml'))).toMatchObject({
      messageId: '<koi8-1@old-mail.test>',
      subject: 'Привет из KOI8-R',
      fromAddress: 'petrov@old-mail.test',
      dateHeader: new Date('2024-01-03T05:00:00Z'),
      body:
        'Длинная строка в кодировке КОИ-8, которая точно будет перенесена мягким переносом quoted-printable.\n' +
        'Вторая строка.',
    });
  });

  test('MAIL-12: 04 — HTML-only alternative converted to text, quote kept', () => {
    const email = parsed(fixture('04-alternative-html-only.eml'));
    expect(email).toMatchObject({
      messageId: '<html-only-1@service.test>',
      subject: 'Только HTML',
      fromAddress: 'noreply@service.test',
      dateHeader: new Date('2024-01-04T10:00:00Z'),
      body: 'Задача ТЕСТ-7 закрыта.\n\n> цитата',
      attachments: [],
    });
    // MAIL-11: 51 h 40 min from INTERNALDATE > 24 h → INTERNALDATE.
    expect(email.effectiveDate).toEqual(INTERNAL);
  });

  test('ATT-1: 05 — RFC 2231 and RFC 2047 attachment names, both stored', () => {
    const email = parsed(fixture('05-attachments-rfc2231.eml'));
    expect(email.subject).toBe('Вложения');
    expect(email.body).toBe('Файлы во вложении.');
    const pdf = Buffer.from('%PDF-1.4\n%fake\n');
    const notes = iconv.encode('текст в cp1251', 'windows-1251');
    expect(email.attachments).toEqual([
      {
        partIndex: 2,
        partPath: '2',
        kind: 'attachment',
        fileName: 'отчёт за январь.pdf',
        mimeType: 'application/pdf',
        size: pdf.length,
        sha256: sha256(pdf),
        decision: 'stored',
        contentId: null,
        content: new Uint8Array(pdf),
      },
      {
        partIndex: 3,
        partPath: '3',
        kind: 'attachment',
        fileName: 'заметки.txt',
        mimeType: 'text/plain',
        size: notes.length,
        sha256: sha256(notes),
        decision: 'stored',
        contentId: null,
        content: new Uint8Array(notes),
      },
    ]);
  });

  test('MAIL-11: 06 — raw cp1251 header bytes, duplicate Subject, invalid Date, line without colon', () => {
    const email = parsed(fixture('06-broken-raw-8bit-headers.eml'));
    expect(email).toMatchObject({
      isSyntheticId: true,
      subject: 'Тема без кодирования',
      fromAddress: 'sidorov@legacy.test',
      to: ['test@example.test'],
      dateHeader: null,
      effectiveDate: INTERNAL,
      body: 'Тело в cp1251',
      warnings: [
        'ignored header line without a colon: "X-Broken-Header without colon"',
        '2 Subject headers: the first is used',
        'unreadable Date header: INTERNALDATE used',
      ],
    });
    expect(email.messageId).toMatch(/^<synthetic\.[0-9a-f]{64}@dispatch\.invalid>$/);
  });

  test('MAIL-10: 07 — reply with In-Reply-To/References, format=flowed, quoted text kept', () => {
    expect(parsed(fixture('07-reply-thread.eml'))).toMatchObject({
      messageId: '<reply-1@example.test>',
      inReplyTo: '<tracker-42-1@yandex.test>',
      references: ['<tracker-42-1@yandex.test>'],
      subject: 'Re: [ТЕСТ-42] Задача: не работает отправка писем',
      fromAddress: 'test@example.test',
      to: ['tracker@yandex.test'],
      dateHeader: new Date('2024-01-02T07:00:00Z'),
      effectiveDate: new Date('2024-01-02T07:00:00Z'),
      body: 'Исправлено.\n\n02.01.2024 09:15, Яндекс Трекер пишет:\n> Иван Петров изменил статус задачи ТЕСТ-42',
      // NOISE-1: From is PARSING_EMAIL_LOGIN.
      classification: 'self_sent',
    });
  });
});

describe('MAIL-17 failures', () => {
  test('MAIL-17: a 0-byte message is a failure', () => {
    expect(failed(Buffer.alloc(0))).toEqual({ ok: false, reason: 'empty message (0 bytes)', messageId: null });
  });

  test('MAIL-17: a message without any header is a failure', () => {
    expect(failed(Buffer.from('just text\r\nwithout any header\r\n'))).toEqual({
      ok: false,
      reason: 'message has no header',
      messageId: null,
    });
    expect(failed(Buffer.from('\r\n\r\nFrom: a@b.ru\r\n'))).toMatchObject({ reason: 'message has no header' });
  });

  test('MAIL-17: a header-only message without a body is parsed (body null)', () => {
    expect(parsed(Buffer.from('Subject: only'))).toMatchObject({ subject: 'only', body: null, fromAddress: null });
  });
});

describe('bad input yields values, not exceptions', () => {
  test('MAIL-12: broken base64 body decodes what it can', () => {
    const email = parsed(eml('Content-Transfer-Encoding: base64', '', '0J/RgNC4!!0LLQt*dGC==0L/Rgg', '@@@'));
    expect(email.body).toBe('Приветпт');
  });

  test('MAIL-12: broken quoted-printable keeps broken escapes literally', () => {
    const email = parsed(
      eml(
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        '=D0=9F=D1=80=D0=B8 =XY = end=',
      ),
    );
    expect(email.body).toBe('При =XY = end');
  });

  test('MAIL-12: NUL bytes and other controls are removed from the body', () => {
    const email = parsed(eml('Subject: x', '', Buffer.from([0x41, 0x00, 0x42, 0x07, 0x0d, 0x0a, 0x43, 0x00])));
    expect(email.body).toBe('AB\nC');
  });

  test('MAIL-12: an unknown body charset is detected', () => {
    const email = parsed(
      eml('Content-Type: text/plain; charset=x-no-such', '', iconv.encode('Добрый день, авария на опоре', 'koi8-r')),
    );
    expect(email.body).toBe('Добрый день, авария на опоре');
  });

  test('MAIL-10: 2,000 References are kept, own id and duplicates removed', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `<r${i}@x.ru>`);
    const email = parsed(eml('Message-ID: <r5@x.ru>', `References: ${ids.join('\r\n ')} <r1@x.ru>`, '', 'b'));
    expect(email.references).toHaveLength(1999);
    expect(email.references.slice(0, 6)).toEqual([
      '<r0@x.ru>',
      '<r1@x.ru>',
      '<r2@x.ru>',
      '<r3@x.ru>',
      '<r4@x.ru>',
      '<r6@x.ru>',
    ]);
  });

  test('GEN-8: a 2,000-character Message-ID is replaced by a synthetic id with a warning', () => {
    const email = parsed(eml(`Message-ID: <${'x'.repeat(1990)}@host.ru>`, 'Subject: s', '', 'b'));
    expect(email.isSyntheticId).toBe(true);
    expect(email.messageId).toMatch(/^<synthetic\.[0-9a-f]{64}@dispatch\.invalid>$/);
    expect(email.warnings).toEqual(['Message-ID longer than 998 characters: synthetic id used']);
  });

  test('MAIL-12: deeply nested HTML body yields its text', () => {
    const html = '<div>'.repeat(30_000) + 'Глубоко' + '</div>'.repeat(30_000);
    expect(parsed(eml('Content-Type: text/html; charset=utf-8', '', html)).body).toBe('Глубоко');
  });

  test('GEN-8: an over-long subject is truncated with a warning', () => {
    const email = parsed(eml(`Subject: ${'Я'.repeat(1100)}`, '', 'b'));
    expect(email.subject).toBe('Я'.repeat(1024));
    expect(email.warnings).toEqual(['subject truncated to 1024 characters']);
  });

  test('MAIL-17: random bytes never throw (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const result = parseRawMessage(Buffer.from(bytes), CTX);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  test('MAIL-17: random header/MIME soup never throws (property)', () => {
    const piece = fc.constantFrom(
      'Content-Type: multipart/mixed; boundary=b\r\n',
      'Content-Type: message/rfc822\r\n',
      'Content-Type: text/html; charset=koi8-r\r\n',
      'Content-Transfer-Encoding: base64\r\n',
      'Content-Transfer-Encoding: quoted-printable\r\n',
      'Content-Disposition: attachment; filename*0*=x\'\'%ZZ; filename*1="a"\r\n',
      'Subject: =?utf-8?B?====?= =?bogus?Q?=FF?=\r\n',
      'From: <<@@>>, "unterminated\r\n',
      'Date: 99 Xyz 99999 99:99\r\n',
      '\r\n',
      '--b\r\n',
      '--b--\r\n',
      '<div><p>текст</div>\r\n',
      '{"E-mail для обратной связи": [\r\n',
      '=\r\n',
      '\u0000\r\n',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const result = parseRawMessage(Buffer.from(pieces.join('')), CTX);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});

describe('MIME structure to stored e-mail', () => {
  test('MAIL-12: text/plain preferred over HTML; embedded message text appended after 30 dashes', () => {
    const raw = eml(
      'Message-ID: <fwd@x.ru>',
      'Subject: Fwd: авария',
      'Content-Type: multipart/mixed; boundary="OUT"',
      '',
      '--OUT',
      'Content-Type: multipart/alternative; boundary="ALT"',
      '',
      '--ALT',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>HTML версия</p>',
      '--ALT',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Пересылаю письмо <a@b.ru>.',
      '--ALT--',
      '--OUT',
      'Content-Type: message/rfc822',
      'Content-Disposition: attachment; filename="orig.eml"',
      '',
      'Message-ID: <orig@y.ru>',
      'Subject: авария',
      'Content-Type: text/plain; charset=windows-1251',
      'Content-Transfer-Encoding: base64',
      '',
      iconv.encode('Опора 12345-MSK-01 без питания', 'windows-1251').toString('base64'),
      '--OUT--',
    );
    const email = parsed(raw);
    expect(email.body).toBe(`Пересылаю письмо <a@b.ru>.\n\n${'-'.repeat(30)}\nОпора 12345-MSK-01 без питания`);
    expect(email.embeddedMessageIds).toEqual(['<orig@y.ru>']);
    expect(email.attachments).toEqual([]);
  });

  test('MAIL-12: HTML charset from <meta> when the Content-Type has none', () => {
    const raw = eml(
      'Content-Type: text/html',
      'Content-Transfer-Encoding: 8bit',
      '',
      Buffer.concat([
        Buffer.from('<html><head><meta charset="windows-1251"></head><body><p>'),
        iconv.encode('Привет', 'windows-1251'),
        Buffer.from('</p></body></html>'),
      ]),
    );
    expect(parsed(raw).body).toBe('Привет');
  });

  test('MAIL-11: raw koi8-r header bytes read with the body charset hint', () => {
    const raw = eml(
      Buffer.concat([Buffer.from('Subject: '), iconv.encode('Авария', 'koi8-r')]),
      Buffer.concat([Buffer.from('From: '), iconv.encode('Иванов', 'koi8-r'), Buffer.from(' <ivanov@Mail.RU>')]),
      'Content-Type: text/plain; charset=koi8-r',
      '',
      iconv.encode('Тело', 'koi8-r'),
    );
    expect(parsed(raw)).toMatchObject({ subject: 'Авария', fromAddress: 'ivanov@mail.ru', body: 'Тело' });
  });

  test('MAIL-11: To and Cc from all headers, Bcc, de-duplicated per kind', () => {
    const raw = eml(
      'To: A <a@x.ru>, b@x.ru',
      'To: A@X.RU, c@x.ru',
      'Cc: b@x.ru, bad-address',
      'Bcc: hidden@x.ru',
      '',
      'b',
    );
    const email = parsed(raw);
    expect([email.to, email.cc, email.bcc]).toEqual([['a@x.ru', 'b@x.ru', 'c@x.ru'], ['b@x.ru'], ['hidden@x.ru']]);
    expect(email.warnings).toEqual(['cc: ignored 1 unusable address(es): ["bad-address"]']);
  });

  test('ATT-1 / ATT-2: unnamed, inline and disallowed attachments', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    const raw = eml(
      'Content-Type: multipart/related; boundary=R',
      '',
      '--R',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Фото <img src="cid:img1@x"></p>',
      '--R',
      'Content-Type: image/png',
      'Content-ID: <img1@x>',
      'Content-Transfer-Encoding: base64',
      '',
      png.toString('base64'),
      '--R',
      'Content-Type: application/pdf',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF').toString('base64'),
      '--R',
      'Content-Type: application/octet-stream; name="../../evil:setup.exe"',
      'Content-Disposition: attachment',
      '',
      'MZ',
      '--R',
      'Content-Type: application/zip',
      'Content-Disposition: attachment; filename="big.zip"',
      '',
      'x'.repeat(100),
      '--R--',
    );
    const email = parsed(raw, { attachmentMaxStoreBytes: 50 });
    expect(email.body).toBe('Фото');
    expect(
      email.attachments.map((a) => [
        a.partIndex,
        a.kind,
        a.fileName,
        a.mimeType,
        a.size,
        a.decision,
        a.contentId,
        a.content === null,
      ]),
    ).toEqual([
      [2, 'inline', 'attachment-1.png', 'image/png', 4, 'stored', 'img1@x', false],
      [3, 'attachment', 'attachment-2.pdf', 'application/pdf', 4, 'stored', null, false],
      [4, 'attachment', 'evilsetup.exe', 'application/octet-stream', 2, 'skipped_type', null, true],
      [5, 'attachment', 'big.zip', 'application/zip', 100, 'skipped_size', null, true],
    ]);
    expect(email.warnings).toEqual([
      'attachment "evilsetup.exe" (application/octet-stream, 2 bytes): skipped_type',
      'attachment "big.zip" (application/zip, 100 bytes): skipped_size',
    ]);
  });

  test('MAIL-12: web-form JSON body sets the requester and observers, From unchanged', () => {
    const form = {
      Имя: 'Иван',
      'E-mail для обратной связи': 'ivan@client.ru',
      'E-mail наблюдателя по заявке': 'boss@client.ru',
    };
    const email = parsed(
      eml('From: robot@site.ru', 'Content-Type: text/plain; charset=utf-8', '', JSON.stringify(form)),
    );
    expect(email).toMatchObject({
      fromAddress: 'robot@site.ru',
      requesterAddress: 'ivan@client.ru',
      observerAddresses: ['boss@client.ru'],
      body: 'Имя: Иван\nE-mail для обратной связи: ivan@client.ru\nE-mail наблюдателя по заявке: boss@client.ru',
    });
  });

  test('NOISE-1 / NOISE-3: a delivery report is a bounce and exposes the original Message-ID', () => {
    const raw = eml(
      'From: MAILER-DAEMON@mx.client.ru',
      'Subject: Undelivered Mail Returned to Sender',
      'Content-Type: multipart/report; report-type=delivery-status; boundary=R',
      '',
      '--R',
      'Content-Type: text/plain',
      '',
      'Delivery failed.',
      '--R',
      'Content-Type: message/delivery-status',
      '',
      'Status: 5.1.1',
      '--R',
      'Content-Type: text/rfc822-headers',
      '',
      'Message-ID: <dispatch.ack.12@dispatch.example.test>',
      'Subject: Заявка принята',
      '--R--',
    );
    const email = parsed(raw);
    expect(email.classification).toBe('bounce');
    expect(email.embeddedMessageIds).toEqual(['<dispatch.ack.12@dispatch.example.test>']);
    expect(email.body).toBe('Delivery failed.');
    expect(email.attachments).toEqual([]);
  });

  test('NOISE-1: own by outbox set and by the <dispatch.…@domain> pattern; tracker by headers + key', () => {
    const ours = eml('Message-ID: <dispatch.close.3@dispatch.example.test>', 'From: test@example.test', '', 'b');
    expect(parsed(ours).classification).toBe('own');
    expect(parsed(ours, { messageIdDomain: 'other.test' }).classification).toBe('self_sent');
    const sent = eml('Message-ID: <n1@example.test>', '', 'b');
    expect(parsed(sent, { outboxMessageIds: new Set(['<n1@example.test>']) }).classification).toBe('own');
    const tracker = eml('X-Yandex-Tracker-Mail-Type: comment', 'Subject: [AVRSERVICE-5] Авария', '', 'b');
    expect(parsed(tracker, { queueKey: 'AVRSERVICE' }).classification).toBe('tracker');
    expect(parsed(tracker, { queueKey: 'OTHER' }).classification).toBe('foreign_tracker');
  });

  test('NOISE-1: auto replies and denied senders', () => {
    expect(parsed(eml('From: a@b.ru', 'Auto-Submitted: auto-replied', '', 'b')).classification).toBe('auto_reply');
    expect(parsed(eml('From: a@spam.ru', '', 'b'), { senderDeny: ['*@spam.ru'] }).classification).toBe('denied');
    expect(parsed(eml('From: a@b.ru', '', 'b'), { folderRole: 'SENT' }).classification).toBe('self_sent');
  });
});
