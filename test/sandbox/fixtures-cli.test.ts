import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runFixturesCli } from '../../src/sandbox/fixtures/cli.js';
import type { ExpectedFixtures } from '../../src/sandbox/fixtures/fixtures.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const cli = join(root, 'dist/src/sandbox/fixtures/cli.js');

describe('fixture generator: CLI', () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'dispatch-fixtures-'));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  test('generate writes the three feeds, the mail folders and expected.json', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      cli,
      'generate',
      '--seed',
      '3',
      '--mails',
      '120',
      '--poles',
      '400',
      '--out',
      out,
    ]);
    expect(stdout).toMatch(/^wrote 125 files to .+: 400 poles, 1200 base stations, 120 mails/);
    expect((await readdir(join(out, 'directory'))).sort()).toEqual(['avr.json', 'bs.json', 'poles.json']);
    const expected = JSON.parse(await readFile(join(out, 'expected.json'), 'utf8')) as ExpectedFixtures;
    expect(expected.generator).toMatchObject({ seed: 3, mails: 120 });
    const inbox = await readdir(join(out, 'mail/INBOX'));
    const sent = await readdir(join(out, 'mail/Sent'));
    expect(inbox.length + sent.length).toBe(120);
    expect(inbox.length).toBe(expected.counts.byFolder.INBOX);
    for (const mail of expected.mails) {
      const bytes = await readFile(join(out, mail.file));
      expect([mail.file, bytes.length > 0 || mail.kind === 'empty_message']).toEqual([mail.file, true]);
    }
    const poles = JSON.parse(await readFile(join(out, expected.directory.feeds.poles), 'utf8')) as unknown[];
    expect(poles.length).toBe(expected.directory.stats.poles.rows);
  });

  test('bad arguments exit with code 2 and name the problem', async () => {
    const errors: string[] = [];
    const io = { out: () => undefined, err: (l: string) => errors.push(l) };
    expect(await runFixturesCli(['generate', '--out', out, '--mails', 'many'], io)).toBe(2);
    expect(errors.join('\n')).toContain('mails: expected an integer, got "many"');
    errors.length = 0;
    expect(await runFixturesCli(['generate', '--out', out, '--mix', 'early_reply=1', '--mails', '5'], io)).toBe(2);
    expect(errors.join('\n')).toContain('early_reply (5) needs at most as many plain opening reports (0)');
    errors.length = 0;
    expect(await runFixturesCli(['generate', '--out', out, '--start', 'yesterday'], io)).toBe(2);
    expect(errors.join('\n')).toContain('start: expected an ISO-8601 date-time, got "yesterday"');
  });

  test('--start moves the whole timeline (MAIL-5 backfill windows)', async () => {
    const target = join(out, 'later');
    const lines: string[] = [];
    const code = await runFixturesCli(
      ['generate', '--out', target, '--mails', '40', '--poles', '100', '--start', '2026-01-10T06:00:00Z'],
      {
        out: (l) => lines.push(l),
        err: (l) => lines.push(l),
      },
    );
    expect([code, lines.length]).toEqual([0, 1]);
    const expected = JSON.parse(await readFile(join(target, 'expected.json'), 'utf8')) as ExpectedFixtures;
    expect(expected.generator.start).toBe('2026-01-10T06:00:00.000Z');
    const firstOpening = expected.mails.find((m) => m.link === 'opens');
    expect(Date.parse(firstOpening?.internalDate ?? '')).toBeGreaterThan(Date.parse('2026-01-10T06:00:00Z'));
  });
});
