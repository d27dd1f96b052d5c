// Security (issue #8): the bad-input corpus through parseRawMessage alone (no servers), and the
// parser fixes the corpus revealed. The same table is asserted on the real ingestion path in
// test/integration/bad-input-corpus.test.ts.
import { describe, expect, test } from '@jest/globals';
import iconv from 'iconv-lite';

import { crLineBreaksToCrlf, parseMimeTree } from '../../src/adapters/mail/mime-tree.js';
import { parseRawMessage } from '../../src/adapters/mail/parse-message.js';
import type { ParseContext, ParsedEmail, ParseFailure } from '../../src/adapters/mail/parse-message.js';
import { decodeRawHeaderValue } from '../../src/domain/mail/headers.js';
import { isMostlyUtf8 } from '../../src/domain/mail/charset.js';
import { parseHeaderWithParams } from '../../src/domain/mail/header-params.js';
import { badInputCorpus, CORPUS_INTERNAL_DATE, CORPUS_MAX_STORE_MB } from '../fixtures/bad-input/corpus.js';
import type { BadInputCase, StoredExpectation } from '../fixtures/bad-input/corpus.js';

const CTX: ParseContext = {
  folderRole: 'INBOX',
  folderName: 'INBOX',
  uid: 1,
  uidValidity: 1,
  internalDate: CORPUS_INTERNAL_DATE,
  ownAddress: 'disp@example.ru',
  queueKey: 'AVRSERVICE',
  maxDateSkewHours: 24,
  messageIdDomain: 'dispatch.example.ru',
  attachmentMaxStoreBytes: CORPUS_MAX_STORE_MB * 1024 * 1024,
};

/** What Dovecot serves for a stored message: a NUL byte comes back as 0x80. */
function asServedByDovecot(raw: Buffer): Buffer {
  return Buffer.from(raw.map((b) => (b === 0 ? 0x80 : b)));
}

function parse(raw: Buffer): ParsedEmail | ParseFailure {
  return parseRawMessage(raw, CTX);
}

function parsed(raw: string | Buffer): ParsedEmail {
  const result = parse(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);
  if (!result.ok) throw new Error(`expected a parsed e-mail, got failure: ${result.reason}`);
  return result;
}

function projection(p: ParsedEmail, expected: StoredExpectation): Record<string, unknown> {
  const pick: Record<keyof StoredExpectation, () => unknown> = {
    outcome: () => 'stored',
    messageId: () => (p.isSyntheticId ? 'synthetic' : p.messageId),
    classification: () => p.classification,
    subject: () => p.subject,
    subjectLength: () => p.subject.length,
    fromAddress: () => p.fromAddress,
    body: () => p.body,
    bodyLength: () => p.body?.length ?? 0,
    bodyIncludes: () => (expected.bodyIncludes ?? []).filter((text) => p.body?.includes(text) === true),
    bodyExcludes: () => (expected.bodyExcludes ?? []).filter((text) => p.body?.includes(text) !== true),
    dateHeader: () => p.dateHeader?.toISOString() ?? null,
    effectiveDate: () => p.effectiveDate.toISOString(),
    to: () => p.to,
    toCount: () => p.to.length,
    referencesCount: () => p.references.length,
    inReplyTo: () => p.inReplyTo,
    attachments: () =>
      p.attachments.map((a) => ({ name: a.fileName, mimeType: a.mimeType, status: a.decision, size: a.size })),
  };
  const actual: Record<string, unknown> = {};
  for (const key of Object.keys(expected) as Array<keyof StoredExpectation>) actual[key] = pick[key]();
  return actual;
}

const corpus = badInputCorpus();

describe('security: the bad-input corpus through parseRawMessage', () => {
  test.each(corpus.map((c, i) => [c.kind, i] as const))('%s: parsed as the corpus says', (_kind, i) => {
    const c = corpus[i] as BadInputCase;
    const result = parse(asServedByDovecot(c.raw()));
    if (c.expected.outcome === 'failure') {
      expect(result).toEqual({ ok: false, reason: c.expected.reason, messageId: c.expected.messageId });
      return;
    }
    expect(result.ok ? projection(result, c.expected) : result).toEqual(c.expected);
  });
});

