import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import type { CommentEmail } from '../../src/domain/comment-format.js';
import {
  NO_BODY_TEXT,
  NO_SUBJECT_LINE,
  codeFenceFor,
  commentTextKey,
  normalizeCommentText,
  renderEmailComment,
  renderIssueDescription,
  renderIssueSummary,
} from '../../src/domain/comment-format.js';

const email = (overrides: Partial<CommentEmail> = {}): CommentEmail => ({
  subject: 'Авария',
  fromAddress: 'noc@operator.ru',
  requesterAddress: null,
  to: ['disp@example.ru', 'duty@operator.ru'],
  cc: ['boss@operator.ru'],
  effectiveDate: new Date('2025-03-05T07:15:00Z'),
  body: 'нет питания на БС MSK0123',
  ...overrides,
});

describe('YT-11 comment layout', () => {
  test('YT-11: renders exactly the SPEC layout', () => {
    expect(renderEmailComment(email())).toBe(
      [
        '### 📧 "**Авария**"',
        '',
        '| | |',
        '|-|-|',
        '| **От:** | `noc@operator.ru` |',
        '| **Кому:** | `disp@example.ru, duty@operator.ru` |',
        '| **Копия:** | `boss@operator.ru` |',
        '| **Дата:** | `05.03.2025 10:15` |',
        '',
        '```text',
        'нет питания на БС MSK0123',
        '```',
      ].join('\n'),
    );
  });

  test('YT-11: first line is *Без темы* when the subject is empty', () => {
    const lines = renderEmailComment(email({ subject: '  ' })).split('\n');
    expect(NO_SUBJECT_LINE).toBe('*Без темы*');
    expect(lines[0]).toBe('*Без темы*');
    expect(renderEmailComment(email({ subject: null })).split('\n')[0]).toBe('*Без темы*');
  });

  test('YT-11: the subject is normalised onto one heading line', () => {
    const lines = renderEmailComment(email({ subject: 'Re:  Авария\n\tна БС' })).split('\n');
    expect(lines[0]).toBe('### 📧 "**Re: Авария на БС**"');
  });

  test('YT-11: Кому / Копия rows are omitted when empty', () => {
    const text = renderEmailComment(email({ to: [], cc: [' '] }));
    expect(text).toBe(
      [
        '### 📧 "**Авария**"',
        '',
        '| | |',
        '|-|-|',
        '| **От:** | `noc@operator.ru` |',
        '| **Дата:** | `05.03.2025 10:15` |',
        '',
        '```text',
        'нет питания на БС MSK0123',
        '```',
      ].join('\n'),
    );
  });

  test('YT-11: from is the requester address when the e-mail has one (MAIL-12)', () => {
    const text = renderEmailComment(email({ fromAddress: 'form@site.ru', requesterAddress: 'client@mail.ru' }));
    expect(text.split('\n')[4]).toBe('| **От:** | `client@mail.ru` |');
  });

  test('YT-11: the date is the effective date in the configured time zone', () => {
    const text = renderEmailComment(email({ effectiveDate: new Date('2025-03-05T23:30:00Z') }), 'Asia/Yekaterinburg');
    expect(text.split('\n')[7]).toBe('| **Дата:** | `06.03.2025 04:30` |');
  });

  test('YT-11: *Тело письма отсутствует* inside the fence when the body is empty', () => {
    for (const body of [null, '', ' \n\n \t']) {
      const lines = renderEmailComment(email({ body })).split('\n');
      expect(lines.slice(-3)).toEqual(['```text', '*Тело письма отсутствует*', '```']);
    }
    expect(NO_BODY_TEXT).toBe('*Тело письма отсутствует*');
  });

  test('YT-11: the fence is longer than any backtick run in the body', () => {
    const body = 'code:\n````\nx = `y`\n````';
    const lines = renderEmailComment(email({ body })).split('\n');
    expect(lines.slice(-6)).toEqual(['`````text', 'code:', '````', 'x = `y`', '````', '`````']);
    expect(codeFenceFor('no ticks')).toBe('```');
    expect(codeFenceFor('a ``` b')).toBe('````');
  });

  test('YT-11: tildes and Tracker markdown stay literal inside the backtick fence', () => {
    const body = '~~~\n### heading\n{% cut "x" %}\n~~~~~~';
    const lines = renderEmailComment(email({ body })).split('\n');
    expect(lines.slice(-6)).toEqual(['```text', '~~~', '### heading', '{% cut "x" %}', '~~~~~~', '```']);
  });

  test('YT-11: a "|" in a table value cannot split the cell', () => {
    const text = renderEmailComment(email({ fromAddress: 'a|b@x.ru' }));
    expect(text.split('\n')[4]).toBe('| **От:** | `a\\|b@x.ru` |');
  });

  test('YT-11: the body cannot break out of the code block (property)', () => {
    const pieces = fc.constantFrom('`', '``', '```', '````', '~~~', '\n', ' ', '   ', 'text', '|', '*', '#', '\t', '>');
    const bodies = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.array(pieces, { maxLength: 40 }).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        const lines = renderEmailComment(email({ body })).split('\n');
        const openIndex = lines.findIndex((line) => /^`{3,}text$/.test(line));
        expect(openIndex).toBe(9);
        const fenceLength = (lines[openIndex] ?? '').length - 'text'.length;
        // CommonMark closing fence: ≤ 3 spaces, ≥ fenceLength backticks, only trailing blanks.
        const closesAt = lines.findIndex(
          (line, index) => index > openIndex && (/^ {0,3}(`+)[ \t]*$/.exec(line)?.[1]?.length ?? 0) >= fenceLength,
        );
        expect(closesAt).toBe(lines.length - 1);
        const inside = lines.slice(openIndex + 1, -1).join('\n');
        const normalised = normalizeCommentText(body);
        expect(inside).toBe(normalised === '' ? NO_BODY_TEXT : normalised);
      }),
      { numRuns: 500 },
    );
  });
});

