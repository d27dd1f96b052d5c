// Default data the product needs in the database (DEF-1…DEF-4): inserted when missing, by natural key,
// never overwritten — administrators may have edited descriptions and SLA minutes (DEF-1).
// Safe to run concurrently from several workers (ON CONFLICT DO NOTHING).

import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { DEFAULT_CONTRACTOR_NAME, DEFAULT_POLE_CODE } from '../../domain/directory.js';
import {
  DEFAULT_INCIDENT_STATUSES,
  DEFAULT_INCIDENT_TYPES,
  historyStatusDefinition,
} from '../../domain/reference-data.js';
import type { HistoryStatusName } from '../../domain/reference-data.js';

/** Rows inserted by one ensureDefaultData() call (0 everywhere when everything already existed). */
export interface DefaultDataCounts {
  incidentStatuses: number;
  incidentTypes: number;
  contractors: number;
  poles: number;
}

/** DATA-9: the default pole is TowerStore SiteId 0. */
export const DEFAULT_POLE_SITE_ID = 0;

const insertedId = z.object({ id: z.number() });

export async function ensureDefaultData(db: CommonQueryMethods): Promise<DefaultDataCounts> {
  return db.transaction(async (tx) => {
    const statuses = await tx.any(sql.type(insertedId)`
      INSERT INTO incident_statuses (name, description)
      SELECT * FROM ${sql.unnest(
        DEFAULT_INCIDENT_STATUSES.map((status) => [status.name, status.description]),
        ['text', 'text'],
      )}
      ON CONFLICT (name) DO NOTHING
      RETURNING id`);

    const types = await tx.any(sql.type(insertedId)`
      INSERT INTO incident_types (name, description, sla_minutes)
      SELECT * FROM ${sql.unnest(
        DEFAULT_INCIDENT_TYPES.map((type) => [type.name, type.description, type.slaMinutes]),
        ['text', 'text', 'int4'],
      )}
      ON CONFLICT (name) DO NOTHING
      RETURNING id`);

    // DEF-4: the contractor first, because the default pole's contractor defaults to it.
    const contractors = await tx.any(sql.type(insertedId)`
      INSERT INTO contractors (contractor_name) VALUES (${DEFAULT_CONTRACTOR_NAME})
      ON CONFLICT (contractor_name) DO NOTHING
      RETURNING id`);

    // No conflict target: a row holding SiteId 0 or the ('undefined', 'undefined') pair is left alone.
    const poles = await tx.any(sql.type(insertedId)`
      INSERT INTO poles (site_id, pole, bs_name)
      VALUES (${DEFAULT_POLE_SITE_ID}, ${DEFAULT_POLE_CODE}, ${DEFAULT_POLE_CODE})
      ON CONFLICT DO NOTHING
      RETURNING id`);

    return {
      incidentStatuses: statuses.length,
      incidentTypes: types.length,
      contractors: contractors.length,
      poles: poles.length,
    };
  });
}

/**
 * DEF-2 / INC-8: the id of a history status, creating its row with the INC-8 description on first use.
 * An existing row is returned as it is (its description may have been edited).
 */
export async function ensureIncidentStatusId(db: CommonQueryMethods, name: HistoryStatusName): Promise<number> {
  const select = sql.type(insertedId)`SELECT id FROM incident_statuses WHERE name = ${name}`;
  const existing = await db.maybeOneFirst(select);
  if (existing !== null) {
    return existing;
  }
  const { description } = historyStatusDefinition(name);
  const inserted = await db.maybeOneFirst(sql.type(insertedId)`
    INSERT INTO incident_statuses (name, description) VALUES (${name}, ${description})
    ON CONFLICT (name) DO NOTHING
    RETURNING id`);
  // NULL: a concurrent caller inserted it first; a new statement sees its committed row.
  return inserted ?? db.oneFirst(select);
}
