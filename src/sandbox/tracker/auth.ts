// Authorization as Tracker and Yandex ID do it: `OAuth <token>` / `Bearer <token>`, an organisation
// header (`X-Org-ID`, or `X-Cloud-Org-ID` with the Python client's `X-Org-Id: not provided`), access
// tokens that expire, and a token endpoint whose refresh grant rotates the refresh token (YT-3).
import { randomBytes } from 'node:crypto';
import type { Catalog } from './catalog.js';
import { ApiError } from './errors.js';
import type { UserRecord } from './model.js';
import type { SandboxOAuth } from './seed.js';
import type { TokenRecord } from './state.js';
import type { Store } from './store.js';
import type { Clock } from './time.js';

export interface AuthOptions {
  orgId: string;
  cloudOrgId: string;
  oauth: SandboxOAuth;
  /** Lifetime of issued access tokens; null = they never expire. */
  accessTokenTtlSeconds: number | null;
  /** Lifetime of refresh tokens; null = until used (each refresh rotates it). */
  refreshTokenTtlSeconds: number | null;
  /** Owner of the seeded tokens. */
  apiUserLogin: string;
}

/** `expires_in` reported when access tokens do not expire: Yandex's usual one year. */
const NOMINAL_TTL_SECONDS = 31_536_000;

export interface OAuthResponse {
  status: number;
  body: Record<string, unknown>;
}

type Headers = Record<string, string | string[] | undefined>;

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export class AuthService {
  constructor(
    private readonly catalog: Catalog,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: AuthOptions,
  ) {}

  /** Puts the seed tokens in place unless a persisted state already has its own. */
  seedTokens(): void {
    const state = this.store.state;
    if (state.accessTokens.length > 0 || state.refreshTokens.length > 0) return;
    state.accessTokens.push({
      token: this.options.oauth.accessToken,
      login: this.options.apiUserLogin,
      expiresAt: this.expiry(this.options.accessTokenTtlSeconds),
    });
    state.refreshTokens.push({
      token: this.options.oauth.refreshToken,
      login: this.options.apiUserLogin,
      expiresAt: this.expiry(this.options.refreshTokenTtlSeconds),
    });
    this.store.commit();
  }

  /** The user behind the request, or 401 / 403 as Tracker answers. */
  authenticate(headers: Headers): UserRecord {
    const authorization = header(headers, 'authorization');
    const match = authorization ? /^(OAuth|Bearer)\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!match?.[2]) throw new ApiError(401, ['Не передан OAuth-токен (Authorization: OAuth <token>)']);
    const record = this.store.state.accessTokens.find((t) => t.token === match[2]);
    if (!record) throw new ApiError(401, ['Неверный OAuth-токен']);
    if (record.expiresAt !== null && this.clock() >= record.expiresAt) {
      throw new ApiError(401, ['Срок действия OAuth-токена истёк']);
    }
    const cloudOrg = header(headers, 'x-cloud-org-id');
    const org = header(headers, 'x-org-id');
    if (cloudOrg !== undefined) {
      // The Python client always sends `X-Org-Id` (`not provided` in cloud mode): the cloud id decides.
      if (cloudOrg !== this.options.cloudOrgId) throw new ApiError(403, [`Организация ${cloudOrg} недоступна`]);
    } else if (org !== undefined) {
      if (org !== this.options.orgId) throw new ApiError(403, [`Организация ${org} недоступна`]);
    } else {
      throw new ApiError(401, ['Не передан заголовок X-Org-ID или X-Cloud-Org-ID']);
    }
    const user = this.catalog.user(record.login);
    if (!user) throw new ApiError(401, ['Владелец токена не найден']);
    return user;
  }

  /** An extra access token for a seeded user (e.g. a dispatcher's own token). */
  issueAccessToken(login: string, ttlSeconds: number | null = this.options.accessTokenTtlSeconds): string {
    if (!this.catalog.user(login)) throw new Error(`Unknown user ${login}`);
    const token = `y0_sandbox_${randomBytes(16).toString('hex')}`;
    this.store.state.accessTokens.push({ token, login, expiresAt: this.expiry(ttlSeconds) });
    this.store.commit();
    return token;
  }

  /** Makes every access token expired now, so the next API call answers 401. */
  expireAccessTokens(): void {
    const now = this.clock();
    for (const t of this.store.state.accessTokens) t.expiresAt = now;
    this.store.commit();
  }

  /** `POST /token` (Yandex ID): `grant_type=refresh_token` with client id/secret in the body or Basic auth. */
  token(form: URLSearchParams, headers: Headers): OAuthResponse {
    const basic = /^Basic\s+(\S+)$/i.exec(header(headers, 'authorization') ?? '');
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = colon >= 0 ? decoded.slice(0, colon) : decoded;
      clientSecret = colon >= 0 ? decoded.slice(colon + 1) : '';
    }
    if (clientId !== this.options.oauth.clientId || clientSecret !== this.options.oauth.clientSecret) {
      return oauthError(basic ? 401 : 400, 'invalid_client', 'Client authentication failed');
    }
    const grant = form.get('grant_type');
    if (grant !== 'refresh_token') {
      return oauthError(400, 'unsupported_grant_type', `grant_type ${grant ?? '(missing)'} is not supported`);
    }
    const presented = form.get('refresh_token');
    const state = this.store.state;
    const record = state.refreshTokens.find((t) => t.token === presented);
    if (!presented || !record) return oauthError(400, 'invalid_grant', 'Refresh token is invalid or already used');
    if (record.expiresAt !== null && this.clock() >= record.expiresAt) {
      return oauthError(400, 'invalid_grant', 'Refresh token expired');
    }
    state.refreshTokens = state.refreshTokens.filter((t) => t !== record);
    const access: TokenRecord = {
      token: `y0_sandbox_${randomBytes(16).toString('hex')}`,
      login: record.login,
      expiresAt: this.expiry(this.options.accessTokenTtlSeconds),
    };
    const refresh: TokenRecord = {
      token: `1:sandbox:${randomBytes(16).toString('hex')}`,
      login: record.login,
      expiresAt: this.expiry(this.options.refreshTokenTtlSeconds),
    };
    state.accessTokens.push(access);
    state.refreshTokens.push(refresh);
    this.store.commit();
    return {
      status: 200,
      body: {
        token_type: 'bearer',
        access_token: access.token,
        expires_in: this.options.accessTokenTtlSeconds ?? NOMINAL_TTL_SECONDS,
        refresh_token: refresh.token,
        scope: 'tracker:read tracker:write',
      },
    };
  }

  private expiry(ttlSeconds: number | null): number | null {
    return ttlSeconds === null ? null : this.clock() + ttlSeconds * 1000;
  }
}

function oauthError(status: number, error: string, description: string): OAuthResponse {
  return { status, body: { error, error_description: description } };
}
