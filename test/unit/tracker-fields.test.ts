import { describe, test, expect } from '@jest/globals';
import type { DerivedFieldInputs, TrackerFieldIds } from '../../src/domain/tracker-fields.js';
import {
  NEW_MESSAGE,
  comparableValue,
  deriveTrackerFields,
  fieldsToWrite,
  formatOperatorNames,
  hasEmailId,
  parseEmailIds,
  readDropdown,
  readFieldString,
  readLocalId,
  withEmailIds,
} from '../../src/domain/tracker-fields.js';
import { SLA_STATUS } from '../../src/domain/sla.js';

const ids: TrackerFieldIds = {
  localId: 'localId',
  emailIds: 'localEmailsIds',
  poleNumber: 'poleNumber',
  baseStation: 'baseStationNumber',
  emailDatetime: 'emailDatetime',
  newMessage: 'newMessage',
  slaDeadline: 'deadlineSla',
  slaStatus: 'slaStatus',
  operator: 'operator',
  contractor: 'avrContractor',
  problemType: '61f0c0d6a1b2c3--typeOfProblem',
};

const inputs = (overrides: Partial<DerivedFieldInputs> = {}): DerivedFieldInputs => ({
  registrationTime: new Date('2025-03-05T07:00:00Z'),
  slaDeadline: new Date('2025-03-05T11:00:00Z'),
  slaStatus: SLA_STATUS.inProgress,
  hasPole: true,
  contractorName: 'ООО Ремонт',
  operatorNames: ['МТС', 'Билайн', 'МТС'],
  ...overrides,
});

describe('YT-7 reading field values', () => {
  test('YT-7: dropdowns are read from a string or an array (first element)', () => {
    expect(NEW_MESSAGE).toEqual({ yes: '✔️ Да', no: '✖️ Нет' });
    expect(readDropdown('✔️ Да')).toBe('✔️ Да');
    expect(readDropdown(['✖️ Нет', '✔️ Да'])).toBe('✖️ Нет');
    expect(readDropdown([])).toBeNull();
    expect(readDropdown(' ')).toBeNull();
    expect(readDropdown(undefined)).toBeNull();
    expect(readDropdown({ key: 'x' })).toBeNull();
  });

  test('YT-7: string fields are trimmed; empty is null', () => {
    expect(readFieldString(' 12345-MSK-01 ')).toBe('12345-MSK-01');
    expect(readFieldString('')).toBeNull();
    expect(readFieldString(17)).toBe('17');
    expect(readFieldString(null)).toBeNull();
  });

  test('YT-15: local id read from an integer or a numeric string', () => {
    expect(readLocalId(42)).toBe(42);
    expect(readLocalId(' 42 ')).toBe(42);
    expect(readLocalId(0)).toBeNull();
    expect(readLocalId(4.5)).toBeNull();
    expect(readLocalId('42a')).toBeNull();
    expect(readLocalId(null)).toBeNull();
  });

  test('YT-7: e-mail ids field is a ", " list', () => {
    expect(parseEmailIds('3, 1, 2, 3')).toEqual([3, 1, 2]);
    expect(parseEmailIds(' 5 ,6;7 ')).toEqual([5, 6, 7]);
    expect(parseEmailIds(9)).toEqual([9]);
    expect(parseEmailIds(null)).toEqual([]);
    expect(parseEmailIds('abc, 4')).toEqual([4]);
    expect(hasEmailId('10, 11', 11)).toBe(true);
    expect(hasEmailId('10, 110', 11)).toBe(false);
  });

  test('YT-10: adding an id keeps the existing ids and order, joined by ", "', () => {
    expect(withEmailIds('3, 1', [2])).toBe('3, 1, 2');
    expect(withEmailIds('3, 1', [1])).toBe('3, 1');
    expect(withEmailIds(undefined, [7])).toBe('7');
  });
});

describe('YT-14 derived values', () => {
  test('YT-14: derived values from the DB, keyed by field id', () => {
    expect(deriveTrackerFields(inputs(), ids)).toEqual({
      emailDatetime: '2025-03-05T07:00:00.000+0000',
      deadlineSla: '2025-03-05T11:00:00.000+0000',
      slaStatus: '🟦 В работе',
      avrContractor: 'ООО Ремонт',
      operator: 'Билайн, МТС',
    });
  });

  test('YT-14: default contractor is written as "undefined"; no pole → empty contractor', () => {
    expect(deriveTrackerFields(inputs({ contractorName: null }), ids).avrContractor).toBe('undefined');
    expect(deriveTrackerFields(inputs({ contractorName: 'undefined' }), ids).avrContractor).toBe('undefined');
    expect(deriveTrackerFields(inputs({ hasPole: false, contractorName: 'ООО Ремонт' }), ids).avrContractor).toBeNull();
  });

  test('YT-14: no BS or no operators → empty operator field; no deadline → empty deadline', () => {
    const fields = deriveTrackerFields(
      inputs({ operatorNames: [], slaDeadline: null, slaStatus: SLA_STATUS.unknown }),
      ids,
    );
    expect(fields.operator).toBeNull();
    expect(fields.deadlineSla).toBeNull();
    expect(fields.slaStatus).toBe('⬜️ Неизвестно');
  });

  test('YT-14: problem type and canonical pole / BS only when given', () => {
    const fields = deriveTrackerFields(
      inputs({ problemTypeName: 'Авария ВОЛС', poleCode: '12345-MSK-01', bsName: 'MSK0123' }),
      ids,
    );
    expect(fields['61f0c0d6a1b2c3--typeOfProblem']).toBe('Авария ВОЛС');
    expect(fields.poleNumber).toBe('12345-MSK-01');
    expect(fields.baseStationNumber).toBe('MSK0123');
    const cleared = deriveTrackerFields(inputs({ problemTypeName: null, poleCode: null, bsName: '' }), ids);
    expect(cleared['61f0c0d6a1b2c3--typeOfProblem']).toBeNull();
    expect(cleared.poleNumber).toBeNull();
    expect(cleared.baseStationNumber).toBeNull();
  });

  test('GEN-9: operator names sorted by Unicode code point, distinct, joined by ", "', () => {
    expect(formatOperatorNames(['МТС', 'Билайн', 'Tele2', 'МегаФон', 'МТС', ' '])).toBe('Tele2, Билайн, МТС, МегаФон');
    // Code point order puts U+FF21 (fullwidth A) before U+1F600 (emoji), unlike UTF-16 unit order.
    expect(formatOperatorNames(['😀 Связь', '\uff21 Телеком'])).toBe('\uff21 Телеком, 😀 Связь');
  });
});

