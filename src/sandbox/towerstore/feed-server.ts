// A fake TowerStore: serves the three JSON reports (TS-3) over HTTP, from files or memory, and on
// demand misbehaves in the ways TS-2 and TS-5 guard against. Admin: the returned methods, or HTTP
// under /__admin (POST /__admin/mode, PUT /__admin/feeds/<feed>, POST /__admin/reset, GET /__admin/state).

import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { FeedName } from '../fixtures/feed-columns.js';
import { FEED_ENV_VARS, FEED_NAMES } from '../fixtures/feed-columns.js';
import type { FeedMode, FeedSelector } from './feed-modes.js';
import {
  INVALID_JSON_BODY,
  adminModeRequestSchema,
  oversizeCount,
  oversizeLength,
  reviseRows,
  shrinkRows,
} from './feed-modes.js';

export interface TowerStoreFeedServerOptions {
  /** Rows per feed. Feeds given neither here nor in `dir` start empty. */
  feeds?: Partial<Record<FeedName, unknown[]>>;
  /** A directory holding poles.json, avr.json and bs.json (the fixture CLI's `directory/`); served byte for byte. */
  dir?: string;
  /** Bind address; default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** URL paths; defaults /reports/poles_tl.json, /reports/avr.json, /reports/bs.json. */
  paths?: Partial<Record<FeedName, string>>;
  /** Prefix JSON built from rows with a UTF-8 BOM (TS-3 allows one). Default false. */
  bom?: boolean;
}

export interface FeedRequestRecord {
  feed: FeedName;
  method: string;
  /** What was served: the mode kind. */
  served: FeedMode['kind'];
  at: Date;
}

export interface TowerStoreFeedServer {
  urls: Record<FeedName, string>;
  /** TS_POLES_TL_URL, TS_AVR_REPORT_URL, TS_BS_REPORT_URL for these URLs. */
  env: Record<string, string>;
  /** Serve `mode` for one feed or all; with `times`, only for that many requests. */
  setMode(feed: FeedSelector, mode: FeedMode, options?: { times?: number }): void;
  /** Replace a feed's normal content. */
  setFeed(feed: FeedName, rows: unknown[]): void;
  /** Normal mode everywhere, request log cleared (content kept). */
  reset(): void;
  readonly requests: FeedRequestRecord[];
  close(): Promise<void>;
}

const DEFAULT_PATHS: Record<FeedName, string> = {
  poles: '/reports/poles_tl.json',
  avr: '/reports/avr.json',
  bs: '/reports/bs.json',
};
const FEED_FILES: Record<FeedName, string> = { poles: 'poles.json', avr: 'avr.json', bs: 'bs.json' };
const MAX_ADMIN_BODY = 256 * 1024 * 1024;

/** The TS_* variables (CONF-3) for a set of feed URLs. */
export function towerStoreEnv(urls: Record<FeedName, string>): Record<string, string> {
  return Object.fromEntries(FEED_NAMES.map((f) => [FEED_ENV_VARS[f], urls[f]]));
}

class FeedContent {
  private raw: Buffer | null;
  private rows: unknown[] | null;

  constructor(
    raw: Buffer | null,
    rows: unknown[] | null,
    private readonly bom: boolean,
  ) {
    this.raw = raw;
    this.rows = rows;
  }

  set(rows: unknown[]): void {
    this.rows = rows;
    this.raw = null;
  }

  getRows(): unknown[] {
    if (this.rows === null) {
      const text = (this.raw ?? Buffer.from('[]')).toString('utf8').replace(/^\uFEFF/, '');
      const parsed: unknown = JSON.parse(text);
      this.rows = Array.isArray(parsed) ? parsed : [];
    }
    return this.rows;
  }

  body(): Buffer {
    this.raw ??= serialize(this.getRows(), this.bom);
    return this.raw;
  }
}

function serialize(rows: unknown[], bom: boolean): Buffer {
  const json = Buffer.from(JSON.stringify(rows), 'utf8');
  return bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]) : json;
}

