import { describe, expect, test } from '@jest/globals';

import { parseInReplyTo, parseReferences } from '../../src/domain/mail/threading-headers.js';

const OWN = '<own@host.ru>';

describe('MAIL-10 In-Reply-To', () => {
  test('MAIL-10: the first <…> token, normalised', () => {
    expect(parseInReplyTo('  <parent@a.ru> <other@b.ru>', OWN)).toBe('<parent@a.ru>');
  });

  test('MAIL-10: text around the token is ignored', () => {
    expect(parseInReplyTo('Your message of "Mon, 1 Jan" <parent@a.ru>', OWN)).toBe('<parent@a.ru>');
  });

  test('MAIL-10: a lone bare id is wrapped like a Message-ID', () => {
    expect(parseInReplyTo('parent@a.ru', OWN)).toBe('<parent@a.ru>');
  });

  test('MAIL-10: absent header and empty value are absent', () => {
    expect(parseInReplyTo(null, OWN)).toBeNull();
    expect(parseInReplyTo('   ', OWN)).toBeNull();
  });

  test('MAIL-10: the message’s own Message-ID is treated as absent', () => {
    expect(parseInReplyTo('<own@host.ru>', OWN)).toBeNull();
  });

  test('MAIL-10: <auto-…>, <null>, <0>, <none> are treated as absent, case-insensitively', () => {
    expect(parseInReplyTo('<auto-123@tracker>', OWN)).toBeNull();
    expect(parseInReplyTo('<AUTO-reply@x.ru>', OWN)).toBeNull();
    expect(parseInReplyTo('<null>', OWN)).toBeNull();
    expect(parseInReplyTo('<NULL>', OWN)).toBeNull();
    expect(parseInReplyTo('<0>', OWN)).toBeNull();
    expect(parseInReplyTo('<None>', OWN)).toBeNull();
  });

  test('MAIL-10: ids that only resemble placeholders are kept', () => {
    expect(parseInReplyTo('<nullable@x.ru>', OWN)).toBe('<nullable@x.ru>');
    expect(parseInReplyTo('<0@x.ru>', OWN)).toBe('<0@x.ru>');
    expect(parseInReplyTo('<xauto-1@x.ru>', OWN)).toBe('<xauto-1@x.ru>');
  });

  test('GEN-8: an In-Reply-To longer than 998 characters is absent', () => {
    expect(parseInReplyTo(`<${'a'.repeat(2000)}@x.ru>`, OWN)).toBeNull();
  });
});

describe('MAIL-10 References', () => {
  test('MAIL-10: every <…> token in order', () => {
    expect(parseReferences(['<a@x> <b@x>\r\n <c@x>'], OWN)).toEqual(['<a@x>', '<b@x>', '<c@x>']);
  });

  test('MAIL-10: own Message-ID removed, duplicates removed (first kept), across headers', () => {
    expect(parseReferences(['<a@x> <own@host.ru> <b@x> <a@x>', '<c@x> <b@x>'], OWN)).toEqual([
      '<a@x>',
      '<b@x>',
      '<c@x>',
    ]);
  });

  test('MAIL-10: blanks inside brackets are trimmed before comparing', () => {
    expect(parseReferences(['< a@x > <a@x>'], OWN)).toEqual(['<a@x>']);
  });

  test('MAIL-10: placeholder ids are dropped from References too', () => {
    expect(parseReferences(['<null> <a@x> <0> <auto-1@y> <none>'], OWN)).toEqual(['<a@x>']);
  });

  test('MAIL-10: values without brackets contribute nothing', () => {
    expect(parseReferences(['a@x b@x', ''], OWN)).toEqual([]);
  });

  test('MAIL-10: 2,000 References are all kept in order', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `<ref-${i}@x.ru>`);
    const result = parseReferences([ids.join('\r\n ')], OWN);
    expect(result).toHaveLength(2000);
    expect(result[0]).toBe('<ref-0@x.ru>');
    expect(result[1999]).toBe('<ref-1999@x.ru>');
  });
});
