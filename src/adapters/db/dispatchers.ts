// Dispatchers and their load (DATA-8, ASSIGN-2, ASSIGN-3), counted in SQL.
import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { DispatcherLoad, DispatcherRecord } from '../../domain/assignment.js';

export async function dispatchers(db: CommonQueryMethods): Promise<DispatcherRecord[]> {
  const rows = await db.any(sql.type(z.object({ login: z.string(), is_active: z.boolean() }))`
    SELECT login, is_active FROM dispatchers ORDER BY login`);
  return rows.map((r) => ({ login: r.login, isActive: r.is_active }));
}

/**
 * ASSIGN-2: open incidents per dispatcher (registered within `loadWindowHours` when > 0);
 * ASSIGN-3: incidents assigned to them within `recentHours`. `excludeIncidentId` is the incident
 * being assigned, so a retried choice does not count it.
 */
export async function dispatcherLoads(
  db: CommonQueryMethods,
  logins: readonly string[],
  options: { loadWindowHours: number; recentHours: number; excludeIncidentId: number },
): Promise<DispatcherLoad[]> {
  if (logins.length === 0) return [];
  const rows = await db.any(sql.type(z.object({ login: z.string(), load: z.number(), recent: z.number() }))`
    SELECT d.login,
      (SELECT count(*) FROM incidents i
        WHERE i.responsible_dispatcher_id = d.id AND NOT i.is_finished AND i.id <> ${options.excludeIncidentId}
          AND (${options.loadWindowHours} = 0
               OR i.registration_time >= now() - make_interval(hours => ${options.loadWindowHours}))) AS load,
      (SELECT count(*) FROM incidents i
        WHERE i.responsible_dispatcher_id = d.id AND i.id <> ${options.excludeIncidentId}
          AND i.dispatcher_assigned_at >= now() - make_interval(hours => ${options.recentHours})) AS recent
    FROM dispatchers d
    WHERE d.login = ANY(${sql.array([...logins], 'text')})
    ORDER BY d.login`);
  return rows.map((r) => ({ login: r.login, load: r.load, recentAssignments: r.recent }));
}

export interface NewDispatcher {
  login: string;
  email: string | null;
  displayName: string | null;
  isActive: boolean;
}

/** ASSIGN-6: adds a dispatcher unless the login exists (existing rows are left as they are). */
export async function addDispatcher(db: CommonQueryMethods, dispatcher: NewDispatcher): Promise<boolean> {
  const row = await db.maybeOne(sql.type(z.object({ id: z.number() }))`
    INSERT INTO dispatchers (login, email, display_name, is_active)
    VALUES (${dispatcher.login}, ${dispatcher.email}, ${dispatcher.displayName}, ${dispatcher.isActive})
    ON CONFLICT (login) DO NOTHING
    RETURNING id`);
  return row !== null;
}
