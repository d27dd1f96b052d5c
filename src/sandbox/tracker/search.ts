// Issue search (`_search`, `_count`): one of queue | keys | filter | query, taken in that order of
// precedence; null body keys are ignored; `order` is a string or an array of `+field` / `-field`.
import type { Catalog } from './catalog.js';
import { ApiError } from './errors.js';
import type { FieldRecord, FieldValue, IssueRecord } from './model.js';
import { parseQuery } from './query-language.js';
import type { QlAtom, QlValue } from './query-language.js';
import { parseDateTime } from './time.js';
import { isEmptyValue } from './values.js';

type Expected =
  | { kind: 'eq'; value: unknown }
  | { kind: 'cmp'; op: 'gt' | 'ge' | 'lt' | 'le'; value: unknown }
  | { kind: 'range'; from: unknown; to: unknown }
  | { kind: 'empty' }
  | { kind: 'notEmpty' };

interface Criterion {
  field: FieldRecord;
  /** Any of them matches (OR); `negate` inverts the whole criterion. */
  expected: Expected[];
  negate: boolean;
}

export interface OrderItem {
  field: FieldRecord;
  descending: boolean;
}

export interface SearchPlan {
  mode: 'queue' | 'keys' | 'filter' | 'query' | 'all';
  criteria: Criterion[];
  keys?: string[];
  order: OrderItem[];
}

const ALIASES: Record<string, string> = {
  updated: 'updatedAt',
  created: 'createdAt',
  resolved: 'resolvedAt',
  author: 'createdBy',
  reporter: 'createdBy',
  follower: 'followers',
  tag: 'tags',
  'status start time': 'statusStartTime',
};

/** Finds a field by id, alias, `QUEUE.key` / plain key (local fields) or display name. */
export function resolveField(catalog: Catalog, name: string): FieldRecord | undefined {
  const exact = catalog.field(name);
  if (exact) return exact;
  const lower = name.toLowerCase();
  const alias = ALIASES[lower];
  if (alias) return catalog.field(alias);
  const localKey = name.includes('.') ? name.slice(name.indexOf('.') + 1) : name;
  return catalog.fields.find(
    (f) =>
      f.id.toLowerCase() === lower ||
      f.name.toLowerCase() === lower ||
      (f.localQueueKey !== undefined && f.key.toLowerCase() === localKey.toLowerCase()),
  );
}

const present = (v: unknown): boolean => v !== undefined && v !== null;

export function planSearch(catalog: Catalog, body: Record<string, unknown>, currentUid: number): SearchPlan {
  const order = parseOrder(catalog, body['order']);
  if (present(body['filterId'])) throw new ApiError(404, [`Фильтр ${JSON.stringify(body['filterId'])} не найден`]);
  if (present(body['queue'])) {
    const queue = catalog.queueByRef(body['queue']);
    if (!queue) throw new ApiError(404, [`Очередь ${JSON.stringify(body['queue'])} не найдена`]);
    const field = catalog.field('queue');
    return {
      mode: 'queue',
      criteria: field ? [{ field, expected: [{ kind: 'eq', value: queue.key }], negate: false }] : [],
      order,
    };
  }
  if (present(body['keys'])) {
    const raw = body['keys'];
    const keys = (Array.isArray(raw) ? (raw as unknown[]) : [raw]).map(String);
    return { mode: 'keys', criteria: [], keys, order };
  }
  if (present(body['filter'])) {
    const filter = body['filter'];
    if (typeof filter !== 'object' || Array.isArray(filter)) {
      throw new ApiError(400, ['filter: ожидается объект {поле: значение}']);
    }
    return { mode: 'filter', criteria: filterCriteria(catalog, filter as Record<string, unknown>, currentUid), order };
  }
  if (present(body['query'])) {
    if (typeof body['query'] !== 'string') throw new ApiError(400, ['query: ожидается строка']);
    const parsed = parseQuery(body['query']);
    if (!parsed.ok) throw new ApiError(400, [`Ошибка в запросе: ${parsed.error}`]);
    const criteria = parsed.query.clauses.map((clause) => {
      const field = requireField(catalog, clause.name);
      return qlCriterion(field, clause.values, currentUid);
    });
    const sort = parsed.query.sort.map((s) => ({ field: requireField(catalog, s.name), descending: s.descending }));
    return { mode: 'query', criteria, order: sort.length > 0 ? sort : order };
  }
  return { mode: 'all', criteria: [], order };
}

