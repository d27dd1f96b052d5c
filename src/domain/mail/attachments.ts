// Attachments (ATT-1, ATT-2, ATT-4): which MIME parts are files, their names, and whether the
// file is stored or only recorded.

import { limitUtf8Bytes, MAIL_LIMITS, utf8ByteLength } from './text-limits.js';

export type AttachmentKind = 'attachment' | 'inline';
/** DATA-4 status decided at parse time (`missing` is set later, ATT-6). */
export type AttachmentDecision = 'stored' | 'skipped_type' | 'skipped_size';

/** ATT-2 default of `ATTACHMENT_MAX_STORE_MB` (48 MiB), in bytes. */
export const DEFAULT_ATTACHMENT_MAX_STORE_BYTES = 48 * 1024 * 1024;

export interface AttachmentPartInfo {
  /** Lower-case `type/subtype`. */
  contentType: string;
  /** Lower-case disposition value (`attachment`, `inline`), or null without the header. */
  disposition: string | null;
  /** Decoded file name from the disposition `filename` or the Content-Type `name`, or null. */
  fileName: string | null;
  /** The part chosen as the message's main text (MAIL-12). */
  isMainBody: boolean;
}

/**
 * ATT-1: `Content-Disposition: attachment` parts are attachments and `image/*` parts that are not
 * the main body are inline attachments. Beyond the letter of ATT-1, any other part that carries a
 * file name, and any non-text leaf (e.g. a bare `application/pdf` as scanners and 1C send it), is
 * an attachment too: otherwise such files would be lost. Text parts without a name (alternative
 * renderings), containers and embedded messages are not attachments.
 */
export function attachmentKind(part: AttachmentPartInfo): AttachmentKind | null {
  if (part.isMainBody) return null;
  const type = part.contentType;
  if (type.startsWith('multipart/')) return null;
  if (part.disposition === 'attachment') return 'attachment';
  if (type.startsWith('image/')) return 'inline';
  if (type.startsWith('message/') || type === 'text/rfc822-headers') return null;
  if (part.fileName !== null && part.fileName.trim() !== '') return 'attachment';
  return type.startsWith('text/') ? null : 'attachment';
}

const EXTENSION_BY_MIME: Readonly<Record<string, string>> = {
  'application/pdf': 'pdf',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/vnd.visio': 'vsd',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.oasis.opendocument.presentation': 'odp',
  'application/epub+zip': 'epub',
  'application/json': 'json',
  'application/rtf': 'rtf',
  'application/zip': 'zip',
  'application/x-zip-compressed': 'zip',
  'application/x-7z-compressed': '7z',
  'application/x-rar-compressed': 'rar',
  'application/vnd.rar': 'rar',
  'application/x-tar': 'tar',
  'application/gzip': 'gz',
  'application/x-gzip': 'gz',
  'application/x-bzip2': 'bz2',
  'application/vnd.ms-project': 'mpp',
  'application/vnd.ms-access': 'mdb',
  'application/xml': 'xml',
  'application/pkcs7-signature': 'p7s',
  'application/x-pkcs7-signature': 'p7s',
  'application/pgp-signature': 'asc',
  'text/plain': 'txt',
  'text/html': 'html',
  'text/csv': 'csv',
  'text/rtf': 'rtf',
  'text/calendar': 'ics',
  'text/xml': 'xml',
  'image/jpeg': 'jpg',
  'image/jpg': 'jpg',
  'image/pjpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
  'image/tiff': 'tif',
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/ogg': 'ogg',
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'video/x-msvideo': 'avi',
  'video/x-matroska': 'mkv',
  'video/webm': 'webm',
  'message/rfc822': 'eml',
};

/** The extension for a MIME type (`bin` when unknown). */
export function extensionForMime(mimeType: string): string {
  return EXTENSION_BY_MIME[mimeType.trim().toLowerCase()] ?? 'bin';
}

/** ATT-1: the name of an attachment without one; `n` counts the message's attachments from 1. */
export function defaultAttachmentName(n: number, mimeType: string): string {
  return `attachment-${n}.${extensionForMime(mimeType)}`;
}

const FORBIDDEN = /[\p{Cc}/\\:*?"<>|]/gu;

/**
 * ATT-4: keep the last path component, remove control characters, `/ \ : * ? " < > |` and `..`,
 * at most 255 UTF-8 bytes (a character is never cut; the extension is kept when the stem can be
 * shortened instead), empty → `attachment`. The result is a label, never a path.
 */
export function sanitiseFileName(name: string | null | undefined): string {
  if (name === null || name === undefined) return 'attachment';
  const components = name.normalize('NFC').split(/[/\\]/);
  let result = (components.filter((c) => c.trim() !== '').pop() ?? '').replace(FORBIDDEN, '');
  while (result.includes('..')) result = result.replaceAll('..', '');
  result = result.trim();
  if (utf8ByteLength(result) > MAIL_LIMITS.fileNameBytes) {
    const ext = /\.[^.\s]{1,16}$/u.exec(result)?.[0] ?? '';
    const stem = result.slice(0, result.length - ext.length);
    const room = MAIL_LIMITS.fileNameBytes - utf8ByteLength(ext);
    result = limitUtf8Bytes(stem, room).value + ext;
    while (result.includes('..')) result = result.replaceAll('..', '');
    result = result.trim();
  }
  return result === '' ? 'attachment' : result;
}

const ALLOWED_MIME_PREFIXES = [
  'application/pdf',
  'application/msword',
  'application/vnd.openxmlformats-officedocument',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/vnd.visio',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'application/epub+zip',
  'application/json',
  'application/vnd.google-apps',
  'text/plain',
  'text/rtf',
  'image/',
  'video/',
  'audio/mpeg',
  'audio/wav',
  'audio/ogg',
  'application/zip',
  'application/x-7z-compressed',
  'application/x-rar-compressed',
  'application/x-tar',
  'application/gzip',
  'application/x-bzip2',
  'application/vnd.ms-project',
  'application/vnd.ms-access',
];

const ALLOWED_EXTENSIONS = new Set(
  (
    'pdf doc docx xls xlsx ppt pptx vsd vsdx odt ods odp epub json gsheet gdoc gslides gdraw gform txt rtf zip ' +
    '7z rar tar gz bz2 mpp mdb mp3 wav ogg mp4 mov avi mkv webm jpg jpeg png gif bmp webp svg'
  ).split(' '),
);

/** The lower-case extension of a file name without the dot, or '' when it has none. */
export function fileExtension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 || dot === name.length - 1 ? '' : name.slice(dot + 1).toLowerCase();
}

/** ATT-2: allowed by MIME prefix or by extension (case-insensitive). */
export function isAllowedType(mimeType: string, fileName: string): boolean {
  const mime = mimeType.trim().toLowerCase();
  return ALLOWED_MIME_PREFIXES.some((p) => mime.startsWith(p)) || ALLOWED_EXTENSIONS.has(fileExtension(fileName));
}

/** ATT-2: store the file, or record only its metadata because of its type or its size. */
export function decideStorage(
  file: { mimeType: string; fileName: string; size: number },
  maxStoreBytes: number = DEFAULT_ATTACHMENT_MAX_STORE_BYTES,
): AttachmentDecision {
  if (!isAllowedType(file.mimeType, file.fileName)) return 'skipped_type';
  return file.size > maxStoreBytes ? 'skipped_size' : 'stored';
}
