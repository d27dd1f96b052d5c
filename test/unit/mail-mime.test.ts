import { describe, expect, test } from '@jest/globals';
import iconv from 'iconv-lite';

import { decodeTransfer, parseMimeTree, splitHeaderBlock, splitMultipart } from '../../src/adapters/mail/mime-tree.js';
import { parseHeaderWithParams } from '../../src/domain/mail/header-params.js';
import { decodeBase64, decodeQuotedPrintable } from '../../src/domain/mail/transfer-encoding.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

describe('MAIL-12 transfer encodings (lenient)', () => {
  test('MAIL-12: base64 with line breaks, junk characters and missing padding', () => {
    expect(text(decodeBase64('0J/RgNC4\r\n0LLQtdGC'))).toBe('Привет');
    expect(text(decodeBase64('0J/R!!gNC4*'))).toBe('При');
    expect(text(decodeBase64('YWJjZA'))).toBe('abcd');
  });

  test('MAIL-12: base64 with padding in the middle (concatenated chunks) decodes chunk by chunk', () => {
    expect(text(decodeBase64('YQ==YmM='))).toBe('abc');
  });

  test('MAIL-12: quoted-printable soft breaks, lower-case hex, broken escapes kept literally', () => {
    const qp = Buffer.from('=D0=9F=d1=80=D0=B8=\r\n=D0=B2=D0=B5=D1=82 a=3Db =ZZ =\n= \r\nend=');
    expect(text(decodeQuotedPrintable(qp))).toBe('Привет a=b =ZZ end');
  });

  test('MAIL-11: Q-words turn underscores into spaces', () => {
    expect(text(decodeQuotedPrintable(Buffer.from('a_b=5F'), true))).toBe('a b_');
  });
});

describe('ATT-1 parameters (RFC 2045, RFC 2231, RFC 2047)', () => {
  test('ATT-1: RFC 2231 continuations with charset are joined and decoded', () => {
    const value =
      "attachment;\r\n filename*0*=utf-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%20%D0%B7%D0%B0%20;\r\n filename*1*=%D1%8F%D0%BD%D0%B2%D0%B0%D1%80%D1%8C.pdf";
    expect(parseHeaderWithParams(value)).toEqual({ value: 'attachment', params: { filename: 'отчёт за январь.pdf' } });
  });

  test('ATT-1: a multi-byte character split across continuations survives; cp1251 charset', () => {
    expect(parseHeaderWithParams("inline; filename*0*=utf-8''%D0; filename*1*=%AF.txt").params['filename']).toBe(
      'Я.txt',
    );
    expect(parseHeaderWithParams("a; name*=windows-1251'ru'%DF%F9%E8%EA.doc").params['name']).toBe('Ящик.doc');
  });

  test('ATT-1: plain continuations and the extended form win over the plain parameter', () => {
    expect(parseHeaderWithParams('a; filename*0="long "; filename*1="name.txt"').params['filename']).toBe(
      'long name.txt',
    );
    expect(parseHeaderWithParams('a; filename="old.txt"; filename*=utf-8\'\'new.txt').params['filename']).toBe(
      'new.txt',
    );
  });

  test('ATT-1: RFC 2047 words in quoted names are decoded', () => {
    const name = `=?windows-1251?B?${iconv.encode('заметки.txt', 'windows-1251').toString('base64')}?=`;
    expect(parseHeaderWithParams(`text/plain; charset=windows-1251; name="${name}"`)).toEqual({
      value: 'text/plain',
      params: { charset: 'windows-1251', name: 'заметки.txt' },
    });
  });

  test('ATT-1: quoted values keep ; and escaped quotes; names are case-insensitive; comments dropped', () => {
    expect(parseHeaderWithParams('Text/HTML (comment); CHARSET="UTF-8"; name="a;b \\"c\\".txt"')).toEqual({
      value: 'text/html',
      params: { charset: 'UTF-8', name: 'a;b "c".txt' },
    });
  });
});

describe('MIME structure', () => {
  test('MAIL-11: header fields are unfolded; lines without a colon are reported, not fatal', () => {
    const block = splitHeaderBlock(Buffer.from('Subject: a\r\n  b\r\nBroken line\r\nX-A : 1\r\n\r\nbody'));
    expect(block.headers.map((h) => [h.name, h.value.toString()])).toEqual([
      ['Subject', 'a  b'],
      ['X-A', '1'],
    ]);
    expect(block.junk).toEqual(['Broken line']);
    expect(block.body.toString()).toBe('body');
  });

  test('MAIL-12: multipart parts between boundaries; preamble, epilogue and look-alike lines ignored', () => {
    const body = Buffer.from('preamble\r\n--B\r\nA\r\n--BX not a delimiter\r\n--B  \r\nB\r\n--B--\r\nepilogue');
    expect(splitMultipart(body, 'B')?.map((p) => p.toString())).toEqual(['A\r\n--BX not a delimiter', 'B']);
  });

  test('MAIL-12: a missing closing delimiter keeps the last part; no delimiter at all → null', () => {
    expect(splitMultipart(Buffer.from('--B\nA\n--B\nB\n'), 'B')?.map((p) => p.toString())).toEqual(['A', 'B\n']);
    expect(splitMultipart(Buffer.from('no parts here'), 'B')).toBeNull();
  });

  test('MAIL-12: nested multiparts and embedded messages get depth-first indexes and IMAP paths', () => {
    const raw = Buffer.from(
      [
        'Content-Type: multipart/mixed; boundary=O',
        '',
        '--O',
        'Content-Type: multipart/alternative; boundary=I',
        '',
        '--I',
        'Content-Type: text/plain',
        '',
        'plain',
        '--I',
        'Content-Type: text/html',
        '',
        '<p>html</p>',
        '--I--',
        '--O',
        'Content-Type: message/rfc822',
        '',
        'Subject: inner',
        'Content-Type: text/plain',
        '',
        'inner text',
        '--O--',
      ].join('\r\n'),
    );
    const tree = parseMimeTree(raw, null);
    expect(tree.nodes.map((n) => [n.index, n.path, n.contentType, n.messageRoot])).toEqual([
      [0, '', 'multipart/mixed', 0],
      [1, '1', 'multipart/alternative', 0],
      [2, '1.1', 'text/plain', 0],
      [3, '1.2', 'text/html', 0],
      [4, '2', 'message/rfc822', 0],
      [5, '2', 'text/plain', 5],
    ]);
    expect(decodeTransfer(tree.nodes[5]!).toString()).toBe('inner text');
  });

  test('MAIL-12: hostile nesting depth is bounded and reported', () => {
    let raw = 'leaf';
    for (let i = 0; i < 100; i++)
      raw = `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n${raw}\r\n--b${i}--`;
    const tree = parseMimeTree(Buffer.from(raw), null);
    expect(tree.nodes.length).toBe(41);
    expect(tree.warnings).toEqual([
      `MIME structure too deep or too large at part ${Array(40).fill('1').join('.')}: kept as one part`,
    ]);
  });
});
