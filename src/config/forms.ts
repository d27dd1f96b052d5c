// Value forms of configuration variables (CONF-2): each form turns one raw string into a typed value,
// or into issues that name what was expected and which part of the value was wrong.
import { isIP } from 'node:net';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

export interface FormIssue {
  /** The expected form, e.g. `an integer 1..65535`. */
  readonly expected: string;
  /** The offending text: the whole value, or the one bad item of a list. */
  readonly got: string;
}

export type FormResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly FormIssue[] };

export interface Form<T> {
  /** Human description of the accepted form, used in problems and in the reference table. */
  readonly expected: string;
  /** Whether surrounding blanks are cut before parsing (false for passwords and free text). */
  readonly trim: boolean;
  parse(raw: string): FormResult<T>;
}

const ok = <T>(value: T): FormResult<T> => ({ ok: true, value });
const fail = <T>(expected: string, got: string): FormResult<T> => ({ ok: false, issues: [{ expected, got }] });

function fromSchema<T>(expected: string, schema: z.ZodType<T, string>, trim = true): Form<T> {
  return {
    expected,
    trim,
    parse: (raw) => {
      const result = schema.safeParse(raw);
      return result.success ? ok(result.data) : fail(expected, raw);
    },
  };
}

/** Comma-separated items, blanks trimmed, empty items dropped (CONF-2). */
export function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function listOf<T>(expected: string, item: Form<T>): Form<T[]> {
  return {
    expected,
    trim: true,
    parse: (raw) => {
      const values: T[] = [];
      const issues: FormIssue[] = [];
      for (const text of splitList(raw)) {
        const result = item.parse(text);
        if (result.ok) values.push(result.value);
        else issues.push(...result.issues);
      }
      return issues.length > 0 ? { ok: false, issues } : ok(values);
    },
  };
}

