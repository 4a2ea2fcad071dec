// The functions CRD validation rules call, for the CEL interpreter in cr-validate-cel.ts: CEL's
// standard string functions, Kubernetes' string, regex and quantity libraries, and the
// translation of RE2 regular expressions (what CEL and Go use) into JavaScript ones.

/** The rule uses CEL that the interpreter does not implement; the API server still checks it. */
export class CelUnsupported extends Error {
  override readonly name = 'CelUnsupported';
}

/** The rule cannot be evaluated on this object (no such key, wrong type); the API server refuses such objects too. */
export class CelEvalError extends Error {
  override readonly name = 'CelEvalError';
}

/** The CEL type name of a value, for error messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Quantity) return 'Quantity';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'double';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'map' : typeof v;
}

type Method = (self: unknown, args: unknown[]) => unknown;
type Global = (args: unknown[]) => unknown;

const METHODS: Record<string, Method> = {
  contains: (s, [x]) => str(s, 'contains').includes(str(x, 'contains')),
  startsWith: (s, [x]) => str(s, 'startsWith').startsWith(str(x, 'startsWith')),
  endsWith: (s, [x]) => str(s, 'endsWith').endsWith(str(x, 'endsWith')),
  matches: (s, [re]) => re2(str(re, 'matches')).test(str(s, 'matches')),
  size: (s) => size(s),
  lowerAscii: (s) => str(s, 'lowerAscii').replace(/[A-Z]/g, (c) => c.toLowerCase()),
  upperAscii: (s) => str(s, 'upperAscii').replace(/[a-z]/g, (c) => c.toUpperCase()),
  trim: (s) => str(s, 'trim').replace(/^\s+|\s+$/g, ''),
  split: (s, [sep, n]) => split(str(s, 'split'), str(sep, 'split'), n === undefined ? -1 : int(n, 'split')),
  find: (s, [re]) => re2(str(re, 'find')).exec(str(s, 'find'))?.[0] ?? '',
  findAll: (s, [re, n]) => {
    const all = str(s, 'findAll').match(re2(str(re, 'findAll'), 'g')) ?? [];
    return n === undefined || int(n, 'findAll') < 0 ? all : all.slice(0, int(n, 'findAll'));
  },
  indexOf: (s, [x]) => codePointIndex(str(s, 'indexOf'), str(s, 'indexOf').indexOf(str(x, 'indexOf'))),
  lastIndexOf: (s, [x]) =>
    codePointIndex(str(s, 'lastIndexOf'), str(s, 'lastIndexOf').lastIndexOf(str(x, 'lastIndexOf'))),
  replace: (s, [a, b, n]) =>
    replace(str(s, 'replace'), str(a, 'replace'), str(b, 'replace'), n === undefined ? -1 : int(n, 'replace')),
  substring: (s, [from, to]) => {
    const chars = [...str(s, 'substring')];
    const end = to === undefined ? chars.length : int(to, 'substring');
    const start = int(from, 'substring');
    if (start < 0 || end > chars.length || start > end)
      throw new CelEvalError(`substring: index out of range [${start}, ${end})`);
    return chars.slice(start, end).join('');
  },
  join: (l, [sep]) =>
    list(l, 'join')
      .map((x) => str(x, 'join'))
      .join(sep === undefined ? '' : str(sep, 'join')),
  compareTo: (q, [o]) => compare(quantityOf(q, 'compareTo'), quantityOf(o, 'compareTo')),
  isGreaterThan: (q, [o]) => compare(quantityOf(q, 'isGreaterThan'), quantityOf(o, 'isGreaterThan')) > 0,
  isLessThan: (q, [o]) => compare(quantityOf(q, 'isLessThan'), quantityOf(o, 'isLessThan')) < 0,
  sign: (q) => Math.sign(Number(quantityOf(q, 'sign').num)),
  isInteger: (q) => quantityOf(q, 'isInteger').num % quantityOf(q, 'isInteger').den === 0n,
  asApproximateFloat: (q) =>
    Number(quantityOf(q, 'asApproximateFloat').num) / Number(quantityOf(q, 'asApproximateFloat').den),
};

const GLOBALS: Record<string, Global> = {
  size: ([x]) => size(x),
  matches: ([s, re]) => re2(str(re, 'matches')).test(str(s, 'matches')),
  int: ([x]) => toInt(x),
  uint: ([x]) => {
    const v = toInt(x);
    if (v < 0) throw new CelEvalError(`uint: ${v} is negative`);
    return v;
  },
  double: ([x]) => {
    const v = typeof x === 'string' ? Number(x) : x;
    if (typeof v !== 'number' || Number.isNaN(v)) throw new CelEvalError(`double: cannot convert ${typeName(x)}`);
    return v;
  },
  string: ([x]) => {
    if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return String(x);
    throw new CelEvalError(`string: cannot convert ${typeName(x)}`);
  },
  dyn: ([x]) => x,
  isQuantity: ([s]) => parseQuantity(str(s, 'isQuantity')) !== undefined,
  quantity: ([s]) => {
    const q = parseQuantity(str(s, 'quantity'));
    if (!q) throw new CelEvalError(`quantity: ${JSON.stringify(s)} is not a quantity`);
    return q;
  },
};

/** Whether the interpreter knows a function or method of this name. */
export function isCelFunction(name: string): boolean {
  return Object.hasOwn(METHODS, name) || Object.hasOwn(GLOBALS, name);
}

