// A subset of Tracker's query language: `Field: value, value` conditions joined by spaces or AND,
// comparisons `>`, `>=`, `<`, `<=`, negation `!`, ranges `a..b`, functions `empty()`, `notEmpty()`,
// `me()`, and `"Sort by": Field ASC|DESC`. OR and parentheses are rejected with a clear message.

export interface QlAtom {
  text: string;
  /** Written as a function call, e.g. `empty()`. */
  fn: boolean;
}

export type QlValue =
  | { op: 'eq' | 'gt' | 'ge' | 'lt' | 'le'; negate: boolean; value: QlAtom }
  | { op: 'range'; negate: boolean; from: QlAtom; to: QlAtom };

export interface QlClause {
  name: string;
  values: QlValue[];
}

export interface QlSort {
  name: string;
  descending: boolean;
}

export interface QlQuery {
  clauses: QlClause[];
  sort: QlSort[];
}

type Token =
  | { t: 'word'; v: string }
  | { t: 'quoted'; v: string }
  | { t: 'punct'; v: ':' | ',' | '(' | ')' | '!' | '>' | '>=' | '<' | '<=' | '..' };

export type QlResult = { ok: true; query: QlQuery } | { ok: false; error: string };

export function parseQuery(text: string): QlResult {
  const tokens = tokenize(text);
  if (!Array.isArray(tokens)) return { ok: false, error: tokens.error };
  const parser = new Parser(tokens);
  try {
    return { ok: true, query: parser.query() };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function tokenize(text: string): Token[] | { error: string } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '"') {
      let value = '';
      i += 1;
      while (i < text.length && text.charAt(i) !== '"') {
        if (text.charAt(i) === '\\' && i + 1 < text.length) i += 1;
        value += text.charAt(i);
        i += 1;
      }
      if (i >= text.length) return { error: 'Незакрытая кавычка в запросе' };
      i += 1;
      tokens.push({ t: 'quoted', v: value });
    } else if (text.startsWith('..', i)) {
      tokens.push({ t: 'punct', v: '..' });
      i += 2;
    } else if (text.startsWith('>=', i) || text.startsWith('<=', i)) {
      tokens.push({ t: 'punct', v: text.slice(i, i + 2) as '>=' | '<=' });
      i += 2;
    } else if (':,()!<>'.includes(ch)) {
      tokens.push({ t: 'punct', v: ch as ':' | ',' | '(' | ')' | '!' | '<' | '>' });
      i += 1;
    } else {
      let word = '';
      while (i < text.length && !/[\s,:()"!<>]/.test(text.charAt(i)) && !text.startsWith('..', i)) {
        word += text.charAt(i);
        i += 1;
      }
      tokens.push({ t: 'word', v: word });
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  query(): QlQuery {
    const clauses: QlClause[] = [];
    const sort: QlSort[] = [];
    while (this.peek()) {
      const token = this.peek();
      if (token?.t === 'word' && token.v.toUpperCase() === 'AND') {
        this.pos += 1;
        continue;
      }
      if (token?.t === 'word' && token.v.toUpperCase() === 'OR') {
        throw new Error('Оператор OR не поддерживается эмулятором');
      }
      if (token?.t === 'punct' && token.v === '(') throw new Error('Скобки не поддерживаются эмулятором');
      const name = this.fieldName();
      this.expect(':');
      if (name.toLowerCase() === 'sort by') {
        sort.push(...this.sortItems());
      } else {
        clauses.push({ name, values: this.valueList() });
      }
    }
    return { clauses, sort };
  }

  private fieldName(): string {
    const token = this.next();
    if (token?.t === 'quoted') return token.v;
    if (token?.t !== 'word') throw new Error(`Ожидалось имя поля${token ? `, получено "${token.v}"` : ''}`);
    const after = this.peek();
    if (token.v.toLowerCase() === 'sort' && after?.t === 'word' && after.v.toLowerCase() === 'by') {
      this.pos += 1;
      return 'sort by';
    }
    return token.v;
  }

  private sortItems(): QlSort[] {
    const items: QlSort[] = [];
    for (;;) {
      const name = this.fieldName();
      const dir = this.peek();
      let descending = false;
      if (dir?.t === 'word' && /^(ASC|DESC)$/i.test(dir.v)) {
        descending = dir.v.toUpperCase() === 'DESC';
        this.pos += 1;
      }
      items.push({ name, descending });
      if (!this.accept(',')) return items;
    }
  }

  private valueList(): QlValue[] {
    const values: QlValue[] = [this.valueExpr()];
    while (this.accept(',')) values.push(this.valueExpr());
    return values;
  }

  private valueExpr(): QlValue {
    const negate = this.accept('!');
    for (const [punct, op] of [
      ['>=', 'ge'],
      ['<=', 'le'],
      ['>', 'gt'],
      ['<', 'lt'],
    ] as const) {
      if (this.accept(punct)) return { op, negate, value: this.atom() };
    }
    const from = this.atom();
    if (this.accept('..')) return { op: 'range', negate, from, to: this.atom() };
    return { op: 'eq', negate, value: from };
  }

  private atom(): QlAtom {
    const token = this.next();
    if (token?.t === 'quoted') return { text: token.v, fn: false };
    if (token?.t !== 'word') throw new Error(`Ожидалось значение${token ? `, получено "${token.v}"` : ''}`);
    if (this.accept('(')) {
      this.expect(')');
      return { text: token.v, fn: true };
    }
    return { text: token.v, fn: false };
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(): Token | undefined {
    const token = this.tokens[this.pos];
    this.pos += 1;
    return token;
  }

  private accept(punct: string): boolean {
    const token = this.peek();
    if (token?.t === 'punct' && token.v === punct) {
      this.pos += 1;
      return true;
    }
    return false;
  }

  private expect(punct: string): void {
    if (!this.accept(punct)) {
      const token = this.peek();
      throw new Error(`Ожидалось "${punct}"${token ? `, получено "${token.v}"` : ' в конце запроса'}`);
    }
  }
}
