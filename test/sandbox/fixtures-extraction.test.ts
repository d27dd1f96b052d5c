import { describe, expect, test } from '@jest/globals';
import { generateDirectory } from '../../src/sandbox/fixtures/directory.js';
import { ExtractionOracle, extractionTokens } from '../../src/sandbox/fixtures/extraction-oracle.js';

// The oracle writes the expected pole/BS of expected.json; these cases pin it to the SPEC wording.
describe('fixture generator: expected extraction follows EXTR', () => {
  const dir = generateDirectory({ seed: 11, poles: 2000 });
  const oracle = new ExtractionOracle(dir.snapshot);
  const msk01 = dir.snapshot.poles.find((p) => p.code === '12345-MSK-01');
  const spb = dir.snapshot.poles.find((p) => p.code === '99999-SPB-01');

  test('EXTR-1: separators split tokens; only tokens with 4+ digits are kept, once, in order', () => {
    expect(
      extractionTokens('«БС№MSK0123»; (12345-MSK-01), 05.03.2025 10:15 | MSK0123 тел.+7(495)123-45-67 ab12cd34'),
    ).toEqual(['MSK0123', '12345-MSK-01', '2025', '123-45-67', 'ab12cd34']);
  });

  test('AC-1: "нет питания на БС MSK0123" gives pole 12345-MSK-01 and BS MSK0123', () => {
    expect(oracle.extractMessage('Авария', 'нет питания на БС MSK0123')).toEqual({
      pole: { code: '12345-MSK-01', siteId: msk01?.siteId },
      baseStation: { name: 'MSK0123', poleCode: '12345-MSK-01' },
    });
  });

  test('EXTR-2: exact codes match case-insensitively; a prefix must name exactly one code', () => {
    expect(oracle.extractText('опора 12345-msk-01')?.pole.code).toBe('12345-MSK-01');
    expect(oracle.extractText('опоры 12345-MSK')).toBeNull();
    expect(oracle.extractText('опора 99999-SPB')?.pole).toEqual({ code: '99999-SPB-01', siteId: spb?.siteId });
    expect(oracle.extractText('опора 99999')).toBeNull();
  });

  test('EXTR-3/EXTR-5: ties go to the earliest token; the subject wins over the body', () => {
    expect(oracle.extractText('99999-SPB-01 и 12345-MSK-01')?.pole.code).toBe('99999-SPB-01');
    expect(oracle.extractMessage('Авария 12345-MSK-02', 'БС MSK0123')).toEqual({
      pole: { code: '12345-MSK-02', siteId: dir.snapshot.poles.find((p) => p.code === '12345-MSK-02')?.siteId },
      baseStation: null,
    });
  });

  test('EXTR-4: a BS on another pole than the text pole yields the pole only (cf. AC-10)', () => {
    expect(oracle.extractText('БС MSK0123, опора 99999-SPB-01')).toEqual({
      pole: { code: '99999-SPB-01', siteId: spb?.siteId },
      baseStation: null,
    });
  });

  test('EXTR-4: a BS name on several poles yields nothing alone and that BS with its pole code', () => {
    const shared = dir.mentions.sharedBs[0];
    expect(shared).toBeDefined();
    const code = shared?.poleCodes[1] ?? '';
    expect(oracle.extractText(`БС ${shared?.name ?? ''}`)).toBeNull();
    expect(oracle.extractText(`БС ${shared?.name ?? ''} (опора ${code})`)?.baseStation).toEqual({
      name: shared?.name,
      poleCode: code,
    });
  });

  test('EXTR-7: a code shared by several SiteIds resolves to the smallest SiteId', () => {
    const code = dir.mentions.sharedPoleCodes[0] ?? '';
    const siteIds = dir.snapshot.poles.filter((p) => p.code === code).map((p) => p.siteId);
    expect(siteIds.length).toBeGreaterThan(1);
    expect(oracle.extractText(`опора ${code}`)?.pole.siteId).toBe(Math.min(...siteIds));
  });
});
