// A fake Telegram Bot API for alert tests (ALERT-1): `POST /bot<token>/sendMessage` with a JSON,
// form or multipart body (or GET with a query), answered in the Bot API's envelope
// (`{ok, result}` / `{ok:false, error_code, description, parameters?}`). Every call is recorded;
// failures (500, 429 with retry_after, dropped connection) can be queued.
// Admin over HTTP: GET /__admin/messages, GET /__admin/calls, POST /__admin/fail-next, POST /__admin/reset.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

export const telegramFailureSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('server-error'), status: z.number().int().min(500).max(599).optional() }),
  z.object({ kind: z.literal('rate-limit'), retryAfter: z.number().int().positive() }),
  z.object({ kind: z.literal('drop') }),
]);
export type TelegramFailure = z.infer<typeof telegramFailureSchema>;

export interface TelegramFakeOptions {
  /** Bot token the fake accepts; default `123456789:TEST-token_for-dispatch`. */
  token?: string;
  /** Chat id put into `env.TG_DEFAULT_USER_ID`; default `100200300`. */
  defaultChatId?: string;
  /** When given, other chat ids get `400 Bad Request: chat not found`. */
  knownChats?: readonly string[];
  host?: string;
  port?: number;
  /** Clock for message dates; default the system clock. */
  now?: () => Date;
}

export type CallOutcome =
  'ok' | 'unauthorized' | 'not-found' | 'bad-request' | 'server-error' | 'rate-limited' | 'dropped';

export interface TelegramCall {
  method: string;
  chatId: string | null;
  text: string | null;
  parseMode: string | null;
  outcome: CallOutcome;
  at: Date;
  /** Every parameter as received (strings for form bodies). */
  params: Record<string, unknown>;
}

export interface TelegramMessage {
  messageId: number;
  chatId: string;
  text: string;
  parseMode: string | null;
  at: Date;
}

export interface TelegramFake {
  /** Base URL for TG_API_BASE_URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  token: string;
  /** TG_API_BASE_URL, TG_TOKEN, TG_DEFAULT_USER_ID. */
  env: Record<string, string>;
  /** Messages the fake accepted, in order. */
  readonly messages: TelegramMessage[];
  /** Every request, including refused and failed ones. */
  readonly calls: TelegramCall[];
  /** The next `times` bot-method calls with a valid token fail this way. */
  failNext(failure: TelegramFailure, times?: number): void;
  reset(): void;
  close(): Promise<void>;
}

const MAX_TEXT = 4096;
const PARSE_MODES = new Set(['markdown', 'markdownv2', 'html']);

