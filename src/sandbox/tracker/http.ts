// Request/response plumbing: a tiny router over version-less resource paths, JSON bodies, and the
// paging headers Tracker clients rely on (`X-Total-Count`, `X-Total-Pages`, `Link`).
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './errors.js';
import type { UserRecord } from './model.js';
import type { RenderBase } from './values.js';

export interface ApiRequest {
  method: string;
  url: URL;
  /** `http://host:port` as the client addressed us. */
  origin: string;
  version: 'v2' | 'v3';
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  base: RenderBase;
  user: UserRecord;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler<R = ApiRequest> = (req: R) => ApiResponse | Promise<ApiResponse>;

export interface Route<R = ApiRequest> {
  method: string;
  /** Template over the resource path, e.g. `/issues/:issue/comments`. */
  template: string;
  handler: Handler<R>;
}

export class Router<R = ApiRequest> {
  private readonly routes: Array<Route<R> & { segments: string[] }> = [];

  add(method: string, template: string, handler: Handler<R>): this {
    this.routes.push({ method, template, handler, segments: template.split('/').filter(Boolean) });
    return this;
  }

  /** First route whose template matches; `methodMismatch` when only the method differs. */
  match(
    method: string,
    path: string,
  ): { route: Route<R>; params: Record<string, string> } | { methodMismatch: boolean } {
    const parts = path.split('/').filter(Boolean);
    let methodMismatch = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method !== method) {
        methodMismatch = true;
        continue;
      }
      return { route, params };
    }
    return { methodMismatch };
  }
}

function matchSegments(template: string[], parts: string[]): Record<string, string> | undefined {
  if (template.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i += 1) {
    const t = template[i] ?? '';
    const p = parts[i] ?? '';
    if (t.startsWith(':')) {
      try {
        params[t.slice(1)] = decodeURIComponent(p);
      } catch {
        return undefined;
      }
    } else if (t !== p) {
      return undefined;
    }
  }
  return params;
}

/** Splits `/v2/issues/X/` into the API version and the resource path `/issues/X`. */
export function splitVersion(pathname: string): { version: 'v2' | 'v3'; resource: string } | undefined {
  const m = /^\/(v2|v3)(\/.*)?$/.exec(pathname);
  if (!m) return undefined;
  const resource = (m[2] ?? '/').replace(/\/+$/, '') || '/';
  return { version: m[1] as 'v2' | 'v3', resource };
}

/** The JSON body as an object; empty body = `{}`; anything else is a 400 with Tracker's error shape. */
export function jsonObject(req: ApiRequest): Record<string, unknown> {
  if (req.rawBody.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    throw new ApiError(400, ['Тело запроса не является корректным JSON']);
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ApiError(400, ['Ожидается JSON-объект']);
  return parsed as Record<string, unknown>;
}

/** A positive integer query parameter with a default; anything else is a 400. */
export function intParam(
  query: URLSearchParams,
  name: string,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new ApiError(400, [`${name}: ожидается целое число ≥ 1`]);
  return Math.min(Number(raw), max);
}

export function linkUrl(req: ApiRequest, changes: Record<string, string | null>): string {
  const params = new URLSearchParams(req.query);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) params.delete(k);
    else params.set(k, v);
  }
  const qs = params.toString();
  return `${req.origin}${req.url.pathname}${qs ? `?${qs}` : ''}`;
}

export function linkHeader(links: Array<[string, string]>): string {
  return links.map(([url, rel]) => `<${url}>; rel="${rel}"`).join(', ');
}

/** Page-mode paging: a slice plus `X-Total-Count`, `X-Total-Pages` and `Link` first/prev/next/last/seek. */
export function pageOf<T>(
  req: ApiRequest,
  items: T[],
  defaultPerPage = 50,
): { slice: T[]; headers: Record<string, string> } {
  const perPage = intParam(req.query, 'perPage', defaultPerPage);
  const page = intParam(req.query, 'page', 1);
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const links: Array<[string, string]> = [[linkUrl(req, { page: '1', perPage: String(perPage) }), 'first']];
  if (page > 1) links.push([linkUrl(req, { page: String(page - 1), perPage: String(perPage) }), 'prev']);
  if (page < totalPages) links.push([linkUrl(req, { page: String(page + 1), perPage: String(perPage) }), 'next']);
  links.push([linkUrl(req, { page: String(totalPages), perPage: String(perPage) }), 'last']);
  // The Python client's SeekablePaginatedList fills `{&page}` to jump to any page.
  links.push([`${linkUrl(req, { page: null, perPage: String(perPage) })}{&page}`, 'seek']);
  return {
    slice,
    headers: {
      'X-Total-Count': String(items.length),
      'X-Total-Pages': String(totalPages),
      Link: linkHeader(links),
    },
  };
}

/** Id-cursor paging (comments, changelog): entries after `id`, `Link` first and next. */
export function cursorPageOf<T>(
  req: ApiRequest,
  items: T[],
  idOf: (item: T) => string,
  defaultPerPage = 50,
): { slice: T[]; headers: Record<string, string> } {
  const perPage = intParam(req.query, 'perPage', defaultPerPage);
  const after = req.query.get('id');
  let start = 0;
  if (after !== null && after !== '') {
    const index = items.findIndex((item) => idOf(item) === after);
    if (index < 0) throw new ApiError(400, [`id: запись ${after} не найдена`]);
    start = index + 1;
  }
  const slice = items.slice(start, start + perPage);
  const links: Array<[string, string]> = [[linkUrl(req, { id: null, perPage: String(perPage) }), 'first']];
  const last = slice[slice.length - 1];
  if (start + perPage < items.length && last !== undefined) {
    links.push([linkUrl(req, { id: idOf(last), perPage: String(perPage) }), 'next']);
  }
  return { slice, headers: { Link: linkHeader(links) } };
}
