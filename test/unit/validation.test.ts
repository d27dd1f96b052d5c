import { describe, test, expect } from '@jest/globals';
import { buildDirectoryIndex } from '../../src/domain/directory-index.js';
import { needsValidation, unknownLocalIdMessage, validateDispatcherInput } from '../../src/domain/validation.js';
import type { DispatcherFields, ValidationResult } from '../../src/domain/validation.js';
import { directoryOf } from './directory-index.fixture.js';

const TYPES = [
  'Запрос на организацию доступа к объекту',
  'Авария по питанию от сотрудника НБ',
  'Угроза гибели / гибель объекта',
  'Авария по питанию для МСК',
  'Авария по питанию РФ',
  'Авария ВОЛС',
  'Инцидент / запрос гос. органов',
];

const directory = buildDirectoryIndex(
  directoryOf(
    [
      { siteId: 101, code: '12345-MSK-01', contractor: 'ООО Ремонт' },
      { siteId: 102, code: '12345-MSK-02', contractor: 'ООО Ремонт' },
      { siteId: 103, code: '12345-MSK-03', contractor: 'ООО Ремонт' },
      { siteId: 104, code: '12345-MSK-04', contractor: 'ООО Ремонт' },
      { siteId: 201, code: '99999-SPB-01', contractor: 'ООО Север' },
      { siteId: 202, code: '99999-SPB-02', contractor: 'ООО Север' },
      { siteId: 301, code: '77777-NSK-10' },
    ],
    [
      { name: 'MSK0123', site: 101, operators: ['МТС', 'Билайн'] },
      { name: 'BS7001', site: 201 },
      { name: 'BS7001', site: 102 },
      { name: 'BS8004', site: 202 },
      { name: 'BS8002', site: 201 },
      { name: 'BS8001', site: 202 },
      { name: 'BS8003', site: 104 },
      { name: 'LTE500', site: 103 },
      { name: 'SPB1', site: 201 },
      { name: 'SPB10', site: 202 },
    ],
  ),
);

const MSK01 = 1_000_101;
const SPB01 = 1_000_201;

function validate(current: Partial<DispatcherFields>, currentTypeName: string | null = null): ValidationResult {
  return validateDispatcherInput({
    current: { problemType: null, pole: null, baseStation: null, ...current },
    lastValidated: null,
    incidentTypeNames: TYPES,
    currentTypeName,
    directory,
  });
}

describe('VAL-E1', () => {
  test('VAL-E1: the message names the local-id field', () => {
    expect(unknownLocalIdMessage('localId')).toBe('Неизвестный localId для внутреннего номера инцидента.');
  });
});

describe('YT-16 step 4: only changed values are validated', () => {
  const last: DispatcherFields = { problemType: 'Авария ВОЛС', pole: '12345-MSK-01', baseStation: null };

  test('YT-16: identical (or whitespace-only different) values are not validated again', () => {
    expect(needsValidation({ ...last, pole: ' 12345-MSK-01 ', baseStation: '' }, last)).toBe(false);
    expect(
      validateDispatcherInput({
        current: last,
        lastValidated: last,
        incidentTypeNames: TYPES,
        currentTypeName: null,
        directory,
      }),
    ).toEqual({ ok: true, status: 'unchanged' });
  });

  test('YT-16: a changed value (even only its case) or no previous validation triggers validation', () => {
    expect(needsValidation({ ...last, pole: '12345-msk-01' }, last)).toBe(true);
    expect(needsValidation({ ...last, baseStation: 'MSK0123' }, last)).toBe(true);
    expect(needsValidation(last, null)).toBe(true);
  });
});