describe('YT-12 compare before write', () => {
  const desired = deriveTrackerFields(inputs({ poleCode: '12345-MSK-01' }), ids);

  test('YT-12: a snapshot with equal values needs no write', () => {
    const snapshot = {
      emailDatetime: '2025-03-05T10:00:00.000+0300',
      deadlineSla: '2025-03-05T11:00:00.456+0000',
      slaStatus: ['🟦 В работе'],
      avrContractor: ' ООО Ремонт ',
      operator: 'МТС, Билайн',
      poleNumber: '12345-MSK-01',
    };
    expect(fieldsToWrite(snapshot, desired, ids)).toEqual({});
  });

  test('YT-12: only differing fields are in the PATCH', () => {
    const snapshot = {
      emailDatetime: '2025-03-05T07:00:01.000+0000',
      deadlineSla: '2025-03-05T11:00:00.000+0000',
      slaStatus: '🟨 Осталось менее часа',
      avrContractor: 'ООО Ремонт',
      operator: 'МТС',
      poleNumber: '12345-msk-01',
    };
    expect(fieldsToWrite(snapshot, desired, ids)).toEqual({
      emailDatetime: '2025-03-05T07:00:00.000+0000',
      slaStatus: '🟦 В работе',
      operator: 'Билайн, МТС',
      poleNumber: '12345-MSK-01',
    });
  });

  test('YT-12: null, empty string and an absent field are equal', () => {
    const clearing = { avrContractor: null, operator: null, deadlineSla: null };
    expect(fieldsToWrite({ avrContractor: '', operator: '  ' }, clearing, ids)).toEqual({});
    expect(fieldsToWrite({ avrContractor: 'ООО Ремонт' }, clearing, ids)).toEqual({ avrContractor: null });
    expect(fieldsToWrite({}, { avrContractor: '' }, ids)).toEqual({});
  });

  test('YT-12: datetimes compared at whole seconds; unreadable values are overwritten', () => {
    const want = { emailDatetime: '2025-03-05T07:00:00.000+0000' };
    expect(fieldsToWrite({ emailDatetime: '2025-03-05T07:00:00.999Z' }, want, ids)).toEqual({});
    expect(fieldsToWrite({ emailDatetime: 'not a date' }, want, ids)).toEqual(want);
    expect(fieldsToWrite({ emailDatetime: '2025-03-05T06:59:59.999Z' }, want, ids)).toEqual(want);
  });

  test('YT-12: operator lists compared as sets; e-mail ids as sets; local id as a number', () => {
    expect(fieldsToWrite({ operator: 'Билайн,МТС,МТС' }, { operator: 'МТС, Билайн' }, ids)).toEqual({});
    expect(fieldsToWrite({ localEmailsIds: '2, 1' }, { localEmailsIds: '1, 2' }, ids)).toEqual({});
    expect(fieldsToWrite({ localEmailsIds: '1' }, { localEmailsIds: '1, 2' }, ids)).toEqual({ localEmailsIds: '1, 2' });
    expect(fieldsToWrite({ localId: '42' }, { localId: 42 }, ids)).toEqual({});
    expect(fieldsToWrite({ localId: 41 }, { localId: 42 }, ids)).toEqual({ localId: 42 });
  });

  test('YT-12: dropdown snapshot arrays compare by their first element', () => {
    expect(fieldsToWrite({ newMessage: ['✔️ Да'] }, { newMessage: '✔️ Да' }, ids)).toEqual({});
    expect(fieldsToWrite({ newMessage: ['✖️ Нет'] }, { newMessage: '✔️ Да' }, ids)).toEqual({ newMessage: '✔️ Да' });
  });

  test('YT-12: comparable values per kind', () => {
    expect(comparableValue('string', '  x ')).toBe('x');
    expect(comparableValue('datetime', '2025-03-05T07:00:00.500Z')).toBe(1741158000);
    expect(comparableValue('operatorList', '')).toBeNull();
  });
});
