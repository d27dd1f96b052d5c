// MAIL-12 body: which part is the main text, format=flowed, embedded messages, normalisation.
// Charset decoding lives in charset.ts, HTML conversion in html-text.ts, web forms in web-form.ts.

/** The line that separates the main text from each embedded message's text (MAIL-12). */
export const EMBEDDED_MESSAGE_SEPARATOR = '-'.repeat(30);

export interface TextPartCandidate {
  /** Lower-case `type/subtype`. */
  contentType: string;
  /** Lower-case disposition value, or null without the header. */
  disposition: string | null;
  /** True for parts of a `message/rfc822` part of this message. */
  insideEmbeddedMessage: boolean;
}

/**
 * MAIL-12: the first `text/plain` part that is not an attachment and not inside an embedded
 * message; without one, the first such `text/html` part. Parts are given in document order.
 */
export function chooseMainTextPart<P extends TextPartCandidate>(parts: readonly P[]): P | null {
  const eligible = parts.filter((p) => p.disposition !== 'attachment' && !p.insideEmbeddedMessage);
  return (
    eligible.find((p) => p.contentType === 'text/plain') ?? eligible.find((p) => p.contentType === 'text/html') ?? null
  );
}

/**
 * RFC 3676 format=flowed: a line ending in a space continues on the next line of the same quote
 * depth (the space is dropped with DelSp=yes); space-stuffing is removed; `-- ` stays a line.
 */
export function decodeFlowed(text: string, delSp: boolean): string {
  const out: string[] = [];
  let paragraph: { depth: number; text: string } | null = null;
  const emit = (depth: number, content: string): void => {
    out.push(depth > 0 ? `${'>'.repeat(depth)} ${content}` : content);
  };
  for (const rawLine of text.replace(/\r\n/g, '\n').split('\n')) {
    const depth = /^>*/.exec(rawLine)?.[0].length ?? 0;
    let content = rawLine.slice(depth);
    if (content.startsWith(' ')) content = content.slice(1);
    const flowed = content.endsWith(' ') && content !== '-- ';
    if (paragraph !== null && paragraph.depth !== depth) {
      emit(paragraph.depth, paragraph.text);
      paragraph = null;
    }
    const piece = flowed && delSp ? content.slice(0, -1) : content;
    paragraph = paragraph === null ? { depth, text: piece } : { depth, text: paragraph.text + piece };
    if (!flowed) {
      emit(paragraph.depth, paragraph.text);
      paragraph = null;
    }
  }
  if (paragraph !== null) emit(paragraph.depth, paragraph.text);
  return out.join('\n');
}

/**
 * MAIL-12 normalisation (idempotent): NUL and the other C0 controls except TAB and LF removed
 * (so CRLF becomes LF), trailing blanks removed, at most two consecutive blank lines, trimmed,
 * NFC (GEN-8); empty → null.
 */
export function normaliseBodyText(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  const normalised = text
    // eslint-disable-next-line no-control-regex -- MAIL-12 removes exactly these characters
    .replace(/[\u0000-\u0008\u000b-\u001f]/g, '')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{4,}/g, '\n\n\n')
    .replace(/^[ \t\n]+|[ \t\n]+$/g, '')
    .normalize('NFC');
  return normalised === '' ? null : normalised;
}

/**
 * MAIL-12: the main text followed, for each embedded message with text, by a blank line, a line
 * of 30 dashes and that message's text; normalised.
 */
export function composeBody(mainText: string | null, embeddedTexts: readonly (string | null)[]): string | null {
  let body = normaliseBodyText(mainText) ?? '';
  for (const embedded of embeddedTexts) {
    const text = normaliseBodyText(embedded);
    if (text !== null) body += `\n\n${EMBEDDED_MESSAGE_SEPARATOR}\n${text}`;
  }
  return normaliseBodyText(body);
}
