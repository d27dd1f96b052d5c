// Telegram Bot API `sendMessage` (ALERT-1): plain text to one chat, retried up to 3 times on
// transport errors, 5xx and 429 (honouring a short retry_after). Never throws: the result says
// whether the message went out, and failures are logged without the token.
import { request } from 'undici';
import type { Logger } from '../../logger.js';

export interface TelegramBotOptions {
  apiBaseUrl: string;
  token: string;
  chatId: string;
  log: Logger;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  /** Waits before retries 1..3. Default 0.5 s, 2 s, 5 s. */
  retryDelaysMs?: readonly number[];
}

export interface TelegramBot {
  send(text: string): Promise<boolean>;
}

const RETRIES = 3;
const MAX_RETRY_AFTER_MS = 30_000;

export function createTelegramBot(options: TelegramBotOptions): TelegramBot {
  const delays = options.retryDelaysMs ?? [500, 2000, 5000];
  const timeoutMs = options.timeoutMs ?? 10_000;
  const url = `${options.apiBaseUrl.replace(/\/+$/, '')}/bot${options.token}/sendMessage`;
  return {
    async send(text) {
      for (let attempt = 0; attempt <= RETRIES; attempt++) {
        const outcome = await sendOnce(url, options.chatId, text, timeoutMs);
        if (outcome.ok) return true;
        options.log.warn({ attempt: attempt + 1, error: outcome.error }, 'telegram alert not sent');
        if (!outcome.retryable || attempt === RETRIES) break;
        const wait = outcome.retryAfterMs ?? delays[Math.min(attempt, delays.length - 1)] ?? 1000;
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, MAX_RETRY_AFTER_MS)));
      }
      options.log.error({ chatId: options.chatId }, 'telegram alert dropped after retries');
      return false;
    },
  };
}

type Outcome = { ok: true } | { ok: false; retryable: boolean; error: string; retryAfterMs?: number };

async function sendOnce(url: string, chatId: string, text: string, timeoutMs: number): Promise<Outcome> {
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // No parse_mode: ALERT-1 plain text.
      body: JSON.stringify({ chat_id: chatId, text, disable_web_page_preview: true }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.body.text();
    if (response.statusCode === 200) return { ok: true };
    let description = body.slice(0, 300);
    let retryAfterMs: number | undefined;
    try {
      const parsed = JSON.parse(body) as { description?: unknown; parameters?: { retry_after?: unknown } };
      if (typeof parsed.description === 'string') description = parsed.description;
      if (typeof parsed.parameters?.retry_after === 'number') retryAfterMs = parsed.parameters.retry_after * 1000;
    } catch {
      // Not the Bot API envelope (e.g. a proxy error page): keep the raw start.
    }
    const retryable = response.statusCode === 429 || response.statusCode >= 500;
    return {
      ok: false,
      retryable,
      error: `HTTP ${response.statusCode}: ${description}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  } catch (err) {
    return { ok: false, retryable: true, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}
