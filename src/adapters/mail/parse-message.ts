// Raw e-mail bytes → the e-mail DISPATCH stores (DATA-3, DATA-4), or a failure reason (MAIL-17).
// The MIME walk is in mime-tree.ts; every rule is a pure function under src/domain/mail/.
// Never throws: any unexpected problem becomes a ParseFailure.

import { createHash } from 'node:crypto';

import type { FolderRole } from '../../domain/threading.js';
import {
  attachmentKind,
  decideStorage,
  defaultAttachmentName,
  sanitiseFileName,
} from '../../domain/mail/attachments.js';
import { chooseMainTextPart, composeBody, decodeFlowed, normaliseBodyText } from '../../domain/mail/body.js';
import { decodeBytes } from '../../domain/mail/charset.js';
import { classifyEmail } from '../../domain/mail/classification.js';
import {
  collectAddresses,
  decodeRawHeaderValue,
  decodeSubject,
  effectiveDate,
  parseFromAddress,
  parseMailDate,
} from '../../domain/mail/headers.js';
import { htmlToText } from '../../domain/mail/html-text.js';
import { normaliseMessageId, resolveMessageId } from '../../domain/mail/message-id.js';
import type { Sha256Hex } from '../../domain/mail/message-id.js';
import type { ParsedAttachment, ParsedEmail, ParseFailure } from '../../domain/mail/parsed-email.js';
import { parseInReplyTo, parseReferences } from '../../domain/mail/threading-headers.js';
import { renderWebFormJson } from '../../domain/mail/web-form.js';
import { decodeTransfer, parseMimeTree, splitHeaderBlock } from './mime-tree.js';
import type { MimeNode, RawHeader } from './mime-tree.js';

export type { ParsedAttachment, ParsedEmail, ParseFailure } from '../../domain/mail/parsed-email.js';

export interface ParseContext {
  folderRole: FolderRole;
  folderName: string;
  uid: number;
  uidValidity: number;
  /** IMAP INTERNALDATE (MAIL-11 effective date). */
  internalDate: Date;
  /** `PARSING_EMAIL_LOGIN`. */
  ownAddress: string;
  /** `YT_QUEUE`. */
  queueKey: string;
  /** Message-IDs of the outbox (NOISE-1 `own`); a set or a lookup. */
  outboxMessageIds?: ReadonlySet<string> | ((messageId: string) => boolean);
  /** `MAIL_SENDER_DENY` patterns. */
  senderDeny?: readonly string[];
  /** `MAIL_DATE_MAX_SKEW_HOURS`. */
  maxDateSkewHours: number;
  /** `MAIL_MESSAGE_ID_DOMAIN`; default `dispatch.<domain of ownAddress>` (CONF-4). */
  messageIdDomain?: string;
  /** `ATTACHMENT_MAX_STORE_MB` in bytes; default 48 MiB (ATT-2). */
  attachmentMaxStoreBytes?: number;
}

const sha256Hex: Sha256Hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

function sha256OfBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The first non-UTF-8 charset declared anywhere in the message: raw 8-bit header bytes were most
 * likely written by the same mailer in the same charset (MAIL-11).
 */
function headerCharsetHint(raw: Buffer): string | null {
  const text = raw.subarray(0, Math.min(raw.length, 256 * 1024)).toString('latin1');
  for (const match of text.matchAll(/charset\s*=\s*["']?([A-Za-z0-9_.:-]+)/gi)) {
    const charset = (match[1] as string).toLowerCase();
    if (!/^(?:utf-?8|us-ascii|ascii)$/.test(charset)) return charset;
  }
  return null;
}

class HeaderView {
  constructor(
    private readonly headers: readonly RawHeader[],
    private readonly hint: string | null,
  ) {}

  first(key: string): string | null {
    const header = this.headers.find((h) => h.key === key);
    return header === undefined ? null : decodeRawHeaderValue(header.value, this.hint);
  }

  all(key: string): string[] {
    return this.headers.filter((h) => h.key === key).map((h) => decodeRawHeaderValue(h.value, this.hint));
  }

  /** The raw bytes as a byte-preserving string (for the synthetic id hash). */
  raw(key: string): string | null {
    return this.headers.find((h) => h.key === key)?.value.toString('latin1') ?? null;
  }

  count(key: string): number {
    return this.headers.filter((h) => h.key === key).length;
  }

  names(): string[] {
    return this.headers.map((h) => h.name);
  }
}

function htmlCharset(bytes: Buffer): string | null {
  const head = bytes.subarray(0, 4096).toString('latin1');
  return /<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)/i.exec(head)?.[1] ?? null;
}

/** The text of one text/plain or text/html part (MAIL-12: declared charset, else detection). */
function partText(node: MimeNode): string {
  const bytes = decodeTransfer(node);
  const declared = node.contentTypeParams['charset'] ?? (node.contentType === 'text/html' ? htmlCharset(bytes) : null);
  const text = decodeBytes(bytes, declared).text;
  if (node.contentType === 'text/html') return htmlToText(text);
  if ((node.contentTypeParams['format'] ?? '').toLowerCase() === 'flowed') {
    return decodeFlowed(text, (node.contentTypeParams['delsp'] ?? '').toLowerCase() === 'yes');
  }
  return text;
}

function isLeaf(node: MimeNode): boolean {
  return node.children.length === 0 && node.embedded === null;
}

/** Only blanks and line breaks (an empty part, e.g. a multipart whose boundary never came). */
function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0a) return false;
  return true;
}