function requireField(catalog: Catalog, name: string): FieldRecord {
  const field = resolveField(catalog, name);
  if (!field) throw new ApiError(400, [`Поле "${name}" не существует`]);
  return field;
}

function parseOrder(catalog: Catalog, raw: unknown): OrderItem[] {
  if (!present(raw)) return [];
  const items = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  return items.map((item) => {
    if (typeof item !== 'string' || item.trim() === '')
      throw new ApiError(400, ['order: ожидается "+поле" или "-поле"']);
    const text = item.trim();
    const descending = text.startsWith('-');
    const name = /^[+-]/.test(text) ? text.slice(1) : text;
    return { field: requireField(catalog, name), descending };
  });
}

function filterCriteria(catalog: Catalog, filter: Record<string, unknown>, currentUid: number): Criterion[] {
  return Object.entries(filter)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => {
      const field = requireField(catalog, name);
      const values = Array.isArray(value) ? (value as unknown[]) : [value];
      return { field, expected: values.map((v) => filterExpected(v, currentUid)), negate: false };
    });
}

function filterExpected(value: unknown, currentUid: number): Expected {
  if (value === null) return { kind: 'empty' };
  if (typeof value === 'string') {
    const fn = value.trim().toLowerCase();
    if (fn === 'empty()') return { kind: 'empty' };
    if (fn === 'notempty()') return { kind: 'notEmpty' };
    if (fn === 'me()') return { kind: 'eq', value: currentUid };
  }
  if (typeof value === 'object' && value !== null && ('from' in value || 'to' in value)) {
    const range = value as Record<string, unknown>;
    return { kind: 'range', from: range['from'], to: range['to'] };
  }
  return { kind: 'eq', value };
}

function qlCriterion(field: FieldRecord, values: QlValue[], currentUid: number): Criterion {
  const negate = values.every((v) => v.negate);
  const atom = (a: QlAtom): unknown => (a.fn && a.text.toLowerCase() === 'me' ? currentUid : a.text);
  const expected = values.map((v): Expected => {
    if (v.op === 'range') return { kind: 'range', from: atom(v.from), to: atom(v.to) };
    if (v.value.fn && v.value.text.toLowerCase() === 'empty') return { kind: 'empty' };
    if (v.value.fn && v.value.text.toLowerCase() === 'notempty') return { kind: 'notEmpty' };
    if (v.value.fn && v.value.text.toLowerCase() !== 'me') {
      throw new ApiError(400, [`Функция ${v.value.text}() не поддерживается эмулятором`]);
    }
    if (v.op === 'eq') return { kind: 'eq', value: atom(v.value) };
    return { kind: 'cmp', op: v.op, value: atom(v.value) };
  });
  return { field, expected, negate };
}

export function runSearch(catalog: Catalog, plan: SearchPlan, issues: IssueRecord[]): IssueRecord[] {
  let result = issues.filter((issue) => plan.criteria.every((c) => matches(catalog, c, issue)));
  if (plan.keys) {
    const wanted = new Set(plan.keys);
    result = result.filter((i) => wanted.has(i.key) || wanted.has(i.id));
  }
  return [...result].sort((a, b) => {
    for (const item of plan.order) {
      const cmp = compareValues(catalog, item.field, a.values[item.field.id], b.values[item.field.id]);
      if (cmp !== 0) return item.descending ? -cmp : cmp;
    }
    return compareKeys(a.key, b.key);
  });
}

