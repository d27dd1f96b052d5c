import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import type { RoutedIncident, RoutingInput } from '../../src/domain/tracker-routing.js';
import {
  CURSOR_OVERLAP_MS,
  advanceCursor,
  fullReconcileDue,
  initialCursor,
  isNewerVersion,
  readLocalIdValue,
  routeIssue,
  searchFrom,
  statusEntry,
} from '../../src/domain/tracker-routing.js';

const incident = (id: number, trackerVersion: number | null = null, trackerExcluded = false): RoutedIncident => ({
  id,
  trackerVersion,
  trackerExcluded,
});

const input = (overrides: Partial<RoutingInput>): RoutingInput => ({
  issueVersion: 5,
  localId: { kind: 'empty' },
  incidentByLocalId: null,
  incidentByCode: null,
  finishing: false,
  inError: false,
  ...overrides,
});

const at = (iso: string): Date => new Date(iso);

describe('YT-15: the local-id field value', () => {
  test('YT-15: absent, null and blank values are "no local id"', () => {
    expect(readLocalIdValue(undefined)).toEqual({ kind: 'empty' });
    expect(readLocalIdValue(null)).toEqual({ kind: 'empty' });
    expect(readLocalIdValue('  ')).toEqual({ kind: 'empty' });
  });

  test('YT-15: a positive integer or numeric string is an id', () => {
    expect(readLocalIdValue(42)).toEqual({ kind: 'id', id: 42 });
    expect(readLocalIdValue(' 999999 ')).toEqual({ kind: 'id', id: 999999 });
  });

  test('YT-15: anything else is an invalid value, routed like an unknown id', () => {
    expect(readLocalIdValue('abc')).toEqual({ kind: 'invalid', text: 'abc' });
    expect(readLocalIdValue(0)).toEqual({ kind: 'invalid', text: '0' });
    expect(readLocalIdValue(-3)).toEqual({ kind: 'invalid', text: '-3' });
    expect(readLocalIdValue(1.5)).toEqual({ kind: 'invalid', text: '1.5' });
  });
});

describe('YT-15 routing decision', () => {
  test('YT-15 step 1 / INC-1 b: no local id and no incident with the key → import a manual incident', () => {
    expect(routeIssue(input({}))).toEqual({ kind: 'importManual' });
  });

  test('YT-15 step 1: no local id, an incident has the key as code → write its id', () => {
    expect(routeIssue(input({ incidentByCode: incident(17) }))).toEqual({ kind: 'writeLocalId', incidentId: 17 });
  });

  test('YT-15 step 1: a finished manual issue is imported too (INC-10 applies at import)', () => {
    expect(routeIssue(input({ finishing: true }))).toEqual({ kind: 'importManual' });
  });

  test('YT-15 step 2: unknown local id, an incident has the key → rewrite the local id to it', () => {
    expect(
      routeIssue(input({ localId: { kind: 'id', id: 999999 }, incidentByCode: incident(8), finishing: true })),
    ).toEqual({ kind: 'writeLocalId', incidentId: 8 });
  });

  test('YT-15 step 2 / AC-21: unknown local id on an open issue → transition to error (VAL-E1)', () => {
    expect(routeIssue(input({ localId: { kind: 'id', id: 999999 } }))).toEqual({ kind: 'transitionToError' });
    expect(routeIssue(input({ localId: { kind: 'invalid', text: 'x' } }))).toEqual({ kind: 'transitionToError' });
  });

  test('YT-15 step 2 / AC-21: already in error → no second transition', () => {
    expect(routeIssue(input({ localId: { kind: 'id', id: 999999 }, inError: true }))).toEqual({
      kind: 'skipAlreadyInError',
    });
  });

  test('YT-15 step 2 / AC-21: unknown local id on a finished issue → one alert, nothing else', () => {
    expect(routeIssue(input({ localId: { kind: 'id', id: 999999 }, finishing: true }))).toEqual({
      kind: 'alertUnknownLocalId',
    });
  });

  test('YT-15 step 3 / YT-13: a known incident is signalled when the version is newer than the processed one', () => {
    const known = (trackerVersion: number | null) =>
      input({ localId: { kind: 'id', id: 3 }, incidentByLocalId: incident(3, trackerVersion) });
    expect(routeIssue(known(null))).toEqual({ kind: 'signal', incidentId: 3 });
    expect(routeIssue(known(4))).toEqual({ kind: 'signal', incidentId: 3 });
    expect(routeIssue(known(5))).toEqual({ kind: 'skipOldVersion', incidentId: 3 });
    expect(routeIssue(known(6))).toEqual({ kind: 'skipOldVersion', incidentId: 3 });
  });

  test('YT-20: an issue pointing at an excluded incident is skipped', () => {
    expect(routeIssue(input({ localId: { kind: 'id', id: 3 }, incidentByLocalId: incident(3, null, true) }))).toEqual({
      kind: 'skipExcluded',
      incidentId: 3,
    });
  });

  test('YT-13: NULL processed version is always older', () => {
    expect(isNewerVersion(1, null)).toBe(true);
    expect(isNewerVersion(2, 2)).toBe(false);
  });

  test('YT-15: an unknown local id never imports and a known one never transitions (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.option(fc.integer({ min: 1, max: 1_000_000 })),
        fc.boolean(),
        fc.boolean(),
        (localId, knownVersion, finishing, inError) => {
          const unknown = routeIssue(input({ localId: { kind: 'id', id: localId }, finishing, inError }));
          expect(unknown.kind).not.toBe('importManual');
          expect(unknown.kind).not.toBe('signal');
          const known = routeIssue(
            input({ localId: { kind: 'id', id: localId }, incidentByLocalId: incident(localId, knownVersion) }),
          );
          expect(['signal', 'skipOldVersion']).toContain(known.kind);
        },
      ),
    );
  });
});

