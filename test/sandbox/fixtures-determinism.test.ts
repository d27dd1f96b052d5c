import { describe, expect, test } from '@jest/globals';
import { generateFixtures } from '../../src/sandbox/fixtures/fixtures.js';
import { createRandom } from '../../src/sandbox/fixtures/random.js';

describe('fixture generator: determinism', () => {
  const a = generateFixtures({ seed: 42, mails: 1000, poles: 3000 });
  const b = generateFixtures({ seed: 42, mails: 1000, poles: 3000 });
  const c = generateFixtures({ seed: 43, mails: 1000, poles: 3000 });

  test('the same seed gives identical .eml bytes, feeds, snapshot and expected.json', () => {
    expect(a.corpus.files.map((f) => f.path)).toEqual(b.corpus.files.map((f) => f.path));
    const differing = a.corpus.files.filter((f, i) => !f.bytes.equals(b.corpus.files[i]?.bytes ?? Buffer.alloc(0)));
    expect(differing.map((f) => f.path)).toEqual([]);
    expect(JSON.stringify(a.expected)).toBe(JSON.stringify(b.expected));
    expect(JSON.stringify(a.directory.feeds)).toBe(JSON.stringify(b.directory.feeds));
    expect(JSON.stringify(a.directory.snapshot)).toBe(JSON.stringify(b.directory.snapshot));
  });

  test('a different seed gives a different directory, different mail and a different expected.json', () => {
    expect(JSON.stringify(c.directory.feeds.poles)).not.toBe(JSON.stringify(a.directory.feeds.poles));
    expect(JSON.stringify(c.expected)).not.toBe(JSON.stringify(a.expected));
    const same = a.corpus.files.filter((f, i) => c.corpus.files[i]?.bytes.equals(f.bytes) ?? false);
    // Only the 0-byte mails can coincide byte for byte.
    expect(same.every((f) => f.bytes.length === 0)).toBe(true);
  });

  test('the mail stream is independent of the directory size: more poles do not reshuffle the timeline', () => {
    const other = generateFixtures({ seed: 42, mails: 1000, poles: 4000 });
    expect(other.expected.mails.map((m) => [m.kind, m.folder, m.internalDate])).toEqual(
      a.expected.mails.map((m) => [m.kind, m.folder, m.internalDate]),
    );
  });

  test('the seeded PRNG (mulberry32) repeats exactly and forks into independent streams', () => {
    const r1 = createRandom(42);
    const r2 = createRandom(42);
    const seq1 = Array.from({ length: 5 }, () => r1.next());
    expect(Array.from({ length: 5 }, () => r2.next())).toEqual(seq1);
    expect(seq1.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(createRandom(42).fork('mail').next()).not.toBe(createRandom(42).fork('directory').next());
    expect(createRandom(42).fork('mail').next()).toBe(createRandom(42).fork('mail').next());
  });
});
