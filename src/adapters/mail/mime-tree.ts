// The MIME structure of one raw message, walked synchronously over the bytes. mailparser's
// simpleParser is not used for this because it hides what MAIL-11/MAIL-12 need: it decodes raw
// 8-bit header bytes as UTF-8 (cp1251 subjects become U+FFFD), concatenates every text part
// including those of forwarded messages, and drops the boundaries of embedded messages. Here
// every node keeps its raw header bytes, its part index and the message it belongs to.

import { decodeRawHeaderValue } from '../../domain/mail/headers.js';
import { parseHeaderWithParams } from '../../domain/mail/header-params.js';
import { decodeBase64, decodeQuotedPrintable } from '../../domain/mail/transfer-encoding.js';

export interface RawHeader {
  /** Field name as written. */
  name: string;
  /** Field name, lower-case. */
  key: string;
  /** Unfolded value bytes, surrounding blanks removed. */
  value: Buffer;
}

export interface MimeNode {
  /** Depth-first pre-order index over the whole message (root = 0). */
  index: number;
  /** IMAP-style section (`1`, `2.1`); the root of a message is ''. */
  path: string;
  headers: RawHeader[];
  /** Lower-case `type/subtype` (defaults applied). */
  contentType: string;
  contentTypeParams: Record<string, string>;
  disposition: string | null;
  dispositionParams: Record<string, string>;
  /** Lower-case Content-Transfer-Encoding ('7bit' when absent). */
  transferEncoding: string;
  /** The body bytes as transferred (still encoded). */
  rawBody: Buffer;
  children: MimeNode[];
  /** For `message/rfc822` / `message/global` parts: the root node of the embedded message. */
  embedded: MimeNode | null;
  /** Index of the root node of the message this node belongs to (0 for the outer message). */
  messageRoot: number;
}

export interface MimeTree {
  root: MimeNode;
  /** All nodes in depth-first pre-order (index = position). */
  nodes: MimeNode[];
  /** Header lines that were not `name: value` and were ignored, etc. */
  warnings: string[];
}

// Bounds for hostile input: deeper or larger structures are kept as opaque leaves.
const MAX_DEPTH = 40;
const MAX_NODES = 5000;

const FIELD_NAME = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

export interface HeaderBlock {
  headers: RawHeader[];
  body: Buffer;
  /** Lines inside the header block that were neither fields nor continuations. */
  junk: string[];
}

function trimBlanks(bytes: Buffer): Buffer {
  let start = 0;
  let end = bytes.length;
  while (start < end && (bytes[start] === 0x20 || bytes[start] === 0x09)) start++;
  while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--;
  return bytes.subarray(start, end);
}

/** Split a message (or part) into unfolded header fields and the body after the first empty line. */
export function splitHeaderBlock(data: Buffer): HeaderBlock {
  const headers: RawHeader[] = [];
  const junk: string[] = [];
  let current: { name: string; chunks: Buffer[] } | null = null;
  const flush = (): void => {
    if (current === null) return;
    headers.push({
      name: current.name,
      key: current.name.toLowerCase(),
      value: trimBlanks(Buffer.concat(current.chunks)),
    });
    current = null;
  };
  let pos = 0;
  let bodyStart = data.length;
  while (pos < data.length) {
    const newline = data.indexOf(0x0a, pos);
    const lineEnd = newline < 0 ? data.length : newline;
    const next = newline < 0 ? data.length : newline + 1;
    let line = data.subarray(pos, lineEnd);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (line.length === 0) {
      bodyStart = next;
      break;
    }
    if ((line[0] === 0x20 || line[0] === 0x09) && current !== null) {
      (current as { chunks: Buffer[] }).chunks.push(line);
    } else {
      const match = FIELD_NAME.exec(line.subarray(0, Math.min(line.length, 200)).toString('latin1'));
      flush();
      if (match === null) junk.push(line.subarray(0, 80).toString('latin1'));
      else current = { name: match[1] as string, chunks: [line.subarray(match[0].length)] };
    }
    pos = next;
  }
  flush();
  return { headers, body: data.subarray(bodyStart), junk };
}

/** Body parts between `--boundary` delimiter lines; the closing delimiter may be missing. */
export function splitMultipart(body: Buffer, boundary: string): Buffer[] | null {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const parts: Buffer[] = [];
  let partStart: number | null = null;
  let pos = 0;
  let found = false;
  while (pos <= body.length) {
    const at = body.indexOf(delimiter, pos);
    if (at < 0) break;
    pos = at + 1;
    if (at > 0 && body[at - 1] !== 0x0a) continue;
    let k = at + delimiter.length;
    const closing = body[k] === 0x2d && body[k + 1] === 0x2d;
    if (closing) k += 2;
    while (body[k] === 0x20 || body[k] === 0x09) k++;
    if (k < body.length && body[k] !== 0x0d && body[k] !== 0x0a) continue;
    found = true;
    if (partStart !== null) {
      let end = at;
      if (end > partStart && body[end - 1] === 0x0a) end--;
      if (end > partStart && body[end - 1] === 0x0d) end--;
      parts.push(body.subarray(partStart, Math.max(partStart, end)));
    }
    if (closing) return parts;
    if (body[k] === 0x0d) k++;
    if (body[k] === 0x0a) k++;
    partStart = k;
    pos = k;
  }
  if (!found) return null;
  if (partStart !== null) parts.push(body.subarray(partStart));
  return parts;
}

