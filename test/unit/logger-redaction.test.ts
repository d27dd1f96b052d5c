// GEN-10: credential fields never reach a log line, even when their values are not configured secrets.
import { expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';

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

test('GEN-10: token, password and authorization values are censored at the top level', () => {
  const { lines, destination } = capture();
  createLogger({ destination }).info({ token: 'abc', password: 'x', authorization: 'OAuth y' }, 'calling Tracker');
  const entry = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  expect(entry).toMatchObject({ token: '***', password: '***', authorization: '***', msg: 'calling Tracker' });
  expect(lines[0]).not.toContain('abc');
  expect(lines[0]).not.toContain('OAuth y');
  expect(lines[0]).not.toMatch(/"x"/);
});

test('GEN-10: credential fields one level down and in request headers are censored too', () => {
  const { lines, destination } = capture();
  createLogger({ destination })
    .child({ issueKey: 'AVRSERVICE-7' })
    .warn(
      {
        imap: { user: 'disp@example.ru', password: 'imap-pass' },
        req: { headers: { authorization: 'Bearer iam-token', accept: 'application/json' } },
        tracker: { clientSecret: 'client-secret-value', refreshToken: 'refresh-value' },
      },
      'request failed',
    );
  const line = lines[0] ?? '';
  for (const value of ['imap-pass', 'Bearer iam-token', 'client-secret-value', 'refresh-value']) {
    expect(line).not.toContain(value);
  }
  expect(JSON.parse(line)).toMatchObject({
    issueKey: 'AVRSERVICE-7',
    imap: { user: 'disp@example.ru', password: '***' },
    req: { headers: { authorization: '***', accept: 'application/json' } },
  });
});
