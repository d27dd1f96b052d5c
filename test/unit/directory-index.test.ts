import { describe, test, expect } from '@jest/globals';
import { buildDirectoryIndex } from '../../src/domain/directory-index.js';
import { compareByCodePoint, sortedDistinctByCodePoint } from '../../src/domain/code-point-order.js';
import { acceptanceDirectory, directoryOf, generateDirectory, seededRandom } from './directory-index.fixture.js';

describe('directory index: poles', () => {
  const index = buildDirectoryIndex(
    directoryOf(
      [
        { siteId: 7, code: '12345-MSK-01', contractor: 'ООО Поздний' },
        { siteId: 3, code: '12345-MSK-01', contractor: 'ООО Ранний' },
        { siteId: 9, code: '12345-msk-01' },
        { siteId: 10, code: '12345-MSK-02' },
        { siteId: 11, code: '12345-MSKA' },
        { siteId: 12, code: '12345-MSK_1' },
        { siteId: 13, code: '54321-СПБ-01' },
      ],
      [],
    ),
  );

  test('EXTR-7: of several records sharing a code, the smallest site id is canonical', () => {
    expect(index.poleByCode('12345-MSK-01')?.siteId).toBe(3);
  });

  test('VAL-1: pole codes match case-insensitively, surrounding whitespace ignored', () => {
    expect(index.poleByCode('  12345-msk-01 ')?.siteId).toBe(3);
    expect(index.poleByCode('54321-спб-01')?.code).toBe('54321-СПБ-01');
    expect(index.poleByCode('12345-MSK')).toBeUndefined();
  });

  test('VAL-1/GEN-9: codes by prefix are distinct (case-insensitively) and in code-point order', () => {
    expect(index.poleCodesStartingWith('12345-msk')).toEqual([
      '12345-MSK-01',
      '12345-MSK-02',
      '12345-MSKA',
      '12345-MSK_1',
    ]);
    expect(index.countPoleCodesStartingWith('12345-MSK')).toBe(4);
    expect(index.countPoleCodesStartingWith('12345-MSK-0')).toBe(2);
    expect(index.poleCodesStartingWith('99')).toEqual([]);
    expect(index.countPoleCodesStartingWith('99')).toBe(0);
  });

  test('DEF-4: the default pole never matches a pole code', () => {
    expect(index.poleByCode('undefined')).toBeUndefined();
    expect(index.poleCodesStartingWith('undef')).toEqual([]);
    expect(index.poleById(1_000_000)?.code).toBe('undefined');
  });

  test('YT-14: contractor of a pole; no contractor means the `undefined` contractor', () => {
    expect(index.contractorOf(index.poleByCode('12345-MSK-01')!)?.name).toBe('ООО Ранний');
    expect(index.contractorOf(index.poleByCode('12345-MSK-02')!)?.name).toBe('undefined');
  });
});

describe('directory index: base stations', () => {
  const index = buildDirectoryIndex(
    directoryOf(
      [
        { siteId: 5, code: '22222-SPB-01' },
        { siteId: 4, code: '22222-SPB-01' },
        { siteId: 6, code: '11111-MSK-01' },
        { siteId: 8, code: '33333-KZN-01' },
      ],
      [
        { name: 'BS1000', site: 5, operators: ['МТС'] },
        { name: 'BS1000', site: 4, operators: ['Билайн', 'МТС', 'Tele2', 'Билайн'] },
        { name: 'bs1000', site: 6 },
        { name: 'BS1000-A', site: 8 },
        { name: 'BS2000', site: 8 },
        { name: 'BS9999', site: 0 },
      ],
    ),
  );

  test('VAL-1: candidates are distinct (pole code, BS name) pairs, sorted, case-insensitive', () => {
    const found = index.baseStationsNamed('Bs1000 ');
    expect(found.map((c) => `${c.name} (${c.poleCode})`)).toEqual(['BS1000 (22222-SPB-01)', 'bs1000 (11111-MSK-01)']);
  });

  test('EXTR-7: a BS name on two records of one pole code is one candidate on the canonical record', () => {
    const [onSpb] = index.baseStationsNamed('BS1000');
    expect(onSpb?.pole.siteId).toBe(4);
    expect(onSpb?.baseStation.poleId).toBe(1_000_004);
  });

  test('VAL-3: BS by name prefix', () => {
    expect(index.baseStationsStartingWith('bs1').map((c) => `${c.name} (${c.poleCode})`)).toEqual([
      'BS1000 (22222-SPB-01)',
      'BS1000-A (33333-KZN-01)',
      'bs1000 (11111-MSK-01)',
    ]);
    expect(index.baseStationsStartingWith('BS3')).toEqual([]);
  });

  test('DEF-4: base stations on the default pole never match', () => {
    expect(index.baseStationsNamed('BS9999')).toEqual([]);
  });

  test('GEN-9/YT-14: operator names distinct, in code-point order', () => {
    const [onSpb] = index.baseStationsNamed('BS1000');
    expect(index.operatorNamesOf(onSpb!.baseStation)).toEqual(['Tele2', 'Билайн', 'МТС']);
    const ac = buildDirectoryIndex(acceptanceDirectory());
    expect(ac.operatorNamesOf(ac.baseStationsNamed('MSK0123')[0]!.baseStation).join(', ')).toBe('Билайн, МТС');
  });

  test('lookup by id', () => {
    expect(index.baseStationById(5_000_004)?.name).toBe('BS2000');
    expect(index.baseStationById(1)).toBeUndefined();
  });
});

