import { describe, test, expect } from '@jest/globals';
import { buildDirectoryIndex } from '../../src/domain/directory-index.js';
import {
  extractForNewIncident,
  extractFromEmail,
  extractFromText,
  extractTokens,
  poleForToken,
  shouldExtractFromLinkedEmail,
} from '../../src/domain/extraction.js';
import type { ExtractionResult } from '../../src/domain/extraction.js';
import { directoryOf, generateDirectory, seededRandom } from './directory-index.fixture.js';

const index = buildDirectoryIndex(
  directoryOf(
    [
      { siteId: 101, code: '12345-MSK-01', contractor: 'ООО Ремонт' },
      { siteId: 90, code: '12345-MSK-01', contractor: 'ООО Ранний' },
      { siteId: 102, code: '12345-MSK-02' },
      { siteId: 103, code: '12345-MSK-03' },
      { siteId: 104, code: '12345-MSK-04' },
      { siteId: 201, code: '99999-SPB-01' },
      { siteId: 301, code: '54321-СПБ-01' },
      { siteId: 401, code: 'ABC-1234-01' },
    ],
    [
      { name: 'MSK0123', site: 101, operators: ['МТС', 'Билайн'] },
      { name: 'BS7001', site: 102 },
      { name: 'BS7001', site: 201 },
      { name: 'МСК0456', site: 301 },
      { name: 'MSK01234', site: 103 },
      { name: 'SPB5555', site: 201 },
      { name: 'SPB6666', site: 201 },
    ],
  ),
);

function summary(result: ExtractionResult | null): string | null {
  if (result === null) return null;
  return `${result.poleCode}#${result.pole.siteId}/${result.baseStationName ?? '-'}`;
}

describe('EXTR-1 tokens', () => {
  test('EXTR-1: brackets and listed punctuation become spaces; tokens with >= 4 digits kept in order', () => {
    expect(extractTokens('Опора 12345-MSK-01, БС MSK0123; (тел. 8-800-555-35-35)')).toEqual([
      '12345-MSK-01',
      'MSK0123',
      '8-800-555-35-35',
    ]);
  });

  test('EXTR-1: every listed separator splits', () => {
    const text =
      '[1001](1002){1003}a:1004|1005,1006.1007;1008\'1009"1010`1011/1012\\1013«1014»№1015!1016?1017<1018>1019&1020';
    expect(extractTokens(text)).toEqual(Array.from({ length: 20 }, (_, i) => String(1001 + i)));
  });

  test('EXTR-1: digits counted anywhere; hyphens, underscores, letters and other signs stay in the token', () => {
    expect(extractTokens('A1B2C3D4 A1B2C3 ab_12-3x4 x123 БС#1234 опора_12345-MSK-01 +7(495)1234567')).toEqual([
      'A1B2C3D4',
      'ab_12-3x4',
      'БС#1234',
      'опора_12345-MSK-01',
      '1234567',
    ]);
  });

  test('EXTR-1: no duplicates, order of first occurrence; any whitespace splits', () => {
    expect(extractTokens('5555\t1234\n5555\u00a01234  9876\r\n')).toEqual(['5555', '1234', '9876']);
  });

  test('EXTR-1: empty and absent texts have no tokens', () => {
    expect(extractTokens('')).toEqual([]);
    expect(extractTokens(null)).toEqual([]);
    expect(extractTokens('нет цифр, только 123 и 45')).toEqual([]);
  });
});

describe('EXTR-2 pole per token', () => {
  test('EXTR-2/EXTR-7: exact code, case-insensitive, smallest site id', () => {
    expect(poleForToken('12345-msk-01', index)?.siteId).toBe(90);
    expect(poleForToken('54321-спб-01', index)?.code).toBe('54321-СПБ-01');
  });

  test('EXTR-2: a `^\\d{5}-` token that exactly one distinct code starts with', () => {
    expect(poleForToken('99999-spb', index)?.code).toBe('99999-SPB-01');
    expect(poleForToken('12345-MSK-0', index)).toBeUndefined();
    expect(poleForToken('12345-MSK', index)).toBeUndefined();
  });

  test('EXTR-2: no prefix rule for tokens not starting with five digits and a hyphen', () => {
    expect(poleForToken('99999', index)).toBeUndefined();
    expect(poleForToken('ABC-1234', index)).toBeUndefined();
    expect(poleForToken('ABC-1234-01', index)?.code).toBe('ABC-1234-01');
  });
});

