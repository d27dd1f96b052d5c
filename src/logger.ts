// The one logger (GEN-10): JSON lines on stdout. Secret values (passwords, tokens) are scrubbed
// from every line before it is written, whatever field or message they hide in; fields named like
// credentials (token, password, secret, authorization…) are censored whatever their value.
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  debug?: boolean;
  /** Values that must never appear in a log line (from the config's secret variables). */
  secrets?: readonly string[];
  name?: string;
  destination?: NodeJS.WritableStream;
}

export function scrubSecrets(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of secrets) {
    // JSON-escaped form too: a secret containing quotes or backslashes appears escaped in the line.
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) {
      if (form.length >= 4) out = out.split(form).join('***');
    }
  }
  return out;
}

/** Fields whose value is a credential whatever it holds: censored even when no secret value is known. */
export const SECRET_KEYS = [
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'password',
  'pass',
  'secret',
  'clientSecret',
  'client_secret',
  'webhookSecret',
  'authorization',
  'Authorization',
  'cookie',
] as const;

// Top level, one level down (`{ auth: { password } }`) and request headers.
const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.headers.${key}`]);

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  return pino(
    {
      name: options.name ?? 'dispatch',
      level: options.debug ? 'debug' : 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '***' },
      hooks: secrets.length ? { streamWrite: (line) => scrubSecrets(line, secrets) } : {},
    },
    options.destination ?? process.stdout,
  );
}