/** The transfer-decoded bytes of a leaf. Unknown encodings are passed through unchanged. */
export function decodeTransfer(node: Pick<MimeNode, 'transferEncoding' | 'rawBody'>): Buffer {
  switch (node.transferEncoding) {
    case 'base64': {
      const text = node.rawBody.toString('latin1');
      const padding = text.indexOf('=');
      // Node's decoder is fast but stops at the first padding; mid-stream padding needs ours.
      if (padding < 0 || /^[=\s]*$/.test(text.slice(padding))) return Buffer.from(text, 'base64');
      const bytes = decodeBase64(text);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    }
    case 'quoted-printable': {
      const bytes = decodeQuotedPrintable(node.rawBody);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    }
    default:
      return node.rawBody;
  }
}

function headerText(headers: readonly RawHeader[], key: string, hint: string | null): string | null {
  const header = headers.find((h) => h.key === key);
  return header === undefined ? null : decodeRawHeaderValue(header.value, hint);
}

class TreeBuilder {
  readonly nodes: MimeNode[] = [];
  readonly warnings: string[] = [];

  constructor(private readonly hint: string | null) {}

  /** A message (outer or embedded): header block plus its content node. */
  message(data: Buffer, path: string, depth: number, parentMessage: number | null): MimeNode {
    const block = splitHeaderBlock(data);
    for (const line of block.junk) this.warnings.push(`ignored header line without a colon: ${JSON.stringify(line)}`);
    return this.node(block.headers, block.body, path, depth, 'text/plain', parentMessage);
  }

  private node(
    headers: RawHeader[],
    body: Buffer,
    path: string,
    depth: number,
    defaultType: string,
    parentMessage: number | null,
  ): MimeNode {
    const type = parseHeaderWithParams(headerText(headers, 'content-type', this.hint) ?? '');
    const contentType = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type.value) ? type.value : defaultType;
    const dispositionText = headerText(headers, 'content-disposition', this.hint);
    const disposition = dispositionText === null ? null : parseHeaderWithParams(dispositionText);
    const encoding = (headerText(headers, 'content-transfer-encoding', null) ?? '7bit').trim().toLowerCase();
    const index = this.nodes.length;
    const node: MimeNode = {
      index,
      path,
      headers,
      contentType,
      contentTypeParams: type.params,
      disposition: disposition === null || disposition.value === '' ? null : disposition.value,
      dispositionParams: disposition?.params ?? {},
      transferEncoding: encoding === '' ? '7bit' : encoding,
      rawBody: body,
      children: [],
      embedded: null,
      messageRoot: parentMessage ?? index,
    };
    this.nodes.push(node);
    const child = (suffix: number): string => (path === '' ? String(suffix) : `${path}.${suffix}`);
    if (depth >= MAX_DEPTH || this.nodes.length >= MAX_NODES) {
      if (contentType.startsWith('multipart/') || contentType.startsWith('message/')) {
        this.warnings.push(`MIME structure too deep or too large at part ${path || 'root'}: kept as one part`);
      }
      return node;
    }
    if (contentType.startsWith('multipart/')) {
      const boundary = type.params['boundary'];
      const parts = boundary === undefined || boundary === '' ? null : splitMultipart(body, boundary);
      if (parts === null) {
        this.warnings.push(`multipart part ${path || 'root'} without usable boundary: read as text`);
        node.contentType = 'text/plain';
        return node;
      }
      const childDefault = contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
      for (const [i, part] of parts.entries()) {
        // The node bound holds for width too: a message of 100 000 tiny parts is not walked in full.
        if (this.nodes.length >= MAX_NODES) {
          this.warnings.push(`MIME structure too large at part ${path || 'root'}: ${parts.length - i} part(s) ignored`);
          break;
        }
        const block = splitHeaderBlock(part);
        node.children.push(
          this.node(block.headers, block.body, child(i + 1), depth + 1, childDefault, node.messageRoot),
        );
      }
    } else if (contentType === 'message/rfc822' || contentType === 'message/global') {
      const inner = decodeTransfer(node);
      const embeddedPath = path === '' ? '1' : path;
      node.embedded = this.message(inner, embeddedPath, depth + 1, null);
    }
    return node;
  }
}

/**
 * A message with CR-only line breaks (old Mac mailers) and not a single LF would otherwise be one
 * endless header line: its CRs become CRLF. Messages with any LF are left as they are.
 */
export function crLineBreaksToCrlf(raw: Buffer): Buffer {
  if (raw.includes(0x0a) || !raw.includes(0x0d)) return raw;
  const out = Buffer.alloc(raw.length * 2);
  let n = 0;
  for (const b of raw) {
    out[n++] = b;
    if (b === 0x0d) out[n++] = 0x0a;
  }
  return out.subarray(0, n);
}

/**
 * The MIME tree of a raw message. `hintCharset` is used to read raw 8-bit header bytes that are
 * not UTF-8 (MAIL-11).
 */
export function parseMimeTree(raw: Buffer, hintCharset: string | null): MimeTree {
  const builder = new TreeBuilder(hintCharset);
  const root = builder.message(crLineBreaksToCrlf(raw), '', 0, null);
  return { root, nodes: builder.nodes, warnings: builder.warnings };
}