describe('VAL-2 problem type', () => {
  test('VAL-2: empty clears the DB type; a known name sets it', () => {
    expect(validate({ problemType: '  ' })).toEqual({
      ok: true,
      status: 'valid',
      set: { typeName: null, poleId: null, baseStationId: null },
      canonical: { pole: null, bs: null },
    });
    expect(validate({ problemType: 'Авария по питанию для МСК' })).toMatchObject({
      ok: true,
      set: { typeName: 'Авария по питанию для МСК' },
    });
  });

  test('VAL-E2: unknown type, all names listed in code-point order, field reset to the DB type', () => {
    expect(validate({ problemType: 'Авария', pole: '00000' }, 'Авария ВОЛС')).toEqual({
      ok: false,
      status: 'invalid',
      errorId: 'VAL-E2',
      message:
        'Неверно указан тип инцидента (Авария). Допустимые значения: Авария ВОЛС, Авария по питанию РФ, ' +
        'Авария по питанию для МСК, Авария по питанию от сотрудника НБ, Запрос на организацию доступа к объекту, ' +
        'Инцидент / запрос гос. органов, Угроза гибели / гибель объекта.',
      clear: ['problemType'],
      problemTypeResetTo: 'Авария ВОЛС',
    });
  });

  test('VAL-E2: with no DB type the field is cleared', () => {
    expect(validate({ problemType: 'x' })).toMatchObject({ errorId: 'VAL-E2', problemTypeResetTo: null });
  });
});

describe('VAL-3 base station', () => {
  test('VAL-3/VAL-5: a unique exact BS sets BS and pole; lower case is canonicalised', () => {
    expect(validate({ baseStation: ' msk0123 ' })).toEqual({
      ok: true,
      status: 'valid',
      set: { typeName: null, poleId: MSK01, baseStationId: 5_000_000 },
      canonical: { pole: '12345-MSK-01', bs: 'MSK0123' },
    });
  });

  test('VAL-3: a pole prefix narrows the candidates; the pole field becomes the full code', () => {
    expect(validate({ baseStation: 'BS7001', pole: '9999' })).toMatchObject({
      ok: true,
      set: { poleId: SPB01, baseStationId: 5_000_001 },
      canonical: { pole: '99999-SPB-01', bs: 'BS7001' },
    });
    expect(validate({ baseStation: 'MSK0123', pole: '12345' })).toMatchObject({
      ok: true,
      canonical: { pole: '12345-MSK-01', bs: 'MSK0123' },
    });
  });

  test('VAL-3: exact names are preferred over prefix matches', () => {
    expect(validate({ baseStation: 'spb1' })).toMatchObject({
      ok: true,
      canonical: { pole: '99999-SPB-01', bs: 'SPB1' },
    });
  });

  test('VAL-3: a unique prefix is valid', () => {
    expect(validate({ baseStation: 'LTE' })).toMatchObject({
      ok: true,
      canonical: { pole: '12345-MSK-03', bs: 'LTE500' },
    });
  });

  test('VAL-E4: no BS with that name or prefix', () => {
    expect(validate({ baseStation: 'XYZ', pole: '12345-MSK-01' })).toEqual({
      ok: false,
      status: 'invalid',
      errorId: 'VAL-E4',
      message: 'Не найдено БС, начинающихся с "XYZ"',
      clear: ['baseStation', 'operator'],
      validatedTypeName: null,
    });
  });

  test('AC-10/VAL-E5: an exact BS on another pole clears pole, BS, contractor and operator', () => {
    expect(validate({ baseStation: 'MSK0123', pole: '99999-SPB-01', problemType: 'Авария ВОЛС' })).toEqual({
      ok: false,
      status: 'invalid',
      errorId: 'VAL-E5',
      message: 'Базовая станция "MSK0123" привязана к опоре "12345-MSK-01", а указана опора "99999-SPB-01"',
      clear: ['pole', 'baseStation', 'contractor', 'operator'],
      validatedTypeName: 'Авария ВОЛС',
    });
  });

  test('VAL-E5: names the first exact candidate by pole code', () => {
    expect(validate({ baseStation: 'bs7001', pole: '77777' })).toMatchObject({
      errorId: 'VAL-E5',
      message: 'Базовая станция "BS7001" привязана к опоре "12345-MSK-02", а указана опора "77777"',
    });
  });

  test('VAL-E6: prefix candidates exist but none on a pole with that prefix', () => {
    expect(validate({ baseStation: 'LTE', pole: '99999' })).toEqual({
      ok: false,
      status: 'invalid',
      errorId: 'VAL-E6',
      message: 'Найдено БС, начинающихся с "LTE", но ни одна не привязана к опоре, начинающейся с "99999".',
      clear: ['baseStation', 'operator'],
      validatedTypeName: null,
    });
  });

  test('VAL-E7: ambiguous prefix without a pole, first three examples ascending', () => {
    expect(validate({ baseStation: 'BS800' })).toEqual({
      ok: false,
      status: 'invalid',
      errorId: 'VAL-E7',
      message:
        'Найдено 4 БС, начинающихся с "BS800". Примеры: BS8001 (99999-SPB-02), BS8002 (99999-SPB-01), ' +
        'BS8003 (12345-MSK-04). Уточните шифр базовой станции.',
      clear: ['baseStation', 'operator'],
      validatedTypeName: null,
    });
  });

  test('VAL-E7: with a pole the message adds the pole clause', () => {
    expect(validate({ baseStation: 'BS800', pole: '99999-SPB' })).toMatchObject({
      errorId: 'VAL-E7',
      message:
        'Найдено 3 БС, начинающихся с "BS800" и привязанных к опорам, начинающимся с "99999-SPB". ' +
        'Примеры: BS8001 (99999-SPB-02), BS8002 (99999-SPB-01), BS8004 (99999-SPB-02). Уточните шифр базовой станции.',
    });
  });

  test('VAL-E7: an exact name present on several poles is ambiguous, not guessed', () => {
    expect(validate({ baseStation: 'BS7001' })).toMatchObject({
      errorId: 'VAL-E7',
      message:
        'Найдено 2 БС, начинающихся с "BS7001". Примеры: BS7001 (12345-MSK-02), BS7001 (99999-SPB-01). ' +
        'Уточните шифр базовой станции.',
    });
  });
});

