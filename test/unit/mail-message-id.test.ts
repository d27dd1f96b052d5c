import { createHash } from 'node:crypto';

import { describe, expect, test } from '@jest/globals';

import { isOwnMessageIdPattern } from '../../src/domain/mail/classification.js';
import { normaliseMessageId, resolveMessageId, syntheticMessageId } from '../../src/domain/mail/message-id.js';
import type { Sha256Hex } from '../../src/domain/mail/message-id.js';

const sha256: Sha256Hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
const source = { from: 'a@b.ru', date: 'Tue, 02 Jan 2024 09:15:00 +0300', subject: 'Тема', body: 'Текст' };

describe('MAIL-9 normalisation', () => {
  test('MAIL-9: trims and keeps a bracketed id', () => {
    expect(normaliseMessageId('  <abc@host.ru>  ')).toBe('<abc@host.ru>');
  });

  test('MAIL-9: wraps a bare id in angle brackets', () => {
    expect(normaliseMessageId(' abc@host.ru ')).toBe('<abc@host.ru>');
  });

  test('MAIL-9: takes the last <…> token', () => {
    expect(normaliseMessageId('<first@a.ru> (comment) <second@b.ru>')).toBe('<second@b.ru>');
  });

  test('MAIL-9: ignores trailing junk after the token', () => {
    expect(normaliseMessageId('<x.1@host>;')).toBe('<x.1@host>');
  });

  test('MAIL-9: decodes an RFC 2047 encoded value first', () => {
    expect(normaliseMessageId('=?utf-8?B?PGVuY29kZWRAaG9zdC5ydT4=?=')).toBe('<encoded@host.ru>');
  });

  test('MAIL-9: trims blanks inside the brackets', () => {
    expect(normaliseMessageId('< spaced@host.ru >')).toBe('<spaced@host.ru>');
  });

  test('MAIL-9: empty, blank, bracket-only or blank-containing values are unusable', () => {
    expect(normaliseMessageId(null)).toBeNull();
    expect(normaliseMessageId('')).toBeNull();
    expect(normaliseMessageId('   ')).toBeNull();
    expect(normaliseMessageId('<>')).toBeNull();
    expect(normaliseMessageId('two words')).toBeNull();
  });
});

describe('MAIL-9 synthetic id', () => {
  test('MAIL-9: synthetic id is sha256 over raw From, Date, Subject and the normalised body', () => {
    const expected = createHash('sha256')
      .update(JSON.stringify([source.from, source.date, source.subject, source.body]))
      .digest('hex');
    expect(syntheticMessageId(source, sha256)).toBe(`<synthetic.${expected}@dispatch.invalid>`);
  });

  test('MAIL-9: the same input always gives the same synthetic id; any field changes it', () => {
    const id = syntheticMessageId(source, sha256);
    expect(syntheticMessageId({ ...source }, sha256)).toBe(id);
    expect(syntheticMessageId({ ...source, body: 'Другой текст' }, sha256)).not.toBe(id);
    expect(syntheticMessageId({ ...source, subject: null }, sha256)).not.toBe(id);
    expect(id).toMatch(/^<synthetic\.[0-9a-f]{64}@dispatch\.invalid>$/);
  });

  test('MAIL-9: field boundaries cannot be shifted between values', () => {
    const a = syntheticMessageId({ from: 'ab', date: 'c', subject: null, body: null }, sha256);
    const b = syntheticMessageId({ from: 'a', date: 'bc', subject: null, body: null }, sha256);
    expect(a).not.toBe(b);
  });

  test('MAIL-9: a missing Message-ID gets the synthetic id', () => {
    expect(resolveMessageId(null, source, sha256)).toEqual({
      messageId: syntheticMessageId(source, sha256),
      isSynthetic: true,
      problem: 'missing',
    });
  });

  test('MAIL-9: an unusable Message-ID gets the synthetic id', () => {
    expect(resolveMessageId('<>', source, sha256)).toMatchObject({ isSynthetic: true, problem: 'unusable' });
  });

  test('MAIL-9: a usable Message-ID is kept', () => {
    expect(resolveMessageId('<ok@host.ru>', source, sha256)).toEqual({
      messageId: '<ok@host.ru>',
      isSynthetic: false,
      problem: null,
    });
  });

  test('GEN-8: a Message-ID of exactly 998 characters is kept', () => {
    const id = `<${'a'.repeat(991)}@h.ru>`;
    expect(id).toHaveLength(998);
    expect(resolveMessageId(id, source, sha256)).toMatchObject({ messageId: id, isSynthetic: false });
  });

  test('GEN-8: a Message-ID longer than 998 characters is replaced by the synthetic id', () => {
    const id = `<${'a'.repeat(992)}@h.ru>`;
    expect(id).toHaveLength(999);
    expect(resolveMessageId(id, source, sha256)).toEqual({
      messageId: syntheticMessageId(source, sha256),
      isSynthetic: true,
      problem: 'too-long',
    });
  });
});

describe('NOISE-1 own Message-ID pattern', () => {
  test('NOISE-1: <dispatch.…@MAIL_MESSAGE_ID_DOMAIN> is ours, domain case-insensitive', () => {
    expect(isOwnMessageIdPattern('<dispatch.ack.12.1@dispatch.example.ru>', 'dispatch.example.ru')).toBe(true);
    expect(isOwnMessageIdPattern('<dispatch.ack.12.1@Dispatch.EXAMPLE.ru>', 'dispatch.example.ru')).toBe(true);
  });

  test('NOISE-1: other domains, other prefixes and an empty middle are not ours', () => {
    expect(isOwnMessageIdPattern('<dispatch.ack.1@other.ru>', 'dispatch.example.ru')).toBe(false);
    expect(isOwnMessageIdPattern('<dispatchx.1@dispatch.example.ru>', 'dispatch.example.ru')).toBe(false);
    expect(isOwnMessageIdPattern('<dispatch.@dispatch.example.ru>', 'dispatch.example.ru')).toBe(false);
    expect(isOwnMessageIdPattern('<x.dispatch.1@dispatch.example.ru>', 'dispatch.example.ru')).toBe(false);
  });
});
