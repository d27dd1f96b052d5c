import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runMailScript } from './scripts.js';

/** A self-signed certificate for localhost and 127.0.0.1; clients trust it through `ca` or NODE_EXTRA_CA_CERTS. */
export interface SandboxCertificate {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

/** Creates DIR/cert.pem and DIR/key.pem once (scripts/mail/make-tls-cert.sh) and reads them. */
export async function ensureSandboxCertificate(dir: string): Promise<SandboxCertificate> {
  await runMailScript('make-tls-cert.sh', [dir], {});
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  return { certFile, keyFile, cert, key };
}
