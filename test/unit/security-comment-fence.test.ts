// Security (issue #8): mail text cannot break the YT-11 comment fence or put Tracker markup outside
// it — neither the body nor the one-line header values (subject, From, To, Cc), whatever they hold.
import { createHash } from 'node:crypto';

import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';

import { parseRawMessage } from '../../src/adapters/mail/parse-message.js';
import {
  escapeInlineMarkup,
  NO_BODY_TEXT,
  normalizeCommentText,
  normalizeOneLine,
  renderEmailComment,
} from '../../src/domain/comment-format.js';
import type { CommentEmail } from '../../src/domain/comment-format.js';

const DATE = new Date('2026-11-20T09:00:00Z');

// Markup that matters to Tracker (YFM): fences, tables, cuts, includes, HTML, headings, emphasis.
const MARKUP = fc.constantFrom(
  '`',
  '``',
  '```',
  '````',
  '`````',
  '~~~',
  '~~~~',
  '\n',
  '\r\n',
  '\r',
  ' ',
  '   ',
  '\t',
  '|',
  '||',
  '#|',
  '|#',
  '*',
  '**',
  '#',
  '### ',
  '>',
  '{%',
  '%}',
  '{{',
  '}}',
  '<{',
  '}>',
  '<script>',
  '</details>',
  '[x](javascript:alert(1))',
  '\u202e',
  '\u200b',
  '\0',
  'text',
  'Авария',
);
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.array(MARKUP, { maxLength: 60 }).map((pieces) => pieces.join('')),
);

/** CommonMark/YFM: a line that opens or closes a fence (≤ 3 spaces, ≥ 3 backticks or tildes). */
const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})/;

function fencedBlock(comment: string): { before: string[]; opening: string; inside: string[]; closing: string } {
  const lines = comment.split('\n');
  const openIndex = lines.findIndex((line) => FENCE_LINE.test(line));
  return {
    before: lines.slice(0, Math.max(0, openIndex)),
    opening: lines[openIndex] ?? '',
    inside: lines.slice(openIndex + 1, -1),
    closing: lines.at(-1) ?? '',
  };
}

function email(fields: Partial<CommentEmail>): CommentEmail {
  return {
    subject: 'Авария',
    fromAddress: 'noc@operator.ru',
    requesterAddress: null,
    to: ['disp@example.ru'],
    cc: ['boss@example.ru'],
    effectiveDate: DATE,
    body: 'Текст',
    ...fields,
  };
}

/** The fence invariants of one rendered comment whose body was `body`. */
function expectOneFenceHoldingTheBody(comment: string, body: string | null): void {
  const block = fencedBlock(comment);
  const fence = /^(`{3,})text$/.exec(block.opening)?.[1] ?? '';
  expect(fence.length).toBeGreaterThanOrEqual(3);
  expect(block.closing).toBe(fence);
  // No line inside can close the fence: a closer needs at least as many backticks and nothing else.
  const closers = block.inside.filter((line) => (/^ {0,3}(`+)[ \t]*$/.exec(line)?.[1]?.length ?? 0) >= fence.length);
  expect(closers).toEqual([]);
  const normalised = normalizeCommentText(body);
  expect(block.inside.join('\n')).toBe(normalised === '' ? NO_BODY_TEXT : normalised);
  // Nothing before the block opens a fence, and the header has its fixed nine lines (To and Cc given).
  expect(block.before.filter((line) => FENCE_LINE.test(line))).toEqual([]);
  expect(block.before).toHaveLength(9);
}

