// TS-6: applies validated TowerStore feeds to the directory (DATA-9) in ONE transaction, in the
// order poles → contractors → base stations/operators, and reports per-feed counts plus the open
// incidents whose pole, BS, contractor or operators changed (TS-9). Bulk work happens in SQL over
// temporary tables loaded with unnest, so 100,000 poles / 300,000 BS rows take a few statements.
import { sql } from 'slonik';
import type { CommonQueryMethods, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { ensureDefaultData } from './defaults.js';

export interface PoleRecord {
  siteId: number;
  pole: string;
  bsName: string;
  status: string | null;
  latitude: number | null;
  longitude: number | null;
  height: number | null;
  region: string | null;
  regionRu: string | null;
  address: string | null;
  infrastructureCompany: string | null;
  anchorOperator: string | null;
}

export interface ContractorRecord {
  name: string;
  excluded: boolean;
  /** Union over all rows (TS-6). */
  emails: string[];
  /** Normalised 11-digit numbers. */
  phones: string[];
}

/** Every pole record with code `pole` gets `contractor` (`undefined` for rows without a name). */
export interface AvrAssignment {
  pole: string;
  contractor: string;
}

export interface BaseStationRecord {
  pole: string;
  bsName: string;
  operator: string | null;
  group: string | null;
}

export interface DirectoryFeedData {
  poles: PoleRecord[];
  contractors: ContractorRecord[];
  assignments: AvrAssignment[];
  baseStations: BaseStationRecord[];
}

export interface ApplyCounts {
  inserted: number;
  updated: number;
  deleted: number;
}

export interface DirectoryApplyResult {
  poles: ApplyCounts;
  avr: ApplyCounts & { polesReassigned: number };
  bs: ApplyCounts & { operatorsDeleted: number };
  /** TS-9: open incidents whose derived directory values changed. */
  changedIncidentIds: number[];
}

const counted = z.object({ inserted: z.number(), updated: z.number() });
const countRow = z.object({ n: z.number() });
const signatureRow = z.object({ id: z.number(), signature: z.string() });

export async function applyDirectoryFeeds(
  db: CommonQueryMethods,
  data: DirectoryFeedData,
  onStep: (step: string) => void = () => undefined,
): Promise<DirectoryApplyResult> {
  return db.transaction(async (tx) => {
    const before = await incidentSignatures(tx);
    onStep('poles');
    const poles = await applyPoles(tx, data.poles);
    onStep('contractors');
    const avr = await applyContractors(tx, data.contractors, data.assignments);
    onStep('base stations');
    const bs = await applyBaseStations(tx, data.baseStations);
    onStep('pole deletions');
    // Last: base stations were re-attached to surviving records first, so none is lost by cascade.
    poles.deleted = await count(
      tx,
      sql.unsafe`
        WITH gone AS (
          DELETE FROM poles p
          WHERE p.site_id <> 0 AND NOT EXISTS (SELECT 1 FROM ts_poles t WHERE t.site_id = p.site_id)
          RETURNING 1)
        SELECT count(*)::int AS n FROM gone`,
    );
    // DEF-4: the defaults exist after every sync.
    await ensureDefaultData(tx);
    const after = await incidentSignatures(tx);
    const changedIncidentIds = [...new Set([...before.keys(), ...after.keys()])]
      .filter((id) => before.get(id) !== after.get(id))
      .sort((a, b) => a - b);
    return { poles, avr, bs, changedIncidentIds };
  });
}

async function count(tx: DatabaseTransactionConnection, query: ReturnType<typeof sql.unsafe>): Promise<number> {
  return (await tx.one(sql.type(countRow)`${query}`)).n;
}

/** What an open incident shows of the directory (YT-14): pole, contractor, BS and operators. */
async function incidentSignatures(tx: DatabaseTransactionConnection): Promise<Map<number, string>> {
  const rows = await tx.any(sql.type(signatureRow)`
    SELECT i.id, concat_ws('|',
        i.pole_id, p.pole, p.region, c.contractor_name, i.base_station_id, b.bs_name, bp.pole,
        (SELECT string_agg(o.operator_name || '/' || coalesce(o.operator_group, ''), ','
                           ORDER BY o.operator_name, o.operator_group)
           FROM base_station_operators bo JOIN operators o ON o.id = bo.operator_id
          WHERE bo.base_station_id = i.base_station_id)) AS signature
    FROM incidents i
    LEFT JOIN poles p ON p.id = i.pole_id
    LEFT JOIN contractors c ON c.id = p.avr_contractor_id
    LEFT JOIN base_stations b ON b.id = i.base_station_id
    LEFT JOIN poles bp ON bp.id = b.pole_id
    WHERE NOT i.is_finished AND (i.pole_id IS NOT NULL OR i.base_station_id IS NOT NULL)`);
  return new Map(rows.map((row) => [row.id, row.signature]));
}

async function applyPoles(tx: DatabaseTransactionConnection, poles: PoleRecord[]): Promise<ApplyCounts> {
  await tx.query(sql.unsafe`
    CREATE TEMP TABLE ts_poles (
      site_id bigint PRIMARY KEY, pole text NOT NULL, bs_name text NOT NULL, pole_status text,
      latitude double precision, longitude double precision, height double precision, region text,
      region_ru text, address text, infrastructure_company text, anchor_operator text
    ) ON COMMIT DROP`);
  for (const chunk of chunks(poles)) {
    await tx.query(sql.unsafe`
      INSERT INTO ts_poles SELECT * FROM ${sql.unnest(
        chunk.map((p) => [
          p.siteId,
          p.pole,
          p.bsName,
          p.status,
          p.latitude,
          p.longitude,
          p.height,
          p.region,
          p.regionRu,
          p.address,
          p.infrastructureCompany,
          p.anchorOperator,
        ]),
        ['int8', 'text', 'text', 'text', 'float8', 'float8', 'float8', 'text', 'text', 'text', 'text', 'text'],
      )}`);
  }
  await tx.query(sql.unsafe`CREATE INDEX ON ts_poles (pole, bs_name)`);
  await tx.query(sql.unsafe`ANALYZE ts_poles`);
  // A (code, BS name) pair moving to another SiteId: park the current holder on a placeholder name
  // so the upsert below cannot collide with UNIQUE (pole, bs_name); the holder is then updated or
  // deleted by this same run.
  await tx.query(sql.unsafe`
    UPDATE poles p SET bs_name = chr(1) || p.id::text
    FROM ts_poles t
    WHERE t.pole = p.pole AND t.bs_name = p.bs_name AND t.site_id <> p.site_id AND p.site_id <> 0`);
  const upsert = await tx.one(sql.type(counted)`
    WITH up AS (
      INSERT INTO poles (site_id, pole, bs_name, pole_status, latitude, longitude, height, region, region_ru,
                         address, infrastructure_company, anchor_operator)
      SELECT site_id, pole, bs_name, pole_status, latitude, longitude, height, region, region_ru,
             address, infrastructure_company, anchor_operator
      FROM ts_poles
      ON CONFLICT (site_id) DO UPDATE SET
        pole = EXCLUDED.pole, bs_name = EXCLUDED.bs_name, pole_status = EXCLUDED.pole_status,
        latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, height = EXCLUDED.height,
        region = EXCLUDED.region, region_ru = EXCLUDED.region_ru, address = EXCLUDED.address,
        infrastructure_company = EXCLUDED.infrastructure_company, anchor_operator = EXCLUDED.anchor_operator
      WHERE (poles.pole, poles.bs_name, poles.pole_status, poles.latitude, poles.longitude, poles.height,
             poles.region, poles.region_ru, poles.address, poles.infrastructure_company, poles.anchor_operator)
        IS DISTINCT FROM
            (EXCLUDED.pole, EXCLUDED.bs_name, EXCLUDED.pole_status, EXCLUDED.latitude, EXCLUDED.longitude,
             EXCLUDED.height, EXCLUDED.region, EXCLUDED.region_ru, EXCLUDED.address,
             EXCLUDED.infrastructure_company, EXCLUDED.anchor_operator)
      RETURNING (xmax = 0) AS inserted)
    SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated
    FROM up`);
  return { inserted: upsert.inserted, updated: upsert.updated, deleted: 0 };
}

async function applyContractors(
  tx: DatabaseTransactionConnection,
  contractors: ContractorRecord[],
  assignments: AvrAssignment[],
): Promise<DirectoryApplyResult['avr']> {
  await run(tx, [
    sql.unsafe`
    CREATE TEMP TABLE ts_contractors (name text PRIMARY KEY, excluded boolean NOT NULL) ON COMMIT DROP`,
    sql.unsafe`    CREATE TEMP TABLE ts_contractor_emails (name text NOT NULL, email text NOT NULL) ON COMMIT DROP`,
    sql.unsafe`    CREATE TEMP TABLE ts_contractor_phones (name text NOT NULL, phone text NOT NULL) ON COMMIT DROP`,
    sql.unsafe`    CREATE TEMP TABLE ts_assign (pole text PRIMARY KEY, contractor_name text NOT NULL) ON COMMIT DROP`,
    sql.unsafe`    CREATE TEMP TABLE ts_contractors_touched (id bigint NOT NULL) ON COMMIT DROP`,
  ]);
  for (const chunk of chunks(contractors)) {
    await tx.query(sql.unsafe`
      INSERT INTO ts_contractors SELECT * FROM ${sql.unnest(
        chunk.map((c) => [c.name, c.excluded]),
        ['text', 'bool'],
      )}`);
  }
  const emails = contractors.flatMap((c) => c.emails.map((email) => [c.name, email]));
  for (const chunk of chunks(emails)) {
    await tx.query(sql.unsafe`INSERT INTO ts_contractor_emails SELECT * FROM ${sql.unnest(chunk, ['text', 'text'])}`);
  }
  const phones = contractors.flatMap((c) => c.phones.map((phone) => [c.name, phone]));
  for (const chunk of chunks(phones)) {
    await tx.query(sql.unsafe`INSERT INTO ts_contractor_phones SELECT * FROM ${sql.unnest(chunk, ['text', 'text'])}`);
  }
  for (const chunk of chunks(assignments)) {
    await tx.query(sql.unsafe`
      INSERT INTO ts_assign SELECT * FROM ${sql.unnest(
        chunk.map((a) => [a.pole, a.contractor]),
        ['text', 'text'],
      )}`);
  }
  await tx.query(sql.unsafe`ANALYZE ts_assign`);

  const upserted = await tx.any(sql.type(z.object({ id: z.number(), inserted: z.boolean() }))`
    INSERT INTO contractors (contractor_name, is_excluded_from_contract)
    SELECT name, excluded FROM ts_contractors
    ON CONFLICT (contractor_name) DO UPDATE SET is_excluded_from_contract = EXCLUDED.is_excluded_from_contract
    WHERE contractors.is_excluded_from_contract IS DISTINCT FROM EXCLUDED.is_excluded_from_contract
    RETURNING id, (xmax = 0) AS inserted`);
  const insertedIds = new Set(upserted.filter((row) => row.inserted).map((row) => row.id));
  const touched = new Set(upserted.filter((row) => !row.inserted).map((row) => row.id));

  // Contacts become exactly the union listed in the feed (for contractors the feed names).
  const contactChanges = await tx.any(sql.type(z.object({ id: z.number() }))`
    WITH gone_emails AS (
      DELETE FROM contractor_emails ce USING contractors c, ts_contractors t
      WHERE c.id = ce.contractor_id AND t.name = c.contractor_name
        AND NOT EXISTS (SELECT 1 FROM ts_contractor_emails e
                        WHERE e.name = c.contractor_name AND lower(e.email) = lower(ce.email))
      RETURNING ce.contractor_id AS id),
    new_emails AS (
      INSERT INTO contractor_emails (contractor_id, email)
      SELECT c.id, e.email FROM ts_contractor_emails e JOIN contractors c ON c.contractor_name = e.name
      WHERE NOT EXISTS (SELECT 1 FROM contractor_emails x WHERE x.contractor_id = c.id AND lower(x.email) = lower(e.email))
      ON CONFLICT DO NOTHING
      RETURNING contractor_id AS id),
    gone_phones AS (
      DELETE FROM contractor_phones cp USING contractors c, ts_contractors t
      WHERE c.id = cp.contractor_id AND t.name = c.contractor_name
        AND NOT EXISTS (SELECT 1 FROM ts_contractor_phones p WHERE p.name = c.contractor_name AND p.phone = cp.phone)
      RETURNING cp.contractor_id AS id),
    new_phones AS (
      INSERT INTO contractor_phones (contractor_id, phone)
      SELECT c.id, p.phone FROM ts_contractor_phones p JOIN contractors c ON c.contractor_name = p.name
      ON CONFLICT DO NOTHING
      RETURNING contractor_id AS id)
    SELECT DISTINCT id FROM (
      SELECT id FROM gone_emails UNION ALL SELECT id FROM new_emails
      UNION ALL SELECT id FROM gone_phones UNION ALL SELECT id FROM new_phones) AS changed`);
  for (const row of contactChanges) if (!insertedIds.has(row.id)) touched.add(row.id);

  const polesReassigned = await count(
    tx,
    sql.unsafe`
      WITH moved AS (
        UPDATE poles p SET avr_contractor_id = c.id
        FROM ts_assign a JOIN contractors c ON c.contractor_name = a.contractor_name
        WHERE p.pole = a.pole AND p.site_id <> 0 AND p.avr_contractor_id <> c.id
        RETURNING 1)
      SELECT count(*)::int AS n FROM moved`,
  );
  // Absent contractors go; their poles fall back to `undefined` (ON DELETE SET DEFAULT), which the
  // table's trigger never deletes (DEF-4).
  const deleted = await count(
    tx,
    sql.unsafe`
      WITH gone AS (
        DELETE FROM contractors c
        WHERE c.contractor_name <> 'undefined'
          AND NOT EXISTS (SELECT 1 FROM ts_contractors t WHERE t.name = c.contractor_name)
        RETURNING 1)
      SELECT count(*)::int AS n FROM gone`,
  );
  return { inserted: insertedIds.size, updated: touched.size, deleted, polesReassigned };
}

async function applyBaseStations(
  tx: DatabaseTransactionConnection,
  records: BaseStationRecord[],
): Promise<DirectoryApplyResult['bs']> {
  await tx.query(sql.unsafe`
    CREATE TEMP TABLE ts_bs (pole text NOT NULL, bs_name text NOT NULL, operator_name text, operator_group text)
      ON COMMIT DROP`);
  for (const chunk of chunks(records)) {
    await tx.query(sql.unsafe`
      INSERT INTO ts_bs SELECT * FROM ${sql.unnest(
        chunk.map((r) => [r.pole, r.bsName, r.operator, r.group]),
        ['text', 'text', 'text', 'text'],
      )}`);
  }
  await run(tx, [
    sql.unsafe`
    ANALYZE ts_bs`,
    sql.unsafe`    -- EXTR-7: the canonical record of a code is its smallest SiteId among the records this run keeps.
    CREATE TEMP TABLE ts_canonical ON COMMIT DROP AS
      SELECT DISTINCT ON (p.pole) p.pole, p.id AS pole_id
      FROM poles p JOIN ts_poles t ON t.site_id = p.site_id
      ORDER BY p.pole, p.site_id`,
    sql.unsafe`    CREATE UNIQUE INDEX ON ts_canonical (pole)`,
    sql.unsafe`    CREATE TEMP TABLE ts_pairs ON COMMIT DROP AS
      SELECT DISTINCT b.pole, b.bs_name, c.pole_id AS canonical_id
      FROM ts_bs b JOIN ts_canonical c ON c.pole = b.pole`,
    sql.unsafe`    CREATE UNIQUE INDEX ON ts_pairs (pole, bs_name)`,
    sql.unsafe`    ANALYZE ts_pairs`,
    sql.unsafe`    CREATE TEMP TABLE ts_existing ON COMMIT DROP AS
      SELECT b.id, p.pole, b.bs_name, b.pole_id FROM base_stations b JOIN poles p ON p.id = b.pole_id`,
    sql.unsafe`    -- One row represents a pair: preferably the one already on the canonical record.
    CREATE TEMP TABLE ts_keep ON COMMIT DROP AS
      SELECT DISTINCT ON (e.pole, e.bs_name) e.id, e.pole, e.bs_name, e.pole_id, pr.canonical_id
      FROM ts_existing e JOIN ts_pairs pr ON pr.pole = e.pole AND pr.bs_name = e.bs_name
      ORDER BY e.pole, e.bs_name, (e.pole_id = pr.canonical_id) DESC, e.id`,
    sql.unsafe`    CREATE UNIQUE INDEX ON ts_keep (id)`,
    sql.unsafe`    ANALYZE ts_keep`,
    sql.unsafe`    -- Incidents on a duplicate row of a kept pair follow the row that stays.
    UPDATE incidents i SET base_station_id = k.id
    FROM ts_existing e JOIN ts_keep k ON k.pole = e.pole AND k.bs_name = e.bs_name
    WHERE i.base_station_id = e.id AND e.id <> k.id`,
    sql.unsafe`    CREATE TEMP TABLE ts_bs_touched (id bigint NOT NULL) ON COMMIT DROP`,
    sql.unsafe`    CREATE TEMP TABLE ts_bs_inserted (id bigint NOT NULL) ON COMMIT DROP`,
  ]);
  const deleted = await count(
    tx,
    sql.unsafe`
      WITH gone AS (
        DELETE FROM base_stations b WHERE NOT EXISTS (SELECT 1 FROM ts_keep k WHERE k.id = b.id) RETURNING 1)
      SELECT count(*)::int AS n FROM gone`,
  );
  await tx.query(sql.unsafe`
    WITH moved AS (
      UPDATE base_stations b SET pole_id = k.canonical_id
      FROM ts_keep k WHERE k.id = b.id AND b.pole_id <> k.canonical_id
      RETURNING b.id)
    INSERT INTO ts_bs_touched SELECT id FROM moved`);
  await tx.query(sql.unsafe`
    WITH added AS (
      INSERT INTO base_stations (bs_name, pole_id)
      SELECT pr.bs_name, pr.canonical_id FROM ts_pairs pr
      WHERE NOT EXISTS (SELECT 1 FROM ts_keep k WHERE k.pole = pr.pole AND k.bs_name = pr.bs_name)
      RETURNING id)
    INSERT INTO ts_bs_inserted SELECT id FROM added`);

  // Operators: exactly the listed (name, group) pairs, per BS exactly the pairs listed for it.
  await run(tx, [
    sql.unsafe`
    CREATE TEMP TABLE ts_operators ON COMMIT DROP AS
      SELECT DISTINCT operator_name, operator_group FROM ts_bs WHERE operator_name IS NOT NULL`,
    sql.unsafe`    INSERT INTO operators (operator_name, operator_group)
    SELECT operator_name, operator_group FROM ts_operators
    ON CONFLICT ON CONSTRAINT operators_name_group_key DO NOTHING`,
    sql.unsafe`    CREATE TEMP TABLE ts_operator_ids ON COMMIT DROP AS
      SELECT o.id, t.operator_name, coalesce(t.operator_group, chr(1)) AS group_key
      FROM ts_operators t JOIN operators o
        ON o.operator_name = t.operator_name AND o.operator_group IS NOT DISTINCT FROM t.operator_group`,
    sql.unsafe`    CREATE TEMP TABLE ts_links ON COMMIT DROP AS
      SELECT DISTINCT bs.id AS base_station_id, oi.id AS operator_id
      FROM ts_bs t
      JOIN ts_pairs pr ON pr.pole = t.pole AND pr.bs_name = t.bs_name
      JOIN base_stations bs ON bs.pole_id = pr.canonical_id AND bs.bs_name = t.bs_name
      JOIN ts_operator_ids oi ON oi.operator_name = t.operator_name
                             AND oi.group_key = coalesce(t.operator_group, chr(1))
      WHERE t.operator_name IS NOT NULL`,
    sql.unsafe`    CREATE UNIQUE INDEX ON ts_links (base_station_id, operator_id)`,
    sql.unsafe`    ANALYZE ts_links`,
    sql.unsafe`    WITH gone AS (
      DELETE FROM base_station_operators l
      WHERE NOT EXISTS (SELECT 1 FROM ts_links x
                        WHERE x.base_station_id = l.base_station_id AND x.operator_id = l.operator_id)
      RETURNING l.base_station_id)
    INSERT INTO ts_bs_touched SELECT base_station_id FROM gone`,
    sql.unsafe`    WITH added AS (
      INSERT INTO base_station_operators (base_station_id, operator_id)
      SELECT base_station_id, operator_id FROM ts_links
      ON CONFLICT DO NOTHING
      RETURNING base_station_id)
    INSERT INTO ts_bs_touched SELECT base_station_id FROM added`,
  ]);
  const operatorsDeleted = await count(
    tx,
    sql.unsafe`
      WITH gone AS (
        DELETE FROM operators o
        WHERE NOT EXISTS (SELECT 1 FROM ts_operators t
                          WHERE t.operator_name = o.operator_name
                            AND t.operator_group IS NOT DISTINCT FROM o.operator_group)
        RETURNING 1)
      SELECT count(*)::int AS n FROM gone`,
  );
  const inserted = await count(tx, sql.unsafe`SELECT count(*)::int AS n FROM ts_bs_inserted`);
  // Re-attached or operator set changed; rows created by this run count as inserted only.
  const updated = await count(
    tx,
    sql.unsafe`
      SELECT count(DISTINCT t.id)::int AS n FROM ts_bs_touched t
      WHERE NOT EXISTS (SELECT 1 FROM ts_bs_inserted i WHERE i.id = t.id)
        AND EXISTS (SELECT 1 FROM base_stations b WHERE b.id = t.id)`,
  );
  return { inserted, updated, deleted, operatorsDeleted };
}

/** One statement per query: parameterised queries cannot hold several. */
async function run(tx: DatabaseTransactionConnection, queries: ReturnType<typeof sql.unsafe>[]): Promise<void> {
  for (const query of queries) await tx.query(query);
}

const CHUNK = 20_000;

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += CHUNK) yield items.slice(i, i + CHUNK);
}
