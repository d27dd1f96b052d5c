// MAIL-11 Date: RFC 5322 dates including the obsolete forms real mailers still send (zone
// names, two-digit years, missing seconds or weekday, comments), and the effective-date rule.

import { parseIsoDateTime } from '../datetime.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

// RFC 5322 §4.3 obs-zone plus zone names common in Russian mail. Unknown alphabetic zones count
// as -0000 (RFC 5322: "SHOULD be considered equivalent to -0000").
const ZONE_NAMES: Readonly<Record<string, number>> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  est: -300,
  edt: -240,
  cst: -360,
  cdt: -300,
  mst: -420,
  mdt: -360,
  pst: -480,
  pdt: -420,
  msk: 180,
  msd: 240,
  cet: 60,
  cest: 120,
  eet: 120,
  eest: 180,
  wet: 0,
  west: 60,
};

const HOUR_MS = 3_600_000;

function stripComments(text: string): string {
  let out = '';
  let depth = 0;
  for (const ch of text) {
    if (ch === '(') depth++;
    else if (ch === ')' && depth > 0) depth--;
    else if (depth === 0) out += ch;
  }
  return out;
}

/** Zone offset in minutes, or null when the zone is malformed (e.g. `+9999`). */
function zoneOffset(zone: string): number | null {
  const text = zone.trim().toLowerCase();
  if (text === '') return 0;
  const numeric = /^(?:(?:gmt|utc|ut)\s*)?([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (numeric !== null) {
    const hours = Number(numeric[2]);
    const minutes = Number(numeric[3]);
    if (hours > 23 || minutes > 59) return null;
    return (numeric[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  if (/^[a-z]{1,5}$/.test(text)) return ZONE_NAMES[text] ?? 0;
  return null;
}

/** The zone after the time; junk after a valid first token (`+0300 MSK`) is ignored. */
function readZone(zone: string): number | null {
  const whole = zoneOffset(zone);
  if (whole !== null) return whole;
  const first = zone.trim().split(' ')[0] ?? '';
  return first === zone.trim() ? null : zoneOffset(first);
}

function fullYear(text: string): number {
  const year = Number(text);
  if (text.length === 2) return year < 50 ? 2000 + year : 1900 + year;
  if (text.length === 3) return 1900 + year;
  return year;
}

function monthIndex(name: string): number {
  return MONTHS.indexOf(name.slice(0, 3).toLowerCase());
}

function buildInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  offsetMinutes: number,
): Date | null {
  if (month < 0 || month > 11 || day < 1 || hour > 23 || minute > 59 || second > 60) return null;
  const probe = new Date(0);
  probe.setUTCFullYear(year, month + 1, 0);
  if (day > probe.getUTCDate()) return null;
  const instant = new Date(0);
  // setUTCFullYear keeps years 0..99 literal (Date.UTC would map them to 19xx).
  instant.setUTCFullYear(year, month, day);
  // A leap second (:60) is read as :59.
  instant.setUTCHours(hour, minute, Math.min(second, 59), 0);
  return new Date(instant.getTime() - offsetMinutes * 60_000);
}

// [weekday ,] day month year hour:minute[:second] [zone]
const RFC5322 =
  /^(?:[a-z]+\s*,?\s*)?(\d{1,2})[\s-]+([a-z]{3,})\.?[\s-]+(\d{2,4})\s+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.\d+)?\s*(.*)$/i;
// asctime: weekday month day hour:minute[:second] [zone] year
const ASCTIME =
  /^(?:[a-z]+\s+)?([a-z]{3,})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(?:([a-z]+|[+-]\d{4})\s+)?(\d{4})$/i;

/** MAIL-11: the instant of a Date header, or null when it cannot be read. */
export function parseMailDate(value: string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  const text = stripComments(value).replace(/\s+/g, ' ').trim();
  if (text === '') return null;
  const rfc = RFC5322.exec(text);
  if (rfc !== null) {
    const [, day, month, year, hour, minute, second, zone] = rfc;
    const offset = readZone(zone ?? '');
    if (offset === null) return null;
    return buildInstant(
      fullYear(year as string),
      monthIndex(month as string),
      Number(day),
      Number(hour),
      Number(minute),
      second === undefined ? 0 : Number(second),
      offset,
    );
  }
  const asc = ASCTIME.exec(text);
  if (asc !== null) {
    const [, month, day, hour, minute, second, zone, year] = asc;
    const offset = readZone(zone ?? '');
    if (offset === null) return null;
    return buildInstant(
      Number(year),
      monthIndex(month as string),
      Number(day),
      Number(hour),
      Number(minute),
      second === undefined ? 0 : Number(second),
      offset,
    );
  }
  // Some gateways write ISO-8601 instead.
  return /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text) ? parseIsoDateTime(text) : null;
}

export interface EffectiveDate {
  date: Date;
  source: 'date-header' | 'internal-date';
}

/**
 * MAIL-11: the parsed Date unless it is missing or differs from the IMAP INTERNALDATE by more
 * than `maxSkewHours`; then the INTERNALDATE.
 */
export function effectiveDate(dateHeader: Date | null, internalDate: Date, maxSkewHours: number): EffectiveDate {
  if (dateHeader === null || Number.isNaN(dateHeader.getTime())) return { date: internalDate, source: 'internal-date' };
  const skew = Math.abs(dateHeader.getTime() - internalDate.getTime());
  return skew > maxSkewHours * HOUR_MS
    ? { date: internalDate, source: 'internal-date' }
    : { date: dateHeader, source: 'date-header' };
}
