// HTTP face of the admin API under `/_admin/`, so other processes (the local stack, e2e tests) can
// drive the sandbox: act as dispatchers, inject faults, read the request log, move the clock, reset.
import { z } from 'zod';
import type { TrackerEmulator } from './emulator.js';
import { ApiError } from './errors.js';
import type { AssignAction, CommentAction, CreateAction, TransitionAction, UpdateAction } from './dispatcher.js';
import type { FaultRuleInput } from './faults.js';
import { Router } from './http.js';
import type { ApiResponse } from './http.js';
import type { WebhookConfig } from './webhook.js';

/** An admin request: path parameters and the raw body (no auth, no API version). */
export interface AdminRequest {
  params: Record<string, string>;
  rawBody: Buffer;
}

const seedSchema = z.object({ seed: z.number().int() }).strict();
const clockSchema = z.object({ advanceMs: z.number().int().min(0) }).strict();
const tokenSchema = z
  .object({ login: z.string().min(1), ttlSeconds: z.number().int().min(1).nullable().optional() })
  .strict();

function body(req: AdminRequest): unknown {
  if (req.rawBody.length === 0) return {};
  try {
    return JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    throw new ApiError(400, ['Тело запроса не является корректным JSON']);
  }
}

const ok = (payload: unknown, status = 200): ApiResponse => ({ status, body: payload });

export function buildAdminRouter(emulator: TrackerEmulator): Router<AdminRequest> {
  const router = new Router<AdminRequest>();
  router.add('GET', '/seed', () => ok({ seed: emulator.seed, env: emulator.env() }));
  router.add('POST', '/reset', () => {
    emulator.reset();
    return ok({ reset: true });
  });

  router.add('GET', '/requests', () => ok({ entries: emulator.requestLog(), counts: emulator.requestCounts() }));
  router.add('DELETE', '/requests', () => {
    emulator.clearRequestLog();
    return ok({ cleared: true });
  });

  router.add('GET', '/faults', () => ok(emulator.faults()));
  router.add('POST', '/faults', (req) => ok(emulator.addFault(body(req) as FaultRuleInput), 201));
  router.add('DELETE', '/faults', () => {
    emulator.clearFaults();
    return ok({ cleared: true });
  });
  router.add('PUT', '/faults/seed', (req) => {
    emulator.setFaultSeed(seedSchema.parse(body(req)).seed);
    return ok({ seeded: true });
  });
  router.add('DELETE', '/faults/:id', (req) => {
    if (!emulator.removeFault(req.params['id'] ?? '')) throw new ApiError(404, ['Правило не найдено']);
    return ok({ removed: true });
  });

  const act = emulator.dispatcher;
  router.add('POST', '/dispatcher/transition', (req) => ok(act.executeTransition(body(req) as TransitionAction)));
  router.add('POST', '/dispatcher/update', (req) => ok(act.updateFields(body(req) as UpdateAction)));
  router.add('POST', '/dispatcher/assign', (req) => ok(act.assign(body(req) as AssignAction)));
  router.add('POST', '/dispatcher/comment', (req) => ok(act.comment(body(req) as CommentAction), 201));
  router.add('POST', '/dispatcher/create', (req) => ok(act.createIssue(body(req) as CreateAction), 201));

  router.add('GET', '/issues', () => ok(emulator.listIssues()));
  router.add('GET', '/issues/:issue', (req) => {
    const view = emulator.issueHistory(req.params['issue'] ?? '');
    if (!view) throw new ApiError(404, [`Задача ${req.params['issue'] ?? ''} не найдена`]);
    return ok(view);
  });

  router.add('POST', '/clock', (req) => {
    emulator.advanceClock(clockSchema.parse(body(req)).advanceMs);
    return ok({ now: new Date(emulator.now()).toISOString() });
  });
  router.add('POST', '/tokens', (req) => {
    const input = tokenSchema.parse(body(req));
    return ok({ token: emulator.issueAccessToken(input.login, input.ttlSeconds) }, 201);
  });
  router.add('POST', '/tokens/expire', () => {
    emulator.expireAccessTokens();
    return ok({ expired: true });
  });

  router.add('PUT', '/webhook', (req) => {
    emulator.setWebhook(body(req) as WebhookConfig);
    return ok({ configured: true });
  });
  router.add('DELETE', '/webhook', () => {
    emulator.setWebhook(null);
    return ok({ configured: false });
  });
  router.add('GET', '/webhook/deliveries', () => ok(emulator.webhookDeliveries()));
  return router;
}

/** Zod and API errors as Tracker-shaped error bodies (400 for invalid admin input). */
export function adminError(error: unknown): ApiResponse | undefined {
  if (error instanceof ApiError) return { status: error.status, body: error.body() };
  if (error instanceof z.ZodError) {
    const errors: Record<string, string> = {};
    for (const issue of error.issues) errors[issue.path.join('.') || 'body'] = issue.message;
    return { status: 400, body: { errors, errorMessages: [], statusCode: 400 } };
  }
  return undefined;
}
