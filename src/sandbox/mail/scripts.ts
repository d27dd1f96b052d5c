import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Raised when a mail peer cannot be installed, started or stopped; the message says why and what to do. */
export class MailServerError extends Error {
  override readonly name = 'MailServerError';
}

// The binaries the scripts run, and the Debian package that provides each.
const REQUIRED_BINARIES: ReadonlyArray<readonly [string, string]> = [
  ['/usr/sbin/dovecot', 'dovecot-imapd'],
  ['/usr/lib/dovecot/imap', 'dovecot-imapd'],
  ['/usr/lib/dovecot/lmtp', 'dovecot-lmtpd'],
  ['/usr/sbin/postfix', 'postfix'],
];

/** Fails with one clear message listing every missing piece (tests must fail, not skip, without them). */
export async function assertMailPeersInstalled(
  binaries: ReadonlyArray<readonly [path: string, debianPackage: string]> = REQUIRED_BINARIES,
): Promise<void> {
  const missing: string[] = [];
  for (const [path, pkg] of binaries) {
    await access(path, constants.X_OK).catch(() => missing.push(`${path} (package ${pkg})`));
  }
  if (missing.length > 0) {
    throw new MailServerError(
      `mail peers are not installed: missing ${missing.join(', ')}. Install them as root with: bash scripts/mail/install-mail-peers.sh`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new MailServerError(
      'the sandbox mail servers must be started as root (Dovecot and Postfix switch to their own users)',
    );
  }
}

// dist/src/sandbox/mail/*.js (compiled) or src/sandbox/mail/*.ts (run from source)
const SCRIPT_DIR_CANDIDATES = ['../../../../scripts/mail/', '../../../scripts/mail/'].map((relative) =>
  fileURLToPath(new URL(relative, import.meta.url)),
);

async function scriptDir(): Promise<string> {
  for (const dir of SCRIPT_DIR_CANDIDATES) {
    if (
      await access(`${dir}start-dovecot.sh`).then(
        () => true,
        () => false,
      )
    )
      return dir;
  }
  throw new MailServerError(`scripts/mail not found (looked in ${SCRIPT_DIR_CANDIDATES.join(', ')})`);
}

/** Runs scripts/mail/NAME with the given environment; resolves with its stdout, fails with its stderr. */
export async function runMailScript(name: string, args: string[], env: Record<string, string>): Promise<string> {
  const path = `${await scriptDir()}${name}`;
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [path, ...args],
      {
        // /usr/sbin is not on every PATH, and the scripts call Debian's daemons by absolute path anyway
        env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin`, ...env },
        timeout: 60_000,
        maxBuffer: 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new MailServerError(`${name} failed (${error.message.split('\n')[0]}): ${stderr.trim() || stdout.trim()}`),
          );
        else resolve(stdout);
      },
    );
  });
}
