import { describe, expect, test } from '@jest/globals';
import type { GeneratedDirectory } from '../../src/sandbox/fixtures/directory.js';
import { generateDirectory } from '../../src/sandbox/fixtures/directory.js';
import { DirectoryOptionsError } from '../../src/sandbox/fixtures/directory-model.js';

// The column lists exactly as SPEC TS-3 writes them (kept literal here, not imported).
const TS3_COLUMNS = {
  poles: [
    'SiteId',
    'Шифр',
    'Имя БС',
    'Статус опоры',
    'Широта',
    'Долгота',
    'Высота опоры',
    'Регион',
    'Адрес',
    'Инфраструктурная компания',
    'Якорный оператор',
    'RegionRu',
  ],
  avr: [
    'Подрядчик',
    'Исключен из договора',
    'Шифр опоры',
    'Контактные данные подрядчика Email',
    'Контактные данные подрядчика Телефон',
  ],
  bs: ['Шифр опоры', 'Имя БС/Оборудование', 'Оператор', 'Группа операторов'],
} as const;

const LEGACY_EXCLUDED = [
  'Moscow',
  'Moscow Region',
  'Leningrad Region',
  'Murmansk Region',
  'Kareliya Region',
  'Dagestan Region',
  'Ingushetia Region',
  'Kabardino-Balkariya Region',
  'Severnaya Osetiya-Alaniya Region',
  'Chechnya Region',
];

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** TS-6 phone normalisation, written independently of the generator. */
function normalisePhone(token: string): string | null {
  const digits = token.replace(/\D/g, '');
  if (digits.length === 10) return `8${digits}`;
  if (digits.length === 11 && (digits.startsWith('7') || digits.startsWith('8'))) return `8${digits.slice(1)}`;
  return null;
}

function tokens(cell: unknown): string[] {
  return typeof cell === 'string' ? cell.split(/[;,\s]+/).filter(Boolean) : [];
}