describe('GEN-9: code-point order', () => {
  test('astral characters sort after U+E000–U+FFFF (UTF-16 order would put them first)', () => {
    expect(['😀', '\uff01', 'a'].sort(compareByCodePoint)).toEqual(['a', '\uff01', '😀']);
    expect(compareByCodePoint('ab', 'a')).toBeGreaterThan(0);
    expect(compareByCodePoint('Б', 'А')).toBeGreaterThan(0);
    expect(sortedDistinctByCodePoint(['МТС', 'Билайн', 'МТС'])).toEqual(['Билайн', 'МТС']);
  });
});

describe('directory index at realistic size (100,000 poles, 300,000 BS)', () => {
  test('answers like a brute-force scan; build and lookup times are printed', () => {
    const directory = generateDirectory(20240501, 100_000, 300_000);
    const started = performance.now();
    const index = buildDirectoryIndex(directory);
    const buildMs = performance.now() - started;

    const random = seededRandom(7);
    const samplePoles = Array.from({ length: 200 }, () => directory.poles[1 + Math.floor(random() * 100_000)]!);
    for (const sample of samplePoles) {
      const sameCode = directory.poles.filter((p) => p.code.toLowerCase() === sample.code.toLowerCase());
      const smallestSite = Math.min(...sameCode.map((p) => p.siteId));
      expect(index.poleByCode(sample.code.toLowerCase())?.siteId).toBe(smallestSite);
    }
    const prefix = samplePoles[0]!.code.slice(0, 4);
    const distinct = new Set(directory.poles.filter((p) => p.code.startsWith(prefix)).map((p) => p.code));
    expect(index.countPoleCodesStartingWith(prefix)).toBe(distinct.size);
    expect(index.poleCodesStartingWith(prefix)).toEqual([...distinct].sort(compareByCodePoint));

    const sampleBs = directory.baseStations[123_456]!;
    const pairs = new Set(
      directory.baseStations
        .filter((b) => b.name === sampleBs.name)
        .map((b) => `${directory.poles.find((p) => p.id === b.poleId)!.code}|${b.name}`),
    );
    expect(index.baseStationsNamed(sampleBs.name).length).toBe(pairs.size);

    const lookups = 10_000;
    const lookupStarted = performance.now();
    for (let i = 0; i < lookups; i++) {
      const pole = directory.poles[1 + (i % 100_000)]!;
      index.poleByCode(pole.code);
      index.countPoleCodesStartingWith(pole.code.slice(0, 6));
      index.baseStationsNamed(directory.baseStations[i * 7]!.name);
    }
    const perLookupUs = ((performance.now() - lookupStarted) / lookups) * 1000;
    console.log(
      `directory index: build ${buildMs.toFixed(0)} ms for ${directory.poles.length} poles / ${directory.baseStations.length} BS; ` +
        `${perLookupUs.toFixed(2)} µs per (pole, prefix count, BS) lookup triple`,
    );
  });
});
