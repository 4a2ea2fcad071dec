// A small interpreter for the part of CEL (Common Expression Language) that CRD validation rules
// (x-kubernetes-validations) use: literals, field selection, has(), the comprehension macros,
// logic with CEL's error absorption, comparison, arithmetic, and the string, regex and quantity
// functions of Kubernetes' CEL library. `highlander validate` runs the CRDs' rules with it, so a
// bad CR is caught before `kubectl apply`. A rule that uses anything else is reported as not
// checked here (CelUnsupported at compile time), never silently passed.
import { CelEvalError, CelUnsupported, celFunction, isCelFunction, typeName } from './cel-lib.ts';

export { CelEvalError, CelUnsupported } from './cel-lib.ts';

/** A compiled rule. */
export interface CelProgram {
  /** Evaluates the rule with these variables (`self`, and `oldSelf` for transition rules). */
  evaluate(vars: Record<string, unknown>): unknown;
  /** Names of the variables the rule reads. */
  readonly variables: ReadonlySet<string>;
}

type Node =
  | { t: 'lit'; v: unknown }
  | { t: 'id'; name: string }
  | { t: 'sel'; obj: Node; field: string }
  | { t: 'idx'; obj: Node; index: Node }
  | { t: 'call'; fn: string; target: Node | undefined; args: Node[] }
  | { t: 'has'; obj: Node; field: string }
  | { t: 'macro'; fn: MacroName; target: Node; v: string; body: Node }
  | { t: 'not' | 'neg'; x: Node }
  | { t: 'bin'; op: string; l: Node; r: Node }
  | { t: 'cond'; c: Node; a: Node; b: Node }
  | { t: 'list'; items: Node[] }
  | { t: 'map'; entries: [Node, Node][] };

const MACROS = ['all', 'exists', 'exists_one', 'map', 'filter'] as const;
type MacroName = (typeof MACROS)[number];

/** Parses `src`; throws CelUnsupported for syntax or functions outside the subset. */
export function compileCel(src: string): CelProgram {
  const p = new Parser(tokenize(src));
  const ast = p.expr();
  p.expectEnd();
  const variables = new Set<string>();
  collectVariables(ast, new Set(), variables);
  return { evaluate: (vars) => evaluate(ast, vars), variables };
}

// ---- tokens ----

type Token =
  { k: 'num'; v: number } | { k: 'str'; v: string } | { k: 'id'; v: string } | { k: 'op'; v: string } | { k: 'end' };