/** Calls `name` as a method on `target` (receiver style) or as a global function. */
export function celFunction(name: string, target: unknown, args: unknown[], isMethod: boolean): unknown {
  const f = isMethod ? METHODS[name] : GLOBALS[name];
  if (!f || !Object.hasOwn(isMethod ? METHODS : GLOBALS, name)) {
    throw new CelEvalError(`no such overload: ${isMethod ? `${typeName(target)}.` : ''}${name}()`);
  }
  return isMethod ? (f as Method)(target, args) : (f as Global)(args);
}

function str(v: unknown, fn: string): string {
  if (typeof v !== 'string') throw new CelEvalError(`no such overload: ${fn}() on ${typeName(v)}`);
  return v;
}

function list(v: unknown, fn: string): unknown[] {
  if (!Array.isArray(v)) throw new CelEvalError(`no such overload: ${fn}() on ${typeName(v)}`);
  return v;
}

function int(v: unknown, fn: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new CelEvalError(`no such overload: ${fn}() with ${typeName(v)}`);
  return v;
}

function toInt(x: unknown): number {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw new CelEvalError('int: range error');
    return Math.trunc(x);
  }
  if (typeof x === 'string' && /^[+-]?\d+$/.test(x)) return Number(x);
  throw new CelEvalError(`int: cannot convert ${typeof x === 'string' ? JSON.stringify(x) : typeName(x)}`);
}

function size(x: unknown): number {
  if (typeof x === 'string') return [...x].length;
  if (Array.isArray(x)) return x.length;
  if (x !== null && typeof x === 'object' && !(x instanceof Quantity)) return Object.keys(x).length;
  throw new CelEvalError(`no such overload: size() on ${typeName(x)}`);
}