/**
 * MAIL-12: the main text part of the message whose root node is `messageRoot`. Blank parts are
 * passed over: an empty first text part would otherwise hide the text that follows it.
 */
function mainTextNode(nodes: readonly MimeNode[], messageRoot: number): MimeNode | null {
  const candidates = nodes
    .filter((n) => isLeaf(n) && (n.contentType === 'text/plain' || n.contentType === 'text/html'))
    .filter((n) => !isBlank(n.rawBody))
    .map((n) => ({
      node: n,
      contentType: n.contentType,
      disposition: n.disposition,
      insideEmbeddedMessage: n.messageRoot !== messageRoot,
    }));
  return chooseMainTextPart(candidates)?.node ?? null;
}

function embeddedRoots(nodes: readonly MimeNode[]): MimeNode[] {
  return nodes.flatMap((n) => (n.embedded === null ? [] : [n.embedded]));
}

function contentId(headers: HeaderView): string | null {
  const value = headers.first('content-id');
  if (value === null) return null;
  const id = value.trim().replace(/^<|>$/g, '');
  return id === '' ? null : id;
}

function parse(raw: Buffer, ctx: ParseContext): ParsedEmail | ParseFailure {
  if (raw.length === 0) return { ok: false, reason: 'empty message (0 bytes)', messageId: null };
  const hint = headerCharsetHint(raw);
  const tree = parseMimeTree(raw, hint);
  const { root, nodes } = tree;
  if (root.headers.length === 0) return { ok: false, reason: 'message has no header', messageId: null };
  const warnings = [...tree.warnings];
  const headers = new HeaderView(root.headers, hint);

  // MAIL-12 body: main text, then each embedded message's main text.
  const mainNode = mainTextNode(nodes, root.index);
  const embedded = embeddedRoots(nodes);
  const embeddedMain = embedded.map((e) => mainTextNode(nodes, e.index));
  const composed = composeBody(
    mainNode === null ? null : partText(mainNode),
    embeddedMain.map((n) => (n === null ? null : partText(n))),
  );
  const form = composed === null ? null : renderWebFormJson(composed);
  const body = form === null ? null : normaliseBodyText(form.text);

  // MAIL-9 / MAIL-10.
  const resolved = resolveMessageId(
    headers.first('message-id'),
    { from: headers.raw('from'), date: headers.raw('date'), subject: headers.raw('subject'), body },
    sha256Hex,
  );
  if (resolved.problem === 'too-long') warnings.push('Message-ID longer than 998 characters: synthetic id used');
  if (resolved.problem === 'unusable') warnings.push('unusable Message-ID: synthetic id used');
  const messageId = resolved.messageId;
  const inReplyTo = parseInReplyTo(headers.first('in-reply-to'), messageId);
  const references = parseReferences(headers.all('references'), messageId);

  // MAIL-11.
  if (headers.count('subject') > 1) warnings.push(`${headers.count('subject')} Subject headers: the first is used`);
  const subject = decodeSubject(headers.first('subject'));
  if (subject.truncated) warnings.push('subject truncated to 1024 characters');
  const from = parseFromAddress(headers.first('from'));
  if (from.truncated) warnings.push('From truncated to 254 characters');
  if (from.source === 'raw') warnings.push('From holds no address: raw text stored');
  const recipients = (key: string): string[] => {
    const list = collectAddresses(headers.all(key));
    if (list.rejected.length > 0) {
      warnings.push(
        `${key}: ignored ${list.rejected.length} unusable address(es): ${JSON.stringify(list.rejected.slice(0, 5))}`,
      );
    }
    return list.addresses;
  };
  const dateHeader = parseMailDate(headers.first('date'));
  if (dateHeader === null && headers.first('date') !== null) warnings.push('unreadable Date header: INTERNALDATE used');
  const effective = effectiveDate(dateHeader, ctx.internalDate, ctx.maxDateSkewHours);

  // ATT-1, ATT-2, ATT-4.
  const bodyParts = new Set([mainNode, ...embeddedMain].filter((n): n is MimeNode => n !== null));
  const maxStore = ctx.attachmentMaxStoreBytes;
  const attachments: ParsedAttachment[] = [];
  for (const node of nodes) {
    if (!isLeaf(node)) continue;
    const declaredName = node.dispositionParams['filename'] ?? node.contentTypeParams['name'] ?? null;
    const kind = attachmentKind({
      contentType: node.contentType,
      disposition: node.disposition,
      fileName: declaredName,
      isMainBody: bodyParts.has(node),
    });
    if (kind === null) continue;
    const n = attachments.length + 1;
    const hasName = declaredName !== null && declaredName.trim() !== '';
    const fileName = sanitiseFileName(hasName ? declaredName : defaultAttachmentName(n, node.contentType));
    const content = decodeTransfer(node);
    const decision = decideStorage({ mimeType: node.contentType, fileName, size: content.length }, maxStore);
    if (decision !== 'stored') {
      warnings.push(
        `attachment ${JSON.stringify(fileName)} (${node.contentType}, ${content.length} bytes): ${decision}`,
      );
    }
    attachments.push({
      partIndex: node.index,
      partPath: node.path,
      kind,
      fileName,
      mimeType: node.contentType,
      size: content.length,
      sha256: sha256OfBytes(content),
      decision,
      contentId: contentId(new HeaderView(node.headers, hint)),
      content: decision === 'stored' ? new Uint8Array(content) : null,
    });
  }

  // NOISE-3: ids of embedded originals (forwarded messages, bounce copies).
  const embeddedMessageIds: string[] = [];
  for (const node of nodes) {
    let id: string | null = null;
    if (node.embedded !== null)
      id = normaliseMessageId(new HeaderView(node.embedded.headers, hint).first('message-id'));
    else if (node.contentType === 'text/rfc822-headers') {
      id = normaliseMessageId(new HeaderView(splitHeaderBlock(decodeTransfer(node)).headers, hint).first('message-id'));
    }
    if (id !== null && !embeddedMessageIds.includes(id)) embeddedMessageIds.push(id);
  }

  const ownDomain = ctx.ownAddress.slice(ctx.ownAddress.lastIndexOf('@') + 1).toLowerCase();
  const classification = classifyEmail({
    messageId,
    outboxMessageIds: ctx.outboxMessageIds ?? new Set<string>(),
    messageIdDomain: ctx.messageIdDomain ?? `dispatch.${ownDomain}`,
    headerNames: headers.names(),
    header: (key) => headers.first(key),
    subject: subject.subject,
    queue: ctx.queueKey,
    contentTypes: nodes.filter((n) => n.messageRoot === root.index).map((n) => n.contentType),
    fromAddress: from.address,
    folderRole: ctx.folderRole,
    ownAddress: ctx.ownAddress,
    senderDeny: ctx.senderDeny ?? [],
  });

  return {
    ok: true,
    messageId,
    isSyntheticId: resolved.isSynthetic,
    inReplyTo,
    references,
    subject: subject.subject,
    fromAddress: from.address,
    requesterAddress: form?.requester ?? null,
    observerAddresses: form?.observers ?? [],
    to: recipients('to'),
    cc: recipients('cc'),
    bcc: recipients('bcc'),
    dateHeader,
    internalDate: ctx.internalDate,
    effectiveDate: effective.date,
    body,
    classification,
    folderRole: ctx.folderRole,
    folderName: ctx.folderName,
    uid: ctx.uid,
    uidValidity: ctx.uidValidity,
    attachments,
    embeddedMessageIds,
    rawSha256: sha256OfBytes(raw),
    warnings,
  };
}

/** The Message-ID of a message that failed to parse, if its header can still be read (MAIL-17). */
function messageIdOfFailed(raw: Buffer): string | null {
  try {
    const header = splitHeaderBlock(raw).headers.find((h) => h.key === 'message-id');
    return normaliseMessageId(header?.value.toString('latin1'));
  } catch {
    return null;
  }
}

/** MAIL-9…MAIL-12, ATT-1/2/4, NOISE-1 for one raw message; MAIL-17 failures as values. */
export function parseRawMessage(raw: Buffer, ctx: ParseContext): ParsedEmail | ParseFailure {
  try {
    return parse(raw, ctx);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `unexpected parse error: ${reason}`, messageId: messageIdOfFailed(raw) };
  }
}
