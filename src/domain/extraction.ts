// Pole / base-station extraction from e-mail text (SPEC §12, EXTR-1…EXTR-7). Results never depend
// on iteration order of the directory: every choice is by token length, then token position.

import type { BaseStation, Pole } from './directory.js';
import type { BaseStationCandidate, DirectoryIndex } from './directory-index.js';
import { directoryKey } from './directory-index.js';

/** What a text (or an e-mail, or an incident's thread) yields. */
export interface ExtractionResult {
  /** Canonical pole record (EXTR-7). */
  pole: Pole;
  /** Full pole code, as written to the Tracker pole field. */
  poleCode: string;
  baseStation: BaseStation | null;
  /** BS name as stored, or null. */
  baseStationName: string | null;
}

// EXTR-1: brackets of three kinds, : | , . ; ' " ` / \ « » № ! ? < > &
const SEPARATORS = /[[\](){}:|,.;'"`/\\«»№!?<>&]/g;
const DIGIT = /[0-9]/g;
// EXTR-2: the prefix rule applies only to tokens that start like a pole code.
const POLE_CODE_START = /^[0-9]{5}-/;

/** EXTR-1: tokens with at least four digits, in order of first occurrence, without duplicates. */
export function extractTokens(text: string | null | undefined): string[] {
  if (text === null || text === undefined || text === '') return [];
  const seen = new Set<string>();
  for (const token of text.replace(SEPARATORS, ' ').split(/\s+/)) {
    if (token === '' || seen.has(token)) continue;
    if ((token.match(DIGIT)?.length ?? 0) >= 4) seen.add(token);
  }
  return [...seen];
}

/** EXTR-2: the pole a single token names, if any. */
export function poleForToken(token: string, index: DirectoryIndex): Pole | undefined {
  const exact = index.poleByCode(token);
  if (exact !== undefined) return exact;
  if (!POLE_CODE_START.test(token)) return undefined;
  if (index.countPoleCodesStartingWith(token) !== 1) return undefined;
  const [code] = index.poleCodesStartingWith(token);
  return code === undefined ? undefined : index.poleByCode(code);
}

/** Length in code points (a surrogate pair is one character). */
function characterCount(token: string): number {
  let count = 0;
  for (let i = 0; i < token.length; i++) {
    const unit = token.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count++;
  }
  return count;
}

/** The longest token with a result; ties → the earliest (EXTR-3, EXTR-4). */
function longestFirst<T>(tokens: readonly string[], resolve: (token: string) => T | undefined): T | undefined {
  let best: T | undefined;
  let bestLength = -1;
  for (const token of tokens) {
    const length = characterCount(token);
    if (length <= bestLength) continue;
    const result = resolve(token);
    if (result === undefined) continue;
    best = result;
    bestLength = length;
  }
  return best;
}

/** EXTR-4: the BS a single token names, restricted to the text pole's code when there is one. */
export function baseStationForToken(
  token: string,
  index: DirectoryIndex,
  textPole: Pole | undefined,
): BaseStationCandidate | undefined {
  let candidates = index.baseStationsNamed(token);
  if (textPole !== undefined) {
    const poleKey = directoryKey(textPole.code);
    candidates = candidates.filter((c) => directoryKey(c.poleCode) === poleKey);
  }
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** EXTR-3…EXTR-5: the result of one text. */
export function extractFromText(text: string | null | undefined, index: DirectoryIndex): ExtractionResult | null {
  const tokens = extractTokens(text);
  if (tokens.length === 0) return null;
  const textPole = longestFirst(tokens, (t) => poleForToken(t, index));
  const baseStation = longestFirst(tokens, (t) => baseStationForToken(t, index, textPole));
  if (baseStation !== undefined) {
    return {
      pole: baseStation.pole,
      poleCode: baseStation.poleCode,
      baseStation: baseStation.baseStation,
      baseStationName: baseStation.name,
    };
  }
  if (textPole !== undefined)
    return { pole: textPole, poleCode: textPole.code, baseStation: null, baseStationName: null };
  return null;
}

export interface ExtractableEmail {
  id: number;
  effectiveDate: Date;
  subject: string | null;
  body: string | null;
}

/** EXTR-5: the subject first; the body only when the subject yields no pole. */
export function extractFromEmail(
  email: Pick<ExtractableEmail, 'subject' | 'body'>,
  index: DirectoryIndex,
): ExtractionResult | null {
  return extractFromText(email.subject, index) ?? extractFromText(email.body, index);
}

/** EXTR-6 at creation: the chronologically first e-mail of the thread, by (effective date, id), that yields a pole. */
export function extractForNewIncident(
  emails: readonly ExtractableEmail[],
  index: DirectoryIndex,
): { emailId: number; result: ExtractionResult } | null {
  const chronological = [...emails].sort(
    (a, b) => a.effectiveDate.getTime() - b.effectiveDate.getTime() || a.id - b.id,
  );
  for (const email of chronological) {
    const result = extractFromEmail(email, index);
    if (result !== null) return { emailId: email.id, result };
  }
  return null;
}

/**
 * EXTR-6 later on: a newly linked e-mail is examined only while the incident has no pole and the
 * Tracker pole and BS fields are both empty (a dispatcher's entry is never overridden).
 */
export function shouldExtractFromLinkedEmail(state: {
  incidentPoleId: number | null;
  trackerPoleField: string | null;
  trackerBaseStationField: string | null;
}): boolean {
  const blank = (value: string | null): boolean => value === null || value.trim() === '';
  return state.incidentPoleId === null && blank(state.trackerPoleField) && blank(state.trackerBaseStationField);
}
