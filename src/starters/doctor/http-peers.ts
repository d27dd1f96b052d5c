// Doctor: the TowerStore feeds answer (TS-1) and the Telegram bot token is valid (ALERT-1). A feed
// is probed with a ranged GET whose body is dropped after the headers: the feed is not downloaded.
import { request } from 'undici';
import type { Config } from '../../config/load.js';
import { CHECK_TIMEOUT_MS, fail, ok, runCheck, warn, type CheckResult } from './verdicts.js';

const FEEDS = [
  ['poles', 'TS_POLES_TL_URL', 'polesUrl'],
  ['avr', 'TS_AVR_REPORT_URL', 'avrUrl'],
  ['bs', 'TS_BS_REPORT_URL', 'baseStationsUrl'],
] as const;

/** The URL without credentials or query (where a token might sit). */
function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

export function checkTowerStore(config: Config): Promise<CheckResult[]> {
  return Promise.all(
    FEEDS.map(([feed, variable, key]) => {
      const url = config.towerStore[key];
      const check = `towerstore ${feed}`;
      const fix = `check ${variable} (now ${shownUrl(url)}) and that TowerStore is reachable from here`;
      return runCheck(check, fix, async () => {
        const res = await request(url, {
          method: 'GET',
          headers: { range: 'bytes=0-1023', accept: 'application/json' },
          headersTimeout: CHECK_TIMEOUT_MS - 500,
          signal: AbortSignal.timeout(CHECK_TIMEOUT_MS - 500),
        });
        // Only the status matters: the rest of the feed is dropped unread.
        res.body.on('error', () => undefined);
        res.body.destroy();
        if (res.statusCode === 200 || res.statusCode === 206) {
          return [ok(check, `HTTP ${res.statusCode} from ${shownUrl(url)}`)];
        }
        return [fail(check, `HTTP ${res.statusCode} from ${shownUrl(url)}`, fix)];
      });
    }),
  ).then((lists) => lists.flat());
}

export function checkTelegram(config: Config): Promise<CheckResult[]> {
  const { telegram } = config;
  if (!telegram.enabled) {
    return Promise.resolve([
      warn('telegram', 'alerts are disabled (TG_TOKEN empty)', 'set TG_TOKEN and TG_DEFAULT_USER_ID to receive alerts'),
    ]);
  }
  const base = telegram.apiBaseUrl.replace(/\/+$/, '');
  const fix = `check TG_TOKEN (the bot token from @BotFather) and TG_API_BASE_URL (now ${shownUrl(base)})`;
  return runCheck('telegram', fix, async () => {
    const res = await request(`${base}/bot${telegram.token}/getMe`, {
      method: 'GET',
      headersTimeout: CHECK_TIMEOUT_MS - 500,
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS - 500),
    });
    const text = await res.body.text();
    let body: { ok?: unknown; description?: unknown; result?: { username?: unknown } } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // Not the Bot API envelope: the status line says enough.
    }
    if (res.statusCode === 200 && body.ok === true) {
      const username = typeof body.result?.username === 'string' ? `@${body.result.username}` : 'the bot';
      return [ok('telegram', `token valid: ${username}`)];
    }
    const description = typeof body.description === 'string' ? body.description : `HTTP ${res.statusCode}`;
    return [fail('telegram', `getMe refused: ${description}`, fix)];
  });
}
