// Validation of dispatcher input in a Tracker issue (SPEC §15, VAL-1…VAL-9): problem type, BS and
// pole fields against the incident types and the TowerStore directory. Pure: the workflow feeds a
// snapshot's field values and applies the decision (DB update, corrective PATCH, YT-18 error).

import { compareByCodePoint } from './code-point-order.js';
import type { Pole } from './directory.js';
import type { BaseStationCandidate, DirectoryIndex } from './directory-index.js';
import { directoryKey } from './directory-index.js';

/** Tracker fields the product may clear after an error (VAL-9 "Fields cleared"). */
export type ValidatedField = 'problemType' | 'pole' | 'baseStation' | 'contractor' | 'operator';

export type ValidationErrorId = 'VAL-E2' | 'VAL-E3a' | 'VAL-E3b' | 'VAL-E4' | 'VAL-E5' | 'VAL-E6' | 'VAL-E7';

/** The three dispatcher-owned values of an issue snapshot (null = field empty). */
export interface DispatcherFields {
  problemType: string | null;
  pole: string | null;
  baseStation: string | null;
}

export interface ValidationInput {
  /** Values in the observed snapshot. */
  current: DispatcherFields;
  /**
   * Values last validated (DATA-1); null when never validated. Store the canonical values the
   * product writes back (or the cleared ones after an error) so its own PATCH converges.
   */
  lastValidated: DispatcherFields | null;
  /** Names of all incident types (DEF-3 and additions). */
  incidentTypeNames: readonly string[];
  /** The DB's current type name, restored into the Tracker field after VAL-E2. */
  currentTypeName: string | null;
  directory: DirectoryIndex;
}

/** YT-16 step 4: nothing changed since the last validation. */
export interface ValidationUnchanged {
  ok: true;
  status: 'unchanged';
}

export interface ValidationSuccess {
  ok: true;
  status: 'valid';
  /** DB values (VAL-2…VAL-5); null clears. */
  set: { typeName: string | null; poleId: number | null; baseStationId: number | null };
  /** Canonical Tracker field values (VAL-6); null = empty field. */
  canonical: { pole: string | null; bs: string | null };
}

export interface ValidationFailure {
  ok: false;
  status: 'invalid';
  errorId: ValidationErrorId;
  /** Exact VAL-9 comment text. */
  message: string;
  /** Tracker fields to clear (VAL-8). */
  clear: ValidatedField[];
  /** VAL-E2: value the problem-type field is reset to (the DB's current type, or null = cleared). */
  problemTypeResetTo?: string | null;
  /** The problem type validated before the error stopped the snapshot (VAL-7); absent after VAL-E2. */
  validatedTypeName?: string | null;
}

export type ValidationResult = ValidationUnchanged | ValidationSuccess | ValidationFailure;

/** VAL-E1: YT-15 step 2, an issue's local id that the DB does not know. */
export function unknownLocalIdMessage(fieldId: string): string {
  return `Неизвестный ${fieldId} для внутреннего номера инцидента.`;
}

function trimmed(value: string | null): string {
  return value === null ? '' : value.trim();
}

/** YT-16 step 4: validation runs only when a dispatcher-owned value differs from the last validated one. */
export function needsValidation(current: DispatcherFields, lastValidated: DispatcherFields | null): boolean {
  if (lastValidated === null) return true;
  return (
    trimmed(current.problemType) !== trimmed(lastValidated.problemType) ||
    trimmed(current.pole) !== trimmed(lastValidated.pole) ||
    trimmed(current.baseStation) !== trimmed(lastValidated.baseStation)
  );
}

/** VAL-1: the first three, in ascending order. */
function examples(values: readonly string[]): string {
  return [...values].sort(compareByCodePoint).slice(0, 3).join(', ');
}

function bsExample(candidate: BaseStationCandidate): string {
  return `${candidate.name} (${candidate.poleCode})`;
}

type StepError = Omit<ValidationFailure, 'ok' | 'status' | 'validatedTypeName' | 'problemTypeResetTo'>;

function error(errorId: ValidationErrorId, message: string, clear: ValidatedField[]): StepError {
  return { errorId, message, clear };
}