describe('fixture generator: TowerStore directory', () => {
  const dir: GeneratedDirectory = generateDirectory({ seed: 42, poles: 5000 });

  test('TS-3: every row of the three feeds has exactly the TS-3 columns with JSON scalar cells', () => {
    for (const feed of ['poles', 'avr', 'bs'] as const) {
      expect(dir.feeds[feed].length).toBeGreaterThan(0);
      const expected = JSON.stringify([...TS3_COLUMNS[feed]].sort());
      const badRows = dir.feeds[feed].filter((row) => JSON.stringify(Object.keys(row).sort()) !== expected);
      const badCells = dir.feeds[feed].flatMap((row) =>
        Object.values(row).filter((cell) => !(cell === null || typeof cell === 'string' || typeof cell === 'number')),
      );
      expect(badRows).toEqual([]);
      expect(badCells).toEqual([]);
    }
  });

  test('TS-4: row counts in the stats match an independent validation of the poles feed', () => {
    const seenRows = new Set<string>();
    const pairOwner = new Map<string, unknown>();
    let valid = 0;
    let skipped = 0;
    let duplicates = 0;
    for (const row of dir.feeds.poles) {
      const key = JSON.stringify(row);
      if (seenRows.has(key)) {
        duplicates++;
        continue;
      }
      seenRows.add(key);
      const siteId = row.SiteId;
      const pair = `${String(row['Шифр'])}\u0000${String(row['Имя БС'])}`;
      if (typeof siteId !== 'number' || !Number.isInteger(siteId) || !row['Шифр'] || !row['Имя БС']) skipped++;
      else if (pairOwner.has(pair) && pairOwner.get(pair) !== siteId) skipped++;
      else {
        pairOwner.set(pair, siteId);
        valid++;
      }
    }
    const s = dir.stats.poles;
    expect(valid).toBe(5000);
    expect(s.valid).toBe(5000);
    expect(skipped).toBe(Object.values(s.skipped).reduce((a, b) => a + b, 0));
    expect(duplicates).toBe(s.exactDuplicates);
    expect(s.rows).toBe(dir.feeds.poles.length);
    // The DB after a correct sync: the valid records plus the default pole (DEF-4).
    expect(dir.snapshot.poles.length).toBe(5001);
  });

  test('TS-4/TS-6: BS feed rows with a name and a known pole code make exactly the snapshot base stations', () => {
    const codes = new Set(dir.snapshot.poles.map((p) => p.code));
    const pairs = new Set<string>();
    let skipped = 0;
    for (const row of dir.feeds.bs) {
      const name = row['Имя БС/Оборудование'];
      const code = row['Шифр опоры'];
      if (typeof name !== 'string' || name === '' || typeof code !== 'string' || !codes.has(code)) skipped++;
      else pairs.add(`${code}\u0000${name}`);
    }
    expect(skipped).toBe(dir.stats.bs.skipped.missingBsName + dir.stats.bs.skipped.unknownPoleCode);
    expect(pairs.size).toBe(15000);
    expect(dir.snapshot.baseStations.length).toBe(15000);
    const poleById = new Map(dir.snapshot.poles.map((p) => [p.id, p]));
    for (const bs of dir.snapshot.baseStations.slice(0, 2000)) {
      const pole = poleById.get(bs.poleId);
      expect(pole).toBeDefined();
      expect(pairs.has(`${pole?.code ?? ''}\u0000${bs.name}`)).toBe(true);
    }
  });

  test('EXTR-7/TS-6: base stations hang on the record with the smallest SiteId of their pole code', () => {
    const minSite = new Map<string, number>();
    for (const p of dir.snapshot.poles) minSite.set(p.code, Math.min(minSite.get(p.code) ?? Infinity, p.siteId));
    const poleById = new Map(dir.snapshot.poles.map((p) => [p.id, p]));
    for (const bs of dir.snapshot.baseStations) {
      const pole = poleById.get(bs.poleId);
      expect(pole?.siteId).toBe(minSite.get(pole?.code ?? ''));
    }
  });

  test('DATA-9/DEF-4: the default pole and the undefined contractor are present', () => {
    expect(dir.snapshot.poles[0]).toEqual({
      id: 1,
      siteId: 0,
      code: 'undefined',
      bsName: 'undefined',
      region: null,
      regionRu: null,
      address: null,
      contractorId: null,
    });
    expect(dir.snapshot.contractors[0]).toEqual({
      id: 1,
      name: 'undefined',
      isExcludedFromContract: false,
      emails: [],
      phones: [],
    });
  });

  test('§24: the acceptance sites exist exactly as the scenarios describe them', () => {
    const byCode = (code: string) => dir.snapshot.poles.filter((p) => p.code === code);
    const pole = byCode('12345-MSK-01');
    expect(pole).toHaveLength(1);
    expect(pole[0]?.regionRu).toBe('Московская область');
    const contractor = dir.snapshot.contractors.find((c) => c.id === pole[0]?.contractorId);
    expect(contractor?.name).toBe('ООО Ремонт');
    expect(contractor?.emails).toEqual(['avr@remont.ru']);
    const msk0123 = dir.snapshot.baseStations.filter((b) => b.name === 'MSK0123');
    expect(msk0123).toHaveLength(1);
    expect(msk0123[0]?.poleId).toBe(pole[0]?.id);
    const operatorNames = (msk0123[0]?.operatorIds ?? []).map(
      (id) => dir.snapshot.operators.find((o) => o.id === id)?.name,
    );
    expect(operatorNames.sort()).toEqual(['Билайн', 'МТС']);
    // AC-8: four codes start with 12345-MSK; AC-10: 99999-SPB-01 exists.
    expect(new Set(dir.snapshot.poles.filter((p) => p.code.startsWith('12345-MSK')).map((p) => p.code)).size).toBe(4);
    expect(byCode('99999-SPB-01')).toHaveLength(1);
  });

  test('GLOSSARY: pole codes are shared by several SiteIds and BS names sit on several pole codes', () => {
    const sitesPerCode = new Map<string, number>();
    for (const p of dir.snapshot.poles) sitesPerCode.set(p.code, (sitesPerCode.get(p.code) ?? 0) + 1);
    expect([...sitesPerCode.values()].filter((n) => n > 1).length).toBeGreaterThan(100);
    expect(dir.mentions.sharedBs.length).toBeGreaterThan(50);
    for (const shared of dir.mentions.sharedBs.slice(0, 20)) expect(new Set(shared.poleCodes).size).toBeGreaterThan(1);
    const names = dir.snapshot.baseStations.map((b) => b.name);
    expect(names.some((n) => /^[A-Z]{3}\d{4}$/.test(n))).toBe(true);
    expect(names.some((n) => /^\d{6}$/.test(n))).toBe(true);
    for (const p of dir.snapshot.poles.slice(1)) expect(p.code).toMatch(/^\d{5}-[A-Z]{3}-\d{2}$/);
  });

  test('YT-20: every region of the legacy exclusion list occurs, with its Russian name', () => {
    const regions = new Set(dir.snapshot.poles.map((p) => p.region));
    for (const region of LEGACY_EXCLUDED) expect(regions.has(region)).toBe(true);
    for (const p of dir.snapshot.poles.slice(1)) expect(p.regionRu).toMatch(/[А-Яа-я]/);
  });

  test('TS-6: contractor e-mails are the union over all rows and phones normalise to 11 digits starting with 8', () => {
    const emails = new Map<string, Set<string>>();
    const phones = new Map<string, Set<string>>();
    const rawPhoneTokens: string[] = [];
    for (const row of dir.feeds.avr) {
      const name = row['Подрядчик'];
      if (typeof name !== 'string' || name === '') continue;
      const e = emails.get(name) ?? new Set<string>();
      for (const t of tokens(row['Контактные данные подрядчика Email'])) if (EMAIL.test(t)) e.add(t.toLowerCase());
      emails.set(name, e);
      const p = phones.get(name) ?? new Set<string>();
      for (const t of tokens(row['Контактные данные подрядчика Телефон'])) {
        rawPhoneTokens.push(t);
        const n = normalisePhone(t);
        if (n) p.add(n);
      }
      phones.set(name, p);
    }
    const contractors = dir.snapshot.contractors.slice(1);
    expect(contractors.length).toBe(emails.size);
    for (const c of contractors) {
      expect(new Set(c.emails.map((a) => a.toLowerCase()))).toEqual(emails.get(c.name));
      expect(new Set(c.phones)).toEqual(phones.get(c.name));
      for (const phone of c.phones) expect(phone).toMatch(/^8\d{10}$/);
    }
    expect(rawPhoneTokens.some((t) => t.startsWith('+7'))).toBe(true);
    expect(rawPhoneTokens.some((t) => /^\d{10}$/.test(t))).toBe(true);
    expect(contractors.some((c) => c.isExcludedFromContract)).toBe(true);
    expect(contractors.some((c) => !c.isExcludedFromContract)).toBe(true);
    expect(dir.stats.avr.conflictingCodes).toBe(4);
  });

  test('bad options are reported together, each naming the option', () => {
    let error: unknown = null;
    try {
      generateDirectory({ seed: 1, poles: 3, sharedBsNameRatio: 0.9 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DirectoryOptionsError);
    expect(String(error)).toContain('poles: expected an integer 10..150000, got 3');
    expect(String(error)).toContain('sharedBsNameRatio: expected 0..0.2, got 0.9');
  });

  test('scale: 100 000 poles / 300 000 base stations (time printed, not asserted)', () => {
    const started = performance.now();
    const big = generateDirectory({ seed: 7, poles: 100_000, baseStations: 300_000 });
    const ms = Math.round(performance.now() - started);
    console.log(`directory 100k poles / 300k BS generated in ${ms} ms (${big.feeds.bs.length} BS feed rows)`);
    expect(big.stats.poles.valid).toBe(100_000);
    expect(big.stats.bs.pairs).toBe(300_000);
    expect(big.snapshot.baseStations.length).toBe(300_000);
  });
});
