// What parsing one raw message yields: everything DATA-3 (e-mail) and DATA-4 (attachments)
// store, or the reason it could not be parsed (MAIL-17).

import type { EmailClassification, FolderRole } from '../threading.js';
import type { AttachmentDecision, AttachmentKind } from './attachments.js';

export interface ParsedAttachment {
  /** Depth-first index of the MIME part (root = 0); with the e-mail id, unique (DATA-4). */
  partIndex: number;
  /** IMAP-style section of the part (`2`, `3.1`), for logs. */
  partPath: string;
  kind: AttachmentKind;
  /** Sanitised (ATT-4) name: from the part, or `attachment-<n>.<ext>` (ATT-1). */
  fileName: string;
  /** Lower-case `type/subtype`. */
  mimeType: string;
  /** Decoded size in bytes. */
  size: number;
  sha256: string;
  decision: AttachmentDecision;
  /** Content-ID without brackets, for inline images; null when absent. */
  contentId: string | null;
  /** The decoded bytes when `decision` is `stored`, else null (ATT-2: metadata only). */
  content: Uint8Array | null;
}

export interface ParsedEmail {
  ok: true;
  /** Normalised Message-ID (MAIL-9), or the synthetic one. */
  messageId: string;
  isSyntheticId: boolean;
  inReplyTo: string | null;
  references: string[];
  /** Decoded subject ('' without one), at most 1024 characters. */
  subject: string;
  /** Sender address (MAIL-11), or the raw From text when it holds no address; null without From. */
  fromAddress: string | null;
  /** Web-form `E-mail для обратной связи` (MAIL-12), null when absent. */
  requesterAddress: string | null;
  observerAddresses: string[];
  to: string[];
  cc: string[];
  bcc: string[];
  /** The Date header as an instant, null when absent or unreadable. */
  dateHeader: Date | null;
  internalDate: Date;
  effectiveDate: Date;
  /** Normalised main text with embedded messages appended; null when empty. */
  body: string | null;
  classification: EmailClassification;
  folderRole: FolderRole;
  folderName: string;
  uid: number;
  uidValidity: number;
  attachments: ParsedAttachment[];
  /**
   * Message-IDs of embedded originals (`message/rfc822` and `text/rfc822-headers` parts), in
   * order: NOISE-3 links a bounce through them.
   */
  embeddedMessageIds: string[];
  /** SHA-256 of the raw message. */
  rawSha256: string;
  /** Things the caller should log: truncations, replaced ids, ignored header lines, skipped files. */
  warnings: string[];
}

export interface ParseFailure {
  ok: false;
  /** Human-readable reason recorded with the mail failure (MAIL-17). */
  reason: string;
  /** Normalised Message-ID when one could still be read. */
  messageId: string | null;
}