describe('YT-13 cursor arithmetic', () => {
  test('YT-13: first start looks back YT_INITIAL_SYNC_DAYS', () => {
    expect(initialCursor(at('2025-03-31T10:00:00Z'), 30)).toEqual(at('2025-03-01T10:00:00Z'));
  });

  test('YT-13: the search starts 2 minutes before the cursor', () => {
    expect(CURSOR_OVERLAP_MS).toBe(120_000);
    expect(searchFrom(at('2025-03-05T10:00:00Z'))).toEqual(at('2025-03-05T09:58:00Z'));
  });

  test('YT-13: the cursor moves to the largest updatedAt seen', () => {
    const cursor = at('2025-03-05T10:00:00Z');
    expect(
      advanceCursor(cursor, [
        { updatedAt: at('2025-03-05T10:05:00Z'), routed: true },
        { updatedAt: at('2025-03-05T10:03:00Z'), routed: true },
      ]),
    ).toEqual(at('2025-03-05T10:05:00Z'));
  });

  test('YT-13: the cursor never moves back (overlap re-reads older issues)', () => {
    const cursor = at('2025-03-05T10:00:00Z');
    expect(advanceCursor(cursor, [{ updatedAt: at('2025-03-05T09:59:00Z'), routed: true }])).toEqual(cursor);
    expect(advanceCursor(cursor, [])).toEqual(cursor);
  });

  test('YT-13: a failed issue holds the cursor at its updatedAt so the next poll reads it again', () => {
    const cursor = at('2025-03-05T10:00:00Z');
    expect(
      advanceCursor(cursor, [
        { updatedAt: at('2025-03-05T10:02:00Z'), routed: false },
        { updatedAt: at('2025-03-05T10:09:00Z'), routed: true },
      ]),
    ).toEqual(at('2025-03-05T10:02:00Z'));
  });

  test('YT-13: the daily reconciliation is due when it never ran or ran 24 h ago', () => {
    const now = at('2025-03-05T10:00:00Z');
    expect(fullReconcileDue(null, now)).toBe(true);
    expect(fullReconcileDue(at('2025-03-04T10:00:01Z'), now)).toBe(false);
    expect(fullReconcileDue(at('2025-03-04T10:00:00Z'), now)).toBe(true);
  });
});

describe('YT-13 / INC-10: when the issue entered its status', () => {
  const createdAt = at('2025-03-05T09:00:00Z');

  test('YT-13: the last changelog entry into the current status', () => {
    const changes = [
      { id: 'a', at: at('2025-03-05T09:10:00Z'), toStatusKey: 'closed' },
      { id: 'b', at: at('2025-03-05T09:20:00Z'), toStatusKey: 'open' },
      { id: 'c', at: at('2025-03-05T09:30:00Z'), toStatusKey: 'closed' },
    ];
    expect(statusEntry('closed', changes, null, createdAt)).toEqual({
      at: at('2025-03-05T09:30:00Z'),
      changelogId: 'c',
    });
  });

  test('YT-13: fallback to the status start time, then the given time', () => {
    expect(statusEntry('closed', [], at('2025-03-05T09:40:00Z'), createdAt)).toEqual({
      at: at('2025-03-05T09:40:00Z'),
      changelogId: null,
    });
    expect(
      statusEntry('closed', [{ id: 'x', at: at('2025-03-05T09:10:00Z'), toStatusKey: 'open' }], null, createdAt),
    ).toEqual({ at: createdAt, changelogId: null });
  });
});
