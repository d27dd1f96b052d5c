// ATT-3 content-addressed attachment blobs: <dir>/<h[0:2]>/<h[2:4]>/<sha256>. A blob is written to a
// temporary file and renamed into place, so a crash never leaves a half-written blob under its hash;
// an existing blob is never rewritten. Blobs are written before the e-mail's DB transaction (MAIL-13):
// a failed transaction leaves at most an unreferenced blob for the cleanup job, never a row without
// its file.

import { randomBytes } from 'node:crypto';
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { ParsedAttachment } from '../../domain/mail/parsed-email.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** ATT-3: where the blob of `sha256` lives. The file name is the hash, never the sender's name (ATT-4). */
export function attachmentBlobPath(dir: string, sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new Error(`not a SHA-256 hex digest: ${JSON.stringify(sha256)}`);
  return join(dir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Writes one blob unless a blob with that hash is already there. Returns true when it wrote it. */
export async function storeBlob(dir: string, sha256: string, content: Uint8Array): Promise<boolean> {
  const target = attachmentBlobPath(dir, sha256);
  if (await exists(target)) return false;
  const folder = join(dir, sha256.slice(0, 2), sha256.slice(2, 4));
  await mkdir(folder, { recursive: true });
  const temporary = join(folder, `.${sha256}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, content, { flag: 'wx' });
    // Another writer may have renamed the same content meanwhile: rename replaces it with identical bytes.
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  return true;
}

/** ATT-2 / ATT-3: the blobs of every attachment that is to be stored. Returns how many were new. */
export async function storeAttachmentBlobs(dir: string, attachments: readonly ParsedAttachment[]): Promise<number> {
  let written = 0;
  for (const attachment of attachments) {
    if (attachment.decision !== 'stored' || attachment.content === null) continue;
    if (await storeBlob(dir, attachment.sha256, attachment.content)) written++;
  }
  return written;
}
