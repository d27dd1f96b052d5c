import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { prefixUpperBound } from '../../src/adapters/db/directory-store.js';

// EXTR-2 prefix lookups run as index range scans [prefix, upper): every string that starts with the
// prefix must sort inside the range in byte (code point) order, and nothing else that sorts after.
const byCodePoints = (a: string, b: string): number => {
  const x = [...a].map((c) => c.codePointAt(0) as number);
  const y = [...b].map((c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
};

describe('EXTR-2: pole-code prefix range', () => {
  test('the upper bound of "12345-msk" is "12345-msl"', () => {
    expect(prefixUpperBound('12345-msk')).toBe('12345-msl');
    expect(prefixUpperBound('12345-')).toBe('12345.');
  });

  test('every extension of the prefix lies in [prefix, upper); the upper bound itself does not', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 12 }), (prefix, rest) => {
        const upper = prefixUpperBound(prefix);
        const value = prefix + rest;
        return byCodePoints(value, prefix) >= 0 && byCodePoints(value, upper) < 0 && !upper.startsWith(prefix);
      }),
    );
  });
});
