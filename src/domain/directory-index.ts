// In-memory lookups over the TowerStore directory (DATA-9) for extraction (EXTR) and validation
// of dispatcher input (VAL). Built once per directory snapshot; every lookup is a map hit or a
// binary search over sorted lower-cased keys, so per-e-mail extraction stays far below 1 ms on a
// directory of 100,000 poles and 300,000 base stations.
//
// Matching is case-insensitive and ignores surrounding whitespace (VAL-1, EXTR-2, EXTR-4).
// The default pole (`undefined`, DEF-4) is a placeholder, not a tower site: it never matches a
// pole code, and base stations on it never match a BS name.

import { compareByCodePoint, sortedDistinctByCodePoint } from './code-point-order.js';
import { DEFAULT_CONTRACTOR_NAME, DEFAULT_POLE_CODE } from './directory.js';
import type { BaseStation, Contractor, DirectorySnapshot, Operator, Pole } from './directory.js';

/** One BS candidate = one distinct (pole code, BS name) pair (VAL-1). */
export interface BaseStationCandidate {
  /** BS name as stored. */
  name: string;
  /** Canonical code of the pole the BS is mounted on. */
  poleCode: string;
  /** The BS row; when rows of the same name sit on several records of one pole code, the one on the record with the smallest site id. */
  baseStation: BaseStation;
  /** Canonical pole record for `poleCode` (EXTR-7: smallest site id). */
  pole: Pole;
}

export interface DirectoryIndex {
  /** Canonical pole record whose code equals `code` (EXTR-7), or undefined. */
  poleByCode(code: string): Pole | undefined;
  /** Distinct canonical pole codes starting with `prefix`, in code-point order (GEN-9). */
  poleCodesStartingWith(prefix: string): string[];
  /** Number of distinct pole codes starting with `prefix`, without materialising them. */
  countPoleCodesStartingWith(prefix: string): number;
  /** BS candidates whose name equals `name`, sorted by (name, pole code). */
  baseStationsNamed(name: string): BaseStationCandidate[];
  /** BS candidates whose name starts with `prefix`, sorted by (name, pole code). */
  baseStationsStartingWith(prefix: string): BaseStationCandidate[];
  /** Distinct operator names of a BS row in code-point order (GEN-9, YT-14). */
  operatorNamesOf(baseStation: BaseStation): string[];
  /** The pole's AVR contractor; the `undefined` contractor when the pole names none. */
  contractorOf(pole: Pole): Contractor | undefined;
  poleById(id: number): Pole | undefined;
  baseStationById(id: number): BaseStation | undefined;
}

/** The lookup key of a pole code or BS name: trimmed, NFC, lower case. */
export function directoryKey(value: string): string {
  // Normalising is the expensive part of building the index; ASCII needs none.
  const trimmed = value.trim();
  return PRINTABLE_ASCII.test(trimmed) ? trimmed.toLowerCase() : trimmed.normalize('NFC').toLowerCase();
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

interface CandidateEntry extends BaseStationCandidate {
  poleKey: string;
  /** Site id of the pole record the chosen BS row sits on. */
  rowSiteId: number;
}

function entryOnPole(
  stored: CandidateEntry | CandidateEntry[] | undefined,
  poleKey: string,
): CandidateEntry | undefined {
  if (stored === undefined) return undefined;
  if (Array.isArray(stored)) return stored.find((e) => e.poleKey === poleKey);
  return stored.poleKey === poleKey ? stored : undefined;
}

function isDefaultPole(pole: Pole): boolean {
  return directoryKey(pole.code) === DEFAULT_POLE_CODE;
}

function compareCandidates(a: BaseStationCandidate, b: BaseStationCandidate): number {
  return compareByCodePoint(a.name, b.name) || compareByCodePoint(a.poleCode, b.poleCode);
}

/** Index range [from, to) of the keys starting with `prefix` in an array sorted by `<` (UTF-16 order, `Array#sort` default). */
function prefixRange(sortedKeys: readonly string[], prefix: string): [number, number] {
  // Sorted keys fall into three runs: below the prefix, starting with it, above it.
  let lo = 0;
  let hi = sortedKeys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sortedKeys[mid] as string) < prefix) lo = mid + 1;
    else hi = mid;
  }
  const from = lo;
  hi = sortedKeys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sortedKeys[mid] as string).startsWith(prefix)) lo = mid + 1;
    else hi = mid;
  }
  return [from, lo];
}