export async function startTowerStoreFeedServer(
  options: TowerStoreFeedServerOptions = {},
): Promise<TowerStoreFeedServer> {
  const bom = options.bom ?? false;
  const content = {} as Record<FeedName, FeedContent>;
  for (const feed of FEED_NAMES) {
    const rows = options.feeds?.[feed];
    if (rows) content[feed] = new FeedContent(null, rows, bom);
    else if (options.dir)
      content[feed] = new FeedContent(await readFile(join(options.dir, FEED_FILES[feed])), null, bom);
    else content[feed] = new FeedContent(null, [], bom);
  }
  const paths = { ...DEFAULT_PATHS, ...options.paths };
  const feedByPath = new Map(FEED_NAMES.map((f) => [paths[f], f]));
  const modes = new Map<FeedName, { mode: FeedMode; remaining: number | null }>();
  const requests: FeedRequestRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const setMode = (feed: FeedSelector, mode: FeedMode, opts: { times?: number } = {}): void => {
    for (const f of feed === 'all' ? FEED_NAMES : [feed]) modes.set(f, { mode, remaining: opts.times ?? null });
  };
  const takeMode = (feed: FeedName): FeedMode => {
    const entry = modes.get(feed);
    if (!entry) return { kind: 'normal' };
    if (entry.remaining !== null && --entry.remaining <= 0) modes.delete(feed);
    return entry.mode;
  };
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const serveFeed = (feed: FeedName, req: IncomingMessage, res: ServerResponse): void => {
    const mode = takeMode(feed);
    requests.push({ feed, method: req.method ?? 'GET', served: mode.kind, at: new Date() });
    const json = (body: Buffer, status = 200): void => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    switch (mode.kind) {
      case 'normal':
        return json(content[feed].body());
      case 'changed':
        return json(serialize(mode.rows ?? reviseRows(feed, content[feed].getRows()), bom));
      case 'shrunk':
        return json(serialize(shrinkRows(content[feed].getRows(), mode.ratio), bom));
      case 'empty':
        return json(Buffer.from('[]'));
      case 'invalid-json':
        return json(Buffer.from(INVALID_JSON_BODY, 'utf8'));
      case 'http-error': {
        const body = Buffer.from(mode.body ?? `{"error":"HTTP ${mode.status}"}`, 'utf8');
        res.writeHead(mode.status, {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': body.length,
        });
        res.end(body);
        return;
      }
      case 'drop':
        req.socket.destroy();
        return;
      case 'oversize':
        return streamOversize(content[feed].getRows()[0], mode.bytes, mode.declareLength ?? false, res);
      case 'slow': {
        const body = content[feed].body();
        const chunk = mode.chunkBytes ?? 64;
        const interval = mode.intervalMs ?? 1000;
        let offset = 0;
        const drip = (): void => {
          if (res.destroyed) return;
          if (offset >= body.length) {
            res.end();
            return;
          }
          res.write(body.subarray(offset, offset + chunk));
          offset += chunk;
          later(interval, drip);
        };
        later(mode.headersDelayMs ?? 0, () => {
          if (res.destroyed) return;
          res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
          res.flushHeaders();
          drip();
        });
        return;
      }
    }
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const feed = feedByPath.get(url.pathname);
    if (feed) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed');
      try {
        serveFeed(feed, req, res);
      } catch (err) {
        // E.g. a file feed that is not JSON asked to shrink: report it, never crash the fake.
        if (!res.headersSent)
          plain(res, 500, `fake TowerStore cannot serve ${feed}: ${err instanceof Error ? err.message : String(err)}`);
      }
      return;
    }
    if (url.pathname.startsWith('/__admin/')) {
      handleAdmin(url.pathname, req, res, { setMode, setFeed, reset, state }).catch((err: unknown) => {
        if (!res.headersSent) plain(res, 500, err instanceof Error ? err.message : String(err));
      });
      return;
    }
    plain(res, 404, 'not found');
  });

  const setFeed = (feed: FeedName, rows: unknown[]): void => content[feed].set(rows);
  const reset = (): void => {
    modes.clear();
    requests.length = 0;
  };
  const state = (): unknown => ({
    modes: Object.fromEntries(
      FEED_NAMES.map((f) => [f, modes.get(f) ?? { mode: { kind: 'normal' }, remaining: null }]),
    ),
    rows: Object.fromEntries(FEED_NAMES.map((f) => [f, content[f].getRows().length])),
    requests: requests.length,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const base = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  const urls = Object.fromEntries(FEED_NAMES.map((f) => [f, `${base}${paths[f]}`])) as Record<FeedName, string>;

  return {
    urls,
    env: towerStoreEnv(urls),
    setMode,
    setFeed,
    reset,
    requests,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

/** A valid JSON array of at least `bytes` bytes, written with back-pressure until the client leaves. */
function streamOversize(sample: unknown, bytes: number, declareLength: boolean, res: ServerResponse): void {
  const item = Buffer.from(JSON.stringify(sample ?? { SiteId: 0, Шифр: 'x'.repeat(64) }), 'utf8');
  const count = oversizeCount(item, bytes);
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json; charset=utf-8' };
  if (declareLength) headers['Content-Length'] = oversizeLength(item, count);
  res.writeHead(200, headers);
  const batch = Math.max(1, Math.floor(65_536 / (item.length + 1)));
  const piece = Buffer.concat(Array.from({ length: batch }, () => Buffer.concat([item, Buffer.from(',')])));
  let written = 0;
  res.write('[');
  const pump = (): void => {
    while (!res.destroyed) {
      const left = count - written;
      if (left <= batch) {
        const tail = Buffer.concat(
          Array.from({ length: left }, (_, i) => (i === left - 1 ? item : Buffer.concat([item, Buffer.from(',')]))),
        );
        res.end(Buffer.concat([tail, Buffer.from(']')]));
        return;
      }
      written += batch;
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

interface AdminOps {
  setMode: TowerStoreFeedServer['setMode'];
  setFeed: TowerStoreFeedServer['setFeed'];
  reset: () => void;
  state: () => unknown;
}

async function handleAdmin(path: string, req: IncomingMessage, res: ServerResponse, ops: AdminOps): Promise<void> {
  const send = (status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  if (path === '/__admin/state' && req.method === 'GET') return send(200, ops.state());
  if (path === '/__admin/reset' && req.method === 'POST') {
    ops.reset();
    return send(200, { ok: true });
  }
  if (path === '/__admin/mode' && req.method === 'POST') {
    const parsed = adminModeRequestSchema.safeParse(await readJson(req));
    if (!parsed.success) return send(400, { ok: false, error: z.prettifyError(parsed.error) });
    ops.setMode(
      parsed.data.feed,
      parsed.data.mode,
      parsed.data.times !== undefined ? { times: parsed.data.times } : {},
    );
    return send(200, { ok: true });
  }
  const feedMatch = /^\/__admin\/feeds\/(poles|avr|bs)$/.exec(path);
  if (feedMatch && (req.method === 'PUT' || req.method === 'POST')) {
    const rows = await readJson(req);
    if (!Array.isArray(rows)) return send(400, { ok: false, error: 'expected a JSON array of rows' });
    ops.setFeed(feedMatch[1] as FeedName, rows);
    return send(200, { ok: true, rows: rows.length });
  }
  send(404, { ok: false, error: `unknown admin request ${req.method ?? ''} ${path}` });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ADMIN_BODY) throw new Error('admin request too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
