// TS-3 / TS-4: turns the three parsed reports into the records the sync applies, counting what was
// downloaded, kept, skipped and warned about. Exact duplicate rows are collapsed (neither valid nor
// skipped). Pure: no I/O.
import type { AvrAssignment, BaseStationRecord, ContractorRecord, PoleRecord } from '../db/directory-sync.js';
import { isExcludedFromContract, parseEmails, parsePhones } from './contacts.js';
import { numberCell, rowSchema, siteIdCell, textCell } from './cells.js';
import { FEED_COLUMNS, FEED_NAMES, type FeedName } from '../../domain/towerstore-feeds.js';

export { FEED_COLUMNS, FEED_NAMES, type FeedName };

export interface FeedCounts {
  downloaded: number;
  valid: number;
  skipped: number;
  warnings: number;
}

export class FeedFormatError extends Error {
  constructor(
    readonly feed: FeedName,
    reason: string,
  ) {
    super(`${feed}: ${reason}`);
    this.name = 'FeedFormatError';
  }
}

/** TS-3: a JSON array of flat objects that together carry every listed column. */
export function checkFeedShape(feed: FeedName, parsed: unknown): Record<string, unknown>[] {
  if (!Array.isArray(parsed)) throw new FeedFormatError(feed, 'expected a JSON array of rows');
  const seen = new Set<string>();
  const rows: Record<string, unknown>[] = [];
  for (const [i, row] of parsed.entries()) {
    const result = rowSchema.safeParse(row);
    if (!result.success || Array.isArray(row)) throw new FeedFormatError(feed, `row ${i + 1} is not an object`);
    rows.push(result.data);
    if (seen.size < FEED_COLUMNS[feed].length) for (const key of Object.keys(result.data)) seen.add(key);
  }
  const missing = rows.length === 0 ? [] : FEED_COLUMNS[feed].filter((column) => !seen.has(column));
  if (missing.length > 0) throw new FeedFormatError(feed, `missing columns: ${missing.join(', ')}`);
  return rows;
}

const MAX_POLE_CODE = 32;
const MAX_BS_NAME = 256;

export interface ValidatedPoles {
  records: PoleRecord[];
  counts: FeedCounts;
}

