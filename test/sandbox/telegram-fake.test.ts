import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { TelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';
import { startTelegramFake } from '../../src/sandbox/telegram/telegram-fake.js';

interface BotResponse {
  ok: boolean;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
  result?: {
    message_id: number;
    text: string;
    date: number;
    chat: { id: number; type: string };
    from: { is_bot: boolean };
  };
}

describe('Telegram Bot API fake', () => {
  let tg: TelegramFake;
  const at = new Date('2025-03-05T07:15:00Z');
  const send = async (
    body: Record<string, unknown>,
    token = tg.token,
  ): Promise<{ status: number; json: BotResponse }> => {
    const res = await fetch(`${tg.url}/bot${token}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as BotResponse };
  };

  beforeAll(async () => {
    tg = await startTelegramFake({ token: '777000111:AAH-test_TOKEN', defaultChatId: '100200300', now: () => at });
  });
  afterAll(async () => {
    await tg.close();
  });
  beforeEach(() => tg.reset());

  test('ALERT-1: sendMessage with a JSON body is answered like the Bot API and recorded', async () => {
    const text = '⚠️ WARNING\nИнцидент 17 (AVRSERVICE-7): тема с _подчёркиванием_ и *звёздочкой*';
    const { status, json } = await send({ chat_id: 100200300, text });
    expect(status).toBe(200);
    expect(json.ok).toBe(true);
    expect(json.result).toMatchObject({
      message_id: 1,
      text,
      date: Math.floor(at.getTime() / 1000),
      chat: { id: 100200300, type: 'private' },
      from: { is_bot: true },
    });
    expect(tg.messages).toEqual([{ messageId: 1, chatId: '100200300', text, parseMode: null, at }]);
    expect(tg.calls.map((c) => [c.method, c.chatId, c.text, c.parseMode, c.outcome])).toEqual([
      ['sendMessage', '100200300', text, null, 'ok'],
    ]);
    expect(tg.env).toEqual({
      TG_API_BASE_URL: tg.url,
      TG_TOKEN: '777000111:AAH-test_TOKEN',
      TG_DEFAULT_USER_ID: '100200300',
    });
  });

  test('form-encoded, multipart and query-string calls are recorded with chat_id, text and parse_mode', async () => {
    const form = new URLSearchParams({ chat_id: '-100500', text: 'форма', parse_mode: 'HTML' });
    expect((await fetch(`${tg.url}/bot${tg.token}/sendMessage`, { method: 'POST', body: form })).status).toBe(200);
    const multipart = new FormData();
    multipart.set('chat_id', '@dispatch_alerts');
    multipart.set('text', 'multipart');
    expect((await fetch(`${tg.url}/bot${tg.token}/sendMessage`, { method: 'POST', body: multipart })).status).toBe(200);
    const query = new URLSearchParams({ chat_id: '42', text: 'query' });
    expect((await fetch(`${tg.url}/bot${tg.token}/sendMessage?${query.toString()}`)).status).toBe(200);
    expect(tg.messages.map((m) => [m.chatId, m.text, m.parseMode])).toEqual([
      ['-100500', 'форма', 'HTML'],
      ['@dispatch_alerts', 'multipart', null],
      ['42', 'query', null],
    ]);
  });

  test('a wrong token gets 401 Unauthorized like the real API and nothing is delivered', async () => {
    const { status, json } = await send({ chat_id: 1, text: 'x' }, '777000111:wrong');
    expect(status).toBe(401);
    expect(json).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });
    expect(tg.messages).toEqual([]);
    expect(tg.calls.map((c) => c.outcome)).toEqual(['unauthorized']);
  });

  test('failNext: 429 with parameters.retry_after, then 500, then success', async () => {
    tg.failNext({ kind: 'rate-limit', retryAfter: 7 });
    tg.failNext({ kind: 'server-error' });
    const limited = await send({ chat_id: 1, text: 'a' });
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 7',
      parameters: { retry_after: 7 },
    });
    const failed = await send({ chat_id: 1, text: 'a' });
    expect(failed.status).toBe(500);
    expect(failed.json).toEqual({ ok: false, error_code: 500, description: 'Internal Server Error' });
    expect((await send({ chat_id: 1, text: 'a' })).status).toBe(200);
    expect(tg.messages).toHaveLength(1);
    expect(tg.calls.map((c) => c.outcome)).toEqual(['rate-limited', 'server-error', 'ok']);
  });

  test('failNext: a dropped connection fails the request at the network level, `times` repeats it', async () => {
    tg.failNext({ kind: 'drop' }, 2);
    await expect(send({ chat_id: 1, text: 'a' })).rejects.toThrow('fetch failed');
    await expect(send({ chat_id: 1, text: 'a' })).rejects.toThrow('fetch failed');
    expect((await send({ chat_id: 1, text: 'a' })).status).toBe(200);
    expect(tg.calls.map((c) => c.outcome)).toEqual(['dropped', 'dropped', 'ok']);
  });

  test('Bot API validation: empty text, text over 4096 characters, unknown parse_mode, missing chat_id', async () => {
    expect((await send({ chat_id: 1, text: '' })).json.description).toBe('Bad Request: message text is empty');
    expect((await send({ chat_id: 1, text: 'я'.repeat(4097) })).json.description).toBe(
      'Bad Request: message is too long',
    );
    expect((await send({ chat_id: 1, text: 'я'.repeat(4096) })).status).toBe(200);
    expect((await send({ chat_id: 1, text: 'x', parse_mode: 'BBCode' })).json.description).toBe(
      'Bad Request: unsupported parse_mode',
    );
    const missing = await send({ text: 'x' });
    expect([missing.status, missing.json.description]).toEqual([400, 'Bad Request: chat_id is empty']);
    expect(tg.messages).toHaveLength(1);
  });

  test('getMe answers with the bot; unknown methods get 404', async () => {
    const me = (await (await fetch(`${tg.url}/bot${tg.token}/getMe`)).json()) as {
      ok: boolean;
      result: { id: number; is_bot: boolean };
    };
    expect(me.ok).toBe(true);
    expect(me.result).toMatchObject({ id: 777000111, is_bot: true });
    expect((await fetch(`${tg.url}/bot${tg.token}/sendPhoto`, { method: 'POST' })).status).toBe(404);
  });

  test('admin over HTTP: queue a failure, read messages, reset', async () => {
    const admin = (path: string, body?: unknown) =>
      fetch(
        `${tg.url}/__admin/${path}`,
        body === undefined
          ? {}
          : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      );
    expect((await admin('fail-next', { failure: { kind: 'rate-limit', retryAfter: 3 } })).status).toBe(200);
    expect((await admin('fail-next', { failure: { kind: 'teapot' } })).status).toBe(400);
    expect((await send({ chat_id: 5, text: 'x' })).json.parameters).toEqual({ retry_after: 3 });
    await send({ chat_id: 5, text: 'после паузы' });
    expect((await (await admin('messages')).json()) as unknown[]).toMatchObject([{ chatId: '5', text: 'после паузы' }]);
    expect((await admin('reset', {})).status).toBe(200);
    expect(tg.messages).toEqual([]);
  });
});

describe('Telegram Bot API fake with known chats', () => {
  test('an unknown chat gets 400 chat not found', async () => {
    const tg = await startTelegramFake({ knownChats: ['100'] });
    try {
      const res = await fetch(`${tg.url}/bot${tg.token}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: 200, text: 'x' }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { description: string }).description).toBe('Bad Request: chat not found');
    } finally {
      await tg.close();
    }
  });
});