const OPERATORS = [
  '||',
  '&&',
  '==',
  '!=',
  '<=',
  '>=',
  '<',
  '>',
  '!',
  '?',
  ':',
  '+',
  '-',
  '*',
  '/',
  '%',
  '.',
  ',',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const rest = src.slice(i);
    const ws = /^\s+/.exec(rest);
    if (ws) {
      i += ws[0].length;
      continue;
    }
    const str = /^([rRbB]?)('''|"""|'|")/.exec(rest);
    if (str) {
      const [prefix, quote] = [str[1]!, str[2]!];
      if (/[bB]/.test(prefix)) throw new CelUnsupported('bytes literals are not supported');
      const raw = prefix !== '';
      let j = i + str[0].length;
      let value = '';
      for (;;) {
        if (j >= src.length) throw new CelUnsupported('unterminated string literal');
        if (src.startsWith(quote, j)) break;
        const c = src[j]!;
        if (quote.length === 1 && c === '\n') throw new CelUnsupported('newline in a string literal');
        if (c === '\\' && !raw) {
          const [text, used] = unescape(src, j);
          value += text;
          j += used;
        } else {
          value += c;
          j += 1;
        }
      }
      out.push({ k: 'str', v: value });
      i = j + quote.length;
      continue;
    }
    const num = /^(0x[0-9a-fA-F]+|\d+(\.\d+)?([eE][+-]?\d+)?)[uU]?/.exec(rest);
    if (num) {
      out.push({ k: 'num', v: Number(num[1]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (id) {
      out.push({ k: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!op) throw new CelUnsupported(`unexpected character ${JSON.stringify(rest[0])}`);
    out.push({ k: 'op', v: op });
    i += op.length;
  }
  out.push({ k: 'end' });
  return out;
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '`': '`',
  '?': '?',
};

function unescape(src: string, at: number): [string, number] {
  const c = src[at + 1] ?? '';
  if (c in ESCAPES) return [ESCAPES[c]!, 2];
  const hex = /^(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-3][0-7]{2}))/.exec(src.slice(at + 1));
  if (hex) {
    const code = hex[4] ? parseInt(hex[4], 8) : parseInt(hex[1] ?? hex[2] ?? hex[3] ?? '', 16);
    return [String.fromCodePoint(code), 1 + hex[0].length];
  }
  throw new CelUnsupported(`unknown escape \\${c}`);
}

// ---- parser (precedence climbing, CEL's grammar) ----

class Parser {
  #i = 0;
  constructor(readonly tokens: Token[]) {}

  expectEnd(): void {
    if (this.#peek().k !== 'end') throw new CelUnsupported(`unexpected ${describeToken(this.#peek())}`);
  }

  expr(): Node {
    const c = this.#or();
    if (!this.#eat('?')) return c;
    const a = this.#or();
    this.#expect(':');
    const b = this.expr();
    return { t: 'cond', c, a, b };
  }

  #or(): Node {
    let l = this.#and();
    while (this.#eat('||')) l = { t: 'bin', op: '||', l, r: this.#and() };
    return l;
  }

  #and(): Node {
    let l = this.#relation();
    while (this.#eat('&&')) l = { t: 'bin', op: '&&', l, r: this.#relation() };
    return l;
  }

  #relation(): Node {
    let l = this.#addition();
    for (;;) {
      const t = this.#peek();
      const op =
        t.k === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)
          ? t.v
          : t.k === 'id' && t.v === 'in'
            ? 'in'
            : undefined;
      if (!op) return l;
      this.#i += 1;
      l = { t: 'bin', op, l, r: this.#addition() };
    }
  }

  #addition(): Node {
    let l = this.#multiplication();
    for (let op = this.#eatAny('+', '-'); op; op = this.#eatAny('+', '-'))
      l = { t: 'bin', op, l, r: this.#multiplication() };
    return l;
  }

  #multiplication(): Node {
    let l = this.#unary();
    for (let op = this.#eatAny('*', '/', '%'); op; op = this.#eatAny('*', '/', '%'))
      l = { t: 'bin', op, l, r: this.#unary() };
    return l;
  }

  #unary(): Node {
    if (this.#eat('!')) return { t: 'not', x: this.#unary() };
    if (this.#eat('-')) return { t: 'neg', x: this.#unary() };
    return this.#member();
  }

  #member(): Node {
    let n = this.#primary();
    for (;;) {
      if (this.#eat('.')) {
        const field = this.#ident();
        if (!this.#eat('(')) {
          n = { t: 'sel', obj: n, field };
          continue;
        }
        const args = this.#args(')');
        if ((MACROS as readonly string[]).includes(field) && args.length === 2 && args[0]?.t === 'id') {
          n = { t: 'macro', fn: field as MacroName, target: n, v: args[0].name, body: args[1]! };
        } else {
          if (!isCelFunction(field)) throw new CelUnsupported(`function ${field}() is not supported`);
          n = { t: 'call', fn: field, target: n, args };
        }
      } else if (this.#eat('[')) {
        const index = this.expr();
        this.#expect(']');
        n = { t: 'idx', obj: n, index };
      } else {
        return n;
      }
    }
  }

  #primary(): Node {
    const t = this.#next();
    if (t.k === 'num' || t.k === 'str') return { t: 'lit', v: t.v };
    if (t.k === 'op' && t.v === '(') {
      const e = this.expr();
      this.#expect(')');
      return e;
    }
    if (t.k === 'op' && t.v === '[') return { t: 'list', items: this.#args(']') };
    if (t.k === 'op' && t.v === '{') {
      const entries: [Node, Node][] = [];
      if (!this.#eat('}')) {
        do {
          const k = this.expr();
          this.#expect(':');
          entries.push([k, this.expr()]);
        } while (this.#eat(','));
        this.#expect('}');
      }
      return { t: 'map', entries };
    }
    if (t.k !== 'id') throw new CelUnsupported(`unexpected ${describeToken(t)}`);
    if (t.v === 'true' || t.v === 'false') return { t: 'lit', v: t.v === 'true' };
    if (t.v === 'null') return { t: 'lit', v: null };
    if (!this.#eat('(')) return { t: 'id', name: t.v };
    const args = this.#args(')');
    if (t.v === 'has') {
      const a = args[0];
      if (args.length !== 1 || a?.t !== 'sel')
        throw new CelUnsupported('has() takes one field selection, such as has(self.x)');
      return { t: 'has', obj: a.obj, field: a.field };
    }
    if (!isCelFunction(t.v)) throw new CelUnsupported(`function ${t.v}() is not supported`);
    return { t: 'call', fn: t.v, target: undefined, args };
  }

  #args(close: string): Node[] {
    const args: Node[] = [];
    if (this.#eat(close)) return args;
    do args.push(this.expr());
    while (this.#eat(','));
    this.#expect(close);
    return args;
  }

  #ident(): string {
    const t = this.#next();
    if (t.k !== 'id') throw new CelUnsupported(`expected a name, got ${describeToken(t)}`);
    return t.v;
  }

  #peek(): Token {
    return this.tokens[this.#i]!;
  }

  #next(): Token {
    const t = this.#peek();
    if (t.k !== 'end') this.#i += 1;
    return t;
  }

  #eat(op: string): boolean {
    const t = this.#peek();
    if (t.k === 'op' && t.v === op) {
      this.#i += 1;
      return true;
    }
    return false;
  }

  #eatAny(...ops: string[]): string | undefined {
    return ops.find((op) => this.#eat(op));
  }

  #expect(op: string): void {
    if (!this.#eat(op)) throw new CelUnsupported(`expected ${op}, got ${describeToken(this.#peek())}`);
  }
}

function describeToken(t: Token): string {
  return t.k === 'end' ? 'end of rule' : JSON.stringify(t.v);
}

function collectVariables(n: Node, bound: Set<string>, out: Set<string>): void {
  const walk = (x: Node): void => collectVariables(x, bound, out);
  switch (n.t) {
    case 'id':
      if (!bound.has(n.name)) out.add(n.name);
      return;
    case 'lit':
      return;
    case 'sel':
    case 'has':
      walk(n.obj);
      return;
    case 'idx':
      walk(n.obj);
      walk(n.index);
      return;
    case 'call':
      if (n.target) walk(n.target);
      n.args.forEach(walk);
      return;
    case 'macro':
      walk(n.target);
      collectVariables(n.body, new Set([...bound, n.v]), out);
      return;
    case 'not':
    case 'neg':
      walk(n.x);
      return;
    case 'bin':
      walk(n.l);
      walk(n.r);
      return;
    case 'cond':
      [n.c, n.a, n.b].forEach(walk);
      return;
    case 'list':
      n.items.forEach(walk);
      return;
    case 'map':
      n.entries.flat().forEach(walk);
  }
}

// ---- evaluation ----

type Outcome = { ok: true; v: unknown } | { ok: false; err: CelEvalError };

function attempt(n: Node, vars: Record<string, unknown>): Outcome {
  try {
    return { ok: true, v: evaluate(n, vars) };
  } catch (err) {
    if (err instanceof CelEvalError) return { ok: false, err };
    throw err;
  }
}

function evaluate(n: Node, vars: Record<string, unknown>): unknown {
  switch (n.t) {
    case 'lit':
      return n.v;
    case 'id':
      if (!(n.name in vars)) throw new CelEvalError(`undeclared reference to '${n.name}'`);
      return vars[n.name];
    case 'sel': {
      const obj = mapOf(evaluate(n.obj, vars), `.${n.field}`);
      if (!Object.hasOwn(obj, n.field)) throw new CelEvalError(`no such key: ${n.field}`);
      return obj[n.field];
    }
    case 'has':
      return Object.hasOwn(mapOf(evaluate(n.obj, vars), `has(.${n.field})`), n.field);
    case 'idx':
      return index(evaluate(n.obj, vars), evaluate(n.index, vars));
    case 'call':
      return celFunction(
        n.fn,
        n.target ? evaluate(n.target, vars) : undefined,
        n.args.map((a) => evaluate(a, vars)),
        n.target !== undefined,
      );
    case 'macro':
      return macro(n, vars);
    case 'not':
      return !bool(evaluate(n.x, vars), '!');
    case 'neg': {
      const x = evaluate(n.x, vars);
      if (typeof x !== 'number') throw new CelEvalError(`no such overload: -${typeName(x)}`);
      return -x;
    }
    case 'cond':
      return bool(evaluate(n.c, vars), '?:') ? evaluate(n.a, vars) : evaluate(n.b, vars);
    case 'list':
      return n.items.map((x) => evaluate(x, vars));
    case 'map':
      return Object.fromEntries(n.entries.map(([k, v]) => [String(evaluate(k, vars)), evaluate(v, vars)]));
    case 'bin':
      if (n.op === '||' || n.op === '&&') return logic(n.op, n.l, n.r, vars);
      return binary(n.op, evaluate(n.l, vars), evaluate(n.r, vars));
  }
}

/** CEL's commutative logic: `true || error` is true and `false && error` is false, in either order. */
function logic(op: '||' | '&&', l: Node, r: Node, vars: Record<string, unknown>): boolean {
  const decisive = op === '||';
  const a = attempt(l, vars);
  if (a.ok && bool(a.v, op) === decisive) return decisive;
  const b = attempt(r, vars);
  if (b.ok && bool(b.v, op) === decisive) return decisive;
  if (!a.ok) throw a.err;
  if (!b.ok) throw b.err;
  return !decisive;
}

function macro(n: Extract<Node, { t: 'macro' }>, vars: Record<string, unknown>): unknown {
  const target = evaluate(n.target, vars);
  const elems: unknown[] = Array.isArray(target) ? (target as unknown[]) : Object.keys(mapOf(target, `.${n.fn}()`));
  const run = (e: unknown): Outcome => attempt(n.body, { ...vars, [n.v]: e });
  switch (n.fn) {
    case 'all':
    case 'exists': {
      const decisive = n.fn === 'exists';
      let err: CelEvalError | undefined;
      for (const e of elems) {
        const o = run(e);
        if (!o.ok) err ??= o.err;
        else if (bool(o.v, n.fn) === decisive) return decisive;
      }
      if (err) throw err;
      return !decisive;
    }
    case 'exists_one': {
      let count = 0;
      for (const e of elems) {
        const o = run(e);
        if (!o.ok) throw o.err;
        if (bool(o.v, n.fn)) count += 1;
      }
      return count === 1;
    }
    case 'map':
      return elems.map((e) => evaluate(n.body, { ...vars, [n.v]: e }));
    case 'filter':
      return elems.filter((e) => bool(evaluate(n.body, { ...vars, [n.v]: e }), 'filter'));
  }
}

function binary(op: string, l: unknown, r: unknown): unknown {
  switch (op) {
    case '==':
      return equal(l, r);
    case '!=':
      return !equal(l, r);
    case 'in':
      if (Array.isArray(r)) return r.some((x) => equal(x, l));
      return Object.hasOwn(mapOf(r, 'in'), String(l));
    case '<':
    case '<=':
    case '>':
    case '>=': {
      if (!((typeof l === 'number' && typeof r === 'number') || (typeof l === 'string' && typeof r === 'string'))) {
        throw new CelEvalError(`no such overload: ${typeName(l)} ${op} ${typeName(r)}`);
      }
      return op === '<' ? l < r : op === '<=' ? l <= r : op === '>' ? l > r : l >= r;
    }
    case '+':
      if (typeof l === 'number' && typeof r === 'number') return l + r;
      if (typeof l === 'string' && typeof r === 'string') return l + r;
      if (Array.isArray(l) && Array.isArray(r)) return [...(l as unknown[]), ...(r as unknown[])];
      break;
    case '-':
    case '*':
    case '/':
    case '%':
      if (typeof l === 'number' && typeof r === 'number') {
        if ((op === '/' || op === '%') && r === 0)
          throw new CelEvalError(op === '/' ? 'division by zero' : 'modulus by zero');
        if (op === '/') return Number.isInteger(l) && Number.isInteger(r) ? Math.trunc(l / r) : l / r;
        return op === '-' ? l - r : op === '*' ? l * r : l % r;
      }
      break;
  }
  throw new CelEvalError(`no such overload: ${typeName(l)} ${op} ${typeName(r)}`);
}

function index(obj: unknown, i: unknown): unknown {
  if (Array.isArray(obj)) {
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= obj.length)
      throw new CelEvalError(`index out of range: ${String(i)}`);
    return obj[i];
  }
  const m = mapOf(obj, '[]');
  if (!Object.hasOwn(m, String(i))) throw new CelEvalError(`no such key: ${String(i)}`);
  return m[String(i)];
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
  }
  return false;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new CelEvalError(`no such overload: ${where} on ${typeName(v)}`);
  return v;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

function mapOf(v: unknown, where: string): Record<string, unknown> {
  if (!isMap(v)) throw new CelEvalError(`no such overload: ${where} on ${typeName(v)}`);
  return v;
}