describe('YT-11 comment normalisation', () => {
  test('YT-11: left indentation kept, trailing whitespace dropped, CRLF → LF', () => {
    expect(normalizeCommentText('  a  \r\n    b\t\r\n\tc')).toBe('  a\n    b\n\tc');
  });

  test('YT-11: at most one consecutive blank line; no leading or trailing blank lines', () => {
    expect(normalizeCommentText('\n\n  \na\n\n\n \n\nb\n\nc\n\n\n')).toBe('a\n\nb\n\nc');
  });

  test('YT-11: runs of 51 or more identical characters → 3 characters + "..."', () => {
    expect(normalizeCommentText('='.repeat(51))).toBe('===...');
    expect(normalizeCommentText('='.repeat(50))).toBe('='.repeat(50));
    expect(normalizeCommentText(`x${'-'.repeat(80)}y`)).toBe('x---...y');
    expect(normalizeCommentText('😀'.repeat(60))).toBe('😀😀😀...');
    expect(normalizeCommentText(`a${' '.repeat(60)}b`)).toBe('a   ...b');
  });

  test('YT-11: the left indentation itself is not collapsed', () => {
    const line = `${' '.repeat(60)}text`;
    expect(normalizeCommentText(line)).toBe(line);
  });

  test('YT-11: lines longer than 1000 characters are cut with "..."', () => {
    const long = 'ab'.repeat(600);
    expect(normalizeCommentText(long)).toBe(`${long.slice(0, 1000)}...`);
    const exact = 'ab'.repeat(500);
    expect(normalizeCommentText(exact)).toBe(exact);
  });

  test('YT-11: a cut never splits an emoji', () => {
    const line = `${'ab'.repeat(499)}a😀tail`;
    expect(normalizeCommentText(line)).toBe(`${'ab'.repeat(499)}a...`);
  });

  test('YT-11: whole text capped at 400 000 characters with "..." appended', () => {
    const line = 'ab'.repeat(500);
    const text = Array.from({ length: 401 }, () => line).join('\n');
    const result = normalizeCommentText(text);
    expect(result.length).toBe(400_003);
    expect(result).toBe(`${text.slice(0, 400_000)}...`);
    const fits = Array.from({ length: 399 }, () => line).join('\n');
    expect(normalizeCommentText(fits)).toBe(fits);
  });

  test('GEN-8: text is NFC', () => {
    expect(normalizeCommentText('e\u0301')).toBe('\u00e9');
  });

  test('YT-11: null and undefined are empty', () => {
    expect(normalizeCommentText(null)).toBe('');
    expect(normalizeCommentText(undefined)).toBe('');
  });
});

describe('YT-8 summary and description', () => {
  test('YT-8: summary is the subject on one line', () => {
    expect(renderIssueSummary('Авария', 1)).toBe('Авария');
    expect(renderIssueSummary('  Re:  Авария\r\n\tна БС  ', 1)).toBe('Re: Авария на БС');
  });

  test('YT-8: empty subject → Инцидент №<id>', () => {
    expect(renderIssueSummary('', 42)).toBe('Инцидент №42');
    expect(renderIssueSummary(null, 42)).toBe('Инцидент №42');
    expect(renderIssueSummary(' \n ', 7)).toBe('Инцидент №7');
  });

  test('YT-8: summary is at most 255 characters, without splitting an emoji', () => {
    const cyrillic = 'абвгд'.repeat(60);
    expect(renderIssueSummary(cyrillic, 1)).toBe(cyrillic.slice(0, 255));
    expect(renderIssueSummary(`${'ab'.repeat(127)}😀`, 1)).toBe('ab'.repeat(127));
  });

  test('YT-8: summary uses comment normalisation (long runs collapsed)', () => {
    expect(renderIssueSummary(`Авария ${'!'.repeat(60)}`, 1)).toBe('Авария !!!...');
  });

  test('YT-8: description is the body after comment normalisation, or empty', () => {
    expect(renderIssueDescription('a\n\n\n\nb  ')).toBe('a\n\nb');
    expect(renderIssueDescription(null)).toBe('');
  });
});

describe('YT-10 rendered-text identity', () => {
  test('YT-10: equal for incidental differences Tracker may introduce', () => {
    const rendered = renderEmailComment(email());
    expect(commentTextKey(`${rendered.replace(/\n/g, '\r\n')}  \n\n`)).toBe(commentTextKey(rendered));
    expect(commentTextKey('a  \r\nb\n\n')).toBe('a\nb');
  });

  test('YT-10: different e-mails give different texts', () => {
    expect(commentTextKey(renderEmailComment(email()))).not.toBe(
      commentTextKey(renderEmailComment(email({ body: 'другое письмо' }))),
    );
  });

  test('YT-10: rendering is deterministic', () => {
    expect(renderEmailComment(email())).toBe(renderEmailComment(email()));
  });
});