describe('VAL-4 pole', () => {
  test('AC-9: a lower-case exact code is canonicalised; the pole carries its contractor', () => {
    const result = validate({ pole: '12345-msk-01' });
    expect(result).toEqual({
      ok: true,
      status: 'valid',
      set: { typeName: null, poleId: MSK01, baseStationId: null },
      canonical: { pole: '12345-MSK-01', bs: null },
    });
    const pole = directory.poleById(MSK01);
    expect(pole === undefined ? null : directory.contractorOf(pole)?.name).toBe('ООО Ремонт');
  });

  test('VAL-4: one distinct code with the prefix is valid and canonicalised to the full code', () => {
    expect(validate({ pole: ' 77777 ' })).toMatchObject({ ok: true, canonical: { pole: '77777-NSK-10', bs: null } });
  });

  test('VAL-E3a: no pole with the prefix', () => {
    expect(validate({ pole: '00000' })).toEqual({
      ok: false,
      status: 'invalid',
      errorId: 'VAL-E3a',
      message: 'Не найдено опор, начинающихся с "00000"',
      clear: ['pole', 'baseStation', 'contractor', 'operator'],
      validatedTypeName: null,
    });
  });

  test('AC-8/VAL-E3b: ambiguous prefix, count and first three codes', () => {
    expect(validate({ pole: '12345-MSK' })).toEqual({
      ok: false,
      status: 'invalid',
      errorId: 'VAL-E3b',
      message:
        'Найдено 4 опор, начинающихся с "12345-MSK". Примеры: 12345-MSK-01, 12345-MSK-02, 12345-MSK-03. Уточните шифр опоры.',
      clear: ['pole', 'baseStation', 'contractor', 'operator'],
      validatedTypeName: null,
    });
  });
});

describe('VAL-5 and VAL-7', () => {
  test('VAL-5: empty BS and pole clear both in the DB', () => {
    expect(validate({ pole: '', baseStation: null, problemType: 'Авария ВОЛС' })).toEqual({
      ok: true,
      status: 'valid',
      set: { typeName: 'Авария ВОЛС', poleId: null, baseStationId: null },
      canonical: { pole: null, bs: null },
    });
  });

  test('VAL-7: the problem type is checked first; its error stops BS and pole checks', () => {
    expect(validate({ problemType: 'нет такого', baseStation: 'XYZ', pole: '00000' })).toMatchObject({
      errorId: 'VAL-E2',
    });
  });

  test('VAL-7: the BS is checked before the pole; a valid BS makes the pole follow it', () => {
    expect(validate({ baseStation: 'XYZ', pole: '00000' })).toMatchObject({ errorId: 'VAL-E4' });
    expect(validate({ baseStation: 'SPB10', pole: '99999-SPB-0' })).toMatchObject({
      ok: true,
      canonical: { pole: '99999-SPB-02', bs: 'SPB10' },
    });
  });
});
