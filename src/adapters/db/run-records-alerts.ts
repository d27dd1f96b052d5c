// ALERT-2 de-duplication state (DATA-10 `alert_states`): one row per (kind, incident or subject).
// The decision "send now or count as suppressed" is taken under a row lock, so concurrent workers
// raising the same alert send it once.
import { sql } from 'slonik';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';

export interface AlertKey {
  kind: string;
  incidentId: number | null;
  /** '' when the alert is keyed by incident or kind only. */
  subject: string;
}

export type AlertDecision =
  /** Send now; `suppressed` repeats were held back since the previous alert of this key. */
  { send: true; suppressed: number } | { send: false; suppressed: number };

const stateRow = z.object({ last_sent_at: z.date(), suppressed_count: z.number() });

/** Records one occurrence of `key` at `now` and says whether it is to be sent (cool-down in ms). */
export async function recordAlertOccurrence(
  db: CommonQueryMethods,
  key: AlertKey,
  now: Date,
  cooldownMs: number,
): Promise<AlertDecision> {
  return db.transaction(async (tx) => {
    const inserted = await tx.maybeOne(sql.type(z.object({ kind: z.string() }))`
      INSERT INTO alert_states (kind, incident_id, subject, last_sent_at, suppressed_count)
      VALUES (${key.kind}, ${key.incidentId}, ${key.subject}, ${sql.timestamp(now)}, 0)
      ON CONFLICT ON CONSTRAINT alert_states_key DO NOTHING
      RETURNING kind`);
    if (inserted) return { send: true, suppressed: 0 };
    const state = await tx.one(sql.type(stateRow)`
      SELECT last_sent_at, suppressed_count FROM alert_states
      WHERE kind = ${key.kind} AND incident_id IS NOT DISTINCT FROM ${key.incidentId} AND subject = ${key.subject}
      FOR UPDATE`);
    if (now.getTime() - state.last_sent_at.getTime() < cooldownMs) {
      await tx.query(sql.unsafe`
        UPDATE alert_states SET suppressed_count = suppressed_count + 1
        WHERE kind = ${key.kind} AND incident_id IS NOT DISTINCT FROM ${key.incidentId} AND subject = ${key.subject}`);
      return { send: false, suppressed: state.suppressed_count + 1 };
    }
    await tx.query(sql.unsafe`
      UPDATE alert_states SET last_sent_at = ${sql.timestamp(now)}, suppressed_count = 0
      WHERE kind = ${key.kind} AND incident_id IS NOT DISTINCT FROM ${key.incidentId} AND subject = ${key.subject}`);
    return { send: true, suppressed: state.suppressed_count };
  });
}

/** ALERT-2 recovery: forgets the key; returns its suppressed count, or null when nothing was raised. */
export async function clearAlertState(db: CommonQueryMethods, key: AlertKey): Promise<number | null> {
  const row = await db.maybeOne(sql.type(z.object({ suppressed_count: z.number() }))`
    DELETE FROM alert_states
    WHERE kind = ${key.kind} AND incident_id IS NOT DISTINCT FROM ${key.incidentId} AND subject = ${key.subject}
    RETURNING suppressed_count`);
  return row ? row.suppressed_count : null;
}
