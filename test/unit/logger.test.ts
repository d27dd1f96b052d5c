import { describe, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger, scrubSecrets } from '../../src/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, destination };
}

describe('logger (GEN-10)', () => {
  test('writes JSON lines with level names and context fields', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination });
    log.child({ incidentId: 7, issueKey: 'AVRSERVICE-7' }).info({ emailId: 12 }, 'comment posted');
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 'info',
      incidentId: 7,
      issueKey: 'AVRSERVICE-7',
      emailId: 12,
      msg: 'comment posted',
    });
  });

  test('secrets never reach a line, in any field or escaped form', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, secrets: ['s3cr3t-token', 'pa"ss\\word'] });
    log.info({ url: 'https://x/?t=s3cr3t-token', nested: { p: 'pa"ss\\word' } }, 'token s3cr3t-token used');
    expect(lines.join('\n')).not.toContain('s3cr3t-token');
    expect(lines.join('\n')).not.toContain('pa\\"ss\\\\word');
    expect(lines[0]).toContain('***');
  });

  test('debug level only when DEBUG is on', () => {
    const quiet = capture();
    createLogger({ destination: quiet.destination }).debug('hidden');
    const loud = capture();
    createLogger({ destination: loud.destination, debug: true }).debug('shown');
    expect(quiet.lines).toEqual([]);
    expect(loud.lines).toHaveLength(1);
  });

  test('short values are not treated as secrets (they would shred ordinary words)', () => {
    expect(scrubSecrets('abc appears here', ['abc'])).toBe('abc appears here');
  });
});
