import { describe, expect, test } from '@jest/globals';
import { execFile as execFileCb } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectPath } from '../../src/project-root.js';

const execFile = promisify(execFileCb);

// There is no Docker engine on the build machines; Debian's docker-compose (v1, installed by
// scripts/bootstrap.sh --with-test-tools) validates the file offline, including depends_on conditions.
describe('docker-compose.yml (OPS-4)', () => {
  test('is accepted by docker-compose config and wires the services in order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dispatch-compose-'));
    try {
      await copyFile(projectPath('docker-compose.yml'), join(dir, 'docker-compose.yml'));
      await copyFile(projectPath('Dockerfile'), join(dir, 'Dockerfile'));
      await writeFile(
        join(dir, '.env'),
        'POSTGRES_PASSWORD=example-only\nPOSTGRES_USER=dispatch\nPOSTGRES_DB=dispatch\n',
      );
      const { stdout } = await execFile('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: dir });
      for (const service of [
        'postgresql:',
        'temporal-schema:',
        'temporal:',
        'temporal-namespace:',
        'temporal-ui:',
        'bootstrap:',
        'worker:',
      ]) {
        expect(stdout).toContain(`  ${service}`);
      }
      expect(stdout).toContain('service_completed_successfully');
      expect(stdout).toContain('DATABASE_URL: postgres://dispatch:example-only@postgresql:5432/dispatch');
      expect(stdout).not.toContain('auto-setup');
      // The worker reports healthy only when /readyz does (PostgreSQL, Temporal, polling).
      expect(stdout).toMatch(/worker:[\s\S]*healthcheck:[\s\S]*\/readyz/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('refuses to render without a database password', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dispatch-compose-'));
    try {
      await copyFile(projectPath('docker-compose.yml'), join(dir, 'docker-compose.yml'));
      await writeFile(join(dir, '.env'), '');
      await expect(
        execFile('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: dir }),
      ).rejects.toThrow(/POSTGRES_PASSWORD/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
