// Date/time rules shared by everything DISPATCH writes (GEN-6, GEN-7). Pure: instants and the
// time zone are always parameters; nothing here reads the clock.

/** GEN-6: display and schedule time zone when `DISPATCH_TIME_ZONE` is not set. */
export const DEFAULT_TIME_ZONE = 'Europe/Moscow';

const MINUTE_MS = 60_000;

// Intl formatters are costly to build; one per time zone is enough (they are immutable).
const humanFormatters = new Map<string, Intl.DateTimeFormat>();

function humanFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = humanFormatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    humanFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when `timeZone` is an IANA name the runtime knows (CONF-2 validates `DISPATCH_TIME_ZONE` with it). */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === '') return false;
  try {
    humanFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function assertValidInstant(instant: Date): void {
  if (Number.isNaN(instant.getTime())) throw new RangeError('Invalid Date passed to a date formatter');
}

/**
 * GEN-6: `dd.mm.YYYY HH:MM` in `timeZone` (DST-correct through the runtime's tz database).
 * The time zone must have been validated (CONF-2); an unknown name throws a RangeError.
 */
export function formatHumanDateTime(instant: Date, timeZone: string = DEFAULT_TIME_ZONE): string {
  const t = wallClock(instant, timeZone);
  return `${t.day}.${t.month}.${t.year} ${t.hour}:${t.minute}`;
}

/** The wall-clock parts of `instant` in `timeZone`, zero-padded (year to 4 digits). */
export function wallClock(
  instant: Date,
  timeZone: string,
): Record<'year' | 'month' | 'day' | 'hour' | 'minute', string> {
  assertValidInstant(instant);
  const parts: Record<string, string> = {};
  for (const part of humanFormatter(timeZone).formatToParts(instant)) parts[part.type] = part.value;
  return {
    year: (parts.year ?? '').padStart(4, '0'),
    month: parts.month ?? '00',
    day: parts.day ?? '00',
    hour: parts.hour ?? '00',
    minute: parts.minute ?? '00',
  };
}

/** GEN-7: Tracker write format, always UTC with milliseconds: `YYYY-MM-DDTHH:mm:ss.SSS+0000`. */
export function formatTrackerDateTime(instant: Date): string {
  assertValidInstant(instant);
  return instant.toISOString().replace(/Z$/, '+0000');
}

// Extended or basic ISO-8601 calendar date, optional time (T or space), optional fraction
// (dot or comma), optional zone (Z, ±hh, ±hhmm, ±hh:mm).
const ISO_DATE_TIME =
  /^(\d{4})-?(\d{2})-?(\d{2})(?:[Tt ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

function daysInMonth(year: number, month: number): number {
  const probe = new Date(0);
  probe.setUTCFullYear(year, month, 0);
  return probe.getUTCDate();
}

function parseOffsetMinutes(zone: string | undefined): number | null {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return null;
  return sign * (hours * 60 + minutes);
}

/**
 * GEN-7: lenient ISO-8601 reader for values Tracker returns (`2025-03-05T10:15:00.000+0000`,
 * `…Z`, `…+03:00`, date-only `2025-03-05`). A value without a zone is taken as UTC (GEN-6: all
 * stored times are UTC). Returns null for anything that is not a real calendar instant.
 */
export function parseIsoDateTime(text: string): Date | null {
  const match = ISO_DATE_TIME.exec(text.trim());
  if (match === null) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  // A time needs at least hours and minutes ("T10" alone is not accepted).
  if (h !== undefined && mi === undefined) return null;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const offset = parseOffsetMinutes(zone);
  if (offset === null) return null;
  const millis = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const instant = new Date(0);
  // setUTCFullYear avoids Date.UTC's mapping of years 0..99 to 19xx.
  instant.setUTCFullYear(year, month - 1, day);
  instant.setUTCHours(hour, minute, second, millis);
  return new Date(instant.getTime() - offset * MINUTE_MS);
}

/** GEN-7 for field values of unknown shape (snapshot JSON): strings are parsed, anything else is null. */
export function readTrackerDateTime(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  return typeof value === 'string' ? parseIsoDateTime(value) : null;
}

/** GEN-7: whole seconds since the epoch (truncated), the unit of DB ↔ Tracker comparisons. */
export function toWholeSeconds(instant: Date): number {
  return Math.floor(instant.getTime() / 1000);
}

/** GEN-7: equal at whole-second precision; two absent values are equal, one absent is not. */
export function sameSecond(a: Date | null, b: Date | null): boolean {
  if (a === null || b === null) return a === b;
  return toWholeSeconds(a) === toWholeSeconds(b);
}

export function addMinutes(instant: Date, minutes: number): Date {
  return new Date(instant.getTime() + minutes * MINUTE_MS);
}
