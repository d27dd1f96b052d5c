// The TowerStore directory as the domain sees it (DATA-9). Rows come from the DB; pure rules
// (extraction EXTR, validation VAL, derived Tracker values YT-14) work on these shapes only.

export interface Pole {
  id: number;
  /** TowerStore SiteId; 0 is the default pole. */
  siteId: number;
  /** Pole code (шифр опоры), e.g. `12345-MSK-01`; not unique across records (EXTR-7). */
  code: string;
  bsName: string;
  region: string | null;
  regionRu: string | null;
  address: string | null;
  /** AVR contractor responsible for the pole; null = the `undefined` contractor. */
  contractorId: number | null;
}

export interface BaseStation {
  id: number;
  /** BS name (Имя БС); the same name can exist on several poles. */
  name: string;
  poleId: number;
  operatorIds: number[];
}

export interface Operator {
  id: number;
  name: string;
  group: string | null;
}

export interface Contractor {
  id: number;
  /** `undefined` is the default contractor (DEF-4). */
  name: string;
  isExcludedFromContract: boolean;
  emails: string[];
  phones: string[];
}

export interface DirectorySnapshot {
  poles: Pole[];
  baseStations: BaseStation[];
  operators: Operator[];
  contractors: Contractor[];
}

export const DEFAULT_POLE_CODE = 'undefined';
export const DEFAULT_CONTRACTOR_NAME = 'undefined';
