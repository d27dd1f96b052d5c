// Pure helpers of snapshot processing: the status changelog entry (YT-13) and the status key of a
// snapshot (YT-6).
import { describe, expect, test } from '@jest/globals';
import { issueStatusKey } from '../../src/activities/issue-status.js';
import { statusEntryOf } from '../../src/activities/tracker-snapshot.js';

const move = (id: string, updatedAt: string, from: string | null, to: string) => ({
  id,
  updatedAt,
  fields: [{ field: { id: 'status' }, from: from === null ? null : { key: from }, to: { key: to } }],
});

describe('YT-13: the changelog entry that moved the issue into its current status', () => {
  test('YT-13: the latest entry into the status wins (a re-entry after a reopen)', () => {
    const changelog = [
      move('e1', '2026-03-02T10:10:00.000+0000', 'open', 'inProgress'),
      move('e2', '2026-03-02T13:30:00.000+0000', 'inProgress', 'closed'),
      move('e3', '2026-03-02T15:00:00.000+0000', 'closed', 'inProgress'),
      { id: 'e4', updatedAt: '2026-03-02T15:05:00.000+0000', fields: [{ field: { id: 'summary' }, to: 'x' }] },
      move('e5', '2026-03-02T15:10:00.000+0000', 'inProgress', 'closed'),
    ];
    expect(statusEntryOf(changelog, 'closed')).toEqual({ id: 'e5', at: new Date('2026-03-02T15:10:00.000Z') });
    expect(statusEntryOf(changelog, 'inProgress')).toEqual({ id: 'e3', at: new Date('2026-03-02T15:00:00.000Z') });
  });

  test('YT-13: no entry into the status → null (the caller falls back to statusStartTime, then updatedAt)', () => {
    expect(statusEntryOf([move('e1', '2026-03-02T10:10:00.000+0000', 'open', 'inProgress')], 'error')).toBeNull();
    expect(statusEntryOf([{ id: 'e9', fields: 'not a list' }], 'error')).toBeNull();
  });
});

describe('YT-6: status key of a snapshot', () => {
  test('YT-6: read from the status reference, a bare key, or absent', () => {
    expect(issueStatusKey({ status: { id: '3', key: 'inProgress', display: 'В работе' } })).toBe('inProgress');
    expect(issueStatusKey({ status: 'closed' })).toBe('closed');
    expect(issueStatusKey({})).toBeNull();
  });
});
