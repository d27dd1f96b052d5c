// Primary e-mail and registration time (INC-4, INC-5). The primary e-mail is the linked `normal`
// INBOX e-mail with the smallest (effective date, id); an e-mail incident is registered at its
// effective date, and the registration time only ever moves earlier (AC-5).

import type { EmailClassification, FolderRole } from './threading.js';

export interface LinkedEmail {
  id: number;
  effectiveDate: Date;
  classification: EmailClassification;
  folderRole: FolderRole;
}

/** INC-5 / NOISE-2: only `normal` INBOX e-mails count for the primary e-mail and registration time. */
export function countsForRegistration(email: Pick<LinkedEmail, 'classification' | 'folderRole'>): boolean {
  return email.classification === 'normal' && email.folderRole === 'INBOX';
}

function isEarlier(
  a: Pick<LinkedEmail, 'id' | 'effectiveDate'>,
  b: Pick<LinkedEmail, 'id' | 'effectiveDate'>,
): boolean {
  const byDate = a.effectiveDate.getTime() - b.effectiveDate.getTime();
  return byDate < 0 || (byDate === 0 && a.id < b.id);
}

/** INC-5: the primary e-mail among an incident's linked e-mails, or null when none counts. */
export function primaryEmailOf<E extends LinkedEmail>(emails: readonly E[]): E | null {
  let primary: E | null = null;
  for (const email of emails) {
    if (countsForRegistration(email) && (primary === null || isEarlier(email, primary))) primary = email;
  }
  return primary;
}

export interface RegistrationState {
  /** Current primary e-mail (id and effective date), or null. */
  primary: { id: number; effectiveDate: Date } | null;
  /** Current registration time, or null before the incident has one. */
  registrationTime: Date | null;
  /** True for e-mail incidents; manual incidents keep the issue's `createdAt` (INC-4). */
  isAuto: boolean;
}

export interface RegistrationChange {
  primaryChanged: boolean;
  registrationChanged: boolean;
  primary: { id: number; effectiveDate: Date } | null;
  registrationTime: Date | null;
}

/**
 * INC-4 / INC-5 when `email` is linked to the incident: does it become the primary e-mail, and
 * does the registration time move (earlier only)? A change means the SLA deadline, timers and the
 * Tracker "email datetime" field must follow; summary and description stay as created.
 */
export function onEmailLinked(state: RegistrationState, email: LinkedEmail): RegistrationChange {
  const unchanged: RegistrationChange = {
    primaryChanged: false,
    registrationChanged: false,
    primary: state.primary,
    registrationTime: state.registrationTime,
  };
  if (!countsForRegistration(email)) return unchanged;
  if (state.primary !== null && (state.primary.id === email.id || !isEarlier(email, state.primary))) return unchanged;

  const primary = { id: email.id, effectiveDate: email.effectiveDate };
  let registrationTime = state.registrationTime;
  if (state.isAuto && (registrationTime === null || email.effectiveDate.getTime() < registrationTime.getTime())) {
    registrationTime = email.effectiveDate;
  }
  return {
    primaryChanged: true,
    registrationChanged: registrationTime !== state.registrationTime,
    primary,
    registrationTime,
  };
}
