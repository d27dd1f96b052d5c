// The Tracker issue fields DISPATCH owns: reading their values (YT-7), the values derived from
// the DB (YT-14) and the compare-before-write rule that keeps PATCHes minimal (YT-12).

import { sortedDistinctByCodePoint } from './code-point-order.js';
import { formatTrackerDateTime, readTrackerDateTime, toWholeSeconds } from './datetime.js';
import type { SlaStatus } from './sla.js';

/** YT-7: field ids from configuration (the problem-type id is the full local id `<prefix>--<key>`). */
export interface TrackerFieldIds {
  /** `YT_DATABASE_ID_GLOBAL_FIELD_ID` (integer) */
  localId: string;
  /** `YT_EMAILS_IDS_GLOBAL_FIELD_ID` (string, ids joined by `, `) */
  emailIds: string;
  /** `YT_POLE_NUMBER_GLOBAL_FIELD_ID` (string) */
  poleNumber: string;
  /** `YT_BASE_STATION_GLOBAL_FIELD_ID` (string) */
  baseStation: string;
  /** `YT_EMAIL_DATETIME_GLOBAL_FIELD_ID` (datetime) */
  emailDatetime: string;
  /** `YT_IS_NEW_MSG_GLOBAL_FIELD_ID` (dropdown) */
  newMessage: string;
  /** `YT_SLA_DEADLINE_GLOBAL_FIELD_ID` (datetime) */
  slaDeadline: string;
  /** `YT_IS_SLA_EXPIRED_GLOBAL_FIELD_ID` (dropdown) */
  slaStatus: string;
  /** `YT_OPERATOR_NAME_GLOBAL_FIELD_NAME` (string, names joined by `, `) */
  operator: string;
  /** `YT_AVR_NAME_GLOBAL_FIELD_ID` (string) */
  contractor: string;
  /** `YT_TYPE_OF_INCIDENT_LOCAL_FIELD_ID`, resolved to the queue-local field id (dropdown) */
  problemType: string;
}

/** YT-7: values of the "new message" dropdown. */
export const NEW_MESSAGE = { yes: '✔️ Да', no: '✖️ Нет' } as const;

/** The contractor name Tracker shows for the default contractor (YT-14, DATA-9). */
export const UNDEFINED_CONTRACTOR_NAME = 'undefined';

/** A value in a PATCH body; null clears the field. */
export type FieldValue = string | number | null;

/** How a field's values are compared (YT-12). */
export type FieldKind = 'string' | 'dropdown' | 'datetime' | 'operatorList' | 'integer' | 'idList';

export function fieldKinds(ids: TrackerFieldIds): Record<string, FieldKind> {
  return {
    [ids.localId]: 'integer',
    [ids.emailIds]: 'idList',
    [ids.poleNumber]: 'string',
    [ids.baseStation]: 'string',
    [ids.emailDatetime]: 'datetime',
    [ids.newMessage]: 'dropdown',
    [ids.slaDeadline]: 'datetime',
    [ids.slaStatus]: 'dropdown',
    [ids.operator]: 'operatorList',
    [ids.contractor]: 'string',
    [ids.problemType]: 'dropdown',
  };
}

// ---------------------------------------------------------------------------------------------
// Reading (YT-7)