describe('parser fixes found by the corpus', () => {
  test('MAIL-11: one stray byte (a NUL served as 0x80) does not turn a UTF-8 header into windows-1251', () => {
    const bytes = Buffer.concat([Buffer.from('Авария'), Buffer.from([0x80]), Buffer.from('на опоре')]);
    expect(isMostlyUtf8(bytes)).toBe(true);
    expect(decodeRawHeaderValue(bytes, null)).toBe('Авария\uFFFDна опоре');
  });

  test('MAIL-11: windows-1251 and koi8-r header bytes are still detected as such', () => {
    const cp1251 = iconv.encode('Авария на опоре №5 — «срочно»', 'windows-1251');
    const koi8 = iconv.encode('Авария на опоре', 'koi8-r');
    expect([isMostlyUtf8(cp1251), isMostlyUtf8(koi8)]).toEqual([false, false]);
    expect([decodeRawHeaderValue(cp1251, null), decodeRawHeaderValue(koi8, null)]).toEqual([
      'Авария на опоре №5 — «срочно»',
      'Авария на опоре',
    ]);
  });

  test('MAIL-11 / MAIL-12: raw NUL bytes become a blank in the subject and are removed from the body', () => {
    const email = parsed(
      'From: noc@operator.ru\r\nSubject: Авария\0на опоре\r\nMessage-ID: <nul@x>\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n\r\nНет\0 питания\r\n',
    );
    expect([email.subject, email.body]).toEqual(['Авария на опоре', 'Нет питания']);
  });

  test('MAIL-11 / MAIL-12: a message with CR-only line breaks is read line by line', () => {
    expect(crLineBreaksToCrlf(Buffer.from('a: 1\rb: 2\r\rtext')).toString()).toBe('a: 1\r\nb: 2\r\n\r\ntext');
    // Any LF means the CRs are data (or CRLF already): left alone.
    expect(crLineBreaksToCrlf(Buffer.from('a: 1\r\nb: x\ry\r\n')).toString()).toBe('a: 1\r\nb: x\ry\r\n');
    const email = parsed('From: noc@operator.ru\rSubject: Старый Mac\rMessage-ID: <cr@x>\r\rСтрока 1\rСтрока 2\r');
    expect([email.messageId, email.subject, email.body]).toEqual(['<cr@x>', 'Старый Mac', 'Строка 1\nСтрока 2']);
  });

  test('ATT-4: unescaped backslashes of a Windows path in a quoted name stay separators', () => {
    expect(parseHeaderWithParams('attachment; filename="C:\\Docs\\act.pdf"').params['filename']).toBe(
      'C:\\Docs\\act.pdf',
    );
    // RFC 2045 quoted-pairs are still unescaped.
    expect(parseHeaderWithParams('attachment; filename="say \\"hi\\" \\\\ x.txt"').params['filename']).toBe(
      'say "hi" \\ x.txt',
    );
  });

  test('MAIL-12: a multipart of 20,000 parts is walked only up to the 5,000-node bound', () => {
    const raw = Buffer.from(
      'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' +
        Array.from({ length: 20_000 }, (_, i) => `--b\r\n\r\npart ${i}\r\n`).join('') +
        '--b--\r\n',
    );
    const tree = parseMimeTree(raw, null);
    expect([tree.nodes.length, tree.warnings]).toEqual([
      5000,
      ['MIME structure too large at part root: 15001 part(s) ignored'],
    ]);
  });

  test('MAIL-12: a blank first text part does not hide the text part after it', () => {
    const email = parsed(
      [
        'From: noc@operator.ru',
        'Message-ID: <blank@x>',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        '  ',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Нет питания',
        '--b--',
        '',
      ].join('\r\n'),
    );
    expect(email.body).toBe('Нет питания');
  });
});
