// What the fake TowerStore can serve instead of the normal report, for exercising TS-2 (transport
// failures) and TS-5 (anomaly guard): a changed, shrunk or empty feed, broken JSON, an oversize or
// dripping body, an HTTP error, or a dropped connection.

import { z } from 'zod';
import type { FeedName } from '../fixtures/feed-columns.js';

export const feedModeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('normal') }),
  /** Other rows: the given ones, or a built-in revision of the current rows (< 10 % fewer). */
  z.object({ kind: z.literal('changed'), rows: z.array(z.unknown()).optional() }),
  /** Only the first (1 − ratio) share of the rows, e.g. ratio 0.5 → half (AC-22). */
  z.object({ kind: z.literal('shrunk'), ratio: z.number().min(0).max(1) }),
  z.object({ kind: z.literal('empty') }),
  z.object({ kind: z.literal('invalid-json') }),
  /** A syntactically valid JSON array of at least `bytes` bytes, streamed. */
  z.object({ kind: z.literal('oversize'), bytes: z.number().int().positive(), declareLength: z.boolean().optional() }),
  /** The normal body dripped `chunkBytes` every `intervalMs`, after `headersDelayMs`. */
  z.object({
    kind: z.literal('slow'),
    chunkBytes: z.number().int().positive().optional(),
    intervalMs: z.number().int().nonnegative().optional(),
    headersDelayMs: z.number().int().nonnegative().optional(),
  }),
  z.object({ kind: z.literal('http-error'), status: z.number().int().min(400).max(599), body: z.string().optional() }),
  /** The socket is destroyed without a response. */
  z.object({ kind: z.literal('drop') }),
]);

export type FeedMode = z.infer<typeof feedModeSchema>;

export const feedSelectorSchema = z.enum(['poles', 'avr', 'bs', 'all']);
export type FeedSelector = FeedName | 'all';

export const adminModeRequestSchema = z.object({
  feed: feedSelectorSchema,
  mode: feedModeSchema,
  /** Serve the mode this many times, then go back to normal; absent = until changed. */
  times: z.number().int().positive().optional(),
});

export const INVALID_JSON_BODY =
  '[{"SiteId": 100001, "Шифр": "10001-MSK-01", "Имя БС": "MSK0001",\n<html><body><h1>502 Bad Gateway</h1></body></html>\n';

export function shrinkRows<T>(rows: readonly T[], ratio: number): T[] {
  return rows.slice(0, Math.round(rows.length * (1 - ratio)));
}

/**
 * A plausible next-day version of a feed: every 25th row gone (4 %, within the default shrink
 * limit) and every 10th row edited in a column the sync copies (TS-6), so a run has updates and
 * deletions to apply.
 */
export function reviseRows(feed: FeedName, rows: readonly unknown[]): unknown[] {
  const edit: Record<FeedName, (row: Record<string, unknown>) => Record<string, unknown>> = {
    poles: (row) => ({
      ...row,
      'Статус опоры': 'Демонтаж',
      Адрес: `${typeof row['Адрес'] === 'string' ? row['Адрес'] : ''} (уточнён)`,
    }),
    avr: (row) => ({ ...row, 'Контактные данные подрядчика Телефон': '+7(495)000-00-01' }),
    bs: (row) => ({ ...row, Оператор: 'МегаФон', 'Группа операторов': 'МегаФон' }),
  };
  const out: unknown[] = [];
  rows.forEach((row, i) => {
    if (i % 25 === 24) return;
    out.push(
      i % 10 === 9 && row !== null && typeof row === 'object' ? edit[feed](row as Record<string, unknown>) : row,
    );
  });
  return out;
}

/** Byte length of an oversize body made of `count` copies of `item` (a JSON text). */
export function oversizeLength(item: Buffer, count: number): number {
  return 2 + count * item.length + (count - 1);
}

export function oversizeCount(item: Buffer, bytes: number): number {
  return Math.max(1, Math.ceil((bytes - 2 + 1) / (item.length + 1)));
}
