// Filter expressions for the runs table, e.g. `lr < 0.01 and loss.min < 0.3`.
//
//   expr  := or;  or := and ("or" and)*;  and := not ("and" not)*;  not := "not" not | cmp
//   cmp   := sum (("<" | "<=" | ">" | ">=" | "==" | "=" | "!=" | "~") sum)?
//   sum   := prod (("+" | "-") prod)*;  prod := unary (("*" | " / ") unary)*;  unary := "-" unary | atom
//   atom  := number | "string" | 'string' | name | `any name` | "(" expr ")" | true | false
//
// Names may contain dots and slashes (`train/loss.min`), so division needs spaces around it.
// `~` matches a regular expression. Comparisons involving a missing value are false.
// Parsing never evaluates user text as code: it builds a tree of closures.

export class ExprError extends Error {}

const TOKEN = /\s*(?:(\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(`[^`]*`)|([A-Za-z_][\w.]*(?:\/[\w.]+)*)|(<=|>=|==|!=|[<>=~()+\-*/]))/iy;

function tokenize(text) {
  const tokens = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) throw new ExprError(`unexpected character at ${pos + 1}: ${text.slice(pos, pos + 10)}`);
    pos = TOKEN.lastIndex;
    if (m[1] !== undefined) tokens.push({ type: 'num', value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ type: 'str', value: m[2].slice(1, -1).replace(/\\(.)/g, '$1') });
    else if (m[3] !== undefined) tokens.push({ type: 'name', value: m[3].slice(1, -1) });
    else if (m[4] !== undefined) {
      const word = m[4].toLowerCase();
      if (['and', 'or', 'not'].includes(word)) tokens.push({ type: 'op', value: word });
      else if (word === 'true' || word === 'false') tokens.push({ type: 'bool', value: word === 'true' });
      else tokens.push({ type: 'name', value: m[4] });
    } else tokens.push({ type: 'op', value: m[5] });
  }
  return tokens;
}

const COMPARE = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b || (typeof a !== typeof b && String(a) === String(b)),
  '=': (a, b) => a === b || (typeof a !== typeof b && String(a) === String(b)),
  '!=': (a, b) => !(a === b || (typeof a !== typeof b && String(a) === String(b))),
};

const missing = (v) => v === undefined || v === null || (typeof v === 'number' && Number.isNaN(v));

/**
 * Compile `text` into `(lookup) => boolean`, where `lookup(name)` returns a column's value or
 * undefined. An empty expression accepts everything. Throws ExprError on bad syntax.
 * `compiled.names` lists the names the expression reads.
 */
export function compileFilter(text) {
  const tokens = tokenize(text ?? '');
  const names = new Set();
  if (!tokens.length) return Object.assign(() => true, { names });
  let at = 0;
  const peek = () => tokens[at];
  const isOp = (...ops) => peek()?.type === 'op' && ops.includes(peek().value);
  const expect = (op) => {
    if (!isOp(op)) throw new ExprError(`expected "${op}"${peek() ? ` before ${describe(peek())}` : ' at the end'}`);
    at++;
  };

  function parseOr() {
    let left = parseAnd();
    while (isOp('or')) {
      at++;
      const a = left;
      const b = parseAnd();
      left = (env) => Boolean(a(env)) || Boolean(b(env));
    }
    return left;
  }
  function parseAnd() {
    let left = parseNot();
    while (isOp('and')) {
      at++;
      const a = left;
      const b = parseNot();
      left = (env) => Boolean(a(env)) && Boolean(b(env));
    }
    return left;
  }
  function parseNot() {
    if (isOp('not')) {
      at++;
      const inner = parseNot();
      return (env) => !inner(env);
    }
    return parseCompare();
  }
  function parseCompare() {
    const left = parseSum();
    if (isOp('~')) {
      at++;
      const right = bareWord() ?? parseSum();
      return (env) => {
        const a = left(env);
        const pattern = right(env);
        if (missing(a) || missing(pattern)) return false;
        try {
          return new RegExp(String(pattern), 'i').test(String(a));
        } catch {
          throw new ExprError(`invalid regex ${pattern}`);
        }
      };
    }
    const op = peek()?.type === 'op' ? COMPARE[peek().value] : undefined;
    if (!op) return left;
    at++;
    const right = bareWord() ?? parseSum();
    return (env) => {
      const a = left(env);
      const b = right(env);
      return !missing(a) && !missing(b) && op(a, b);
    };
  }
  function parseSum() {
    let left = parseProduct();
    while (isOp('+', '-')) {
      const sign = tokens[at++].value;
      const a = left;
      const b = parseProduct();
      left = sign === '+' ? (env) => arith(a(env), b(env), (x, y) => x + y) : (env) => arith(a(env), b(env), (x, y) => x - y);
    }
    return left;
  }
  function parseProduct() {
    let left = parseUnary();
    while (isOp('*', '/')) {
      const sign = tokens[at++].value;
      const a = left;
      const b = parseUnary();
      left = sign === '*' ? (env) => arith(a(env), b(env), (x, y) => x * y) : (env) => arith(a(env), b(env), (x, y) => x / y);
    }
    return left;
  }
  // `optimizer = adam`: a lone word right of a comparison that names no column is that text
  // (quotes optional, as people type it); it is not reported as an unknown column.
  function bareWord() {
    const token = peek();
    const next = tokens[at + 1];
    if (token?.type !== 'name' || (next?.type === 'op' && ['+', '-', '*', '/'].includes(next.value))) return null;
    at++;
    return (lookup) => {
      const value = lookup(token.value);
      return value === undefined ? token.value : value;
    };
  }
  function parseUnary() {
    if (isOp('-')) {
      at++;
      const inner = parseUnary();
      return (env) => arith(0, inner(env), (x, y) => x - y);
    }
    return parseAtom();
  }
  function parseAtom() {
    const token = peek();
    if (!token) throw new ExprError('the expression ends too early');
    at++;
    if (token.type === 'num' || token.type === 'str' || token.type === 'bool') return () => token.value;
    if (token.type === 'name') {
      names.add(token.value);
      return (lookup) => lookup(token.value);
    }
    if (token.value === '(') {
      const inner = parseOr();
      expect(')');
      return inner;
    }
    throw new ExprError(`unexpected ${describe(token)}`);
  }

  const tree = parseOr();
  if (at < tokens.length) throw new ExprError(`unexpected ${describe(tokens[at])}`);
  return Object.assign((lookup) => Boolean(tree(lookup)), { names });
}

function arith(a, b, fn) {
  if (missing(a) || missing(b)) return undefined;
  return fn(Number(a), Number(b));
}

function describe(token) {
  return token.type === 'str' ? `"${token.value}"` : `"${token.value}"`;
}
