// Field values in and out: request values are validated and normalised per field kind (users → uid,
// dictionaries → key, date-times → Tracker's UTC format); stored values are rendered as the API shows them.
import type { Catalog } from './catalog.js';
import type { FieldRecord, FieldValue } from './model.js';
import { formatTrackerDateTime, isCalendarDate, parseDateTime } from './time.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

export const isArrayKind = (field: FieldRecord): boolean => field.kind === 'users' || field.kind === 'strings';

/** Empty values are not stored: Tracker omits empty fields from issue JSON. */
export function isEmptyValue(value: unknown): boolean {
  return value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
}

/** Validates a plain value written to a field; `null` means "clear". */
export function parseFieldValue(catalog: Catalog, field: FieldRecord, raw: unknown): Parsed<FieldValue | null> {
  if (isEmptyValue(raw)) return ok(null);
  if (isArrayKind(field)) {
    const items = parseArrayItems(catalog, field, raw);
    if (!items.ok) return items;
    return ok(items.value.length === 0 ? null : items.value);
  }
  return parseScalar(catalog, field, raw);
}

/** Items of an array field given as one value or a list (used by set/add/remove forms). */
export function parseArrayItems(catalog: Catalog, field: FieldRecord, raw: unknown): Parsed<string[] | number[]> {
  const list = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  if (field.kind === 'users') {
    const uids: number[] = [];
    for (const item of list) {
      const user = catalog.user(item);
      if (!user) return fail(`Пользователь ${JSON.stringify(item)} не найден`);
      if (!uids.includes(user.uid)) uids.push(user.uid);
    }
    return ok(uids);
  }
  const strings: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string' && typeof item !== 'number') return fail('Ожидается список строк');
    const text = String(item);
    if (text !== '' && !strings.includes(text)) strings.push(text);
  }
  return ok(strings);
}

function parseScalar(catalog: Catalog, field: FieldRecord, raw: unknown): Parsed<FieldValue | null> {
  switch (field.kind) {
    case 'string':
    case 'text': {
      if (typeof raw !== 'string' && typeof raw !== 'number') return fail('Ожидается строка');
      const text = String(raw);
      if (field.options && !field.options.includes(text)) {
        return fail(`Значение "${text}" отсутствует в списке допустимых значений`);
      }
      return ok(text);
    }
    case 'integer': {
      const n = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
      return typeof n === 'number' && Number.isSafeInteger(n) ? ok(n) : fail('Ожидается целое число');
    }
    case 'float': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      return typeof n === 'number' && Number.isFinite(n) ? ok(n) : fail('Ожидается число');
    }
    case 'date':
      return typeof raw === 'string' && isCalendarDate(raw) ? ok(raw) : fail('Ожидается дата в формате YYYY-MM-DD');
    case 'datetime': {
      const ms = typeof raw === 'string' ? parseDateTime(raw) : undefined;
      return ms === undefined ? fail('Ожидается дата и время в формате ISO 8601') : ok(formatTrackerDateTime(ms));
    }
    case 'user': {
      const user = catalog.user(raw);
      return user ? ok(user.uid) : fail(`Пользователь ${JSON.stringify(raw)} не найден`);
    }
    case 'issuetype': {
      const t = catalog.issueType(raw);
      return t ? ok(t.key) : fail(`Тип ${JSON.stringify(raw)} не найден`);
    }
    case 'priority': {
      const p = catalog.priority(raw);
      return p ? ok(p.key) : fail(`Приоритет ${JSON.stringify(raw)} не найден`);
    }
    case 'resolution': {
      const r = catalog.resolution(raw);
      return r ? ok(r.key) : fail(`Резолюция ${JSON.stringify(raw)} не найдена`);
    }
    case 'status': {
      const s = catalog.status(raw);
      return s ? ok(s.key) : fail(`Статус ${JSON.stringify(raw)} не найден`);
    }
    case 'queue': {
      const q = catalog.queueByRef(raw);
      return q ? ok(q.key) : fail(`Очередь ${JSON.stringify(raw)} не найдена`);
    }
    case 'users':
    case 'strings':
      return fail('Ожидается список');
  }
}

/** Base URL of the request's API version (`http://host/v2`): every `self` is built from it. */
export interface RenderBase {
  catalog: Catalog;
  apiBase: string;
}

export function userRef(base: RenderBase, uid: number): Record<string, unknown> {
  const user = base.catalog.userByUid(uid);
  return {
    self: `${base.apiBase}/users/${uid}`,
    id: String(uid),
    display: user ? `${user.firstName} ${user.lastName}` : String(uid),
  };
}

export function fieldRef(base: RenderBase, field: FieldRecord): Record<string, unknown> {
  const self =
    field.localQueueKey === undefined
      ? `${base.apiBase}/fields/${field.id}`
      : `${base.apiBase}/queues/${field.localQueueKey}/localFields/${field.key}`;
  return { self, id: field.id, display: field.name };
}

/** A stored value as the API shows it (references as `{self, id, key?, display}`). */
export function renderFieldValue(base: RenderBase, field: FieldRecord, value: FieldValue): unknown {
  const { catalog, apiBase } = base;
  switch (field.kind) {
    case 'user':
      return userRef(base, Number(value));
    case 'users':
      return (value as number[]).map((uid) => userRef(base, uid));
    case 'issuetype': {
      const t = catalog.issueType(value);
      return t ? { self: `${apiBase}/issuetypes/${t.id}`, id: t.id, key: t.key, display: t.name } : value;
    }
    case 'priority': {
      const p = catalog.priority(value);
      return p ? { self: `${apiBase}/priorities/${p.id}`, id: p.id, key: p.key, display: p.name } : value;
    }
    case 'status': {
      const s = catalog.status(value);
      return s ? { self: `${apiBase}/statuses/${s.id}`, id: s.id, key: s.key, display: s.name } : value;
    }
    case 'resolution': {
      const r = catalog.resolution(value);
      return r ? { self: `${apiBase}/resolutions/${r.id}`, id: r.id, key: r.key, display: r.name } : value;
    }
    case 'queue': {
      const q = catalog.queueByRef(value);
      return q ? { self: `${apiBase}/queues/${q.key}`, id: q.id, key: q.key, display: q.name } : value;
    }
    default:
      return Array.isArray(value) ? [...value] : value;
  }
}

/** Human-readable text of a value (HTML page, sorting by display). */
export function displayFieldValue(catalog: Catalog, field: FieldRecord, value: FieldValue): string {
  switch (field.kind) {
    case 'user':
    case 'users':
      return (Array.isArray(value) ? (value as number[]) : [Number(value)])
        .map((uid) => {
          const u = catalog.userByUid(uid);
          return u ? `${u.firstName} ${u.lastName} (${u.login})` : String(uid);
        })
        .join(', ');
    case 'issuetype':
      return catalog.issueType(value)?.name ?? String(value);
    case 'priority':
      return catalog.priority(value)?.name ?? String(value);
    case 'status':
      return catalog.status(value)?.name ?? String(value);
    case 'resolution':
      return catalog.resolution(value)?.name ?? String(value);
    default:
      return Array.isArray(value) ? value.join(', ') : String(value);
  }
}

export function sameValue(a: FieldValue | null | undefined, b: FieldValue | null | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
