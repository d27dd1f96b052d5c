import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import {
  DEFAULT_TIME_ZONE,
  addMinutes,
  formatHumanDateTime,
  formatTrackerDateTime,
  isValidTimeZone,
  parseIsoDateTime,
  readTrackerDateTime,
  sameSecond,
  toWholeSeconds,
} from '../../src/domain/datetime.js';

const utc = (iso: string): Date => new Date(iso);

describe('GEN-6 human-readable dates', () => {
  test('GEN-6: default time zone is Europe/Moscow', () => {
    expect(DEFAULT_TIME_ZONE).toBe('Europe/Moscow');
  });

  test('GEN-6: dd.mm.YYYY HH:MM in Europe/Moscow (UTC+3) by default', () => {
    expect(formatHumanDateTime(utc('2025-03-05T07:15:42.999Z'))).toBe('05.03.2025 10:15');
  });

  test('GEN-6: crosses the date line of the time zone', () => {
    expect(formatHumanDateTime(utc('2024-12-31T21:30:00Z'), 'Europe/Moscow')).toBe('01.01.2025 00:30');
    expect(formatHumanDateTime(utc('2024-12-31T21:30:00Z'), 'UTC')).toBe('31.12.2024 21:30');
  });

  test('GEN-6: midnight is 00:MM, never 24:MM', () => {
    expect(formatHumanDateTime(utc('2025-06-01T21:05:00Z'), 'Europe/Moscow')).toBe('02.06.2025 00:05');
  });

  test('GEN-6: DST-correct in a zone with DST (Europe/Berlin, spring forward 2025-03-30)', () => {
    expect(formatHumanDateTime(utc('2025-03-30T00:59:00Z'), 'Europe/Berlin')).toBe('30.03.2025 01:59');
    expect(formatHumanDateTime(utc('2025-03-30T01:00:00Z'), 'Europe/Berlin')).toBe('30.03.2025 03:00');
  });

  test('GEN-6: historical Moscow summer time (UTC+4 in July 2010) comes from the tz database', () => {
    expect(formatHumanDateTime(utc('2010-07-01T12:00:00Z'), 'Europe/Moscow')).toBe('01.07.2010 16:00');
  });

  test('CONF-2: time-zone names are validated', () => {
    expect(isValidTimeZone('Europe/Moscow')).toBe(true);
    expect(isValidTimeZone('Asia/Yekaterinburg')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });

  test('GEN-6: an invalid Date is a programming error, reported as RangeError', () => {
    expect(() => formatHumanDateTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('GEN-7 Tracker datetime format', () => {
  test('GEN-7: writes YYYY-MM-DDTHH:mm:ss.SSS+0000 in UTC', () => {
    expect(formatTrackerDateTime(utc('2025-03-05T10:15:00Z'))).toBe('2025-03-05T10:15:00.000+0000');
    expect(formatTrackerDateTime(utc('2025-03-05T13:15:00.123+03:00'))).toBe('2025-03-05T10:15:00.123+0000');
  });

  test('GEN-7: reads the Tracker response form with +0000', () => {
    expect(parseIsoDateTime('2025-03-05T10:15:00.000+0000')?.toISOString()).toBe('2025-03-05T10:15:00.000Z');
    expect(parseIsoDateTime('2017-06-11T05:16:01.339+0000')?.toISOString()).toBe('2017-06-11T05:16:01.339Z');
  });

  test('GEN-7: reads Z, +03:00, +0300, +03, negative offsets and a space separator', () => {
    expect(parseIsoDateTime('2025-03-05T10:15:00Z')?.toISOString()).toBe('2025-03-05T10:15:00.000Z');
    expect(parseIsoDateTime('2025-03-05T13:15:00+03:00')?.toISOString()).toBe('2025-03-05T10:15:00.000Z');
    expect(parseIsoDateTime('2025-03-05T13:15:00.5+0300')?.toISOString()).toBe('2025-03-05T10:15:00.500Z');
    expect(parseIsoDateTime('2025-03-05T13:15+03')?.toISOString()).toBe('2025-03-05T10:15:00.000Z');
    expect(parseIsoDateTime('2025-03-05T05:15:00-05:00')?.toISOString()).toBe('2025-03-05T10:15:00.000Z');
    expect(parseIsoDateTime('2025-03-05 10:15:00Z')?.toISOString()).toBe('2025-03-05T10:15:00.000Z');
  });

  test('GEN-7: reads basic format, microseconds (truncated) and comma fractions', () => {
    expect(parseIsoDateTime('20250305T101500Z')?.toISOString()).toBe('2025-03-05T10:15:00.000Z');
    expect(parseIsoDateTime('2025-03-05T10:15:00.123456+00:00')?.toISOString()).toBe('2025-03-05T10:15:00.123Z');
    expect(parseIsoDateTime('2025-03-05T10:15:00,25Z')?.toISOString()).toBe('2025-03-05T10:15:00.250Z');
  });

  test('GEN-7: a value without a zone is UTC; a date alone is UTC midnight', () => {
    expect(parseIsoDateTime('2025-03-05T10:15:00')?.toISOString()).toBe('2025-03-05T10:15:00.000Z');
    expect(parseIsoDateTime('2025-03-05')?.toISOString()).toBe('2025-03-05T00:00:00.000Z');
  });

  test('GEN-7: years below 100 are not shifted to the 1900s', () => {
    expect(parseIsoDateTime('0042-01-02T03:04:05Z')?.getUTCFullYear()).toBe(42);
  });

  test('GEN-7: impossible or malformed values are null, never a wrong instant', () => {
    for (const bad of [
      '',
      'yesterday',
      '2025-02-29T10:00:00Z',
      '2025-13-01T10:00:00Z',
      '2025-03-05T24:00:00Z',
      '2025-03-05T10:60:00Z',
      '2025-03-05T10Z',
      '2025-03-05T10:15:00+2500',
      '2025-03-05T10:15:00 GMT',
    ]) {
      expect(parseIsoDateTime(bad)).toBeNull();
    }
    expect(parseIsoDateTime('2024-02-29T10:00:00Z')?.toISOString()).toBe('2024-02-29T10:00:00.000Z');
  });

  test('GEN-7: field values of unknown shape', () => {
    expect(readTrackerDateTime('2025-03-05T10:15:00.000+0000')?.toISOString()).toBe('2025-03-05T10:15:00.000Z');
    expect(readTrackerDateTime(null)).toBeNull();
    expect(readTrackerDateTime(1741169700000)).toBeNull();
    expect(readTrackerDateTime({ value: '2025-03-05' })).toBeNull();
  });

  test('GEN-7: what we write reads back to the same instant (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: utc('0001-01-01T00:00:00Z'), max: utc('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        (d) => {
          expect(parseIsoDateTime(formatTrackerDateTime(d))?.getTime()).toBe(d.getTime());
        },
      ),
    );
  });

  test('GEN-7: comparisons at whole-second precision', () => {
    expect(sameSecond(utc('2025-03-05T10:15:00.000Z'), utc('2025-03-05T10:15:00.999Z'))).toBe(true);
    expect(sameSecond(utc('2025-03-05T10:15:00.999Z'), utc('2025-03-05T10:15:01.000Z'))).toBe(false);
    expect(sameSecond(null, null)).toBe(true);
    expect(sameSecond(utc('2025-03-05T10:15:00Z'), null)).toBe(false);
    expect(toWholeSeconds(utc('1969-12-31T23:59:59.500Z'))).toBe(-1);
  });

  test('addMinutes is absolute time', () => {
    expect(addMinutes(utc('2025-03-05T10:00:00Z'), 240).toISOString()).toBe('2025-03-05T14:00:00.000Z');
    expect(addMinutes(utc('2025-03-05T10:00:00Z'), -60).toISOString()).toBe('2025-03-05T09:00:00.000Z');
  });
});
