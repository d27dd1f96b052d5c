// The Tracker REST client DISPATCH uses (TRACKER_API.md): issues, comments, changelog,
// transitions, attachments, users, statuses, queue fields. Lists are always read to the end
// (YT-2); users, statuses and local fields are cached for at most 5 minutes (YT-4).
import { FormData } from 'undici';
import { z } from 'zod';
import { TtlCache } from './cache.js';
import { TrackerError } from './errors.js';
import { TrackerHttp } from './http.js';
import type { TrackerHttpOptions, TrackerResponse } from './http.js';

/** An issue as the API returns it: field ids → values, plus key and version. */
export type TrackerIssue = Record<string, unknown> & { key: string; version: number };

export interface TrackerUser {
  uid: string;
  login: string;
  dismissed: boolean;
  disableNotifications: boolean;
}

export interface TrackerStatus {
  id: string;
  key: string;
  name: string;
}

export interface TrackerField {
  id: string;
  key: string;
  name: string;
  /** Dropdown values (`optionsProvider.values`), empty when the field has none. */
  options: string[];
}

export interface TrackerComment {
  id: string;
  text: string;
}

export interface TrackerTransition {
  id: string;
  toKey: string;
}

const issueSchema = z.looseObject({ key: z.string(), version: z.number() });
const userSchema = z.looseObject({
  uid: z.union([z.number(), z.string()]),
  login: z.string(),
  dismissed: z.boolean().optional(),
  disableNotifications: z.boolean().optional(),
});
const statusSchema = z.looseObject({
  id: z.union([z.string(), z.number()]),
  key: z.string(),
  name: z.string().optional(),
});
const fieldSchema = z.looseObject({
  id: z.string(),
  key: z.string().optional(),
  name: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
  optionsProvider: z.looseObject({ values: z.array(z.unknown()).optional() }).optional(),
});
const commentSchema = z.looseObject({ id: z.union([z.number(), z.string()]), text: z.string().optional() });
const transitionSchema = z.looseObject({ id: z.string(), to: z.looseObject({ key: z.string() }) });
const attachmentSchema = z.looseObject({ id: z.union([z.string(), z.number()]) });

/** Upper bound of pages per list: a guard against a server that never stops linking "next". */
const MAX_PAGES = 10_000;
/** Page size of every list read (search, comments, changelog, users). */
export const TRACKER_PAGE_SIZE = 100;

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new TrackerError(`Tracker answered an unexpected ${what}: ${result.error.issues[0]?.message ?? 'invalid'}`, {
    code: 'bad_response',
    status: 200,
    retryable: false,
  });
}

function parseList<T>(schema: z.ZodType<T>, value: unknown, what: string): T[] {
  return parse(z.array(schema), value ?? [], what);
}

/** `Link: <url>; rel="next"` → url. */
export function nextLink(linkHeader: string | undefined): string | null {
  if (linkHeader === undefined) return null;
  for (const part of linkHeader.split(/,(?=\s*<)/)) {
    const match = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (match?.[1] !== undefined && /rel="?next"?/.test(match[2] ?? '')) return match[1];
  }
  return null;
}

const enc = encodeURIComponent;

function displayName(name: unknown): string {
  if (typeof name === 'string') return name;
  if (name !== null && typeof name === 'object') {
    const values = Object.values(name as Record<string, unknown>).filter((v): v is string => typeof v === 'string');
    return values[0] ?? '';
  }
  return '';
}

function toField(raw: z.infer<typeof fieldSchema>): TrackerField {
  return {
    id: raw.id,
    key: raw.key ?? raw.id,
    name: displayName(raw.name),
    options: (raw.optionsProvider?.values ?? []).filter((v): v is string => typeof v === 'string'),
  };
}

export class TrackerClient {
  readonly http: TrackerHttp;
  private readonly usersCache = new TtlCache<TrackerUser[]>();
  private readonly statusesCache = new TtlCache<TrackerStatus[]>();
  private readonly localFieldsCache = new Map<string, TtlCache<TrackerField[]>>();