function matches(catalog: Catalog, criterion: Criterion, issue: IssueRecord): boolean {
  const stored = issue.values[criterion.field.id];
  const hit = criterion.expected.some((e) => matchOne(catalog, criterion.field, stored, e));
  return criterion.negate ? !hit : hit;
}

function matchOne(catalog: Catalog, field: FieldRecord, stored: FieldValue | undefined, e: Expected): boolean {
  if (e.kind === 'empty') return isEmptyValue(stored);
  if (e.kind === 'notEmpty') return !isEmptyValue(stored);
  if (stored === undefined) return false;
  const items: Array<string | number> = Array.isArray(stored) ? stored : [stored];
  return items.some((item) => {
    const value = comparable(field, item);
    if (e.kind === 'eq') {
      const wanted = normaliseExpected(catalog, field, e.value);
      if (wanted === undefined) return false;
      if (field.kind === 'text' && typeof value === 'string' && typeof wanted === 'string') {
        return value.toLowerCase().includes(wanted.toLowerCase());
      }
      return typeof value === 'string' && typeof wanted === 'string'
        ? value.toLowerCase() === wanted.toLowerCase()
        : value === wanted;
    }
    if (e.kind === 'range') {
      const from = present(e.from) ? normaliseExpected(catalog, field, e.from) : undefined;
      const to = present(e.to) ? normaliseExpected(catalog, field, e.to) : undefined;
      return (from === undefined || value >= from) && (to === undefined || value <= to);
    }
    const bound = normaliseExpected(catalog, field, e.value);
    if (bound === undefined) return false;
    if (e.op === 'gt') return value > bound;
    if (e.op === 'ge') return value >= bound;
    if (e.op === 'lt') return value < bound;
    return value <= bound;
  });
}

/** A stored item in the form comparisons use (date-times as epoch ms). */
function comparable(field: FieldRecord, item: string | number): string | number {
  if (field.kind === 'datetime' && typeof item === 'string') return parseDateTime(item) ?? item;
  return item;
}

/** An expected value converted to the stored form of the field; undefined when it cannot match. */
function normaliseExpected(catalog: Catalog, field: FieldRecord, value: unknown): string | number | undefined {
  switch (field.kind) {
    case 'user':
    case 'users':
      return catalog.user(value)?.uid;
    case 'status':
      return catalog.status(value)?.key;
    case 'resolution':
      return catalog.resolution(value)?.key;
    case 'issuetype':
      return catalog.issueType(value)?.key;
    case 'priority':
      return catalog.priority(value)?.key;
    case 'queue':
      return catalog.queueByRef(value)?.key;
    case 'datetime':
      return typeof value === 'string' ? parseDateTime(value) : undefined;
    case 'integer':
    case 'float': {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
      return Number.isFinite(n) ? n : undefined;
    }
    default:
      return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  }
}

function compareValues(
  catalog: Catalog,
  field: FieldRecord,
  a: FieldValue | undefined,
  b: FieldValue | undefined,
): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  if (field.id === 'key') return compareKeys(String(a), String(b));
  const rank = (v: FieldValue): string | number => {
    const first = Array.isArray(v) ? (v[0] ?? '') : v;
    if (field.kind === 'status') return catalog.status(first)?.order ?? 0;
    if (field.kind === 'user' || field.kind === 'users') {
      const u = catalog.userByUid(Number(first));
      return u ? `${u.firstName} ${u.lastName}` : String(first);
    }
    return first;
  };
  const ra = rank(a);
  const rb = rank(b);
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

function compareKeys(a: string, b: string): number {
  const [qa = '', na = '0'] = a.split('-');
  const [qb = '', nb = '0'] = b.split('-');
  if (qa !== qb) return qa < qb ? -1 : 1;
  return Number(na) - Number(nb);
}
