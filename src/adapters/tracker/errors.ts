// Typed errors of the Tracker adapter (YT-1). The adapter never sleeps or loops on failures: a
// retryable error surfaces to the caller, and Temporal's activity retry policy does the back-off
// (`retryAfterMs` becomes the next retry delay at the activity boundary).

export type TrackerErrorCode =
  /** Connection refused/reset, socket closed before the answer, DNS. */
  | 'network'
  | 'timeout'
  | 'rate_limited'
  | 'server_error'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'bad_request'
  | 'unprocessable'
  | 'unexpected_status'
  /** The answer was not the JSON we expected. */
  | 'bad_response'
  /** Token refresh at the OAuth endpoint failed (YT-3). */
  | 'token_refresh_failed';

export interface TrackerErrorOptions {
  code: TrackerErrorCode;
  /** HTTP status; 0 when no answer arrived. */
  status: number;
  retryable: boolean;
  /** From `Retry-After` (429/503). */
  retryAfterMs?: number;
  method?: string;
  path?: string;
  /** Tracker's `errorMessages` / `errors` joined, for the log and the failure message. */
  detail?: string;
  cause?: unknown;
}

export class TrackerError extends Error {
  readonly code: TrackerErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;

  constructor(message: string, options: TrackerErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TrackerError';
    this.code = options.code;
    this.status = options.status;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.method = options.method;
    this.path = options.path;
  }
}

/** YT-1: 429 and 5xx are retried (429 honouring Retry-After); 400/403/404/422 and other 4xx are not. */
export function errorForStatus(
  status: number,
  context: { method: string; path: string; detail: string; retryAfterMs?: number },
): TrackerError {
  const base = { status, method: context.method, path: context.path, detail: context.detail };
  const message = `Tracker ${context.method} ${context.path} answered ${status}${context.detail ? `: ${context.detail}` : ''}`;
  const retryAfter = context.retryAfterMs === undefined ? {} : { retryAfterMs: context.retryAfterMs };
  if (status === 429)
    return new TrackerError(message, { ...base, ...retryAfter, code: 'rate_limited', retryable: true });
  if (status >= 500)
    return new TrackerError(message, { ...base, ...retryAfter, code: 'server_error', retryable: true });
  const codes: Record<number, TrackerErrorCode> = {
    400: 'bad_request',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    409: 'conflict',
    422: 'unprocessable',
  };
  // 401 reaches the caller only after the one refresh of YT-3 did not help: retry later with back-off.
  return new TrackerError(message, { ...base, code: codes[status] ?? 'unexpected_status', retryable: status === 401 });
}

/** `Retry-After` as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
