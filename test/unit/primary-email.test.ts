import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import { countsForRegistration, onEmailLinked, primaryEmailOf } from '../../src/domain/primary-email.js';
import type { LinkedEmail, RegistrationState } from '../../src/domain/primary-email.js';

const at = (iso: string): Date => new Date(iso);

function linked(id: number, iso: string, fields: Partial<LinkedEmail> = {}): LinkedEmail {
  return { id, effectiveDate: at(iso), classification: 'normal', folderRole: 'INBOX', ...fields };
}

describe('INC-5 primary e-mail', () => {
  test('INC-5: the normal INBOX e-mail with the smallest (effective date, id)', () => {
    const emails = [
      linked(4, '2025-03-05T10:00:00Z'),
      linked(3, '2025-03-05T09:00:00Z', { classification: 'auto_reply' }),
      linked(2, '2025-03-05T09:00:00Z', { folderRole: 'SENT' }),
      linked(9, '2025-03-05T09:30:00Z'),
      linked(7, '2025-03-05T09:30:00Z'),
    ];
    expect(primaryEmailOf(emails)?.id).toBe(7);
  });

  test('INC-5: no normal INBOX e-mail → no primary', () => {
    expect(primaryEmailOf([linked(1, '2025-03-05T09:00:00Z', { classification: 'own' })])).toBeNull();
    expect(primaryEmailOf([])).toBeNull();
  });

  test('NOISE-2: only class normal in INBOX counts for registration time', () => {
    expect(countsForRegistration({ classification: 'normal', folderRole: 'INBOX' })).toBe(true);
    expect(countsForRegistration({ classification: 'normal', folderRole: 'SENT' })).toBe(false);
    expect(countsForRegistration({ classification: 'bounce', folderRole: 'INBOX' })).toBe(false);
  });
});

describe('INC-4 registration time', () => {
  const reply: RegistrationState = {
    primary: { id: 2, effectiveDate: at('2025-03-05T10:00:00Z') },
    registrationTime: at('2025-03-05T10:00:00Z'),
    isAuto: true,
  };

  test('AC-5/INC-4: the later-linked original becomes primary and moves registration earlier', () => {
    expect(onEmailLinked(reply, linked(3, '2025-03-05T09:15:00Z'))).toEqual({
      primaryChanged: true,
      registrationChanged: true,
      primary: { id: 3, effectiveDate: at('2025-03-05T09:15:00Z') },
      registrationTime: at('2025-03-05T09:15:00Z'),
    });
  });

  test('INC-4: a later e-mail changes nothing', () => {
    expect(onEmailLinked(reply, linked(5, '2025-03-05T11:00:00Z'))).toEqual({
      primaryChanged: false,
      registrationChanged: false,
      primary: reply.primary,
      registrationTime: reply.registrationTime,
    });
  });

  test('INC-5: the same date and a smaller id changes the primary but not the registration time', () => {
    expect(onEmailLinked(reply, linked(1, '2025-03-05T10:00:00Z'))).toMatchObject({
      primaryChanged: true,
      registrationChanged: false,
      primary: { id: 1 },
    });
  });

  test('INC-4: earlier e-mails of other classes or folders change nothing', () => {
    expect(
      onEmailLinked(reply, linked(6, '2025-03-05T08:00:00Z', { classification: 'auto_reply' })).primaryChanged,
    ).toBe(false);
    expect(onEmailLinked(reply, linked(6, '2025-03-05T08:00:00Z', { folderRole: 'SENT' })).registrationChanged).toBe(
      false,
    );
  });

  test('INC-4: the first primary of an e-mail incident sets the registration time', () => {
    const state: RegistrationState = { primary: null, registrationTime: null, isAuto: true };
    expect(onEmailLinked(state, linked(1, '2025-03-05T09:00:00Z'))).toMatchObject({
      primaryChanged: true,
      registrationChanged: true,
      registrationTime: at('2025-03-05T09:00:00Z'),
    });
  });

  test('INC-4: a manual incident keeps the issue createdAt; the primary e-mail still follows INC-5', () => {
    const manual: RegistrationState = { primary: null, registrationTime: at('2025-03-05T09:00:00Z'), isAuto: false };
    expect(onEmailLinked(manual, linked(4, '2025-03-04T18:00:00Z'))).toEqual({
      primaryChanged: true,
      registrationChanged: false,
      primary: { id: 4, effectiveDate: at('2025-03-04T18:00:00Z') },
      registrationTime: at('2025-03-05T09:00:00Z'),
    });
  });

  test('INC-4 (property): linking e-mails in any order never moves the registration time later and ends at the primary', () => {
    const emailArb = fc.record({
      minutes: fc.integer({ min: 0, max: 10_000 }),
      classification: fc.constantFrom('normal' as const, 'auto_reply' as const, 'own' as const),
      folderRole: fc.constantFrom('INBOX' as const, 'SENT' as const),
    });
    fc.assert(
      fc.property(fc.array(emailArb, { minLength: 1, maxLength: 12 }), (specs) => {
        const emails: LinkedEmail[] = specs.map((s, i) => ({
          id: i + 1,
          effectiveDate: new Date(Date.UTC(2025, 2, 5) + s.minutes * 60_000),
          classification: s.classification,
          folderRole: s.folderRole,
        }));
        let state: RegistrationState = { primary: null, registrationTime: null, isAuto: true };
        for (const email of emails) {
          const change = onEmailLinked(state, email);
          if (state.registrationTime !== null && change.registrationTime !== null) {
            expect(change.registrationTime.getTime()).toBeLessThanOrEqual(state.registrationTime.getTime());
          }
          state = { ...state, primary: change.primary, registrationTime: change.registrationTime };
        }
        const primary = primaryEmailOf(emails);
        expect(state.primary?.id ?? null).toBe(primary?.id ?? null);
        expect(state.registrationTime?.getTime() ?? null).toBe(primary?.effectiveDate.getTime() ?? null);
      }),
      { numRuns: 300 },
    );
  });
});
