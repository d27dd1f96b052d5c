// Security (issue #8): attachment names can never escape the storage directory. The name is only a
// label (ATT-4); the blob path is built from the content hash alone (ATT-3).
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';

import { attachmentBlobPath, storeAttachmentBlobs } from '../../src/adapters/mail/attachment-store.js';
import { parseRawMessage } from '../../src/adapters/mail/parse-message.js';
import { sanitiseFileName } from '../../src/domain/mail/attachments.js';

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

// Path syntax of every platform, traversal, control characters, long and non-Latin names.
const PATH_PIECES = fc.constantFrom(
  '..',
  '.',
  '/',
  '\\',
  '../',
  '..\\',
  'C:',
  '//server/share/',
  '\\\\?\\',
  '\0',
  '%00',
  '%2e%2e%2f',
  '~',
  'etc',
  'passwd',
  '.pdf',
  'Ж',
  '😀',
  ' ',
  '\u202e',
  ':',
  '*',
  '?',
  '"',
  '<',
  '>',
  '|',
  '\n',
  '\r',
  'a'.repeat(200),
);
const names = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.array(PATH_PIECES, { maxLength: 30 }).map((pieces) => pieces.join('')),
);

/** ATT-4 invariants of a sanitised name. */
function expectSafeName(name: string): void {
  expect(name.length).toBeGreaterThan(0);
  expect(utf8Bytes(name)).toBeLessThanOrEqual(255);
  expect(name.includes('/')).toBe(false);
  expect(name.includes('\\')).toBe(false);
  expect(name.includes('..')).toBe(false);
  expect(/\p{Cc}/u.test(name)).toBe(false);
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dispatch-security-att-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('security: attachment names and blob paths', () => {
  test('ATT-4: a sanitised name never contains "/", "\\", "..", NUL or another control character (property)', () => {
    fc.assert(
      fc.property(names, (raw) => expectSafeName(sanitiseFileName(raw))),
      { numRuns: 3000 },
    );
  });

  test('ATT-4: the classic traversal names keep only their last component', () => {
    expect(
      [
        '../../etc/passwd',
        '..\\..\\win.ini',
        '/etc/shadow',
        'C:\\Windows\\System32\\cmd.exe',
        'act\0.pdf',
        '../..',
      ].map(sanitiseFileName),
    ).toEqual(['passwd', 'win.ini', 'shadow', 'cmd.exe', 'act.pdf', 'attachment']);
  });

  test('ATT-3: the blob path is always <dir>/<h2>/<h2>/<sha256>, inside the directory (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (content) => {
        const hash = sha256(content);
        const path = attachmentBlobPath(dir, hash);
        expect(path).toBe(`${dir}${sep}${hash.slice(0, 2)}${sep}${hash.slice(2, 4)}${sep}${hash}`);
        expect(resolve(path).startsWith(`${resolve(dir)}${sep}`)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test('ATT-3: anything but a SHA-256 hex digest is refused as a blob name', () => {
    const refused = ['../../etc/passwd', `${'a'.repeat(63)}/`, 'A'.repeat(64), `..${'0'.repeat(62)}`, ''].filter(
      (candidate) => {
        try {
          attachmentBlobPath(dir, candidate);
          return false;
        } catch {
          return true;
        }
      },
    );
    expect(refused).toHaveLength(5);
  });

  test('ATT-1 / ATT-3 / ATT-4: any declared file name in a real message is stored only under its hash (property)', async () => {
    await fc.assert(
      fc.asyncProperty(names, fc.uint8Array({ minLength: 1, maxLength: 64 }), async (name, content) => {
        // RFC 2231 carries any byte sequence, NUL and `/` included.
        const encoded = [...Buffer.from(name, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
        const raw = Buffer.from(
          [
            'From: noc@operator.ru',
            'Subject: Акт',
            'Message-ID: <name-property@corpus.example>',
            'Content-Type: multipart/mixed; boundary="b"',
            '',
            '--b',
            'Content-Type: text/plain; charset=utf-8',
            '',
            'Акт во вложении',
            '--b',
            'Content-Type: application/pdf',
            `Content-Disposition: attachment; filename*=utf-8''${encoded}`,
            'Content-Transfer-Encoding: base64',
            '',
            Buffer.from(content).toString('base64'),
            '--b--',
            '',
          ].join('\r\n'),
        );
        const parsed = parseRawMessage(raw, {
          folderRole: 'INBOX',
          folderName: 'INBOX',
          uid: 1,
          uidValidity: 1,
          internalDate: new Date('2026-11-20T09:00:00Z'),
          ownAddress: 'disp@example.ru',
          queueKey: 'AVRSERVICE',
          maxDateSkewHours: 24,
        });
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        expect(parsed.attachments).toHaveLength(1);
        const [attachment] = parsed.attachments;
        expectSafeName(attachment?.fileName ?? '');
        expect(attachment?.sha256).toBe(sha256(content));
        await storeAttachmentBlobs(dir, parsed.attachments);
      }),
      { numRuns: 200 },
    );
    // Whatever the names were, the directory holds only <h2>/<h2>/<sha256> files.
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(0);
    const misplaced = files
      .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep))
      .filter(
        ([a = '', b = '', c = '', ...rest]) => !(c.startsWith(a + b) && /^[0-9a-f]{64}$/.test(c) && rest.length === 0),
      );
    expect(misplaced).toEqual([]);
  });
});
