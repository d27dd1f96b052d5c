// The worker's HTTP server: liveness (`GET /healthz`), readiness (`GET /readyz`), Prometheus
// metrics (`GET /metrics`) and routes mounted by other areas (the Tracker webhook).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import type { MetricsSource } from '../metrics/index.js';
import { checkReadiness } from './readiness.js';
import type { ReadinessCheck } from './readiness.js';

export interface HttpRoute {
  method: string;
  /** Exact path, without query string. */
  path: string;
  handler(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface HttpServerOptions {
  /** `HTTP_PORT`; 0 = any free port. */
  port: number;
  /** Default all interfaces (container probes and Prometheus reach the worker from outside). */
  host?: string;
  readiness: readonly ReadinessCheck[];
  metrics: MetricsSource;
  extraRoutes?: readonly HttpRoute[];
  log?: Logger;
}

export interface HttpServer {
  /** `http://host:port` of the bound socket. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const routes: HttpRoute[] = [
    { method: 'GET', path: '/healthz', handler: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      handler: async (_req, res) => {
        const report = await checkReadiness(options.readiness);
        if (!report.ready) options.log?.warn({ failing: report.failing, checks: report.checks }, 'not ready');
        sendJson(res, report.ready ? 200 : 503, report);
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: async (_req, res) => {
        const body = await options.metrics.render();
        res.writeHead(200, { 'content-type': options.metrics.contentType }).end(body);
      },
    },
    ...(options.extraRoutes ?? []),
  ];

  const server = createServer((req, res) => {
    void handle(routes, req, res).catch((error: unknown) => {
      options.log?.error({ err: error, method: req.method, path: pathOf(req) }, 'HTTP handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets of scrapers and probes would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

async function handle(routes: readonly HttpRoute[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = pathOf(req);
  const onPath = routes.filter((route) => route.path === path);
  const route =
    onPath.find((r) => r.method === req.method) ?? onPath.find((r) => r.method === 'GET' && req.method === 'HEAD');
  if (route !== undefined) return route.handler(req, res);
  if (onPath.length > 0) {
    res.setHeader('allow', [...new Set(onPath.map((r) => r.method))].join(', '));
    return sendJson(res, 405, { error: `method ${req.method ?? ''} not allowed on ${path}` });
  }
  sendJson(res, 404, { error: `no route for ${path}` });
}

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://localhost').pathname;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
