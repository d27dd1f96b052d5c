// TS-6 contractor contacts: cells list several values split on `;`, `,` or whitespace.

const SEPARATORS = /[;,\s]+/;
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]{2,}$/;

/** Valid addresses of a cell, in order; anything else (`нет`, `-`, `avr@remont`) is dropped. */
export function parseEmails(cell: string | null): string[] {
  if (cell === null) return [];
  return cell.split(SEPARATORS).filter((token) => token.length <= 254 && EMAIL.test(token));
}

/**
 * Digits only; 10 digits → prefixed with `8`; 11 digits starting with `7` or `8` → first digit `8`;
 * anything else is dropped.
 */
export function normalisePhone(token: string): string | null {
  const digits = token.replace(/\D/g, '');
  if (digits.length === 10) return `8${digits}`;
  if (digits.length === 11 && (digits.startsWith('7') || digits.startsWith('8'))) return `8${digits.slice(1)}`;
  return null;
}

export function parsePhones(cell: string | null): string[] {
  if (cell === null) return [];
  return cell
    .split(SEPARATORS)
    .map(normalisePhone)
    .filter((phone): phone is string => phone !== null);
}

/** TS-6: excluded unless the value, trimmed and lower-cased, is `нет`; empty → not excluded. */
export function isExcludedFromContract(cell: string | null): boolean {
  if (cell === null) return false;
  return cell.trim().toLowerCase() !== 'нет';
}
