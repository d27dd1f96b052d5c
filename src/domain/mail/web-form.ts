// MAIL-12 web-form JSON: site forms mail their fields as JSON. Every JSON object or array found
// in the body is rendered as indented `key: value` / `- item` lines, and the feedback and
// observer addresses it carries become the requester and observers (the From stays unchanged).

import { isValidAddress, normaliseAddress } from './addresses.js';

export const REQUESTER_KEY = 'E-mail для обратной связи';
export const OBSERVER_KEY_PREFIX = 'E-mail наблюдателя по заявке';

export interface WebForm {
  text: string;
  /** The valid `E-mail для обратной связи` of the first object that has one. */
  requester: string | null;
  /** Valid addresses under `E-mail наблюдателя по заявке…` keys, each once, in order. */
  observers: string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// Bounds that keep a body full of stray brackets linear enough.
const MAX_JSON_CHARS = 64 * 1024;
const MAX_ATTEMPTS = 2000;
const MAX_RENDER_DEPTH = 32;
// Deeper structures are not web forms (and would exhaust the stack when parsed and rendered).
const MAX_JSON_DEPTH = 64;

/** End (exclusive) of the balanced JSON-looking span starting at `start`, or -1. */
function balancedEnd(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  const limit = Math.min(text.length, start + MAX_JSON_CHARS);
  for (let i = start; i < limit; i++) {
    const ch = text[i] as string;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (stack.push(ch === '{' ? '}' : ']') > MAX_JSON_DEPTH) return -1;
    } else if (ch === '}' || ch === ']') {
      if (stack.pop() !== ch) return -1;
      if (stack.length === 0) return i + 1;
    }
  }
  return -1;
}

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects with a key, and arrays holding text or structure (`[1]` footnotes are not forms). */
function isFormJson(value: Json): boolean {
  if (isObject(value)) return Object.keys(value).length > 0;
  return (
    Array.isArray(value) &&
    value.some((item) => typeof item === 'string' || (typeof item === 'object' && item !== null))
  );
}

function scalar(value: Json, pad: string): string {
  if (value === null) return '';
  if (typeof value === 'string') return value.replace(/\r\n|\r|\n/g, `\n${pad}  `);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function isNested(value: Json): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0)
  );
}

function render(value: Json, depth: number, lines: string[]): void {
  const pad = '  '.repeat(depth);
  const deep = depth >= MAX_RENDER_DEPTH;
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isNested(item) && !deep) {
        lines.push(`${pad}-`);
        render(item, depth + 1, lines);
      } else lines.push(`${pad}- ${scalar(item, pad)}`);
    }
    return;
  }
  if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (isNested(item) && !deep) {
        lines.push(`${pad}${key}:`);
        render(item, depth + 1, lines);
      } else lines.push(`${pad}${key}: ${scalar(item, pad)}`);
    }
  }
}

function addressesIn(value: Json): string[] {
  const texts = Array.isArray(value) ? value : [value];
  return texts
    .filter((t): t is string => typeof t === 'string')
    .flatMap((t) => t.split(/[\s,;]+/))
    .map(normaliseAddress)
    .filter((a) => a !== '' && isValidAddress(a));
}

/** Requester and observers from every object, depth-first in document order. */
function collectContacts(value: Json, form: WebForm, seen: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectContacts(item, form, seen);
    return;
  }
  if (!isObject(value)) return;
  for (const [rawKey, item] of Object.entries(value)) {
    const key = rawKey.trim();
    if (key === REQUESTER_KEY && form.requester === null && typeof item === 'string') {
      const address = normaliseAddress(item);
      if (isValidAddress(address)) form.requester = address;
    } else if (key.startsWith(OBSERVER_KEY_PREFIX)) {
      for (const address of addressesIn(item)) {
        if (seen.has(address.toLowerCase())) continue;
        seen.add(address.toLowerCase());
        form.observers.push(address);
      }
    }
    collectContacts(item, form, seen);
  }
}

function parseJson(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** MAIL-12: render the web-form JSON found in `text` and extract its requester and observers. */
export function renderWebFormJson(text: string): WebForm {
  const form: WebForm = { text, requester: null, observers: [] };
  const seen = new Set<string>();
  let out = '';
  let copied = 0;
  let attempts = 0;
  for (let i = 0; i < text.length && attempts < MAX_ATTEMPTS; i++) {
    const ch = text[i];
    if (ch !== '{' && ch !== '[') continue;
    attempts++;
    const end = balancedEnd(text, i);
    if (end < 0) continue;
    const value = parseJson(text.slice(i, end));
    if (value === undefined || !isFormJson(value)) continue;
    const lines: string[] = [];
    render(value, 0, lines);
    collectContacts(value, form, seen);
    const before = text.slice(copied, i);
    out += before + (before === '' || before.endsWith('\n') ? '' : '\n') + lines.join('\n');
    if (end < text.length && text[end] !== '\n') out += '\n';
    copied = end;
    i = end - 1;
  }
  form.text = out + text.slice(copied);
  return form;
}
