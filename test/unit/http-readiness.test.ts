// /readyz aggregation: every check named, failures and hung checks reported, never thrown.
import { expect, test } from '@jest/globals';
import { checkReadiness, workerReadiness } from '../../src/http/readiness.js';

test('all checks passing → ready with no failing names', async () => {
  const report = await checkReadiness([
    { name: 'postgres', check: () => Promise.resolve() },
    workerReadiness(() => true),
  ]);
  expect(report).toEqual({ ready: true, failing: [], checks: { postgres: { ok: true }, worker: { ok: true } } });
});

test('a rejecting check and a hung check are both named, with their reasons', async () => {
  const report = await checkReadiness(
    [
      { name: 'postgres', check: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) },
      { name: 'temporal', check: () => new Promise<void>(() => undefined) },
      workerReadiness(() => false),
    ],
    50,
  );
  expect(report).toEqual({
    ready: false,
    failing: ['postgres', 'temporal', 'worker'],
    checks: {
      postgres: { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:5432' },
      temporal: { ok: false, error: 'no answer within 50 ms' },
      worker: { ok: false, error: 'worker is not running' },
    },
  });
});
