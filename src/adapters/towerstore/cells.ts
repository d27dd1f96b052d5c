// TS-3 cell normalisation: JSON exports of a spreadsheet hold numbers, strings (including "NaN"
// and ""), booleans or null. Empty strings, NaN and nulls become null; text is trimmed NFC.
import { z } from 'zod';

export const cellSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Cell = z.infer<typeof cellSchema>;

/** A row: a flat JSON object; other value kinds (nested objects, arrays) are not cells. */
export const rowSchema = z.record(z.string(), z.unknown());

function isNullish(value: string): boolean {
  return value === '' || value.toLowerCase() === 'nan';
}

/** Text value of a cell, or null. Numbers are written as JSON writes them (12345, not 12345.0). */
export function textCell(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value !== 'string') return null;
  const text = value.trim().normalize('NFC');
  return isNullish(text) ? null : text;
}

export type NumberCell = { value: number | null; warning: boolean };

/** TS-4: a numeric cell; a non-numeric value is null with a warning (the row is kept). */
export function numberCell(value: unknown): NumberCell {
  if (typeof value === 'number')
    return Number.isFinite(value) ? { value, warning: false } : { value: null, warning: false };
  const text = textCell(value);
  if (text === null) return { value: null, warning: false };
  const parsed = Number(text.replace(',', '.'));
  return Number.isFinite(parsed) && /\d/.test(text)
    ? { value: parsed, warning: false }
    : { value: null, warning: true };
}

/** TS-4: an integer SiteId (a JSON integer or a string of digits), or null. */
export function siteIdCell(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  const text = textCell(value);
  if (text === null || !/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}
