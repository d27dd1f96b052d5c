// MAIL-12: HTML bodies as plain text. Block elements and <br> become line breaks, entities are
// decoded, script/style are dropped, links show their text (not the URL). Pathologically nested
// HTML (html-to-text walks the tree recursively and slows down quadratically) goes through a
// flat tag-stripping fallback instead.

import { convert } from 'html-to-text';
import type { HtmlToTextOptions } from 'html-to-text';

const OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  decodeEntities: true,
  limits: { maxDepth: 200, maxInputLength: 16 * 1024 * 1024 },
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'head', format: 'skip' },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
  ],
};

const MAX_NESTING = 150;

// Void elements never nest; elements with optional end tags are closed implicitly by the parser.
const NON_NESTING =
  /^(?:br|hr|img|meta|link|input|wbr|col|area|base|source|track|embed|param|p|li|td|th|tr|dt|dd|option|tbody|thead|tfoot)$/i;

/** Deepest element nesting, approximated from start and end tags. */
function nestingDepth(html: string): number {
  let depth = 0;
  let max = 0;
  for (const match of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match;
    if (NON_NESTING.test(name as string) || selfClosing === '/') continue;
    if (closing === '/') depth = Math.max(0, depth - 1);
    else if (++depth > max) max = depth;
  }
  return max;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  laquo: '«',
  raquo: '»',
  mdash: '—',
  ndash: '–',
  hellip: '…',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  bull: '•',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#')) {
      const code =
        entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
        ? String.fromCodePoint(code)
        : '\uFFFD';
    }
    return NAMED_ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

/** Flat conversion for input html-to-text cannot walk efficiently. */
function stripTags(html: string): string {
  return decodeEntities(
    html
      .replace(/<(script|style|head)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(/<br\b[^>]*>/gi, '\n')
      .replace(/<\/?(?:p|div|li|tr|h[1-6]|blockquote|table|ul|ol|section|article|header|footer|pre)\b[^>]*>/gi, '\n')
      .replace(/<[^>]*>/g, ''),
  );
}

/** MAIL-12: the text of an HTML body. */
export function htmlToText(html: string): string {
  if (nestingDepth(html) > MAX_NESTING) return stripTags(html);
  try {
    return convert(html, OPTIONS);
  } catch {
    return stripTags(html);
  }
}
