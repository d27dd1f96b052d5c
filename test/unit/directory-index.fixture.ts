// Directory snapshots for the extraction, validation and index tests: a small hand-written one
// (the SPEC §24 world) and a seeded generator of realistic size (100,000 poles / 300,000 BS).

import type { BaseStation, Contractor, DirectorySnapshot, Operator, Pole } from '../../src/domain/directory.js';

export interface PoleSpec {
  siteId: number;
  code: string;
  contractor?: string;
  region?: string;
}

export interface BaseStationSpec {
  name: string;
  /** Site id of the pole record carrying the BS. */
  site: number;
  operators?: string[];
}

/** Builds a snapshot with ids derived from site ids, plus the default pole and contractor (DEF-4). */
export function directoryOf(poles: PoleSpec[], baseStations: BaseStationSpec[]): DirectorySnapshot {
  const contractors: Contractor[] = [
    { id: 1, name: 'undefined', isExcludedFromContract: false, emails: [], phones: [] },
  ];
  const contractorId = (name: string | undefined): number | null => {
    if (name === undefined) return null;
    let found = contractors.find((c) => c.name === name);
    if (found === undefined) {
      found = { id: contractors.length + 1, name, isExcludedFromContract: false, emails: [], phones: [] };
      contractors.push(found);
    }
    return found.id;
  };
  const operators: Operator[] = [];
  const operatorId = (name: string): number => {
    let found = operators.find((o) => o.name === name);
    if (found === undefined) {
      found = { id: operators.length + 1, name, group: null };
      operators.push(found);
    }
    return found.id;
  };
  const poleRows: Pole[] = [
    {
      id: 1_000_000,
      siteId: 0,
      code: 'undefined',
      bsName: 'undefined',
      region: null,
      regionRu: null,
      address: null,
      contractorId: null,
    },
  ];
  for (const p of poles) {
    poleRows.push({
      id: 1_000_000 + p.siteId,
      siteId: p.siteId,
      code: p.code,
      bsName: `site-${p.siteId}`,
      region: p.region ?? null,
      regionRu: null,
      address: null,
      contractorId: contractorId(p.contractor),
    });
  }
  const bsRows: BaseStation[] = baseStations.map((b, i) => ({
    id: 5_000_000 + i,
    name: b.name,
    poleId: 1_000_000 + b.site,
    operatorIds: (b.operators ?? []).map(operatorId),
  }));
  return { poles: poleRows, baseStations: bsRows, operators, contractors };
}

/** SPEC §24 world: `12345-MSK-01` (ООО Ремонт) carries `MSK0123` with МТС and Билайн. */
export function acceptanceDirectory(): DirectorySnapshot {
  return directoryOf(
    [
      { siteId: 101, code: '12345-MSK-01', contractor: 'ООО Ремонт', region: 'Moscow Region' },
      { siteId: 102, code: '12345-MSK-02', contractor: 'ООО Ремонт' },
      { siteId: 103, code: '12345-MSK-03', contractor: 'ООО Ремонт' },
      { siteId: 104, code: '12345-MSK-04', contractor: 'ООО Ремонт' },
      { siteId: 201, code: '99999-SPB-01', contractor: 'ООО Север' },
    ],
    [
      { name: 'MSK0123', site: 101, operators: ['МТС', 'Билайн'] },
      { name: 'SPB7777', site: 201, operators: ['МегаФон'] },
    ],
  );
}

/** mulberry32: a tiny seeded PRNG so generated directories are identical on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REGIONS = ['MSK', 'SPB', 'NSK', 'EKB', 'KZN', 'NNV', 'SAM', 'ROS', 'UFA', 'KRS'];
const OPERATORS = ['МТС', 'Билайн', 'МегаФон', 'Tele2', 'Ростелеком'];

/**
 * A realistic directory: `poleCount` pole records (about 1 in 10 codes shared by two records with
 * different site ids) and `bsCount` base stations named `<REG><digits>`, some names repeated on
 * several poles.
 */
export function generateDirectory(seed: number, poleCount: number, bsCount: number): DirectorySnapshot {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const poles: Pole[] = [];
  const contractors: Contractor[] = [
    { id: 1, name: 'undefined', isExcludedFromContract: false, emails: [], phones: [] },
  ];
  for (let i = 2; i <= 50; i++) {
    contractors.push({ id: i, name: `ООО Подрядчик ${i}`, isExcludedFromContract: false, emails: [], phones: [] });
  }
  const operators: Operator[] = OPERATORS.map((name, i) => ({ id: i + 1, name, group: null }));
  poles.push({
    id: 1,
    siteId: 0,
    code: 'undefined',
    bsName: 'undefined',
    region: null,
    regionRu: null,
    address: null,
    contractorId: null,
  });
  let previousCode = '';
  for (let i = 0; i < poleCount; i++) {
    const code =
      i > 0 && random() < 0.1
        ? previousCode
        : `${String(10000 + Math.floor(random() * 90000))}-${pick(REGIONS)}-${String(1 + Math.floor(random() * 99)).padStart(2, '0')}`;
    previousCode = code;
    poles.push({
      id: i + 2,
      siteId: 100 + i,
      code,
      bsName: `bs-${i}`,
      region: null,
      regionRu: null,
      address: null,
      contractorId: 2 + Math.floor(random() * 49),
    });
  }
  const baseStations: BaseStation[] = [];
  let previousName = '';
  for (let i = 0; i < bsCount; i++) {
    const name =
      i > 0 && random() < 0.05 ? previousName : `${pick(REGIONS)}${String(Math.floor(random() * 10_000_000))}`;
    previousName = name;
    baseStations.push({
      id: i + 1,
      name,
      poleId: 2 + Math.floor(random() * poleCount),
      operatorIds: [1 + Math.floor(random() * OPERATORS.length)],
    });
  }
  return { poles, baseStations, operators, contractors };
}
