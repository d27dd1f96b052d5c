import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';

import {
  limitAddress,
  limitChars,
  limitFileName,
  limitIncidentCode,
  limitStatusComment,
  limitSubject,
  limitUtf8Bytes,
  MAIL_LIMITS,
  utf8ByteLength,
} from '../../src/domain/mail/text-limits.js';

describe('GEN-8 text limits', () => {
  test('GEN-8: the limits are subject 1024, address 254, comment 512, code 32, file name 255 bytes, Message-ID 998', () => {
    expect(MAIL_LIMITS).toEqual({
      subjectChars: 1024,
      addressChars: 254,
      statusCommentChars: 512,
      incidentCodeChars: 32,
      fileNameBytes: 255,
      messageIdChars: 998,
    });
  });

  test('GEN-8: values within the limit are returned unchanged and not flagged', () => {
    expect(limitSubject('Тема')).toEqual({ value: 'Тема', truncated: false });
    expect(limitChars('a'.repeat(10), 10)).toEqual({ value: 'a'.repeat(10), truncated: false });
  });

  test('GEN-8: over-long values are truncated and flagged', () => {
    expect(limitSubject('x'.repeat(1025))).toEqual({ value: 'x'.repeat(1024), truncated: true });
    expect(limitAddress('a'.repeat(300)).value).toHaveLength(254);
    expect(limitStatusComment('к'.repeat(600)).value).toHaveLength(512);
    expect(limitIncidentCode('AVRSERVICE-' + '1'.repeat(40))).toEqual({
      value: 'AVRSERVICE-' + '1'.repeat(21),
      truncated: true,
    });
  });

  test('GEN-8: a surrogate pair is never split by a character limit', () => {
    expect(limitChars('ab😀', 3)).toEqual({ value: 'ab', truncated: true });
  });

  test('GEN-8: file names are limited in UTF-8 bytes without cutting a character', () => {
    expect(limitFileName('я'.repeat(200))).toEqual({ value: 'я'.repeat(127), truncated: true });
    expect(limitUtf8Bytes('a😀', 4)).toEqual({ value: 'a', truncated: true });
    expect(limitUtf8Bytes('a😀', 5)).toEqual({ value: 'a😀', truncated: false });
    expect(utf8ByteLength('aя€😀')).toBe(1 + 2 + 3 + 4);
  });

  test('GEN-8: byte-limited values are prefixes within the limit (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 0, max: 300 }), (text, max) => {
        const { value, truncated } = limitUtf8Bytes(text, max);
        expect(text.startsWith(value)).toBe(true);
        expect(utf8ByteLength(value)).toBeLessThanOrEqual(max);
        expect(truncated).toBe(value !== text);
        expect(new TextEncoder().encode(value).length).toBe(utf8ByteLength(value));
      }),
      { numRuns: 1000 },
    );
  });
});
