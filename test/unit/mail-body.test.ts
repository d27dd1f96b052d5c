import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';

import {
  chooseMainTextPart,
  composeBody,
  decodeFlowed,
  EMBEDDED_MESSAGE_SEPARATOR,
  normaliseBodyText,
} from '../../src/domain/mail/body.js';
import { htmlToText } from '../../src/domain/mail/html-text.js';

const part = (contentType: string, disposition: string | null = null, insideEmbeddedMessage = false) => ({
  contentType,
  disposition,
  insideEmbeddedMessage,
});

describe('MAIL-12 main text choice', () => {
  test('MAIL-12: the first text/plain part wins over an earlier text/html', () => {
    const parts = [part('text/html'), part('text/plain'), part('text/plain')];
    expect(chooseMainTextPart(parts)).toBe(parts[1]);
  });

  test('MAIL-12: text/plain attachments and parts of embedded messages are skipped', () => {
    const parts = [part('text/plain', 'attachment'), part('text/plain', null, true), part('text/plain', 'inline')];
    expect(chooseMainTextPart(parts)).toBe(parts[2]);
  });

  test('MAIL-12: without text/plain, the first eligible text/html', () => {
    const parts = [
      part('text/html', null, true),
      part('text/html', 'attachment'),
      part('text/html'),
      part('image/png'),
    ];
    expect(chooseMainTextPart(parts)).toBe(parts[2]);
  });

  test('MAIL-12: no text part → null', () => {
    expect(chooseMainTextPart([part('image/png'), part('text/plain', 'attachment')])).toBeNull();
  });
});

describe('MAIL-12 HTML to text', () => {
  test('MAIL-12: block elements and <br> become line breaks, entities are decoded', () => {
    expect(htmlToText('<p>Опора&nbsp;12345&amp;MSK</p><div>строка 1<br>строка 2</div>')).toBe(
      'Опора\u00a012345&MSK\n\nстрока 1\nстрока 2',
    );
  });

  test('MAIL-12: script and style are dropped, links render as their text', () => {
    expect(
      htmlToText(
        '<html><head><style>p{color:red}</style><title>t</title></head><body><script>alert(1)</script>' +
          '<p>См. <a href="https://evil.example/x">заявку</a></p></body></html>',
      ),
    ).toBe('См. заявку');
  });

  test('MAIL-12: quoted history is kept', () => {
    expect(htmlToText('<p>Ответ</p><blockquote>цитата</blockquote>')).toBe('Ответ\n\n> цитата');
  });

  test('MAIL-12: tables keep cells apart, headings keep their case', () => {
    expect(htmlToText('<h2>Заявка</h2><table><tr><td>Опора</td><td>12345-MSK-01</td></tr></table>')).toBe(
      'Заявка\n\nОпора   12345-MSK-01',
    );
  });

  test('MAIL-12: deeply nested HTML yields its text quickly, not an exception', () => {
    const depth = 50_000;
    const html = '<div>'.repeat(depth) + 'глубоко &amp; далеко' + '</div>'.repeat(depth);
    const started = Date.now();
    expect(normaliseBodyText(htmlToText(html))).toBe('глубоко & далеко');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('MAIL-12: unclosed deep inline tags yield text', () => {
    expect(normaliseBodyText(htmlToText('<b><i><span>'.repeat(20_000) + 'текст'))).toBe('текст');
  });
});

describe('MAIL-12 normalisation', () => {
  test('MAIL-12: NUL and other C0 controls except TAB and LF are removed, CRLF → LF', () => {
    expect(normaliseBodyText('a\u0000b\r\nc\td\u0007\u001b\u000be\ff')).toBe('ab\nc\tdef');
  });

  test('MAIL-12: trailing spaces removed, at most two consecutive blank lines, trimmed', () => {
    expect(normaliseBodyText('\n\n  a  \n\n\n\n\n\tb\t \n \n\n\n')).toBe('a\n\n\n\tb');
  });

  test('MAIL-12: plain text keeps <addr@host> and quoted lines', () => {
    expect(normaliseBodyText('Пишите <a@b.ru>\n> цитата <x>')).toBe('Пишите <a@b.ru>\n> цитата <x>');
  });

  test('MAIL-12: empty → null', () => {
    expect(normaliseBodyText('')).toBeNull();
    expect(normaliseBodyText(' \r\n\t\u0000 ')).toBeNull();
    expect(normaliseBodyText(null)).toBeNull();
  });

  test('GEN-8: the body is stored in NFC', () => {
    expect(normaliseBodyText('Е\u0308лка')).toBe('Ёлка');
  });

  test('MAIL-12: normalisation is idempotent (property)', () => {
    const alphabet = fc.constantFrom(
      'a',
      'Ё',
      ' ',
      '\t',
      '\n',
      '\r',
      '\u0000',
      '\u0007',
      'е',
      '\u0308',
      '\u00a0',
      '\u2028',
      '😀',
      '>',
    );
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 60 }).map((chars) => chars.join('')),
        (text) => {
          const once = normaliseBodyText(text);
          expect(normaliseBodyText(once)).toBe(once);
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        const once = normaliseBodyText(text);
        expect(normaliseBodyText(once)).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  test('MAIL-12: normalised text never holds C0 controls other than TAB/LF (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        // eslint-disable-next-line no-control-regex -- the controls MAIL-12 removes
        expect(normaliseBodyText(text) ?? '').not.toMatch(/[\u0000-\u0008\u000b-\u001f]|[ \t]\n|\n\n\n\n/);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('MAIL-12 embedded messages and format=flowed', () => {
  test('MAIL-12: embedded message texts are appended after a blank line and 30 dashes', () => {
    expect(EMBEDDED_MESSAGE_SEPARATOR).toBe('------------------------------');
    expect(composeBody('Пересылаю.\r\n', ['Исходное письмо  \n', null, '', 'Второе'])).toBe(
      `Пересылаю.\n\n${'-'.repeat(30)}\nИсходное письмо\n\n${'-'.repeat(30)}\nВторое`,
    );
  });

  test('MAIL-12: without a main text the body starts with the separator; nothing at all → null', () => {
    expect(composeBody(null, ['Вложенное'])).toBe(`${'-'.repeat(30)}\nВложенное`);
    expect(composeBody(null, [])).toBeNull();
    expect(composeBody('  ', [null])).toBeNull();
  });

  test('MAIL-12: format=flowed soft breaks are joined, quote depth respected', () => {
    const flowed = 'Первая часть \r\nвторая часть.\r\n> цитата \r\n> продолжение\r\n>> глубже\r\n-- \r\nПодпись';
    expect(decodeFlowed(flowed, false)).toBe(
      'Первая часть вторая часть.\n> цитата продолжение\n>> глубже\n-- \nПодпись',
    );
  });

  test('MAIL-12: DelSp=yes removes the soft-break space; space-stuffing is undone', () => {
    expect(decodeFlowed('Сло \r\nво\r\n From here', true)).toBe('Слово\nFrom here');
  });
});
