import { describe, expect, test } from '@jest/globals';
import iconv from 'iconv-lite';

import { decodeBytes, detectCharset, isValidUtf8, supportedCharset } from '../../src/domain/mail/charset.js';
import {
  collectAddresses,
  decodeRawHeaderValue,
  decodeSubject,
  effectiveDate,
  isValidAddress,
  parseAddressList,
  parseFromAddress,
  parseMailDate,
} from '../../src/domain/mail/headers.js';
import { decodeEncodedWords } from '../../src/domain/mail/rfc2047.js';

const b64 = (text: string, charset = 'utf-8'): string =>
  `=?${charset}?B?${iconv.encode(text, charset).toString('base64')}?=`;

describe('MAIL-11 subject', () => {
  test('MAIL-11: adjacent encoded-words are joined without the folding whitespace', () => {
    const raw = `${b64('[ТЕСТ-42] Задача: не работает ')}\r\n ${b64('отправка писем')}`;
    expect(decodeSubject(raw).subject).toBe('[ТЕСТ-42] Задача: не работает отправка писем');
  });

  test('MAIL-11: every encoded-word is decoded with its own charset', () => {
    const raw = `${b64('Счёт ', 'windows-1251')} ${b64('и ', 'koi8-r')}${b64('акт', 'utf-8')} №7`;
    expect(decodeSubject(raw).subject).toBe('Счёт и акт №7');
  });

  test('MAIL-11: Q-encoding with underscores as spaces', () => {
    expect(decodeSubject('=?windows-1251?Q?=D1=F7=B8=F2_=B9_15?=').subject).toBe('Счёт № 15');
  });

  test('MAIL-11: a multi-byte character split across two words survives', () => {
    const bytes = Buffer.from('Ёж', 'utf8');
    const raw = `=?utf-8?B?${bytes.subarray(0, 1).toString('base64')}?= =?utf-8?B?${bytes.subarray(1).toString('base64')}?=`;
    expect(decodeSubject(raw).subject).toBe('Ёж');
  });

  test('MAIL-11: text between encoded-words keeps its spaces', () => {
    expect(decodeSubject(`Re: ${b64('Авария')} на опоре ${b64('12345-MSK-01')}`).subject).toBe(
      'Re: Авария на опоре 12345-MSK-01',
    );
  });

  test('MAIL-11: unfolds, collapses whitespace and trims', () => {
    expect(decodeSubject('  Авария\r\n\t на   опоре  ').subject).toBe('Авария на опоре');
  });

  test('MAIL-11: an unknown charset falls back to detection (cp1251 bytes)', () => {
    const raw = `=?x-unknown?B?${iconv.encode('Авария на опоре', 'windows-1251').toString('base64')}?=`;
    expect(decodeSubject(raw).subject).toBe('Авария на опоре');
  });

  test('MAIL-11: an unknown charset with UTF-8 bytes decodes as UTF-8', () => {
    const raw = `=?bogus-charset?B?${Buffer.from('Привет').toString('base64')}?=`;
    expect(decodeSubject(raw).subject).toBe('Привет');
  });

  test('MAIL-11: RFC 2231 language suffix in the charset is ignored', () => {
    expect(decodeEncodedWords(`=?utf-8*ru?B?${Buffer.from('Тест').toString('base64')}?=`)).toBe('Тест');
  });

  test('MAIL-11: a broken encoded-word payload still decodes without throwing', () => {
    expect(decodeSubject('=?utf-8?B?!!!0J/RgNC4?=').subject).toBe('При');
    expect(decodeSubject('=?utf-8?Q?=ZZ=D0=9F?=').subject).toBe('=ZZП');
  });

  test('GEN-8: the subject is truncated to 1024 characters and NFC-normalised', () => {
    const long = decodeSubject('Я'.repeat(1500));
    expect(long.subject).toHaveLength(1024);
    expect(long.truncated).toBe(true);
    expect(decodeSubject('е\u0308лка').subject).toBe('ёлка');
  });

  test('MAIL-11: control characters in the subject become spaces', () => {
    expect(decodeSubject('a\u0000b\u0007c').subject).toBe('a b c');
  });
});

describe('MAIL-11 raw 8-bit header bytes', () => {
  test('MAIL-11: valid UTF-8 bytes are UTF-8', () => {
    expect(decodeRawHeaderValue(Buffer.from('Тема письма'), 'windows-1251')).toBe('Тема письма');
  });

  test('MAIL-11: cp1251 bytes are read with the body charset hint', () => {
    expect(decodeRawHeaderValue(iconv.encode('Тема без кодирования', 'windows-1251'), 'windows-1251')).toBe(
      'Тема без кодирования',
    );
  });

  test('MAIL-11: without a hint, windows-1251 and koi8-r are told apart', () => {
    expect(decodeRawHeaderValue(iconv.encode('Сидоров Пётр', 'windows-1251'), null)).toBe('Сидоров Пётр');
    expect(decodeRawHeaderValue(iconv.encode('Сидоров Пётр', 'koi8-r'), null)).toBe('Сидоров Пётр');
    expect(decodeRawHeaderValue(iconv.encode('Авария на опоре', 'koi8-r'), 'utf-8')).toBe('Авария на опоре');
  });

  test('MAIL-11: ASCII stays as it is', () => {
    expect(decodeRawHeaderValue(Buffer.from('plain =?utf-8?B?0K8=?='), null)).toBe('plain =?utf-8?B?0K8=?=');
  });
});

