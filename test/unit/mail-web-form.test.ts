import { describe, expect, test } from '@jest/globals';

import { renderWebFormJson } from '../../src/domain/mail/web-form.js';

describe('MAIL-12 web-form JSON', () => {
  test('MAIL-12: a JSON object is rendered as key: value lines; requester and observers extracted', () => {
    const body =
      'Новая заявка с сайта:\n' +
      JSON.stringify({
        Имя: 'Иван',
        'E-mail для обратной связи': ' Ivan@Example.RU ',
        'E-mail наблюдателя по заявке 1': 'obs1@x.ru',
        'E-mail наблюдателя по заявке 2': 'не адрес',
        Опора: '12345-MSK-01',
      }) +
      '\nСпасибо';
    expect(renderWebFormJson(body)).toEqual({
      text:
        'Новая заявка с сайта:\n' +
        'Имя: Иван\n' +
        'E-mail для обратной связи:  Ivan@Example.RU \n' +
        'E-mail наблюдателя по заявке 1: obs1@x.ru\n' +
        'E-mail наблюдателя по заявке 2: не адрес\n' +
        'Опора: 12345-MSK-01\n' +
        'Спасибо',
      requester: 'Ivan@example.ru',
      observers: ['obs1@x.ru'],
    });
  });

  test('MAIL-12: nesting renders as indented key lines and - item lines', () => {
    const body =
      '{"Заявка":{"Номер":7,"Срочно":true,"Комментарий":null},"Опоры":["A-1","B-2"],"Контакты":[{"Тел":"+7 900"}]}';
    expect(renderWebFormJson(body).text).toBe(
      [
        'Заявка:',
        '  Номер: 7',
        '  Срочно: true',
        '  Комментарий: ',
        'Опоры:',
        '  - A-1',
        '  - B-2',
        'Контакты:',
        '  -',
        '    Тел: +7 900',
      ].join('\n'),
    );
  });

  test('MAIL-12: a JSON array of objects at top level', () => {
    expect(renderWebFormJson('[{"a":"1"},{"b":"2"}]').text).toBe('-\n  a: 1\n-\n  b: 2');
  });

  test('MAIL-12: JSON inside text is put on its own lines; several objects are all rendered', () => {
    expect(renderWebFormJson('Данные: {"a":"1"} и {"b":"2"} конец').text).toBe('Данные: \na: 1\n и \nb: 2\n конец');
  });

  test('MAIL-12: observers from nested objects and lists, each once; requester of the first object wins', () => {
    const body = JSON.stringify({
      form: {
        'E-mail для обратной связи': 'first@x.ru',
        'E-mail наблюдателя по заявке': ['o1@x.ru', 'O1@X.ru', 'bad'],
      },
      other: { 'E-mail для обратной связи': 'second@x.ru', 'E-mail наблюдателя по заявке (доп.)': 'o2@y.ru; o3@z.ru' },
    });
    const form = renderWebFormJson(body);
    expect(form.requester).toBe('first@x.ru');
    expect(form.observers).toEqual(['o1@x.ru', 'o2@y.ru', 'o3@z.ru']);
  });

  test('MAIL-12: an invalid requester address is ignored', () => {
    expect(renderWebFormJson('{"E-mail для обратной связи":"нет"}').requester).toBeNull();
  });

  test('MAIL-12: text that is not JSON is left alone ([ТЕСТ-42], footnotes [1], stray braces)', () => {
    const text = '[ТЕСТ-42] Задача {не json} см. [1] и [2, 3] { "a": ';
    expect(renderWebFormJson(text)).toEqual({ text, requester: null, observers: [] });
  });

  test('MAIL-12: multi-line string values are indented under their key', () => {
    expect(renderWebFormJson('{"Описание":"строка 1\\nстрока 2"}').text).toBe('Описание: строка 1\n  строка 2');
  });

  test('MAIL-12: JSON deeper than 64 levels is not a form; its inner 64 levels are, rendered 32 levels deep', () => {
    const deep = '['.repeat(100) + '"x"' + ']'.repeat(100);
    const lines = Array.from({ length: 32 }, (_, d) => `${'  '.repeat(d)}-`);
    lines.push(`${'  '.repeat(32)}- ${'['.repeat(31)}"x"${']'.repeat(31)}`);
    expect(renderWebFormJson(deep).text).toBe(`${'['.repeat(36)}\n${lines.join('\n')}\n${']'.repeat(36)}`);
  });

  test('MAIL-12: many stray brackets yield the text unchanged, quickly', () => {
    const stray = '{'.repeat(20_000) + 'текст' + '['.repeat(20_000);
    const started = Date.now();
    expect(renderWebFormJson(stray).text).toBe(stray);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
