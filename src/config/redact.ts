// Printing the configuration safely (start-up log, doctor): secrets are shown as `***`.
// Which values are secret comes from the registry (`secret.at`), never from key names.
import type { Config } from './schema.js';
import { VARIABLE_LIST } from './variables.js';
import type { SecretSpec } from './variables.js';

export const MASK = '***';
export const EMPTY = '(empty)';

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const SECRETS: ReadonlyMap<string, SecretSpec> = new Map(
  VARIABLE_LIST.flatMap((variable) =>
    variable.secret?.at !== undefined && variable.secret.at !== null
      ? [[variable.secret.at, variable.secret] as const]
      : [],
  ),
);

/** The URL with its password (userinfo or `password=` parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return MASK; // Unparseable: cannot tell where the password is.
  }
  let result = url;
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([\s\S]*)$/i.exec(url);
  if (parsed.password !== '' && match !== null) {
    // Same reading as the WHATWG parser: credentials end at the last "@" of the authority.
    const [, scheme = '', authority = '', rest = ''] = match;
    const at = authority.lastIndexOf('@');
    const colon = authority.indexOf(':');
    if (at < 0 || colon < 0 || colon > at) return MASK;
    result = `${scheme}${authority.slice(0, colon + 1)}${MASK}${authority.slice(at)}${rest}`;
  }
  if (parsed.searchParams.has('password')) result = result.replace(/([?&]password=)[^&#]*/gi, `$1${MASK}`);
  return result;
}

function redactValue(spec: SecretSpec, value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return MASK;
  if (value === '') return EMPTY;
  return spec.part === 'url-password' ? redactUrl(value) : MASK;
}

function redactTree(value: unknown, path: string): JsonValue {
  const spec = SECRETS.get(path);
  if (spec !== undefined) return redactValue(spec, value);
  if (Array.isArray(value)) return value.map((item, index) => redactTree(item, `${path}.${index}`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [key, redactTree(child, path === '' ? key : `${path}.${key}`)]),
    );
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return null; // undefined: the config holds nothing else
}

/** The configuration as JSON with every secret replaced (`***`, `(empty)`, URL passwords masked). */
export function describeConfigJson(config: Config): JsonValue {
  return redactTree(config, '');
}

function formatLeaf(value: JsonValue): string {
  if (value === null) return '(not set)';
  if (value === '') return EMPTY;
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map((item) => formatLeaf(item)).join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function lines(value: JsonValue, path: string): string[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, child]) => lines(child, path === '' ? key : `${path}.${key}`));
  }
  return [`${path} = ${formatLeaf(value)}`];
}

/** One `path = value` line per setting, secrets redacted; for the start-up log and `doctor`. */
export function describeConfig(config: Config): string {
  return lines(describeConfigJson(config), '').join('\n');
}

function readPath(config: Config, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Every non-empty secret value in the configuration, for log scrubbing and leak tests. */
export function secretValues(config: Config): string[] {
  const values = new Set<string>();
  for (const [path, spec] of SECRETS) {
    const value = readPath(config, path);
    if (typeof value !== 'string' || value === '') continue;
    if (spec.part !== 'url-password') {
      values.add(value);
      continue;
    }
    try {
      const url = new URL(value);
      for (const password of [url.password, decodeURIComponent(url.password), url.searchParams.get('password')]) {
        if (password) values.add(password);
      }
    } catch {
      values.add(value);
    }
  }
  return [...values];
}
