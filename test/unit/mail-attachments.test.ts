import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';

import {
  attachmentKind,
  decideStorage,
  defaultAttachmentName,
  DEFAULT_ATTACHMENT_MAX_STORE_BYTES,
  extensionForMime,
  fileExtension,
  isAllowedType,
  sanitiseFileName,
} from '../../src/domain/mail/attachments.js';
import { utf8ByteLength } from '../../src/domain/mail/text-limits.js';

const info = (contentType: string, disposition: string | null, fileName: string | null, isMainBody = false) => ({
  contentType,
  disposition,
  fileName,
  isMainBody,
});

describe('ATT-1 which parts are attachments', () => {
  test('ATT-1: Content-Disposition: attachment makes any part an attachment', () => {
    expect(attachmentKind(info('application/pdf', 'attachment', 'a.pdf'))).toBe('attachment');
    expect(attachmentKind(info('text/plain', 'attachment', null))).toBe('attachment');
    expect(attachmentKind(info('image/png', 'attachment', 'p.png'))).toBe('attachment');
  });

  test('ATT-1: image/* parts that are not the main body are inline attachments', () => {
    expect(attachmentKind(info('image/png', null, null))).toBe('inline');
    expect(attachmentKind(info('image/jpeg', 'inline', 'photo.jpg'))).toBe('inline');
  });

  test('ATT-1: the main body, text alternatives, containers and embedded messages are not attachments', () => {
    expect(attachmentKind(info('text/plain', null, null, true))).toBeNull();
    expect(attachmentKind(info('text/html', null, null))).toBeNull();
    expect(attachmentKind(info('text/plain', 'inline', null))).toBeNull();
    expect(attachmentKind(info('multipart/mixed', null, null))).toBeNull();
    expect(attachmentKind(info('message/rfc822', null, null))).toBeNull();
    expect(attachmentKind(info('message/delivery-status', null, null))).toBeNull();
  });

  test('ATT-1: named parts and non-text leaves without a disposition are attachments (files are not lost)', () => {
    expect(attachmentKind(info('application/pdf', null, null))).toBe('attachment');
    expect(attachmentKind(info('text/plain', null, 'log.txt'))).toBe('attachment');
    expect(attachmentKind(info('application/pdf', 'inline', 'scan.pdf'))).toBe('attachment');
  });

  test('ATT-1: an attachment without a name gets attachment-<n>.<ext from MIME>', () => {
    expect(defaultAttachmentName(1, 'application/pdf')).toBe('attachment-1.pdf');
    expect(defaultAttachmentName(2, 'image/jpeg')).toBe('attachment-2.jpg');
    expect(defaultAttachmentName(3, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).toBe(
      'attachment-3.xlsx',
    );
    expect(defaultAttachmentName(4, 'application/x-unknown')).toBe('attachment-4.bin');
    expect(extensionForMime(' IMAGE/PNG ')).toBe('png');
  });
});

describe('ATT-2 storage decision', () => {
  test('ATT-2: allowed MIME prefix or allowed extension → stored', () => {
    expect(decideStorage({ mimeType: 'application/pdf', fileName: 'x.bin', size: 10 })).toBe('stored');
    expect(
      decideStorage({
        mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        fileName: 'x',
        size: 1,
      }),
    ).toBe('stored');
    expect(decideStorage({ mimeType: 'image/heic', fileName: 'x', size: 1 })).toBe('stored');
    expect(decideStorage({ mimeType: 'application/octet-stream', fileName: 'Акт.PDF', size: 10 })).toBe('stored');
    expect(decideStorage({ mimeType: 'application/octet-stream', fileName: 'scheme.VSDX', size: 10 })).toBe('stored');
  });

  test('ATT-2: neither allowed → skipped_type', () => {
    expect(decideStorage({ mimeType: 'application/octet-stream', fileName: 'virus.exe', size: 10 })).toBe(
      'skipped_type',
    );
    expect(decideStorage({ mimeType: 'text/html', fileName: 'page.html', size: 10 })).toBe('skipped_type');
    expect(decideStorage({ mimeType: 'audio/flac', fileName: 'a.flac', size: 10 })).toBe('skipped_type');
  });

  test('ATT-2: larger than ATTACHMENT_MAX_STORE_MB → skipped_size; exactly the limit is stored', () => {
    expect(DEFAULT_ATTACHMENT_MAX_STORE_BYTES).toBe(48 * 1024 * 1024);
    const limit = DEFAULT_ATTACHMENT_MAX_STORE_BYTES;
    expect(decideStorage({ mimeType: 'application/pdf', fileName: 'a.pdf', size: limit })).toBe('stored');
    expect(decideStorage({ mimeType: 'application/pdf', fileName: 'a.pdf', size: limit + 1 })).toBe('skipped_size');
    expect(decideStorage({ mimeType: 'application/pdf', fileName: 'a.pdf', size: 11 }, 10)).toBe('skipped_size');
  });

  test('ATT-2: a disallowed type is skipped_type even when also too large', () => {
    expect(decideStorage({ mimeType: 'application/x-msdownload', fileName: 'a.exe', size: 10 }, 1)).toBe(
      'skipped_type',
    );
  });

  test('ATT-2: extension matching is case-insensitive and needs a real extension', () => {
    expect(fileExtension('Отчёт.Final.DOCX')).toBe('docx');
    expect(fileExtension('.pdf')).toBe('');
    expect(fileExtension('noext')).toBe('');
    expect(isAllowedType('application/octet-stream', 'pdf')).toBe(false);
  });
});

describe('ATT-4 file name sanitising', () => {
  test('ATT-4: only the last path component is kept', () => {
    expect(sanitiseFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitiseFileName('C:\\Users\\ivan\\Акт.pdf')).toBe('Акт.pdf');
    expect(sanitiseFileName('dir/sub/')).toBe('sub');
  });

  test('ATT-4: .., control characters and / \\ : * ? " < > | are removed', () => {
    expect(sanitiseFileName('a..b')).toBe('ab');
    expect(sanitiseFileName('rep\u0000ort\u0007\u009f:*?"<>|.pdf')).toBe('report.pdf');
    expect(sanitiseFileName('a.:.b')).toBe('ab');
    expect(sanitiseFileName('....')).toBe('attachment');
  });

  test('ATT-4: empty → attachment', () => {
    expect(sanitiseFileName('')).toBe('attachment');
    expect(sanitiseFileName('   ')).toBe('attachment');
    expect(sanitiseFileName('///')).toBe('attachment');
    expect(sanitiseFileName(null)).toBe('attachment');
    expect(sanitiseFileName('<>|')).toBe('attachment');
  });

  test('ATT-4: at most 255 bytes of UTF-8, characters never cut, the extension kept', () => {
    const name = sanitiseFileName('Я'.repeat(200) + '.pdf');
    expect(name).toBe('Я'.repeat(125) + '.pdf');
    expect(utf8ByteLength(name)).toBe(254);
    const noExt = sanitiseFileName('😀'.repeat(100));
    expect(noExt).toBe('😀'.repeat(63));
    expect(utf8ByteLength(noExt)).toBe(252);
  });

  test('ATT-4 / GEN-8: names are NFC', () => {
    expect(sanitiseFileName('Е\u0308лка.txt')).toBe('Ёлка.txt');
  });

  test('ATT-4: sanitised names never contain a path separator and never exceed 255 bytes (property)', () => {
    const chars = fc.constantFrom(
      'a',
      'Я',
      '😀',
      '/',
      '\\',
      '.',
      ':',
      '*',
      '?',
      '"',
      '<',
      '>',
      '|',
      ' ',
      '\u0000',
      '\u001f',
      'е',
      '\u0308',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 400 }),
          fc.array(chars, { maxLength: 400 }).map((c) => c.join('')),
        ),
        (raw) => {
          const name = sanitiseFileName(raw);
          expect(name).not.toMatch(/[/\\:*?"<>|\p{Cc}]/u);
          expect(name.includes('..')).toBe(false);
          expect(name.length).toBeGreaterThan(0);
          expect(utf8ByteLength(name)).toBeLessThanOrEqual(255);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('ATT-4: sanitising is idempotent (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (raw) => {
        const once = sanitiseFileName(raw);
        expect(sanitiseFileName(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });
});