export function buildDirectoryIndex(directory: DirectorySnapshot): DirectoryIndex {
  const polesById = new Map<number, Pole>();
  const canonicalPoleByKey = new Map<string, Pole>();
  for (const pole of directory.poles) {
    polesById.set(pole.id, pole);
    if (isDefaultPole(pole)) continue;
    const key = directoryKey(pole.code);
    const known = canonicalPoleByKey.get(key);
    if (known === undefined || pole.siteId < known.siteId) canonicalPoleByKey.set(key, pole);
  }
  const poleKeys = [...canonicalPoleByKey.keys()].sort();

  // name key → its candidates, one per pole-code key. Most names sit on one pole, so a single
  // entry is stored as is and only shared names get an array (fewer allocations at 300,000 rows).
  const byName = new Map<string, CandidateEntry | CandidateEntry[]>();
  for (const baseStation of directory.baseStations) {
    const rowPole = polesById.get(baseStation.poleId);
    if (rowPole === undefined || isDefaultPole(rowPole)) continue;
    const poleKey = directoryKey(rowPole.code);
    const nameKey = directoryKey(baseStation.name);
    const stored = byName.get(nameKey);
    const known = entryOnPole(stored, poleKey);
    if (known !== undefined) {
      // EXTR-7: the row on the record with the smallest site id represents the pair.
      if (known.rowSiteId > rowPole.siteId) {
        known.rowSiteId = rowPole.siteId;
        known.baseStation = baseStation;
        known.name = baseStation.name;
      }
      continue;
    }
    const canonicalPole = canonicalPoleByKey.get(poleKey) as Pole;
    const entry: CandidateEntry = {
      name: baseStation.name,
      poleCode: canonicalPole.code,
      baseStation,
      pole: canonicalPole,
      poleKey,
      rowSiteId: rowPole.siteId,
    };
    if (stored === undefined) byName.set(nameKey, entry);
    else if (Array.isArray(stored)) stored.push(entry);
    else byName.set(nameKey, [stored, entry]);
  }
  for (const stored of byName.values()) if (Array.isArray(stored)) stored.sort(compareCandidates);
  const candidatesNamed = (nameKey: string): BaseStationCandidate[] => {
    const stored = byName.get(nameKey);
    return stored === undefined ? [] : Array.isArray(stored) ? [...stored] : [stored];
  };
  // Only validation searches BS names by prefix, and only it looks BS rows up by id: built on first use.
  let nameKeys: string[] | undefined;
  const sortedNameKeys = (): string[] => (nameKeys ??= [...byName.keys()].sort());
  let baseStationsById: Map<number, BaseStation> | undefined;

  const operatorsById = new Map<number, Operator>(directory.operators.map((o) => [o.id, o]));
  const contractorsById = new Map<number, Contractor>(directory.contractors.map((c) => [c.id, c]));
  const defaultContractor = directory.contractors.find((c) => c.name === DEFAULT_CONTRACTOR_NAME);

  return {
    poleByCode: (code) => canonicalPoleByKey.get(directoryKey(code)),

    poleCodesStartingWith(prefix) {
      const [from, to] = prefixRange(poleKeys, directoryKey(prefix));
      const codes: string[] = [];
      for (let i = from; i < to; i++) codes.push((canonicalPoleByKey.get(poleKeys[i] as string) as Pole).code);
      return codes.sort(compareByCodePoint);
    },

    countPoleCodesStartingWith(prefix) {
      const [from, to] = prefixRange(poleKeys, directoryKey(prefix));
      return to - from;
    },

    baseStationsNamed: (name) => candidatesNamed(directoryKey(name)),

    baseStationsStartingWith(prefix) {
      const keys = sortedNameKeys();
      const [from, to] = prefixRange(keys, directoryKey(prefix));
      const found: BaseStationCandidate[] = [];
      for (let i = from; i < to; i++) found.push(...candidatesNamed(keys[i] as string));
      return found.sort(compareCandidates);
    },

    operatorNamesOf(baseStation) {
      const names: string[] = [];
      for (const id of baseStation.operatorIds) {
        const operator = operatorsById.get(id);
        if (operator !== undefined) names.push(operator.name);
      }
      return sortedDistinctByCodePoint(names);
    },

    contractorOf: (pole) =>
      pole.contractorId === null ? defaultContractor : (contractorsById.get(pole.contractorId) ?? defaultContractor),

    poleById: (id) => polesById.get(id),
    baseStationById: (id) => (baseStationsById ??= new Map(directory.baseStations.map((b) => [b.id, b]))).get(id),
  };
}