/** A string field's value: trimmed text, numbers as text; empty, absent or structured → null. */
export function readFieldString(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** YT-7: dropdowns are read from a string or an array (its first element), single- or multi-select. */
export function readDropdown(value: unknown): string | null {
  return readFieldString(Array.isArray(value) ? (value as unknown[])[0] : value);
}

/** YT-15: the local-id field (integer; tolerate a numeric string). Not a positive integer → null. */
export function readLocalId(value: unknown): number | null {
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number > 0 ? number : null;
}

/** YT-7 / YT-10: e-mail ids listed in the e-mail-ids field, in order, without duplicates. */
export function parseEmailIds(value: unknown): number[] {
  const parts: unknown[] = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,;]+/) : [value];
  const ids: number[] = [];
  for (const part of parts) {
    const id = readLocalId(part);
    if (id !== null && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** YT-10: whether the e-mail-ids field already lists the e-mail. */
export function hasEmailId(value: unknown, emailId: number): boolean {
  return parseEmailIds(value).includes(emailId);
}

/** YT-10: the field value after adding ids (union: existing order kept, new ids appended), joined by `, `. */
export function withEmailIds(existing: unknown, add: readonly number[]): string {
  const ids = parseEmailIds(existing);
  for (const id of add) if (!ids.includes(id)) ids.push(id);
  return ids.join(', ');
}

// ---------------------------------------------------------------------------------------------
// Derived values (YT-14)

/** YT-14 / GEN-9: distinct operator names, sorted by code point, joined by `, `; empty → ''. */
export function formatOperatorNames(names: readonly string[]): string {
  return sortedDistinctByCodePoint(names.map((n) => n.trim()).filter((n) => n !== '')).join(', ');
}

/** Plain DB facts the derived fields are computed from. */
export interface DerivedFieldInputs {
  registrationTime: Date;
  slaDeadline: Date | null;
  slaStatus: SlaStatus;
  /** Whether the incident has a pole; without one the contractor field is empty. */
  hasPole: boolean;
  /** The pole's contractor name; null or empty means the default contractor (`undefined`). */
  contractorName: string | null;
  /** Operator names of the incident's BS; empty when there is no BS. */
  operatorNames: readonly string[];
  /** DB type name; leave out (undefined) until VAL has run for the current values (YT-16). */
  problemTypeName?: string | null;
  /** Canonical pole code (VAL-6); leave out to not touch the dispatcher's field. */
  poleCode?: string | null;
  /** Canonical BS name (VAL-6); leave out to not touch the dispatcher's field. */
  bsName?: string | null;
}

function emptyToNull(value: string | null | undefined): string | null {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

/** YT-14: the desired values of the system-owned fields, keyed by field id (null = empty). */
export function deriveTrackerFields(inputs: DerivedFieldInputs, ids: TrackerFieldIds): Record<string, FieldValue> {
  const contractor = inputs.hasPole ? (emptyToNull(inputs.contractorName) ?? UNDEFINED_CONTRACTOR_NAME) : null;
  const fields: Record<string, FieldValue> = {
    [ids.emailDatetime]: formatTrackerDateTime(inputs.registrationTime),
    [ids.slaDeadline]: inputs.slaDeadline === null ? null : formatTrackerDateTime(inputs.slaDeadline),
    [ids.slaStatus]: inputs.slaStatus,
    [ids.contractor]: contractor,
    [ids.operator]: emptyToNull(formatOperatorNames(inputs.operatorNames)),
  };
  if (inputs.problemTypeName !== undefined) fields[ids.problemType] = emptyToNull(inputs.problemTypeName);
  if (inputs.poleCode !== undefined) fields[ids.poleNumber] = emptyToNull(inputs.poleCode);
  if (inputs.bsName !== undefined) fields[ids.baseStation] = emptyToNull(inputs.bsName);
  return fields;
}

// ---------------------------------------------------------------------------------------------
// Compare before write (YT-12)

type Comparable = string | number | null;

function sortedKey(items: readonly (string | number)[]): string | null {
  if (items.length === 0) return null;
  return JSON.stringify([...new Set(items)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
}

function operatorItems(value: unknown): string[] {
  const parts = Array.isArray(value) ? (value as unknown[]) : [value];
  return parts
    .flatMap((part) => (typeof part === 'string' ? part.split(',') : []))
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** YT-12: a value reduced to what matters for equality of its kind. */
export function comparableValue(kind: FieldKind, value: unknown): Comparable {
  switch (kind) {
    case 'string':
      return readFieldString(value);
    case 'dropdown':
      return readDropdown(value);
    case 'datetime': {
      const raw = readDropdown(value);
      if (raw === null) return null;
      const instant = readTrackerDateTime(raw);
      // An unreadable value never equals a real instant, so it gets overwritten.
      return instant === null ? `unreadable:${raw}` : toWholeSeconds(instant);
    }
    case 'operatorList':
      return sortedKey(operatorItems(value));
    case 'integer':
      return readLocalId(value) ?? readFieldString(value);
    case 'idList':
      return sortedKey(parseEmailIds(value));
  }
}

/**
 * YT-12: the PATCH body — only the desired fields whose normalised value differs from the issue
 * snapshot (strings trimmed, null = empty = absent, operator and e-mail-id lists as sets,
 * datetimes at whole seconds, dropdowns read per YT-7). Empty when nothing differs.
 */
export function fieldsToWrite(
  snapshot: Readonly<Record<string, unknown>>,
  desired: Readonly<Record<string, FieldValue>>,
  ids: TrackerFieldIds,
): Record<string, FieldValue> {
  const kinds = fieldKinds(ids);
  const patch: Record<string, FieldValue> = {};
  for (const [fieldId, value] of Object.entries(desired)) {
    const kind = kinds[fieldId] ?? 'string';
    if (comparableValue(kind, snapshot[fieldId]) !== comparableValue(kind, value)) patch[fieldId] = value;
  }
  return patch;
}
