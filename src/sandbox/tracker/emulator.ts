// The Yandex Tracker emulator: a node:http server speaking the subset of the Tracker REST API that
// DISPATCH and the official Python client use, plus an admin API, fault injection and a dispatcher page.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminError, buildAdminRouter } from './admin-routes.js';
import type { AdminRequest } from './admin-routes.js';
import { AuthService } from './auth.js';
import { Catalog } from './catalog.js';
import { DispatcherActions } from './dispatcher.js';
import { ApiError } from './errors.js';
import { FaultInjector } from './faults.js';
import type { FaultRule, FaultRuleInput } from './faults.js';
import { Router, splitVersion } from './http.js';
import type { ApiResponse } from './http.js';
import { IssueService } from './issues.js';
import type { StatusChange } from './issues.js';
import { renderChangelog, renderComment, renderIssue } from './render.js';
import { RequestLog } from './request-log.js';
import type { RequestLogEntry } from './request-log.js';
import { addDirectoryRoutes } from './routes-directory.js';
import { addIssueRoutes } from './routes-issues.js';
import { ScrollRegistry } from './scroll.js';
import { buildTrackerSeed, trackerSandboxEnv } from './seed.js';
import type { TrackerSandboxEnv, TrackerSeed, TrackerSeedOptions } from './seed.js';
import { Store } from './store.js';
import type { Clock } from './time.js';
import { renderDispatcherPage } from './ui.js';
import type { RenderBase } from './values.js';
import { WebhookNotifier } from './webhook.js';
import type { WebhookConfig, WebhookDelivery } from './webhook.js';

export interface TrackerEmulatorOptions extends TrackerSeedOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** JSON file that keeps the sandbox across restarts; in memory only when absent. */
  statePath?: string;
  /** Lifetime of access tokens; default 86 400 s; null = never expire. */
  accessTokenTtlSeconds?: number | null;
  /** Lifetime of refresh tokens; default null (valid until used once). */
  refreshTokenTtlSeconds?: number | null;
  /** Time source; default Date.now. `advanceClock` adds to it. */
  now?: Clock;
  /** Seed of the fault-injection random sequence; default 1. */
  faultSeed?: number;
  /** Trigger webhook called on every status change. */
  webhook?: WebhookConfig;
}

export interface IssueHistory {
  issue: Record<string, unknown>;
  comments: Array<Record<string, unknown>>;
  changelog: Array<Record<string, unknown>>;
}

export interface TrackerEmulator {
  /** `http://127.0.0.1:<port>`: the value for `YT_API_BASE_URL`. */
  readonly url: string;
  readonly port: number;
  readonly seed: TrackerSeed;
  /** Act as a named dispatcher (transition, set fields, reassign, comment, create a manual issue). */
  readonly dispatcher: DispatcherActions;
  /** `YT_*` variables that point DISPATCH at this emulator. */
  env(): TrackerSandboxEnv;
  /** The emulator's current time (epoch ms). */
  now(): number;
  close(): Promise<void>;
  /** Back to the seed: no issues, seed tokens, no faults, empty request log, clock offset 0. */
  reset(): void;
  addFault(rule: FaultRuleInput): FaultRule;
  removeFault(id: string): boolean;
  clearFaults(): void;
  faults(): FaultRule[];
  setFaultSeed(seed: number): void;
  requestLog(): RequestLogEntry[];
  requestCounts(): Record<string, number>;
  clearRequestLog(): void;
  /** The issue as `GET /v2/issues/{key}` shows it. */
  getIssue(keyOrId: string): Record<string, unknown> | undefined;
  listIssues(): Array<Record<string, unknown>>;
  issueHistory(keyOrId: string): IssueHistory | undefined;
  advanceClock(ms: number): void;
  issueAccessToken(login: string, ttlSeconds?: number | null): string;
  expireAccessTokens(): void;
  setWebhook(config: WebhookConfig | null): void;
  webhookDeliveries(): WebhookDelivery[];
  /** Waits until webhook deliveries in flight are done. */
  drainWebhooks(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: ApiResponse): void {
  const payload = response.body === undefined ? '' : JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...(payload === '' ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    ...response.headers,
  });
  res.end(payload);
}

const errorResponse = (error: ApiError): ApiResponse => ({
  status: error.status,
  body: error.body(),
  headers: error.headers,
});