describe('MAIL-12 charset decoding', () => {
  test('MAIL-12: declared charsets are honoured (windows-1251, koi8-r, aliases)', () => {
    expect(decodeBytes(iconv.encode('Ёлки', 'windows-1251'), 'windows-1251')).toEqual({
      text: 'Ёлки',
      charset: 'windows-1251',
      detected: false,
    });
    expect(decodeBytes(iconv.encode('Ёлки', 'koi8-r'), '"KOI8-R"').text).toBe('Ёлки');
    expect(decodeBytes(iconv.encode('Ёлки', 'windows-1251'), 'x-cp1251').text).toBe('Ёлки');
  });

  test('MAIL-12: absent or invalid charset → detection', () => {
    expect(decodeBytes(iconv.encode('Добрый день', 'koi8-r'), 'no-such-charset')).toEqual({
      text: 'Добрый день',
      charset: 'koi8-r',
      detected: true,
    });
    expect(decodeBytes(iconv.encode('Добрый день', 'windows-1251'), null).charset).toBe('windows-1251');
  });

  test('MAIL-12: US-ASCII declared over 8-bit bytes is treated as a mislabel', () => {
    expect(decodeBytes(iconv.encode('Привет', 'windows-1251'), 'us-ascii').text).toBe('Привет');
  });

  test('MAIL-12: undecodable UTF-8 bytes become U+FFFD, never an exception', () => {
    expect(decodeBytes(Uint8Array.from([0x41, 0xff, 0x42]), 'utf-8').text).toBe('A\uFFFDB');
  });

  test('MAIL-12: strict UTF-8 validation and detection', () => {
    expect(isValidUtf8(Buffer.from('ёж 😀'))).toBe(true);
    expect(isValidUtf8(Uint8Array.from([0xc0, 0x80]))).toBe(false);
    expect(isValidUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe(false);
    expect(isValidUtf8(Uint8Array.from([0xe2, 0x82]))).toBe(false);
    expect(detectCharset(Buffer.from('abc'))).toBe('utf-8');
    expect(supportedCharset('default')).toBeNull();
    expect(supportedCharset('x-mac-cyrillic')).toBe('maccyrillic');
  });
});

describe('MAIL-11 From', () => {
  test('MAIL-11: the first mailbox, domain lower-cased, local part preserved', () => {
    expect(parseFromAddress('"Петров, Иван" <Ivan.Petrov@Example.RU>, other@x.ru')).toEqual({
      address: 'Ivan.Petrov@example.ru',
      source: 'mailbox',
      truncated: false,
    });
  });

  test('MAIL-11: encoded display names and bare addresses', () => {
    expect(parseFromAddress(`${b64('Яндекс Трекер')} <tracker@yandex.test>`).address).toBe('tracker@yandex.test');
    expect(parseFromAddress('noreply@service.test').address).toBe('noreply@service.test');
    expect(parseFromAddress('user@host.ru (Иван)').address).toBe('user@host.ru');
  });

  test('MAIL-11: unparsable From → the last token that looks like an address', () => {
    expect(parseFromAddress('Иван <broken, see first@a.ru or second@b.ru.')).toEqual({
      address: 'second@b.ru',
      source: 'token',
      truncated: false,
    });
  });

  test('MAIL-11: no address at all → the raw header, truncated to 254', () => {
    expect(parseFromAddress('Диспетчерская служба')).toEqual({
      address: 'Диспетчерская служба',
      source: 'raw',
      truncated: false,
    });
    const long = parseFromAddress('Я'.repeat(300));
    expect(long.address).toHaveLength(254);
    expect(long.truncated).toBe(true);
  });

  test('MAIL-11: missing or empty From → null', () => {
    expect(parseFromAddress(null).address).toBeNull();
    expect(parseFromAddress('  ').address).toBeNull();
  });
});

describe('MAIL-11 To / Cc / Bcc', () => {
  test('MAIL-11: addresses from all headers of a kind, de-duplicated case-insensitively, order kept', () => {
    expect(
      collectAddresses(['"Иванов" <Ivan@Mail.ru>, petr@x.ru', 'IVAN@mail.RU; group: a@b.ru, c@d.ru;, petr@X.RU']),
    ).toEqual({ addresses: ['Ivan@mail.ru', 'petr@x.ru', 'a@b.ru', 'c@d.ru'], rejected: [] });
  });

  test('MAIL-11 / GEN-9: the first spelling of the local part is kept', () => {
    expect(collectAddresses(['Ivan@x.ru', 'ivan@X.ru']).addresses).toEqual(['Ivan@x.ru']);
  });

  test('MAIL-11: only local@domain.tld addresses; others are reported', () => {
    expect(collectAddresses(['user@localhost, <>, root, a@b.c, ok@почта.рф, undisclosed-recipients:;'])).toEqual({
      addresses: ['ok@почта.рф'],
      rejected: ['user@localhost', 'root', 'a@b.c'],
    });
  });

  test('MAIL-11: each address is at most 254 characters', () => {
    const long = `${'a'.repeat(64)}@${'b'.repeat(185)}.ru`;
    expect(long).toHaveLength(253);
    expect(isValidAddress(long)).toBe(true);
    expect(isValidAddress(`x${long}x`)).toBe(false);
    expect(collectAddresses([`x${long}x`]).addresses).toEqual([]);
  });

  test('MAIL-11: a missing comma between bracketed addresses still yields both', () => {
    expect(parseAddressList('A <a@x.ru> B <b@y.ru>').map((m) => m.address)).toEqual(['a@x.ru', 'b@y.ru']);
  });

  test('MAIL-11: obsolete source routes are removed', () => {
    expect(parseAddressList('<@relay.ru:user@host.ru>')).toEqual([{ name: '', address: 'user@host.ru' }]);
  });
});

describe('MAIL-11 Date', () => {
  const utc = (iso: string): Date => new Date(iso);

  test('MAIL-11: RFC 5322 date with numeric zone', () => {
    expect(parseMailDate('Tue, 02 Jan 2024 09:15:00 +0300')).toEqual(utc('2024-01-02T06:15:00Z'));
  });

  test('MAIL-11: zone names GMT, UT, MSK, EST', () => {
    expect(parseMailDate('Tue, 2 Jan 2024 09:15:00 GMT')).toEqual(utc('2024-01-02T09:15:00Z'));
    expect(parseMailDate('Tue, 2 Jan 2024 09:15:00 UT')).toEqual(utc('2024-01-02T09:15:00Z'));
    expect(parseMailDate('Tue, 2 Jan 2024 09:15:00 MSK')).toEqual(utc('2024-01-02T06:15:00Z'));
    expect(parseMailDate('Tue, 2 Jan 2024 09:15:00 EST')).toEqual(utc('2024-01-02T14:15:00Z'));
  });

  test('MAIL-11: missing seconds, missing weekday, trailing comments', () => {
    expect(parseMailDate('2 Jan 2024 09:15 +0300')).toEqual(utc('2024-01-02T06:15:00Z'));
    expect(parseMailDate('Tue, 02 Jan 2024 09:15:00 +0300 (MSK)')).toEqual(utc('2024-01-02T06:15:00Z'));
    expect(parseMailDate('Tue, 02 Jan 2024 09:15:00 +0300 (Moscow (RTZ 2))')).toEqual(utc('2024-01-02T06:15:00Z'));
  });

  test('MAIL-11: two-digit years, unknown and military zones as -0000, extra zone words', () => {
    expect(parseMailDate('Mon, 1 Jan 24 00:00:00 GMT')).toEqual(utc('2024-01-01T00:00:00Z'));
    expect(parseMailDate('1 Jan 99 00:00:00 GMT')).toEqual(utc('1999-01-01T00:00:00Z'));
    expect(parseMailDate('1 Jan 2024 12:00:00 XYZT')).toEqual(utc('2024-01-01T12:00:00Z'));
    expect(parseMailDate('1 Jan 2024 12:00:00 +0300 MSK')).toEqual(utc('2024-01-01T09:00:00Z'));
  });

  test('MAIL-11: asctime and ISO-8601 forms', () => {
    expect(parseMailDate('Tue Jan  2 09:15:00 2024')).toEqual(utc('2024-01-02T09:15:00Z'));
    expect(parseMailDate('2024-01-02T09:15:00+03:00')).toEqual(utc('2024-01-02T06:15:00Z'));
  });

  test('MAIL-11: invalid dates are unparsable', () => {
    expect(parseMailDate('32 Foo 2024 25:61:00 +9999')).toBeNull();
    expect(parseMailDate('31 Feb 2024 10:00:00 +0000')).toBeNull();
    expect(parseMailDate('1 Jan 2024 10:00:00 +9999')).toBeNull();
    expect(parseMailDate('вчера')).toBeNull();
    expect(parseMailDate('')).toBeNull();
    expect(parseMailDate(null)).toBeNull();
  });

  test('MAIL-11: effective date is the Date header within MAIL_DATE_MAX_SKEW_HOURS', () => {
    const internal = utc('2024-01-02T06:00:00Z');
    const header = utc('2024-01-01T06:00:00Z');
    expect(effectiveDate(header, internal, 24)).toEqual({ date: header, source: 'date-header' });
  });

  test('MAIL-11: effective date is INTERNALDATE when the skew exceeds the limit or Date is unparsable', () => {
    const internal = utc('2024-01-02T06:00:00Z');
    expect(effectiveDate(utc('2024-01-01T05:59:59Z'), internal, 24)).toEqual({
      date: internal,
      source: 'internal-date',
    });
    expect(effectiveDate(utc('2024-01-03T06:00:01Z'), internal, 24)).toEqual({
      date: internal,
      source: 'internal-date',
    });
    expect(effectiveDate(null, internal, 24)).toEqual({ date: internal, source: 'internal-date' });
  });
});
