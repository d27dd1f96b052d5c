// HTTP transport of the Tracker client (YT-1): one keep-alive undici Agent, OAuth/Bearer
// authorisation with the organisation header, a 30 s budget per request, typed errors, and on a 401
// exactly one token refresh followed by one repeat of the request (YT-3). No sleeping, no retry
// loops: failures surface as TrackerError and the caller's retry policy (Temporal) backs off.
import { Agent, request } from 'undici';
import type { FormData } from 'undici';
import type { Dispatcher } from 'undici';
import { observeTrackerError, observeTrackerRequest } from '../../metrics/tracker.js';
import { TrackerError, errorForStatus, parseRetryAfter } from './errors.js';

/** Where the access token comes from and how a 401 is answered (YT-3). */
export interface TokenSource {
  current(): Promise<string>;
  /** A token that replaces `staleToken` (refreshed once, or already refreshed by another worker). */
  replaceAfterUnauthorized(staleToken: string): Promise<string>;
}

export interface TrackerHttpOptions {
  /** `YT_API_BASE_URL`, e.g. `https://api.tracker.yandex.net`. */
  baseUrl: string;
  orgId: string;
  /** `X-Org-ID` (Yandex 360) or `X-Cloud-Org-ID` (Yandex Cloud organisation). Default `X-Org-ID`. */
  orgHeader?: 'X-Org-ID' | 'X-Cloud-Org-ID';
  /** `OAuth` for OAuth tokens, `Bearer` for IAM tokens. Default `OAuth`. */
  authScheme?: 'OAuth' | 'Bearer';
  tokens: TokenSource;
  /** Per-request budget (headers and body). Default 30 000 ms (YT-1). */
  timeoutMs?: number;
  /** Shared connection pool; default a keep-alive Agent owned by this transport. */
  dispatcher?: Dispatcher;
}

export interface TrackerRequest {
  /** Path with query, relative to the base URL, e.g. `/v2/issues/KEY?expand=attachments`. */
  path: string;
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** JSON body. */
  json?: unknown;
  /** Multipart body (attachment upload). */
  form?: FormData;
}

export interface TrackerResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

export class TrackerHttp {
  private readonly base: URL;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly timeoutMs: number;

  constructor(private readonly options: TrackerHttpOptions) {
    this.base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        keepAliveTimeout: 30_000,
        connections: 16,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
  }

  /** A path (and query) of an absolute link the API returned, made relative to our base URL. */
  relativePath(link: string): string {
    const url = new URL(link, this.base);
    const prefix = this.base.pathname.replace(/\/$/, '');
    const path = prefix !== '' && !url.pathname.startsWith(`${prefix}/`) ? `${prefix}${url.pathname}` : url.pathname;
    return `${path.slice(prefix.length)}${url.search}`;
  }

  async send(req: TrackerRequest): Promise<TrackerResponse> {
    try {
      return await this.sendOnce(req);
    } catch (error) {
      if (error instanceof TrackerError) observeTrackerError({ path: req.path, code: error.code });
      throw error;
    }
  }

  private async sendOnce(req: TrackerRequest): Promise<TrackerResponse> {
    const token = await this.options.tokens.current();
    const first = await this.once(req, token);
    if (first.status !== 401) return this.checked(req, first);
    // YT-3: refresh once (single-flight), then repeat the request once.
    const fresh = await this.options.tokens.replaceAfterUnauthorized(token);
    return this.checked(req, await this.once(req, fresh));
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private checked(req: TrackerRequest, res: TrackerResponse): TrackerResponse {
    if (res.status >= 200 && res.status < 300) return res;
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], Date.now());
    throw errorForStatus(res.status, {
      method: req.method ?? 'GET',
      path: req.path,
      detail: errorDetail(res.body),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }

  /** One HTTP exchange, counted and timed by endpoint template (status 0 = no answer). */
  private async once(req: TrackerRequest, token: string): Promise<TrackerResponse> {
    const method = req.method ?? 'GET';
    const started = performance.now();
    let status = 0;
    try {
      const res = await this.exchange(req, token);
      status = res.status;
      return res;
    } finally {
      observeTrackerRequest({ method, path: req.path, status, seconds: (performance.now() - started) / 1000 });
    }
  }

  private async exchange(req: TrackerRequest, token: string): Promise<TrackerResponse> {
    const method = req.method ?? 'GET';
    const url = new URL(req.path.replace(/^\//, ''), this.base);
    const headers: Record<string, string> = {
      authorization: `${this.options.authScheme ?? 'OAuth'} ${token}`,
      [(this.options.orgHeader ?? 'X-Org-ID').toLowerCase()]: this.options.orgId,
      accept: 'application/json',
    };
    let body: string | FormData | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.form !== undefined) {
      body = req.form;
    }
    try {
      const res = await request(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        dispatcher: this.dispatcher,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.body.text();
      return { status: res.statusCode, headers: flattenHeaders(res.headers), body: parseBody(text) };
    } catch (error) {
      throw networkError(error, method, req.path, this.timeoutMs);
    }
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Tracker's error body `{errors: {field: msg}, errorMessages: [...]}` as one line. */
function errorDetail(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 500);
  if (body === null || typeof body !== 'object') return '';
  const record = body as { errorMessages?: unknown; errors?: unknown };
  const parts: string[] = [];
  if (Array.isArray(record.errorMessages)) parts.push(...record.errorMessages.map(String));
  if (record.errors !== null && typeof record.errors === 'object') {
    for (const [field, message] of Object.entries(record.errors as Record<string, unknown>)) {
      parts.push(`${field}: ${String(message)}`);
    }
  }
  return parts.join('; ').slice(0, 500);
}

function networkError(error: unknown, method: string, path: string, timeoutMs: number): TrackerError {
  const name = error instanceof Error ? error.name : '';
  const code = (error as { code?: unknown } | null)?.code;
  const timedOut = name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
  const reason = error instanceof Error ? error.message : String(error);
  return new TrackerError(
    timedOut
      ? `Tracker ${method} ${path}: no answer within ${timeoutMs} ms`
      : `Tracker ${method} ${path}: network error (${reason})`,
    { code: timedOut ? 'timeout' : 'network', status: 0, retryable: true, method, path, cause: error },
  );
}