/** Go's strings.SplitN (n < 0: all parts). */
function split(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const parts = sep === '' ? [...s] : s.split(sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function replace(s: string, a: string, b: string, n: number): string {
  if (n < 0) return s.split(a).join(b);
  let out = s;
  let from = 0;
  for (let i = 0; i < n; i++) {
    const at = out.indexOf(a, from);
    if (at < 0) break;
    out = out.slice(0, at) + b + out.slice(at + a.length);
    from = at + b.length;
  }
  return out;
}

function codePointIndex(s: string, utf16: number): number {
  return utf16 < 0 ? -1 : [...s.slice(0, utf16)].length;
}

// ---- regular expressions ----

const RE2_SPACE = '\\t\\n\\f\\r ';

/**
 * An RE2 pattern (CEL's and Go's syntax) as a JavaScript RegExp: leading flag groups such as
 * (?i), scoped (?i:…) groups (which Node 20 lacks), RE2's ASCII-only \s, \A and \z, (?P<name>…).
 * Throws CelUnsupported for what it does not translate (\p classes, \Q…\E, POSIX classes).
 */
export function re2(pattern: string, extraFlags = ''): RegExp {
  const key = `${extraFlags}/${pattern}`;
  let re = compiled.get(key);
  if (!re) {
    re = translate(pattern, extraFlags);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

const compiled = new Map<string, RegExp>();

function translate(pattern: string, extraFlags: string): RegExp {
  let flags = extraFlags;
  let i = 0;
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead) {
    if (lead[1]!.includes('U')) throw new CelUnsupported('the RE2 flag U is not supported');
    flags += lead[1]!;
    i = lead[0].length;
  }
  const folding: boolean[] = [flags.includes('i')];
  let out = '';
  let inClass = false;
  while (i < pattern.length) {
    const c = pattern[i]!;
    const fold = folding[folding.length - 1]! && !flags.includes('i');
    if (c === '\\') {
      const e = pattern[i + 1] ?? '';
      if ('pPQE'.includes(e)) throw new CelUnsupported(`the RE2 escape \\${e} is not supported`);
      if (e === 's') out += inClass ? RE2_SPACE : `[${RE2_SPACE}]`;
      else if (e === 'S') {
        if (inClass) throw new CelUnsupported('\\S inside a character class is not supported');
        out += `[^${RE2_SPACE}]`;
      } else if (e === 'A') out += '^';
      else if (e === 'z') out += '$';
      else out += c + e;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === ']') {
        inClass = false;
        out += c;
        i += 1;
        continue;
      }
      if (c === '[' && pattern[i + 1] === ':') throw new CelUnsupported('POSIX character classes are not supported');
      const range = /^([A-Za-z])-([A-Za-z])/.exec(pattern.slice(i));
      if (fold && range) {
        out += `${range[0]}${swapCase(range[1]!)}-${swapCase(range[2]!)}`;
        i += 3;
        continue;
      }
      out += fold && /[A-Za-z]/.test(c) ? c + swapCase(c) : c;
      i += 1;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i += 1;
      if (pattern[i] === '^') {
        out += '^';
        i += 1;
      }
      if (pattern[i] === ']') {
        out += '\\]';
        i += 1;
      }
      continue;
    }
    if (c === '(') {
      const group = /^\((?:\?(?:([imsU-]+):|P?(<[A-Za-z_][A-Za-z0-9_]*>)|(:)))?/.exec(pattern.slice(i))!;
      if (pattern[i + 1] === '?' && group[0].length === 1)
        throw new CelUnsupported(`the RE2 group ${pattern.slice(i, i + 4)}… is not supported`);
      let groupFold = folding[folding.length - 1]!;
      if (group[1] !== undefined) {
        if (!/^i?$|^-i$/.test(group[1])) throw new CelUnsupported(`the RE2 flags (?${group[1]}:…) are not supported`);
        groupFold = group[1] === 'i';
        out += '(?:';
      } else if (group[2] !== undefined) out += `(?${group[2]}`;
      else out += group[3] !== undefined ? '(?:' : '(';
      folding.push(groupFold);
      i += group[0].length;
      continue;
    }
    if (c === ')') {
      if (folding.length > 1) folding.pop();
      out += c;
      i += 1;
      continue;
    }
    out += fold && /[A-Za-z]/.test(c) ? `[${c}${swapCase(c)}]` : c;
    i += 1;
  }
  try {
    return new RegExp(out, flags);
  } catch (err) {
    throw new CelUnsupported(`regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

function swapCase(c: string): string {
  return c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
}

// ---- quantities ----

/** A Kubernetes resource quantity as an exact fraction num/den (den > 0). */
export class Quantity {
  constructor(
    readonly num: bigint,
    readonly den: bigint,
  ) {}
}

const DECIMAL_SI: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SI: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** Parses a quantity as Kubernetes does (100m, 1.5Gi, 2e3); undefined when it is not one. */
export function parseQuantity(s: string): Quantity | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/.exec(s);
  if (!m) return undefined;
  const [, sign, whole = '', frac = '', suffix = ''] = m;
  if (whole === '' && frac === '') return undefined;
  let num = BigInt(`${whole}${frac}` || '0') * (sign === '-' ? -1n : 1n);
  let den = 10n ** BigInt(frac.length);
  if (suffix in BINARY_SI) num *= 2n ** BigInt(BINARY_SI[suffix]!);
  else {
    const exp = suffix in DECIMAL_SI ? DECIMAL_SI[suffix]! : Number(suffix.slice(1));
    if (Math.abs(exp) > 1000) return undefined;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  return new Quantity(num, den);
}

function quantityOf(v: unknown, fn: string): Quantity {
  if (!(v instanceof Quantity)) throw new CelEvalError(`no such overload: ${fn}() on ${typeName(v)}`);
  return v;
}

function compare(a: Quantity, b: Quantity): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}
