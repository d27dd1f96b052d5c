// OAuth tokens shared through the DB (YT-3): seeded from the env, refreshed once per expiry across
// all workers (a DB lock), and within one process by a single in-flight promise.
import { request } from 'undici';
import type { DatabasePool } from 'slonik';
import { loadSeededTokens, refreshTokensOnce } from '../db/tracker-bookkeeping.js';
import type { RefreshedTokens } from '../db/tracker-bookkeeping.js';
import type { Logger } from '../../logger.js';
import { TrackerError } from './errors.js';
import type { TokenSource } from './http.js';
import { DEFAULT_TIMEOUT_MS } from './http.js';

export interface OAuthClientSettings {
  /** `YT_OAUTH_TOKEN_URL` */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Env seed (`YT_ACCESS_TOKEN`, `YT_REFRESH_TOKEN`). */
  accessToken: string;
  refreshToken: string;
}

/** `grant_type=refresh_token` at the Yandex ID token endpoint; the answer carries a new refresh token too. */
export async function refreshAtTokenEndpoint(
  settings: Pick<OAuthClientSettings, 'tokenUrl' | 'clientId' | 'clientSecret'>,
  refreshToken: string,
): Promise<RefreshedTokens> {
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: settings.clientId,
    client_secret: settings.clientSecret,
  });
  const fail = (message: string, status: number, cause?: unknown) =>
    new TrackerError(`OAuth token refresh failed: ${message}`, {
      code: 'token_refresh_failed',
      status,
      // YT-3: the calling step retries with back-off (an operator may have to replace the tokens).
      retryable: true,
      method: 'POST',
      path: 'YT_OAUTH_TOKEN_URL',
      ...(cause === undefined ? {} : { cause }),
    });
  let status: number;
  let text: string;
  try {
    const res = await request(settings.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      headersTimeout: DEFAULT_TIMEOUT_MS,
      bodyTimeout: DEFAULT_TIMEOUT_MS,
      signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS),
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error), 0, error);
  }
  let body: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // Reported below as a missing token.
  }
  if (status !== 200) {
    // OAuth error codes only: the description may echo request details.
    throw fail(`HTTP ${status} ${typeof body['error'] === 'string' ? body['error'] : ''}`.trim(), status);
  }
  const access = body['access_token'];
  const refresh = body['refresh_token'];
  if (typeof access !== 'string' || access === '' || typeof refresh !== 'string' || refresh === '') {
    throw fail('the answer has no access_token and refresh_token', status);
  }
  const expiresIn = body['expires_in'];
  return {
    accessToken: access,
    refreshToken: refresh,
    expiresInSeconds: typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? expiresIn : null,
  };
}

export class DbTokenSource implements TokenSource {
  private access: string | null = null;
  private loading: Promise<string> | null = null;
  private refreshing: Promise<string> | null = null;

  constructor(
    private readonly db: DatabasePool,
    private readonly settings: OAuthClientSettings,
    private readonly log: Logger,
    /** YT-3 / ALERT-3: told about a failed refresh (the Telegram alert); its failures are only logged. */
    private readonly onRefreshFailed?: (error: unknown) => Promise<unknown>,
  ) {}

  current(): Promise<string> {
    if (this.access !== null) return Promise.resolve(this.access);
    this.loading ??= loadSeededTokens(this.db, {
      accessToken: this.settings.accessToken,
      refreshToken: this.settings.refreshToken,
    }).then(
      (tokens) => {
        this.access ??= tokens.accessToken;
        return this.access;
      },
      (error: unknown) => {
        this.loading = null;
        throw error;
      },
    );
    return this.loading;
  }

  replaceAfterUnauthorized(staleToken: string): Promise<string> {
    if (this.access !== null && this.access !== staleToken) return Promise.resolve(this.access);
    this.refreshing ??= this.refresh(staleToken).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refresh(staleToken: string): Promise<string> {
    try {
      const result = await refreshTokensOnce(this.db, staleToken, (refreshToken) =>
        refreshAtTokenEndpoint(this.settings, refreshToken),
      );
      this.access = result.accessToken;
      this.log.info(
        { refreshed: result.refreshed },
        result.refreshed ? 'tracker token refreshed' : 'tracker token taken from the DB',
      );
      return result.accessToken;
    } catch (error) {
      this.log.error(
        { alert: 'tracker_token_refresh_failed', err: error instanceof Error ? error.message : String(error) },
        'Tracker OAuth token refresh failed',
      );
      await this.onRefreshFailed?.(error).catch((err: unknown) => {
        this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'token refresh alert failed');
      });
      throw error;
    }
  }
}
