// How an e-mail looks in Tracker: the comment layout (YT-11), the comment normalisation of
// subjects and bodies (YT-11), the issue summary and description (YT-8) and the text identity
// used to recognise an already posted comment (YT-10).

import { DEFAULT_TIME_ZONE, formatHumanDateTime } from './datetime.js';
import { cutToLength, cutWithMarker } from './text-limits.js';

/** YT-11: limits of the comment normalisation. */
export const COMMENT_LIMITS = {
  /** A run of this many identical characters (or more) is collapsed. */
  repeatRun: 51,
  /** Characters kept from a collapsed run, followed by `...`. */
  repeatKeep: 3,
  lineLength: 1000,
  totalLength: 400_000,
} as const;

/** YT-8: Tracker's summary limit. */
export const SUMMARY_MAX_LENGTH = 255;

export const NO_SUBJECT_LINE = '*Без темы*';
export const NO_BODY_TEXT = '*Тело письма отсутствует*';

const ELLIPSIS = '...';
// Any character repeated ≥ 51 times; `u` makes the back-reference match whole code points.
const REPEAT_RUN = new RegExp(`(.)\\1{${COMMENT_LIMITS.repeatRun - 1},}`, 'gu');

/**
 * YT-11 comment normalisation: left indentation kept (trailing whitespace dropped), at most one
 * consecutive blank line, no leading/trailing blank lines, runs of ≥ 51 identical characters →
 * 3 characters + `...` (the indentation itself is exempt, it is kept), lines over 1000
 * characters cut with `...`, whole text capped at 400 000 characters with `...` appended.
 */
export function normalizeCommentText(text: string | null | undefined): string {
  if (text === null || text === undefined) return '';
  const lines: string[] = [];
  let pendingBlank = false;
  for (const rawLine of text.normalize('NFC').replace(/\r\n?/g, '\n').split('\n')) {
    const line = rawLine.trimEnd();
    if (line === '') {
      pendingBlank = lines.length > 0;
      continue;
    }
    if (pendingBlank) lines.push('');
    pendingBlank = false;
    lines.push(cutWithMarker(collapseRepeats(line), COMMENT_LIMITS.lineLength, ELLIPSIS));
  }
  return cutWithMarker(lines.join('\n'), COMMENT_LIMITS.totalLength, ELLIPSIS);
}

function collapseRepeats(line: string): string {
  const indentation = /^[ \t]*/.exec(line)?.[0] ?? '';
  const rest = line
    .slice(indentation.length)
    .replace(REPEAT_RUN, (_run: string, char: string) => char.repeat(COMMENT_LIMITS.repeatKeep) + ELLIPSIS);
  return indentation + rest;
}

/** Comment normalisation, then everything on one line with single spaces (headings, summaries). */
export function normalizeOneLine(text: string | null | undefined): string {
  return normalizeCommentText(text).replace(/\s+/g, ' ').trim();
}

/** YT-8: summary = primary e-mail subject on one line, ≤ 255 characters, or `Инцидент №<id>` if empty. */
export function renderIssueSummary(subject: string | null | undefined, incidentId: number): string {
  const line = cutToLength(normalizeOneLine(subject), SUMMARY_MAX_LENGTH).trimEnd();
  return line === '' ? `Инцидент №${incidentId}` : line;
}

/** YT-8: description = primary e-mail body after comment normalisation, or empty. */
export function renderIssueDescription(body: string | null | undefined): string {
  return normalizeCommentText(body);
}

/** The e-mail facts a Tracker comment shows (YT-11). */
export interface CommentEmail {
  subject: string | null;
  /** Raw From address (MAIL-11). */
  fromAddress: string | null;
  /** Web-form override (MAIL-12); shown instead of From when present. */
  requesterAddress: string | null;
  to: readonly string[];
  cc: readonly string[];
  /** MAIL-11 effective date. */
  effectiveDate: Date;
  body: string | null;
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    if (current > longest) longest = current;
  }
  return longest;
}

/**
 * A GFM code span for a table cell: the delimiter is longer than any backtick run inside, and `|`
 * is escaped because GFM splits table cells on it even inside code spans.
 */
function tableCellCode(value: string): string {
  const oneLine = value.replace(/\s+/g, ' ').trim();
  if (oneLine === '') return '';
  const delimiter = '`'.repeat(longestRun(oneLine, '`') + 1);
  const padded = oneLine.startsWith('`') || oneLine.endsWith('`') ? ` ${oneLine} ` : oneLine;
  return `${delimiter}${padded.replace(/\|/g, '\\|')}${delimiter}`;
}

/**
 * YT-11: the fence is made of backticks and is longer than any backtick run in the body, so no
 * body line can close it (a closing fence needs at least as many backticks); tildes and other
 * Tracker markdown inside a backtick fence are literal text.
 */
export function codeFenceFor(body: string): string {
  return '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
}

// ASCII punctuation that starts Markdown/YFM inline markup: emphasis, code, links and images (`[`),
// HTML, tables, `{% … %}` directives and `{{ }}` includes (`{`), ~~strike~~, ^sup^, ++ins++,
// ==mark==, $math$. `(`, `!` and `%` need no escape once `[` and `{` are escaped.
const INLINE_MARKUP = /[\\`*_[\]{}<>#|~^+=$]/g;

/**
 * The subject heading is outside the code block, so the sender's text must not be read as markup:
 * every markup character is backslash-escaped (CommonMark escapes any ASCII punctuation), which
 * Tracker shows as the character itself.
 */
export function escapeInlineMarkup(text: string): string {
  return text.replace(INLINE_MARKUP, (char) => `\\${char}`);
}

/** YT-11: the Markdown comment for one e-mail, exactly in the SPEC layout. */
export function renderEmailComment(email: CommentEmail, timeZone: string = DEFAULT_TIME_ZONE): string {
  const subject = normalizeOneLine(email.subject);
  const body = normalizeCommentText(email.body);
  const requester = email.requesterAddress?.trim() ?? '';
  const from = requester !== '' ? requester : (email.fromAddress ?? '');
  const to = email.to.map((a) => a.trim()).filter((a) => a !== '');
  const cc = email.cc.map((a) => a.trim()).filter((a) => a !== '');
  const content = body === '' ? NO_BODY_TEXT : body;
  const fence = codeFenceFor(content);

  const lines = [
    subject === '' ? NO_SUBJECT_LINE : `### 📧 "**${escapeInlineMarkup(subject)}**"`,
    '',
    '| | |',
    '|-|-|',
  ];
  lines.push(`| **От:** | ${tableCellCode(from)} |`);
  if (to.length > 0) lines.push(`| **Кому:** | ${tableCellCode(to.join(', '))} |`);
  if (cc.length > 0) lines.push(`| **Копия:** | ${tableCellCode(cc.join(', '))} |`);
  lines.push(`| **Дата:** | ${tableCellCode(formatHumanDateTime(email.effectiveDate, timeZone))} |`);
  lines.push('', `${fence}text`, content, fence);
  return lines.join('\n');
}

/**
 * YT-10: the text whose hash identifies a rendered comment, applied both to what we render and to
 * the comment text Tracker returns, so incidental differences (CRLF, trailing spaces, trailing
 * newlines, Unicode composition) do not hide an already posted comment. The caller hashes it.
 */
export function commentTextKey(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');
}