/** Distinct-row filter over the listed columns (TS-3 exact duplicates). */
function distinctRows(feed: FeedName) {
  const seen = new Set<string>();
  return (row: Record<string, unknown>): boolean => {
    const key = JSON.stringify(FEED_COLUMNS[feed].map((column) => row[column] ?? null));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
}

export function validatePoles(rows: readonly Record<string, unknown>[]): ValidatedPoles {
  const counts: FeedCounts = { downloaded: rows.length, valid: 0, skipped: 0, warnings: 0 };
  const isNew = distinctRows('poles');
  const siteIds = new Set<number>();
  // The default pole's pair is taken (DATA-9); a feed row claiming it would collide.
  const pairs = new Set<string>([pairKey('undefined', 'undefined')]);
  const records: PoleRecord[] = [];
  for (const row of rows) {
    if (!isNew(row)) continue;
    const siteId = siteIdCell(row['SiteId']);
    const pole = textCell(row['Шифр']);
    const bsName = textCell(row['Имя БС']);
    const pair = pole !== null && bsName !== null ? pairKey(pole, bsName) : null;
    // SiteId 0 is the default pole, never taken from the feed (DEF-4).
    if (
      siteId === null ||
      siteId === 0 ||
      pole === null ||
      bsName === null ||
      pair === null ||
      pole.length > MAX_POLE_CODE ||
      bsName.length > MAX_BS_NAME ||
      siteIds.has(siteId) ||
      pairs.has(pair)
    ) {
      counts.skipped++;
      continue;
    }
    siteIds.add(siteId);
    pairs.add(pair);
    const latitude = numberCell(row['Широта']);
    const longitude = numberCell(row['Долгота']);
    const height = numberCell(row['Высота опоры']);
    if (latitude.warning || longitude.warning || height.warning) counts.warnings++;
    records.push({
      siteId,
      pole,
      bsName,
      status: textCell(row['Статус опоры']),
      latitude: latitude.value,
      longitude: longitude.value,
      height: height.value,
      region: textCell(row['Регион']),
      regionRu: textCell(row['RegionRu']),
      address: textCell(row['Адрес']),
      infrastructureCompany: textCell(row['Инфраструктурная компания']),
      anchorOperator: textCell(row['Якорный оператор']),
    });
  }
  counts.valid = records.length;
  return { records, counts };
}

function pairKey(pole: string, name: string): string {
  return `${pole}\u0000${name}`;
}

export interface ValidatedAvr {
  contractors: ContractorRecord[];
  assignments: AvrAssignment[];
  counts: FeedCounts;
}

export const UNDEFINED_CONTRACTOR = 'undefined';

export function validateAvr(rows: readonly Record<string, unknown>[]): ValidatedAvr {
  const counts: FeedCounts = { downloaded: rows.length, valid: 0, skipped: 0, warnings: 0 };
  const isNew = distinctRows('avr');
  const contractors = new Map<string, { excluded: boolean; emails: Map<string, string>; phones: Set<string> }>();
  const assignment = new Map<string, string>();
  const conflicting = new Set<string>();
  for (const row of rows) {
    if (!isNew(row)) continue;
    const name = textCell(row['Подрядчик']);
    const pole = textCell(row['Шифр опоры']);
    if (name === null && pole === null) {
      counts.skipped++;
      continue;
    }
    counts.valid++;
    if (name !== null) {
      let contractor = contractors.get(name);
      if (!contractor) {
        contractor = { excluded: false, emails: new Map(), phones: new Set() };
        contractors.set(name, contractor);
      }
      contractor.excluded = isExcludedFromContract(textCell(row['Исключен из договора']));
      // Union over all rows (GEN-9: one address per spelling, case-insensitively).
      for (const email of parseEmails(textCell(row['Контактные данные подрядчика Email']))) {
        const key = email.toLowerCase();
        if (!contractor.emails.has(key)) contractor.emails.set(key, email);
      }
      for (const phone of parsePhones(textCell(row['Контактные данные подрядчика Телефон'])))
        contractor.phones.add(phone);
    }
    if (pole !== null) {
      const assigned = name ?? UNDEFINED_CONTRACTOR;
      const previous = assignment.get(pole);
      // Last row wins; disagreeing rows are counted once per pole code as a warning.
      if (previous !== undefined && previous !== assigned) conflicting.add(pole);
      assignment.set(pole, assigned);
    }
  }
  counts.warnings = conflicting.size;
  return {
    contractors: [...contractors].map(([name, c]) => ({
      name,
      excluded: c.excluded,
      emails: [...c.emails.values()],
      phones: [...c.phones],
    })),
    assignments: [...assignment].map(([pole, contractor]) => ({ pole, contractor })),
    counts,
  };
}

export interface ValidatedBaseStations {
  records: BaseStationRecord[];
  counts: FeedCounts;
}

/** `poleCodes`: codes of the valid pole rows (TS-4: a BS on an unknown code is skipped). */
export function validateBaseStations(
  rows: readonly Record<string, unknown>[],
  poleCodes: ReadonlySet<string>,
): ValidatedBaseStations {
  const counts: FeedCounts = { downloaded: rows.length, valid: 0, skipped: 0, warnings: 0 };
  const isNew = distinctRows('bs');
  const records: BaseStationRecord[] = [];
  const distinct = new Set<string>();
  for (const row of rows) {
    if (!isNew(row)) continue;
    const pole = textCell(row['Шифр опоры']);
    const bsName = textCell(row['Имя БС/Оборудование']);
    if (pole === null || bsName === null || bsName.length > MAX_BS_NAME || !poleCodes.has(pole)) {
      counts.skipped++;
      continue;
    }
    const operator = textCell(row['Оператор']);
    const group = operator === null ? null : textCell(row['Группа операторов']);
    // Rows that differ only in ignored cells are the same row.
    const key = `${pole}\u0000${bsName}\u0000${operator ?? ''}\u0000${group ?? '\u0001'}`;
    if (distinct.has(key)) continue;
    distinct.add(key);
    records.push({ pole, bsName, operator, group });
  }
  counts.valid = records.length;
  return { records, counts };
}