export async function startTrackerEmulator(options: TrackerEmulatorOptions = {}): Promise<TrackerEmulator> {
  const seed = buildTrackerSeed(options);
  const catalog = new Catalog(seed);
  let clockOffset = 0;
  const baseClock = options.now ?? Date.now;
  const clock: Clock = () => baseClock() + clockOffset;
  const store = new Store(seed.queue.key, options.statePath);
  const webhook = new WebhookNotifier();
  if (options.webhook) webhook.configure(options.webhook);
  const onStatusChange = (change: StatusChange) => {
    webhook.notify({
      event: 'issue.statusChanged',
      issue: { id: change.issue.id, key: change.issue.key, version: change.issue.version },
      status: { from: change.from, to: change.to },
      changelogId: change.changelogId,
      updatedAt: change.at,
      updatedBy: catalog.userByUid(change.actorUid)?.login ?? String(change.actorUid),
    });
  };
  const issues = new IssueService(catalog, store, clock, onStatusChange);
  const auth = new AuthService(catalog, store, clock, {
    orgId: seed.orgId,
    cloudOrgId: seed.cloudOrgId,
    oauth: seed.oauth,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds === undefined ? 86_400 : options.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? null,
    apiUserLogin: seed.apiUserLogin,
  });
  auth.seedTokens();
  const faults = new FaultInjector(options.faultSeed ?? 1);
  const log = new RequestLog();
  const scrolls = new ScrollRegistry(clock);
  const router = new Router();
  addIssueRoutes(router, { catalog, issues, scrolls });
  addDirectoryRoutes(router, { catalog, issues, store });

  const host = options.host ?? '127.0.0.1';
  let url = '';
  let port = 0;
  const adminBase = (): RenderBase => ({ catalog, apiBase: `${url}/v2` });
  const dispatcher = new DispatcherActions(catalog, issues, adminBase);

  /** Finds the route of an API request: what it is called in the log and who handles it. */
  const resolve = (method: string, pathname: string) => {
    const versioned = splitVersion(pathname);
    const resource = versioned?.resource ?? (pathname.replace(/\/+$/, '') || '/');
    if (!versioned) {
      return { resource, endpoint: resource === '/token' ? `${method} /token` : `${method} unmatched` };
    }
    const match = router.match(method, versioned.resource);
    if ('route' in match) {
      return { resource, version: versioned.version, match, endpoint: `${method} ${match.route.template}` };
    }
    return {
      resource,
      version: versioned.version,
      endpoint: `${method} unmatched`,
      methodMismatch: match.methodMismatch,
    };
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, target: URL, origin: string) => {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const route = resolve(method, target.pathname);
    const record = (status: number, outcome: RequestLogEntry['outcome'], fault?: string) =>
      log.record({
        at: new Date(clock()).toISOString(),
        method,
        path: target.pathname,
        endpoint: route.endpoint,
        status,
        outcome,
        durationMs: Math.round(performance.now() - started),
        ...(fault ? { fault } : {}),
      });

    const latency = faults.latencyMs(method, route.resource);
    if (latency > 0) await sleep(latency);
    const pre = faults.beforeApply(method, route.resource);
    if (pre?.kind === 'reset') {
      record(0, 'reset', pre.ruleId);
      req.socket.resetAndDestroy();
      return;
    }
    if (pre?.kind === 'status') {
      const headers: Record<string, string> =
        pre.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(pre.retryAfterSeconds) };
      const message = pre.status === 429 ? 'Слишком много запросов' : 'Внутренняя ошибка сервера (эмуляция)';
      send(res, errorResponse(new ApiError(pre.status, [message], {}, headers)));
      record(pre.status, 'answered', pre.ruleId);
      return;
    }

    let response: ApiResponse;
    try {
      const rawBody = await readBody(req);
      if (route.resource === '/token' && route.version === undefined) {
        if (method !== 'POST') throw new ApiError(405, ['Метод не поддерживается']);
        const result = auth.token(new URLSearchParams(rawBody.toString('utf8')), req.headers);
        response = { status: result.status, body: result.body };
      } else if (!route.match) {
        throw route.methodMismatch
          ? new ApiError(405, [`Метод ${method} не поддерживается для ${target.pathname}`])
          : new ApiError(404, [`Ресурс ${target.pathname} не найден`]);
      } else {
        const user = auth.authenticate(req.headers);
        const version = route.version ?? 'v2';
        response = await route.match.route.handler({
          method,
          url: target,
          origin,
          version,
          params: route.match.params,
          query: target.searchParams,
          headers: req.headers,
          rawBody,
          base: { catalog, apiBase: `${origin}/${version}` },
          user,
        });
      }
    } catch (error) {
      if (error instanceof ApiError) response = errorResponse(error);
      else if (error instanceof BodyTooLarge) response = errorResponse(new ApiError(413, ['Слишком большой запрос']));
      else {
        console.error('tracker emulator: unexpected error', error);
        response = errorResponse(new ApiError(500, ['Внутренняя ошибка эмулятора']));
      }
    }

    const dropped = faults.dropAfterApply(method, route.resource);
    if (dropped) {
      record(response.status, 'dropped', dropped);
      req.socket.destroy();
      return;
    }
    send(res, response);
    record(response.status, 'answered');
  };

  const history = (ref: string): IssueHistory | undefined => {
    const issue = issues.issue(ref);
    if (!issue) return undefined;
    const base = adminBase();
    return {
      issue: renderIssue(base, issues, issue),
      comments: issues.comments(issue).map((c) => renderComment(base, issues, issue, c)),
      changelog: issues.changelog(issue).map((e) => renderChangelog(base, issue, e)),
    };
  };
  const api: TrackerEmulator = {
    get url() {
      return url;
    },
    get port() {
      return port;
    },
    seed,
    dispatcher,
    env: () => trackerSandboxEnv(url, seed),
    now: clock,
    close: async () => {
      await webhook.drain();
      await new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
    },
    reset: () => {
      store.reset();
      auth.seedTokens();
      faults.clear();
      faults.reseed();
      log.clear();
      scrolls.clearAll();
      webhook.clear();
      clockOffset = 0;
    },
    addFault: (rule) => faults.add(rule),
    removeFault: (id) => faults.remove(id),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    setFaultSeed: (value) => faults.setSeed(value),
    requestLog: () => log.list(),
    requestCounts: () => log.counts(),
    clearRequestLog: () => log.clear(),
    getIssue: (ref) => {
      const issue = issues.issue(ref);
      return issue ? renderIssue(adminBase(), issues, issue) : undefined;
    },
    listIssues: () => issues.all().map((i) => renderIssue(adminBase(), issues, i)),
    issueHistory: history,
    advanceClock: (ms) => {
      clockOffset += ms;
    },
    issueAccessToken: (login, ttlSeconds) =>
      ttlSeconds === undefined ? auth.issueAccessToken(login) : auth.issueAccessToken(login, ttlSeconds),
    expireAccessTokens: () => auth.expireAccessTokens(),
    setWebhook: (config) => webhook.configure(config),
    webhookDeliveries: () => webhook.deliveries(),
    drainWebhooks: () => webhook.drain(),
  };
  const adminRouter = buildAdminRouter(api);

  const handleAdmin = async (req: IncomingMessage, res: ServerResponse, target: URL) => {
    const method = req.method ?? 'GET';
    const path = target.pathname.slice('/_admin'.length).replace(/\/+$/, '') || '/';
    let response: ApiResponse;
    try {
      const rawBody = await readBody(req);
      const match = adminRouter.match(method, path);
      if (!('route' in match)) throw new ApiError(404, [`Нет admin-ресурса ${method} ${target.pathname}`]);
      const adminReq: AdminRequest = { params: match.params, rawBody };
      response = await match.route.handler(adminReq);
    } catch (error) {
      response = adminError(error) ?? errorResponse(new ApiError(500, [String(error)]));
    }
    send(res, response);
  };

  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host ?? `${host}:0`}`;
    let target: URL;
    try {
      target = new URL(req.url ?? '/', origin);
    } catch {
      send(res, errorResponse(new ApiError(400, ['Некорректный URL'])));
      return;
    }
    const path = target.pathname;
    let work: Promise<void>;
    if (path === '/_admin' || path.startsWith('/_admin/')) {
      work = handleAdmin(req, res, target);
    } else if ((req.method === 'GET' || req.method === 'HEAD') && ['/', '/_ui', '/_ui/'].includes(path)) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(renderDispatcherPage(catalog, issues));
      return;
    } else {
      work = handleApi(req, res, target, origin);
    }
    work.catch((error: unknown) => {
      console.error('tracker emulator: request failed', error);
      if (!res.headersSent) send(res, errorResponse(new ApiError(500, ['Внутренняя ошибка эмулятора'])));
      else res.destroy();
    });
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  port = (server.address() as AddressInfo).port;
  url = `http://${host}:${port}`;

  return api;
}