/** VAL-3: one remaining candidate, or the error. */
function validateBaseStation(
  value: string,
  poleValue: string,
  directory: DirectoryIndex,
): BaseStationCandidate | StepError {
  const exact = directory.baseStationsNamed(value);
  const candidates = exact.length > 0 ? exact : directory.baseStationsStartingWith(value);
  if (candidates.length === 0) {
    return error('VAL-E4', `Не найдено БС, начинающихся с "${value}"`, ['baseStation', 'operator']);
  }
  let remaining = candidates;
  if (poleValue !== '') {
    const poleKey = directoryKey(poleValue);
    remaining = candidates.filter((c) => directoryKey(c.poleCode).startsWith(poleKey));
    if (remaining.length === 0 && exact.length > 0) {
      const first = [...exact].sort((a, b) => compareByCodePoint(a.poleCode, b.poleCode))[0] as BaseStationCandidate;
      return error(
        'VAL-E5',
        `Базовая станция "${first.name}" привязана к опоре "${first.poleCode}", а указана опора "${poleValue}"`,
        ['pole', 'baseStation', 'contractor', 'operator'],
      );
    }
    if (remaining.length === 0) {
      return error(
        'VAL-E6',
        `Найдено БС, начинающихся с "${value}", но ни одна не привязана к опоре, начинающейся с "${poleValue}".`,
        ['baseStation', 'operator'],
      );
    }
  }
  if (remaining.length > 1) {
    const onPoles = poleValue === '' ? '' : ` и привязанных к опорам, начинающимся с "${poleValue}"`;
    return error(
      'VAL-E7',
      `Найдено ${remaining.length} БС, начинающихся с "${value}"${onPoles}. Примеры: ${examples(remaining.map(bsExample))}. Уточните шифр базовой станции.`,
      ['baseStation', 'operator'],
    );
  }
  return remaining[0] as BaseStationCandidate;
}

/** VAL-4: the pole's canonical code, or the error. */
function validatePole(value: string, directory: DirectoryIndex): { code: string; poleId: number } | StepError {
  const exact = directory.poleByCode(value);
  if (exact !== undefined) return { code: exact.code, poleId: exact.id };
  const count = directory.countPoleCodesStartingWith(value);
  const cleared: ValidatedField[] = ['pole', 'baseStation', 'contractor', 'operator'];
  if (count === 0) return error('VAL-E3a', `Не найдено опор, начинающихся с "${value}"`, cleared);
  const codes = directory.poleCodesStartingWith(value);
  if (count > 1) {
    return error(
      'VAL-E3b',
      `Найдено ${count} опор, начинающихся с "${value}". Примеры: ${examples(codes)}. Уточните шифр опоры.`,
      cleared,
    );
  }
  const pole = directory.poleByCode(codes[0] as string) as Pole;
  return { code: pole.code, poleId: pole.id };
}

function isStepError(value: object): value is StepError {
  return 'errorId' in value;
}

/** VAL-2…VAL-7 over one snapshot: problem type, then BS, then pole; the first error stops. */
export function validateDispatcherInput(input: ValidationInput): ValidationResult {
  const { current, directory } = input;
  if (!needsValidation(current, input.lastValidated)) return { ok: true, status: 'unchanged' };

  // VAL-2
  const typeValue = trimmed(current.problemType);
  if (typeValue !== '' && !input.incidentTypeNames.includes(typeValue)) {
    const names = [...input.incidentTypeNames].sort(compareByCodePoint).join(', ');
    return {
      ok: false,
      status: 'invalid',
      errorId: 'VAL-E2',
      message: `Неверно указан тип инцидента (${typeValue}). Допустимые значения: ${names}.`,
      clear: ['problemType'],
      problemTypeResetTo: input.currentTypeName,
    };
  }
  const typeName = typeValue === '' ? null : typeValue;
  const fail = (step: StepError): ValidationFailure => ({
    ok: false,
    status: 'invalid',
    ...step,
    validatedTypeName: typeName,
  });

  const bsValue = trimmed(current.baseStation);
  const poleValue = trimmed(current.pole);

  // VAL-3; VAL-5: an empty pole field takes the BS's pole.
  if (bsValue !== '') {
    const found = validateBaseStation(bsValue, poleValue, directory);
    if (isStepError(found)) return fail(found);
    return {
      ok: true,
      status: 'valid',
      set: { typeName, poleId: found.pole.id, baseStationId: found.baseStation.id },
      canonical: { pole: found.poleCode, bs: found.name },
    };
  }

  // VAL-4; VAL-5: an empty BS field clears the DB BS, both empty clear the DB pole too.
  if (poleValue !== '') {
    const found = validatePole(poleValue, directory);
    if (isStepError(found)) return fail(found);
    return {
      ok: true,
      status: 'valid',
      set: { typeName, poleId: found.poleId, baseStationId: null },
      canonical: { pole: found.code, bs: null },
    };
  }
  return {
    ok: true,
    status: 'valid',
    set: { typeName, poleId: null, baseStationId: null },
    canonical: { pole: null, bs: null },
  };
}
