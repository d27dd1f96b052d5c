import { describe, test, expect } from '@jest/globals';
import { assignmentCandidates, chooseDispatcher } from '../../src/domain/assignment.js';

describe('ASSIGN-1 candidates', () => {
  test('ASSIGN-1: active dispatchers that are Tracker users, not dismissed, with notifications on', () => {
    const dispatchers = [
      { login: 'petrov', isActive: true },
      { login: 'ivanov', isActive: true },
      { login: 'sidorov', isActive: false },
      { login: 'kuznetsov', isActive: true },
      { login: 'smirnov', isActive: true },
      { login: 'popov', isActive: true },
    ];
    const users = [
      { login: 'ivanov', dismissed: false, disableNotifications: false },
      { login: 'petrov', dismissed: false, disableNotifications: false },
      { login: 'sidorov', dismissed: false, disableNotifications: false },
      { login: 'kuznetsov', dismissed: true, disableNotifications: false },
      { login: 'smirnov', dismissed: false, disableNotifications: true },
      { login: 'volkov', dismissed: false, disableNotifications: false },
    ];
    expect(assignmentCandidates(dispatchers, users)).toEqual(['ivanov', 'petrov']);
  });

  test('ASSIGN-1/ASSIGN-4: no Tracker users → no candidates', () => {
    expect(assignmentCandidates([{ login: 'ivanov', isActive: true }], [])).toEqual([]);
  });
});

describe('ASSIGN-3 choice', () => {
  test('AC-1/ASSIGN-3: the minimum load wins', () => {
    expect(
      chooseDispatcher([
        { login: 'ivanov', load: 1, recentAssignments: 0 },
        { login: 'petrov', load: 0, recentAssignments: 5 },
      ]),
    ).toBe('petrov');
  });

  test('ASSIGN-3: equal loads → fewest recent assignments', () => {
    expect(
      chooseDispatcher([
        { login: 'ivanov', load: 2, recentAssignments: 3 },
        { login: 'petrov', load: 2, recentAssignments: 1 },
        { login: 'sidorov', load: 4, recentAssignments: 0 },
      ]),
    ).toBe('petrov');
  });

  test('AC-23/ASSIGN-3: equal loads and recent assignments → login in ascending byte order', () => {
    expect(
      chooseDispatcher([
        { login: 'petrov', load: 0, recentAssignments: 0 },
        { login: 'ivanov', load: 0, recentAssignments: 0 },
      ]),
    ).toBe('ivanov');
    // Byte order: upper case (0x41…) before lower case, '.' (0x2E) before letters.
    expect(
      chooseDispatcher([
        { login: 'ivanov', load: 0, recentAssignments: 0 },
        { login: 'Ivanov', load: 0, recentAssignments: 0 },
        { login: 'i.petrov', load: 0, recentAssignments: 0 },
      ]),
    ).toBe('Ivanov');
  });

  test('ASSIGN-4: no candidate → null (issue created unassigned)', () => {
    expect(chooseDispatcher([])).toBeNull();
  });
});