describe('EXTR-3…EXTR-5 result of a text', () => {
  test('EXTR-3: the longest pole token wins', () => {
    expect(summary(extractFromText('99999-SPB и 12345-MSK-02', index))).toBe('12345-MSK-02#102/-');
  });

  test('EXTR-3: equal length → the earliest token', () => {
    expect(summary(extractFromText('12345-MSK-03 12345-MSK-02', index))).toBe('12345-MSK-03#103/-');
  });

  test('AC-1/EXTR-5: a BS alone gives its pole and the BS', () => {
    expect(summary(extractFromText('нет питания на БС MSK0123', index))).toBe('12345-MSK-01#90/MSK0123');
  });

  test('EXTR-4: a BS name on several poles yields nothing without a text pole', () => {
    expect(extractFromText('BS7001 не работает', index)).toBeNull();
  });

  test('EXTR-4: with a text pole only BS rows on that pole code count', () => {
    expect(summary(extractFromText('опора 99999-SPB-01, BS7001', index))).toBe('99999-SPB-01#201/BS7001');
    expect(summary(extractFromText('опора 99999-spb-01 MSK0123', index))).toBe('99999-SPB-01#201/-');
  });

  test('EXTR-4: the longest successful BS token wins, ties → earliest', () => {
    expect(summary(extractFromText('MSK0123 MSK01234', index))).toBe('12345-MSK-03#103/MSK01234');
    expect(summary(extractFromText('99999-SPB-01 SPB6666 SPB5555', index))).toBe('99999-SPB-01#201/SPB6666');
  });

  test('EXTR-4: BS names match case-insensitively, Cyrillic included', () => {
    expect(summary(extractFromText('мск0456', index))).toBe('54321-СПБ-01#301/МСК0456');
  });

  test('EXTR-5: no pole and no BS → nothing', () => {
    expect(extractFromText('заявка 1234567 от 01.02.2025', index)).toBeNull();
    expect(extractFromText('', index)).toBeNull();
    expect(extractFromText(null, index)).toBeNull();
  });

  test('EXTR-5: the subject wins when it yields a pole, else the body', () => {
    expect(summary(extractFromEmail({ subject: 'Авария 12345-MSK-02', body: 'БС MSK0123' }, index))).toBe(
      '12345-MSK-02#102/-',
    );
    expect(summary(extractFromEmail({ subject: 'Авария 7777777', body: 'БС MSK0123' }, index))).toBe(
      '12345-MSK-01#90/MSK0123',
    );
    expect(summary(extractFromEmail({ subject: null, body: '99999-SPB-01' }, index))).toBe('99999-SPB-01#201/-');
    expect(extractFromEmail({ subject: null, body: null }, index)).toBeNull();
  });
});

describe('EXTR-6 per incident', () => {
  const at = (iso: string): Date => new Date(iso);

  test('EXTR-6: the chronologically first e-mail that yields a pole, by (effective date, id)', () => {
    const found = extractForNewIncident(
      [
        { id: 5, effectiveDate: at('2025-03-05T10:00:00Z'), subject: 'Re: авария', body: '12345-MSK-02' },
        { id: 4, effectiveDate: at('2025-03-05T09:00:00Z'), subject: 'авария', body: 'без номера' },
        { id: 9, effectiveDate: at('2025-03-05T09:30:00Z'), subject: 'MSK0123', body: null },
        { id: 8, effectiveDate: at('2025-03-05T09:30:00Z'), subject: '99999-SPB-01', body: null },
      ],
      index,
    );
    expect(found?.emailId).toBe(8);
    expect(summary(found?.result ?? null)).toBe('99999-SPB-01#201/-');
  });

  test('EXTR-6: nothing found in any e-mail → null', () => {
    expect(
      extractForNewIncident([{ id: 1, effectiveDate: at('2025-03-05T09:00:00Z'), subject: 'x', body: 'y' }], index),
    ).toBeNull();
    expect(extractForNewIncident([], index)).toBeNull();
  });

  test('EXTR-6: later e-mails are examined only while there is no pole and both Tracker fields are empty', () => {
    expect(
      shouldExtractFromLinkedEmail({ incidentPoleId: null, trackerPoleField: null, trackerBaseStationField: ' ' }),
    ).toBe(true);
    expect(
      shouldExtractFromLinkedEmail({ incidentPoleId: 7, trackerPoleField: null, trackerBaseStationField: null }),
    ).toBe(false);
    expect(
      shouldExtractFromLinkedEmail({ incidentPoleId: null, trackerPoleField: '123', trackerBaseStationField: null }),
    ).toBe(false);
    expect(
      shouldExtractFromLinkedEmail({ incidentPoleId: null, trackerPoleField: '', trackerBaseStationField: 'BS' }),
    ).toBe(false);
  });
});

describe('extraction at realistic size', () => {
  test('EXTR-2/EXTR-4 on 100,000 poles / 300,000 BS: finds a pole and BS named in a long body; time printed', () => {
    const directory = generateDirectory(99, 100_000, 300_000);
    const big = buildDirectoryIndex(directory);
    const random = seededRandom(3);
    const bodies: { body: string; bsName: string }[] = [];
    for (let i = 0; i < 300; i++) {
      // A BS that is unique across the directory, so the expected answer is known.
      let bs = directory.baseStations[Math.floor(random() * directory.baseStations.length)]!;
      while (big.baseStationsNamed(bs.name).length !== 1) {
        bs = directory.baseStations[Math.floor(random() * directory.baseStations.length)]!;
      }
      const filler = Array.from({ length: 200 }, (_, k) => `слово${k % 3 === 0 ? ` ${1000 + k}` : ''}`).join(' ');
      bodies.push({
        body: `Добрый день. ${filler}\nНет питания на БС ${bs.name}, заявка №${i}.\n${filler}`,
        bsName: bs.name,
      });
    }
    const started = performance.now();
    const results = bodies.map((b) => extractFromEmail({ subject: 'Авария', body: b.body }, big));
    const perMailMs = (performance.now() - started) / bodies.length;
    results.forEach((result, i) => expect(result?.baseStationName).toBe(bodies[i]!.bsName));
    console.log(`extraction: ${perMailMs.toFixed(3)} ms per e-mail (~${bodies[0]!.body.length} characters)`);
  });
});