export async function startTelegramFake(options: TelegramFakeOptions = {}): Promise<TelegramFake> {
  const token = options.token ?? '123456789:TEST-token_for-dispatch';
  const botId = Number(token.split(':')[0]) || 123456789;
  const now = options.now ?? (() => new Date());
  const messages: TelegramMessage[] = [];
  const calls: TelegramCall[] = [];
  const failures: TelegramFailure[] = [];
  const knownChats = options.knownChats ? new Set(options.knownChats.map(String)) : null;
  const bot = { id: botId, is_bot: true, first_name: 'Dispatch Alerts', username: 'dispatch_alerts_test_bot' };

  const failNext = (failure: TelegramFailure, times = 1): void => {
    for (let i = 0; i < times; i++) failures.push(failure);
  };
  const reset = (): void => {
    messages.length = 0;
    calls.length = 0;
    failures.length = 0;
  };

  const handleBot = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const match = /^\/bot([^/]*)\/([A-Za-z]+)$/.exec(url.pathname);
    const params = await readParams(req, url);
    const record = (method: string, outcome: CallOutcome): void => {
      calls.push({
        method,
        chatId: scalar(params.chat_id),
        text: typeof params.text === 'string' ? params.text : null,
        parseMode: typeof params.parse_mode === 'string' ? params.parse_mode : null,
        outcome,
        at: now(),
        params,
      });
    };
    if (!match) {
      record('', 'not-found');
      return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    }
    const [, givenToken, method = ''] = match;
    if (givenToken !== token) {
      record(method, 'unauthorized');
      return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    }
    if (params === INVALID_BODY) {
      record(method, 'bad-request');
      return reply(res, 400, { ok: false, error_code: 400, description: "Bad Request: can't parse JSON object" });
    }
    if (method !== 'sendMessage' && method !== 'getMe') {
      record(method, 'not-found');
      return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    }
    const failure = failures.shift();
    if (failure) {
      if (failure.kind === 'drop') {
        record(method, 'dropped');
        req.socket.destroy();
        return;
      }
      if (failure.kind === 'rate-limit') {
        record(method, 'rate-limited');
        return reply(res, 429, {
          ok: false,
          error_code: 429,
          description: `Too Many Requests: retry after ${failure.retryAfter}`,
          parameters: { retry_after: failure.retryAfter },
        });
      }
      record(method, 'server-error');
      const status = failure.status ?? 500;
      return reply(res, status, {
        ok: false,
        error_code: status,
        description: status === 502 ? 'Bad Gateway' : 'Internal Server Error',
      });
    }
    if (method === 'getMe') {
      record(method, 'ok');
      return reply(res, 200, {
        ok: true,
        result: { ...bot, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false },
      });
    }
    const problem = sendMessageProblem(params, knownChats);
    if (problem) {
      record(method, 'bad-request');
      return reply(res, 400, { ok: false, error_code: 400, description: `Bad Request: ${problem}` });
    }
    record(method, 'ok');
    const chatId = scalar(params.chat_id) ?? '';
    const text = params.text as string;
    const parseMode = typeof params.parse_mode === 'string' ? params.parse_mode : null;
    const at = now();
    const message: TelegramMessage = { messageId: messages.length + 1, chatId, text, parseMode, at };
    messages.push(message);
    const numeric = /^-?\d+$/.test(chatId);
    const chat = numeric
      ? Number(chatId) < 0
        ? { id: Number(chatId), title: 'Dispatch alerts', type: 'supergroup' }
        : { id: Number(chatId), first_name: 'Operator', type: 'private' }
      : { id: -1001000000001, title: chatId.replace(/^@/, ''), username: chatId.replace(/^@/, ''), type: 'channel' };
    return reply(res, 200, {
      ok: true,
      result: { message_id: message.messageId, from: bot, chat, date: Math.floor(at.getTime() / 1000), text },
    });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler = url.pathname.startsWith('/__admin/')
      ? handleAdmin(req, res, url, { messages, calls, failNext, reset })
      : handleBot(req, res, url);
    handler.catch((err: unknown) => {
      if (!res.headersSent)
        reply(res, 500, {
          ok: false,
          error_code: 500,
          description: `fake: ${err instanceof Error ? err.message : String(err)}`,
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url,
    token,
    env: { TG_API_BASE_URL: url, TG_TOKEN: token, TG_DEFAULT_USER_ID: options.defaultChatId ?? '100200300' },
    messages,
    calls,
    failNext,
    reset,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A parameter as the Bot API reads it: strings and numbers, anything else counts as absent. */
function scalar(value: unknown): string | null {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

function sendMessageProblem(params: Record<string, unknown>, knownChats: Set<string> | null): string | null {
  const chatId = scalar(params.chat_id);
  if (chatId === null || chatId.trim() === '') return 'chat_id is empty';
  if (typeof params.text !== 'string' || params.text.trim() === '') return 'message text is empty';
  // The Bot API counts UTF-16 code units, as JavaScript string length does.
  if (params.text.length > MAX_TEXT) return 'message is too long';
  const parseMode = scalar(params.parse_mode);
  if (params.parse_mode !== undefined && parseMode !== '' && !PARSE_MODES.has((parseMode ?? '').toLowerCase()))
    return 'unsupported parse_mode';
  if (knownChats && !knownChats.has(chatId)) return 'chat not found';
  return null;
}

const INVALID_BODY: Record<string, unknown> = Object.freeze({});

/** Query parameters merged with the body: JSON, urlencoded or multipart (parsed by undici's Request). */
async function readParams(req: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  if (body.length === 0) return params;
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return INVALID_BODY;
      return { ...params, ...(parsed as Record<string, unknown>) };
    } catch {
      return INVALID_BODY;
    }
  }
  if (type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data')) {
    const form = await new Request('http://fake/', {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    }).formData();
    for (const [key, value] of form) params[key] = typeof value === 'string' ? value : await value.text();
  }
  return params;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': bytes.length });
  res.end(bytes);
}

interface AdminState {
  messages: TelegramMessage[];
  calls: TelegramCall[];
  failNext: TelegramFake['failNext'];
  reset: () => void;
}

const failNextRequestSchema = z.object({
  failure: telegramFailureSchema,
  times: z.number().int().positive().optional(),
});

async function handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL, state: AdminState): Promise<void> {
  if (req.method === 'GET' && url.pathname === '/__admin/messages') return reply(res, 200, state.messages);
  if (req.method === 'GET' && url.pathname === '/__admin/calls') return reply(res, 200, state.calls);
  if (req.method === 'POST' && url.pathname === '/__admin/reset') {
    state.reset();
    return reply(res, 200, { ok: true });
  }
  if (req.method === 'POST' && url.pathname === '/__admin/fail-next') {
    const params = await readParams(req, url);
    const parsed = failNextRequestSchema.safeParse(params);
    if (!parsed.success) return reply(res, 400, { ok: false, error: z.prettifyError(parsed.error) });
    state.failNext(parsed.data.failure, parsed.data.times);
    return reply(res, 200, { ok: true });
  }
  reply(res, 404, { ok: false, error: `unknown admin request ${req.method ?? ''} ${url.pathname}` });
}
