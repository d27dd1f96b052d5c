// The slice of the TowerStore directory (DATA-9) that extraction (EXTR) needs for a set of text
// tokens: the poles a token names exactly or by prefix, the base stations a token names, and every
// pole record of those codes (EXTR-7). The pure rules then run over this small snapshot.
import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { BaseStation, DirectorySnapshot, Pole } from '../../domain/directory.js';
import { directoryKey } from '../../domain/directory-index.js';

/** A pole record as the extraction and validation queries select it (DATA-9). */
export const poleRow = z.object({
  id: z.number(),
  site_id: z.number(),
  pole: z.string(),
  bs_name: z.string(),
  region: z.string().nullable(),
  region_ru: z.string().nullable(),
  address: z.string().nullable(),
  avr_contractor_id: z.number(),
});

const bsRow = z.object({ id: z.number(), bs_name: z.string(), pole_id: z.number(), operator_ids: z.array(z.number()) });

const toPole = (r: z.infer<typeof poleRow>): Pole => ({
  id: r.id,
  siteId: r.site_id,
  code: r.pole,
  bsName: r.bs_name,
  region: r.region,
  regionRu: r.region_ru,
  address: r.address,
  contractorId: r.avr_contractor_id,
});

// EXTR-2: only tokens that start like a pole code are matched by prefix.
const POLE_CODE_START = /^[0-9]{5}-/;

/**
 * The smallest string greater than every string starting with `prefix` in byte (C collation)
 * order: the last code point incremented. With the `text_pattern_ops` indexes, `>= prefix AND <
 * upper` is an index range scan, where `LIKE ANY(array)` or ORed conditions fall back to a
 * sequential scan of the whole directory (65 ms per e-mail on 100,000 poles).
 */
export function prefixUpperBound(prefix: string): string {
  const chars = [...prefix];
  const last = chars.pop();
  if (last === undefined) return '\u{10FFFF}';
  return chars.join('') + String.fromCodePoint((last.codePointAt(0) as number) + 1);
}

export async function directoryForTokens(
  db: CommonQueryMethods,
  tokens: readonly string[],
): Promise<DirectorySnapshot> {
  const keys = [...new Set(tokens.map(directoryKey))];
  if (keys.length === 0) return { poles: [], baseStations: [], operators: [], contractors: [] };
  const prefixes = keys.filter((k) => POLE_CODE_START.test(k));
  const poleColumns = sql.fragment`p.id, p.site_id, p.pole, p.bs_name, p.region, p.region_ru, p.address, p.avr_contractor_id`;

  const baseStations = await db.any(sql.type(bsRow)`
    SELECT b.id, b.bs_name, b.pole_id,
      coalesce((SELECT array_agg(bo.operator_id ORDER BY bo.operator_id) FROM base_station_operators bo
                WHERE bo.base_station_id = b.id), '{}') AS operator_ids
    FROM base_stations b WHERE lower(b.bs_name) = ANY(${sql.array(keys, 'text')})`);
  // Pole codes named by a token, starting with a token, or carrying a found BS (EXTR-7: every
  // record of those codes) — each branch an index lookup.
  const codes = await db.anyFirst(sql.type(z.object({ code: z.string() }))`
    SELECT lower(p.pole) AS code FROM poles p WHERE lower(p.pole) = ANY(${sql.array(keys, 'text')})
    UNION
    SELECT lower(p.pole) FROM unnest(${sql.array(prefixes, 'text')}, ${sql.array(
      prefixes.map(prefixUpperBound),
      'text',
    )}) AS r(low, high)
      JOIN poles p ON lower(p.pole) ~>=~ r.low AND lower(p.pole) ~<~ r.high
    UNION
    SELECT lower(p.pole) FROM poles p WHERE p.id = ANY(${sql.array(
      baseStations.map((b) => b.pole_id),
      'int8',
    )})`);
  const poles =
    codes.length === 0
      ? []
      : await db.any(sql.type(poleRow)`
    SELECT ${poleColumns} FROM poles p WHERE lower(p.pole) = ANY(${sql.array([...codes], 'text')})`);
  return {
    poles: poles.map(toPole),
    baseStations: baseStations.map((b): BaseStation => ({
      id: b.id,
      name: b.bs_name,
      poleId: b.pole_id,
      operatorIds: b.operator_ids,
    })),
    operators: [],
    contractors: [],
  };
}
