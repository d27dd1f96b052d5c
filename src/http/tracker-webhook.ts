// `POST /tracker/webhook`: the Tracker trigger webhook, a fast path next to polling (YT-13,
// ARCHITECTURE §1). Authenticated by the shared WEBHOOK_SECRET in `X-Webhook-Secret`; the body only
// names the issue — its current snapshot is read and routed exactly like a polled one (YT-15).
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { TrackerError } from '../adapters/tracker/errors.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../logger.js';
import type { HttpRoute } from './server.js';

export const TRACKER_WEBHOOK_PATH = '/tracker/webhook';
export const WEBHOOK_SECRET_HEADER = 'x-webhook-secret';
/** Trigger bodies are small; anything larger is refused before parsing. */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

const payloadSchema = z.looseObject({
  issue: z.looseObject({ key: z.string().regex(/^[A-Z][A-Z0-9_]*-\d+$/, 'an issue key like QUEUE-123') }),
});

export interface TrackerWebhookDependencies {
  config: Pick<Config, 'http'>;
  /** YT-15 routing of the issue by key (the router the poll uses). */
  route: (issueKey: string) => Promise<unknown>;
  log: Logger;
}

class BodyTooLarge extends Error {}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_WEBHOOK_BODY_BYTES) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_WEBHOOK_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Constant-time comparison; hashing first makes the lengths equal without leaking the secret's length. */
function secretMatches(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function createTrackerWebhookHandler(deps: TrackerWebhookDependencies) {
  const log = deps.log.child({ component: 'tracker-webhook' });
  const secret = deps.config.http.webhookSecret;

  return async function handleTrackerWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // CONF: an empty WEBHOOK_SECRET disables the webhook.
    if (secret === '') {
      req.resume();
      reply(res, 404, { error: 'webhook disabled' });
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      res.setHeader('allow', 'POST');
      reply(res, 405, { error: 'method not allowed' });
      return;
    }
    const header = req.headers[WEBHOOK_SECRET_HEADER];
    const given = Array.isArray(header) ? header[0] : header;
    if (given === undefined || !secretMatches(given, secret)) {
      req.resume();
      log.warn({ remote: req.socket.remoteAddress, headerPresent: given !== undefined }, 'webhook refused: bad secret');
      reply(res, 401, { error: 'unauthorized' });
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      req.resume();
      reply(res, 413, { error: `body larger than ${MAX_WEBHOOK_BODY_BYTES} bytes` });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      reply(res, 400, { error: 'body is not JSON' });
      return;
    }
    const parsed = payloadSchema.safeParse(json);
    if (!parsed.success) {
      reply(res, 400, { error: `issue.key: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
      return;
    }
    const issueKey = parsed.data.issue.key;
    try {
      await deps.route(issueKey);
    } catch (error) {
      if (error instanceof TrackerError && error.code === 'not_found') {
        log.warn({ issueKey }, 'webhook for an issue Tracker does not know');
        reply(res, 404, { error: `issue ${issueKey} not found` });
        return;
      }
      // The poll picks the change up; Tracker may retry the trigger on a 5xx.
      log.error({ err: error, issueKey }, 'webhook routing failed');
      reply(res, 503, { error: 'routing failed; the change is picked up by the next poll' });
      return;
    }
    log.debug({ issueKey }, 'webhook routed');
    reply(res, 202, { accepted: issueKey });
  };
}

/** The handler as a route of the worker's HTTP server (`src/http/server.ts`). */
export function trackerWebhookRoute(deps: TrackerWebhookDependencies): HttpRoute {
  return { method: 'POST', path: TRACKER_WEBHOOK_PATH, handler: createTrackerWebhookHandler(deps) };
}