  constructor(options: TrackerHttpOptions) {
    this.http = new TrackerHttp(options);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /**
   * YT-2: every page of a list. Follows `Link rel="next"`; without one, page mode continues while
   * `X-Total-Pages` says there are more pages.
   */
  async readAll(method: 'GET' | 'POST', path: string, json?: unknown): Promise<unknown[]> {
    const items: unknown[] = [];
    let next: string | null = path;
    for (let page = 1; next !== null && page <= MAX_PAGES; page++) {
      const res: TrackerResponse = await this.http.send({
        method,
        path: next,
        ...(json === undefined ? {} : { json }),
      });
      if (!Array.isArray(res.body)) {
        throw new TrackerError(`Tracker ${method} ${next} did not answer a list`, {
          code: 'bad_response',
          status: res.status,
          retryable: false,
        });
      }
      items.push(...(res.body as unknown[]));
      const link = nextLink(res.headers['link']);
      if (link !== null) {
        next = this.http.relativePath(link);
        continue;
      }
      const totalPages = Number(res.headers['x-total-pages']);
      next = Number.isInteger(totalPages) && page < totalPages && res.body.length > 0 ? withPage(path, page + 1) : null;
    }
    return items;
  }

  async myself(): Promise<{ login: string; uid: string }> {
    const res = await this.http.send({ path: '/v2/myself' });
    const user = parse(userSchema, res.body, 'user');
    return { login: user.login, uid: String(user.uid) };
  }

  /** ASSIGN-1 / YT-4: the whole user list, cached ≤ 5 min. */
  users(): Promise<TrackerUser[]> {
    return this.usersCache.get(async () =>
      parseList(userSchema, await this.readAll('GET', `/v2/users?perPage=${TRACKER_PAGE_SIZE}`), 'user list').map(
        (u) => ({
          uid: String(u.uid),
          login: u.login,
          dismissed: u.dismissed ?? false,
          disableNotifications: u.disableNotifications ?? false,
        }),
      ),
    );
  }

  statuses(): Promise<TrackerStatus[]> {
    return this.statusesCache.get(async () => {
      const res = await this.http.send({ path: '/v2/statuses' });
      return parseList(statusSchema, res.body, 'status list').map((s) => ({
        id: String(s.id),
        key: s.key,
        name: s.name ?? s.key,
      }));
    });
  }

  async queue(key: string): Promise<Record<string, unknown>> {
    const res = await this.http.send({ path: `/v2/queues/${enc(key)}` });
    return parse(z.looseObject({ key: z.string() }), res.body, 'queue');
  }

  async globalFields(): Promise<TrackerField[]> {
    const res = await this.http.send({ path: '/v2/fields' });
    return parseList(fieldSchema, res.body, 'field list').map(toField);
  }

  /** The queue's local fields, cached ≤ 5 min (YT-4). */
  localFields(queueKey: string): Promise<TrackerField[]> {
    let cache = this.localFieldsCache.get(queueKey);
    if (cache === undefined) {
      cache = new TtlCache<TrackerField[]>();
      this.localFieldsCache.set(queueKey, cache);
    }
    return cache.get(async () => {
      const res = await this.http.send({ path: `/v2/queues/${enc(queueKey)}/localFields` });
      return parseList(fieldSchema, res.body, 'local field list').map(toField);
    });
  }

  async getIssue(key: string): Promise<TrackerIssue> {
    const res = await this.http.send({ path: `/v2/issues/${enc(key)}` });
    return parse(issueSchema, res.body, 'issue');
  }

  /** Create; a duplicate `unique` answers 409 (TrackerError code `conflict`). */
  async createIssue(body: Record<string, unknown>): Promise<TrackerIssue> {
    const res = await this.http.send({ method: 'POST', path: '/v2/issues/', json: body });
    return parse(issueSchema, res.body, 'issue');
  }

  /** YT-9: the issue created with this `unique`, or null. */
  async findIssueByUnique(unique: string): Promise<TrackerIssue | null> {
    try {
      const res = await this.http.send({ method: 'POST', path: `/v2/issues/_findByUnique?unique=${enc(unique)}` });
      return parse(issueSchema, res.body, 'issue');
    } catch (error) {
      if (error instanceof TrackerError && error.code === 'not_found') return null;
      throw error;
    }
  }

  /** All issues matching a filter (`{field: value}`), every page. */
  async searchIssues(filter: Record<string, unknown>, order?: string): Promise<TrackerIssue[]> {
    const body = { filter, ...(order === undefined ? {} : { order }) };
    const found = await this.readAll('POST', `/v2/issues/_search?perPage=${TRACKER_PAGE_SIZE}`, body);
    return parseList(issueSchema, found, 'issue list');
  }

  async updateIssue(key: string, fields: Record<string, unknown>): Promise<TrackerIssue> {
    const res = await this.http.send({ method: 'PATCH', path: `/v2/issues/${enc(key)}`, json: fields });
    return parse(issueSchema, res.body, 'issue');
  }

  async comments(key: string): Promise<TrackerComment[]> {
    const all = await this.readAll('GET', `/v2/issues/${enc(key)}/comments?perPage=${TRACKER_PAGE_SIZE}`);
    return parseList(commentSchema, all, 'comment list').map((c) => ({ id: String(c.id), text: c.text ?? '' }));
  }

  async addComment(key: string, text: string, attachmentIds: readonly string[] = []): Promise<TrackerComment> {
    const json = { text, markupType: 'md', ...(attachmentIds.length > 0 ? { attachmentIds } : {}) };
    const res = await this.http.send({ method: 'POST', path: `/v2/issues/${enc(key)}/comments`, json });
    const comment = parse(commentSchema, res.body, 'comment');
    return { id: String(comment.id), text: comment.text ?? text };
  }

  async changelog(key: string, filter: { field?: string; type?: string } = {}): Promise<Record<string, unknown>[]> {
    const query = new URLSearchParams({ perPage: String(TRACKER_PAGE_SIZE) });
    if (filter.field !== undefined) query.set('field', filter.field);
    if (filter.type !== undefined) query.set('type', filter.type);
    const all = await this.readAll('GET', `/v2/issues/${enc(key)}/changelog?${query.toString()}`);
    return parseList(z.looseObject({ id: z.string() }), all, 'changelog');
  }

  async transitions(key: string): Promise<TrackerTransition[]> {
    const res = await this.http.send({ path: `/v2/issues/${enc(key)}/transitions` });
    return parseList(transitionSchema, res.body, 'transition list').map((t) => ({ id: t.id, toKey: t.to.key }));
  }

  async executeTransition(key: string, transitionId: string, body: Record<string, unknown>): Promise<void> {
    await this.http.send({
      method: 'POST',
      path: `/v2/issues/${enc(key)}/transitions/${enc(transitionId)}/_execute`,
      json: body,
    });
  }

  /** Temporary upload (ATT-6); the id goes into `attachmentIds` of a create or comment. */
  async uploadAttachment(fileName: string, mimeType: string, bytes: Uint8Array): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: mimeType }), fileName);
    const res = await this.http.send({
      method: 'POST',
      path: `/v2/attachments/?filename=${enc(fileName)}`,
      form,
    });
    return String(parse(attachmentSchema, res.body, 'attachment').id);
  }
}

function withPage(path: string, page: number): string {
  const [pathname, query = ''] = path.split('?', 2) as [string, string?];
  const params = new URLSearchParams(query);
  params.set('page', String(page));
  return `${pathname}?${params.toString()}`;
}