/** Case-insensitive de-duplication keeping the first spelling (GEN-9). */
function uniqueIgnoringCase(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = value.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// Labels may contain `_`: Docker service names such as the legacy `DB_HOST=dispatch_db`.
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;
const isHost = (value: string): boolean => HOSTNAME.test(value) || isIP(value) !== 0;

export const boolean: Form<boolean> = fromSchema(
  'a boolean (true/false, 1/0, yes/no)',
  z.stringbool({ truthy: ['true', '1', 'yes'], falsy: ['false', '0', 'no'], case: 'insensitive' }),
);

export function integer(min: number, max: number): Form<number> {
  return fromSchema(
    `an integer ${min}..${max}`,
    z
      .string()
      .regex(/^[+-]?\d+$/)
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
  );
}

/** A ratio strictly inside (0, 1), e.g. the TowerStore shrink threshold (TS-5). */
export const openUnitInterval: Form<number> = fromSchema(
  'a number strictly between 0 and 1',
  z
    .string()
    .regex(/^(?:\d+(?:\.\d*)?|\.\d+)$/)
    .transform(Number)
    .pipe(z.number().gt(0).lt(1)),
);

/** Any text, kept exactly as written (passwords, display names); may be empty. */
export const text: Form<string> = fromSchema('any text', z.string(), false);

/** One token without blanks: ids, keys, logins, tokens. */
export function word(expected: string): Form<string> {
  return fromSchema(expected, z.string().regex(/^\S+$/));
}

export const path: Form<string> = fromSchema('a file-system path', z.string().min(1));

export const host: Form<string> = fromSchema(
  'a host name or IP address (no scheme, no port)',
  z.string().refine(isHost),
);

export const domain: Form<string> = fromSchema(
  'a domain name (e.g. dispatch.example.ru)',
  z
    .string()
    .regex(HOSTNAME)
    .refine((value) => value.includes('.'))
    .transform((value) => value.toLowerCase()),
);

/** `host:port`, e.g. the Temporal frontend `localhost:7233`. */
export const hostAndPort: Form<string> = fromSchema(
  'host:port (e.g. localhost:7233)',
  z.string().refine((value) => {
    const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
    if (match === null) return false;
    const name = match[1] ?? match[2] ?? '';
    const port = Number(match[3]);
    return (match[1] !== undefined ? isIP(name) === 6 : isHost(name)) && port >= 1 && port <= 65535;
  }),
);

/** http(s) URL with a real host; Docker service names (with `_`) and bracketed IPv6 allowed. */
function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\/[^/?#\s]/i.test(value) || /\s/.test(value)) return false;
  try {
    const url = new URL(value);
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return (url.protocol === 'http:' || url.protocol === 'https:') && isHost(hostname);
  } catch {
    return false;
  }
}

const httpUrlSchema = z.string().refine(isHttpUrl);

export const httpUrl: Form<string> = fromSchema('an http(s) URL', httpUrlSchema);

/** An API base URL; trailing slashes are cut so callers can append `/v2/...`. */
export const baseUrl: Form<string> = fromSchema(
  'an http(s) URL',
  httpUrlSchema.transform((value) => value.replace(/\/+$/, '')),
);

export const email: Form<string> = fromSchema('an e-mail address', z.email());

/** Comma list of addresses validated one by one; duplicates (ignoring case) dropped. */
export const emailList: Form<string[]> = (() => {
  const list = listOf('a comma-separated list of e-mail addresses', email);
  return { ...list, parse: (raw) => mapResult(list.parse(raw), uniqueIgnoringCase) };
})();

/** Free comma list (e.g. excluded pole regions, YT-20). */
export const list: Form<string[]> = {
  expected: 'a comma-separated list',
  trim: true,
  parse: (raw) => ok(splitList(raw)),
};

/**
 * Sender patterns (NOISE-4): full addresses or domains written `@domain` / `*@domain`.
 * Normalised to lower case with `*@domain` written as `@domain`.
 */
export const senderPatterns: Form<string[]> = (() => {
  const pattern: Form<string> = fromSchema(
    'an e-mail address, @domain or *@domain',
    z.string().refine((value) => {
      const domainPart = /^\*?@(.+)$/.exec(value)?.[1];
      return domainPart !== undefined ? HOSTNAME.test(domainPart) : z.email().safeParse(value).success;
    }),
  );
  const patterns = listOf('a comma-separated list of e-mail addresses, @domain or *@domain', pattern);
  const normalise = (values: string[]): string[] =>
    uniqueIgnoringCase(values.map((value) => value.toLowerCase().replace(/^\*@/, '@')));
  return { ...patterns, parse: (raw) => mapResult(patterns.parse(raw), normalise) };
})();

/** Five-field cron (minute hour day-of-month month day-of-week), read in DISPATCH_TIME_ZONE (GEN-6). */
export const cron: Form<string> = fromSchema(
  'a 5-field cron expression (minute hour day-of-month month day-of-week)',
  z
    .string()
    .transform((value) => value.split(/\s+/).join(' '))
    .refine((value) => {
      const fields = value.split(' ');
      // `H` (hashed) fields are not reproducible across processes.
      if (fields.length !== 5 || fields.some((field) => /(?:^|,)H(?:$|[/(,])/i.test(field))) return false;
      try {
        CronExpressionParser.parse(value);
        return true;
      } catch {
        return false;
      }
    }),
);

/** IANA time-zone name known to Intl, written in its proper case (Temporal schedules need it exactly). */
export const timeZone: Form<string> = fromSchema(
  'an IANA time-zone name (e.g. Europe/Moscow)',
  z.string().refine((value) => {
    if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(value)) return false;
    try {
      const resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
      return resolved === value || resolved.toLowerCase() !== value.toLowerCase();
    } catch {
      return false;
    }
  }),
);

/**
 * IMAP mailbox name as sent on the wire: printable ASCII with modified UTF-7 runs (MAIL-1). A final
 * run may lack its closing `-`, as in the legacy value `&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1`.
 */
export const imapFolder: Form<string> = fromSchema(
  'an IMAP folder name in modified UTF-7 (printable ASCII, e.g. &BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1)',
  z.string().regex(/^(?:[\x20-\x25\x27-\x7e]|&-|&[A-Za-z0-9+,]+-|&[A-Za-z0-9+,]+$)+$/),
);

/** Tracker queue key, upper-cased (THREAD-5 keys are matched case-insensitively). */
export const queueKey: Form<string> = fromSchema(
  'a Tracker queue key (Latin letters and digits, e.g. AVRSERVICE)',
  z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]*$/)
    .transform((value) => value.toUpperCase()),
);

export const telegramToken: Form<string> = fromSchema(
  'a Telegram bot token (<bot id>:<key>)',
  z.string().regex(/^\d+:[A-Za-z0-9_-]+$/),
);

export const telegramChatId: Form<string> = fromSchema(
  'a Telegram chat id (an integer, or @channelname)',
  z.string().regex(/^(?:-?\d+|@[A-Za-z][A-Za-z0-9_]{4,})$/),
);

export interface PostgresUrl {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly user: string;
  readonly password: string;
}

export const postgresUrl: Form<PostgresUrl> = {
  expected: 'a PostgreSQL URL (postgres://user:password@host:port/database)',
  trim: true,
  parse: (raw) => {
    const expected = 'a PostgreSQL URL (postgres://user:password@host:port/database)';
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return fail(expected, raw);
    }
    const name = safeDecode(url.pathname.replace(/^\//, ''));
    const user = safeDecode(url.username);
    const password = safeDecode(url.password);
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (
      !/^postgres(?:ql)?:$/.test(url.protocol) ||
      hostname === '' ||
      name === undefined ||
      name === '' ||
      name.includes('/') ||
      user === undefined ||
      password === undefined
    ) {
      return fail(expected, raw);
    }
    return ok({ url: raw, host: hostname, port: url.port === '' ? 5432 : Number(url.port), name, user, password });
  },
};

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function mapResult<T, U>(result: FormResult<T>, map: (value: T) => U): FormResult<U> {
  return result.ok ? ok(map(result.value)) : result;
}