describe('security: YT-11 comment fence', () => {
  test('YT-11: for any body the comment has exactly one fenced block, holding the whole body (property)', () => {
    fc.assert(
      fc.property(hostileText, (body) => {
        const comment = renderEmailComment(email({ body }));
        expectOneFenceHoldingTheBody(comment, body);
        // Nothing of the body outside the block: the lines before it do not depend on the body.
        expect(fencedBlock(comment).before).toEqual(fencedBlock(renderEmailComment(email({ body: 'x' }))).before);
      }),
      { numRuns: 1000 },
    );
  });

  test('YT-11: subject, From, To and Cc cannot add lines, open a fence or leave their code spans (property)', () => {
    fc.assert(
      fc.property(hostileText, hostileText, hostileText, hostileText, (subject, from, to, cc) => {
        const comment = renderEmailComment(
          email({ subject, fromAddress: from, to: [to, 'disp@example.ru'], cc: [cc, 'boss@example.ru'] }),
        );
        expectOneFenceHoldingTheBody(comment, 'Текст');
        const [heading, blank, head1, head2, fromRow, toRow, ccRow, dateRow, beforeFence] = fencedBlock(comment).before;
        expect([blank, head1, head2, beforeFence]).toEqual(['', '| | |', '|-|-|', '']);
        expect(heading).toMatch(/^(?:### 📧 "\*\*.*\*\*"|\*Без темы\*)$/);
        // Each row is `| **label:** | <code span> |` and the code span has no unescaped `|`.
        for (const row of [fromRow, toRow, ccRow, dateRow]) {
          const match = /^\| \*\*(?:От|Кому|Копия|Дата):\*\* \| (.*) \|$/.exec(row ?? '');
          expect(match).not.toBeNull();
          const cell = match?.[1] ?? '';
          if (cell === '') continue; // a From of blanks only renders as an empty cell
          expect(cell.replace(/\\\|/g, '')).not.toContain('|');
          const delimiter = /^`+/.exec(cell)?.[0] ?? '';
          expect(delimiter.length).toBeGreaterThan(0);
          expect(cell.endsWith(delimiter)).toBe(true);
          // The span's content has no backtick run as long as its delimiter (it would close early).
          const content = cell.slice(delimiter.length, cell.length - delimiter.length);
          expect(content.includes(delimiter)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('YT-11: the subject heading shows the subject as text, every markup character escaped (property)', () => {
    fc.assert(
      fc.property(hostileText, (subject) => {
        const heading = renderEmailComment(email({ subject })).split('\n')[0] ?? '';
        const line = normalizeOneLine(subject);
        if (line === '') {
          expect(heading).toBe('*Без темы*');
          return;
        }
        const inner = /^### 📧 "\*\*(.*)\*\*"$/.exec(heading)?.[1];
        expect(inner).toBe(escapeInlineMarkup(line));
        // No markup character is left unescaped, and unescaping gives back the subject.
        expect(inner?.replace(/\\[\\`*_[\]{}<>#|~^+=$]/g, '')).not.toMatch(/[\\`*_[\]{}<>#|~^+=$]/);
        expect(inner?.replace(/\\(.)/g, '$1')).toBe(line);
      }),
      { numRuns: 1000 },
    );
  });

  test('YT-11: a subject full of Tracker markup is rendered literally', () => {
    const subject = '**Срочно** [клик](https://evil.example) {% cut "x" %} <b>`code`</b> #|';
    expect(renderEmailComment(email({ subject })).split('\n')[0]).toBe(
      '### 📧 "**\\*\\*Срочно\\*\\* \\[клик\\](https://evil.example) \\{% cut "x" %\\} \\<b\\>\\`code\\`\\</b\\> \\#\\|**"',
    );
  });

  test('YT-11 / MAIL-12: a parsed e-mail with any body text renders it only inside the fence (property)', () => {
    const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
    fc.assert(
      fc.property(hostileText, (text) => {
        const raw = Buffer.from(
          [
            'From: noc@operator.ru',
            'To: disp@example.ru',
            'Cc: boss@example.ru',
            'Subject: Авария',
            'Date: Fri, 20 Nov 2026 12:00:00 +0300',
            `Message-ID: <${sha(text)}@corpus.example>`,
            'Content-Type: text/plain; charset=utf-8',
            'Content-Transfer-Encoding: base64',
            '',
            Buffer.from(text, 'utf8').toString('base64'),
            '',
          ].join('\r\n'),
        );
        const parsed = parseRawMessage(raw, {
          folderRole: 'INBOX',
          folderName: 'INBOX',
          uid: 1,
          uidValidity: 1,
          internalDate: DATE,
          ownAddress: 'disp@example.ru',
          queueKey: 'AVRSERVICE',
          maxDateSkewHours: 24,
        });
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        const comment = renderEmailComment(parsed);
        expectOneFenceHoldingTheBody(comment, parsed.body);
      }),
      { numRuns: 300 },
    );
  });
});
