// Differential check of the CEL engines: every x-kubernetes-validations rule of crds/*.yaml is
// run by the old hand-written interpreter (cel.ts) and by @bufbuild/cel (cel-program.ts) on a
// corpus of values derived from the rule's schema, and the two must agree result for result.
// The outcomes are recorded in testdata/cel-corpus-outcomes.json (CEL_CORPUS_RECORD=1 writes
// it), so that they stay checked once the old interpreter is gone.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { compileCel as compileOld } from './cel.ts';
import { compileCel as compileNew } from './cel-program.ts';
import type { CelSchema } from './cel-program.ts';

interface RuleSchema extends CelSchema {
  enum?: unknown[];
  properties?: Record<string, RuleSchema>;
  items?: RuleSchema;
  'x-kubernetes-validations'?: { rule: string }[];
}

/** Every rule of the CRDs with the schema node it sits on. */
function crdRules(): { crd: string; path: string; rule: string; schema: RuleSchema }[] {
  const dir = new URL('../crds/', import.meta.url);
  const out: { crd: string; path: string; rule: string; schema: RuleSchema }[] = [];
  const walk = (crd: string, s: RuleSchema, path: string): void => {
    for (const r of s['x-kubernetes-validations'] ?? []) out.push({ crd, path: path || '.', rule: r.rule, schema: s });
    for (const [k, p] of Object.entries(s.properties ?? {})) walk(crd, p, `${path}.${k}`);
    if (s.items) walk(crd, s.items, `${path}[*]`);
  };
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
    for (const d of parseAllDocuments(readFileSync(new URL(name, dir), 'utf8'))) {
      const crd = d.toJS() as { spec: { versions: { schema: { openAPIV3Schema: RuleSchema } }[] } };
      for (const v of crd.spec.versions) walk(name, v.schema.openAPIV3Schema, '');
    }
  }
  return out;
}

// A fixed seed: the corpus is the same on every run.
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
let random = prng(20240611);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

const QUANTITIES = [
  '0',
  '1',
  '2',
  '0.5',
  '.5',
  '1.',
  '100m',
  '250m',
  '500m',
  '1000m',
  '1001m',
  '0.1',
  '101m',
  '64Mi',
  '1Gi',
  '1024Mi',
  '1000Mi',
  '2Gi',
  '1G',
  '1e3',
  '2e3',
  '2k',
  '1E-3',
  '+1',
  '-1',
  '-0',
  '5n',
  '7u',
  '3Ei',
  '1Ki',
  '1k',
  '1M',
  '1T',
  '1P',
  '1E',
  '1e1001',
  '0.0',
  '00',
  '1.5Gi',
  '1.5.5',
  'lots',
  '64 MB',
  'Mi',
  '1mi',
  '1KB',
  '1K',
  '.',
  '1e',
  '--1',
  '1Gi ',
  ' 1',
  '',
  'big',
  '1,5',
  '0x10',
  '1e-9',
  '1e9',
  '9999999999999999999999G',
];

// Tokens the cron rules read, per field; whole schedules are drawn from them.
const CRON_FIELDS = [
  ['*', '*/5', '0', '00', '59', '60', '61', '5-1', '1-5', '0-59/2', '1,15', '*/0', 'x', '', '1-3,10-20', '100-200'],
  ['*', '0', '9-17/2', '23', '24', '017', '5-1', '1,2', '*/3', '2-23', '12-1'],
  ['*', '?', '1', '31', '32', '0', 'L', '15W', '1-15', '15-1', '1,15', '*/2', 'H'],
  ['*', '1', '12', '13', 'JAN', 'jan,Jul', 'nov-feb', 'FEB-NOV', 'dec', 'Sept', '1-12/2', '12-1', 'ſep', '*/2'],
  ['*', '?', '0', '6', '7', 'SUN', 'sun-sat/2', 'MON-FRI', 'FRI-MON', 'sat-sun', 'mon', '1#2', '5L', 'ſun', '6-0'],
];
const SCHEDULES = [
  '*/5 * * * *',
  '0 0 * * SUN',
  '@daily',
  '@hourly',
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@midnight',
  '@every 5m',
  '@reboot',
  '@',
  '0 9-17/2 * * MON-FRI',
  '30 6 1,15 * ?',
  '0 0 1 JAN,Jul *',
  '59 23 31 12 6',
  '0 0 * * sun-sat/2',
  '0 0 0 * * *',
  '0 0 * * 7',
  'TZ=UTC 0 * * * *',
  'CRON_TZ=Europe/Berlin 0 * * * *',
  '61 * * * *',
  '0 0 L * *',
  '0 0 * * FRI-MON',
  '0 0 * nov-feb *',
  '5-1 * * * *',
  '',
  ' ',
  '* * * *',
  '* * * * * *',
  '  */5 * * * *  ',
  '*\t*\t*\t*\t*',
  '* * * * *\n',
  '*\v* * * *',
  '* * * * mon-(sun)',
  '0 0 * * ſat-ſun',
  '0 0 * ſep-ſep *',
  '1-2-3 * * * *',
  '999-1 * * * *',
  '1-999 * * * *',
  'a-b * * * *',
  '0 0 * * \u212aFRI',
  '0\u00a00 * * *',
];
for (let i = 0; i < 1500; i++) SCHEDULES.push(CRON_FIELDS.map((f) => pick(f)).join(random() < 0.1 ? '  ' : ' '));

const NAMES = [
  '',
  'a',
  'b',
  'x',
  '80',
  'http',
  'dns-tcp',
  'dns',
  'pg',
  'log',
  'web',
  'data',
  'p0rt',
  'a--b',
  'A',
  'Local',
  'local',
  'LOCAL',
  'LoCaL',
  'UTC',
  'Europe/Berlin',
  'lo\u212aal',
  'TZ',
  'Exists',
  'Equal',
  'NoExecute',
  'NoSchedule',
  'TCP',
  'UDP',
  'é',
  '😀',
];
const STRINGS = [...new Set([...SCHEDULES, ...QUANTITIES, ...NAMES])];
const SMALL_STRINGS = [
  '',
  'a',
  'b',
  'Exists',
  'Equal',
  'NoExecute',
  'NoSchedule',
  'TCP',
  'UDP',
  '0',
  '1',
  '2',
  '-1',
  '+1',
  '.5',
  '100m',
  '500m',
  '1000m',
  '1e3',
  '1k',
  '64Mi',
  '1Gi',
  '1024Mi',
  '1G',
  '2Gi',
  'lots',
  '1Gi ',
];
const INTEGERS = [0, 1, -1, 5, 53, 80, 81, 443, 5432, 65535, 70000, 2 ** 31, -(2 ** 40)];
const WRONG_TYPES: unknown[] = [null, 1, 1.5, true, [], {}, ['a'], { a: 1 }];
const ABSENT = Symbol('absent');

/** Values for a schema node: broad at the rule's own node, fewer below it so that duplicates and pairs occur. */
function values(s: RuleSchema, depth: number): unknown[] {
  if (s.type === 'string') {
    const base = depth === 0 ? STRINGS : depth === 1 ? SMALL_STRINGS : ['a', 'b', 'TCP', 'UDP'];
    return [...new Set([...(s.enum ?? []), ...base])];
  }
  if (s.type === 'integer') return depth === 0 ? INTEGERS : [53, 80, 81];
  if (s.type === 'boolean') return [true, false];
  if (s.type === 'array') {
    const items = s.items ? values(s.items, depth + 1) : ['a'];
    const lists: unknown[][] = [[]];
    for (let i = 0; i < (depth === 0 ? 400 : 3); i++)
      lists.push(Array.from({ length: 1 + (i % 4) }, () => pick(items)));
    return lists;
  }
  if (s.type === 'object') {
    const props = Object.entries(s.properties ?? {});
    const pools = props.map(([, p]) => [ABSENT, ...values(p, depth + 1)]);
    const objs: Record<string, unknown>[] = [{}];
    for (let i = 0; i < (depth === 0 ? 400 : 6); i++) {
      const o: Record<string, unknown> = {};
      props.forEach(([k], j) => {
        const v = pick(pools[j]!);
        if (v !== ABSENT) o[k] = v;
      });
      objs.push(o);
    }
    return objs;
  }
  return ['a', 1, true];
}

/** The values a rule is run on: the same ones on every run and whatever rules ran before. */
function corpus(s: RuleSchema): unknown[] {
  random = prng(20240612);
  return [...values(s, 0), ...WRONG_TYPES];
}

type Outcome = string;

function outcome(f: () => unknown): Outcome {
  try {
    const v = f();
    return typeof v === 'boolean' ? String(v) : `value ${JSON.stringify(v)}`;
  } catch (err) {
    if ((err as Error).name === 'CelEvalError') return 'error';
    throw err;
  }
}

// RE2 (Go's regexp, re2js) folds case by Unicode's simple folding, so under (?i) ſ (U+017F) is an
// s and K (U+212A, Kelvin) a k; the old interpreter's translation to JavaScript folded ASCII only.
const FOLDS_TO_ASCII = /[\u017f\u212a]/;
const asciiFold = (v: unknown): unknown =>
  typeof v === 'string' ? v.replace(/\u017f/g, 's').replace(/\u212a/g, 'k') : v;

/** Whether a value is of the JSON type the schema node declares (the API server checks that first). */
function typed(v: unknown, s: RuleSchema): boolean {
  if (s.type === 'array') return Array.isArray(v) && v.every((x) => !s.items || typed(x, s.items));
  if (s.type === 'object') {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
    return Object.entries(v).every(([k, x]) => !s.properties?.[k] || typed(x, s.properties[k]));
  }
  if (s.type === 'integer') return Number.isInteger(v);
  return s.type === undefined || typeof v === s.type;
}

test('the old interpreter and @bufbuild/cel agree on every CRD rule', (t) => {
  const rules = crdRules();
  const count = { cases: 0, same: 0, unicodeFolding: 0, untypedHas: 0 };
  const seen = new Map<string, Set<Outcome>>();
  const disagreements: string[] = [];
  for (const r of rules) {
    const old = compileOld(r.rule);
    const next = compileNew(r.rule);
    for (const self of corpus(r.schema)) {
      count.cases += 1;
      const a = outcome(() => old.evaluate({ self }));
      const b = outcome(() => next.evaluate({ self }, r.schema));
      seen.set(`${r.crd} ${r.path} ${r.rule}`, (seen.get(`${r.crd} ${r.path} ${r.rule}`) ?? new Set()).add(b));
      if (a === b) count.same += 1;
      else if (
        typeof self === 'string' &&
        FOLDS_TO_ASCII.test(self) &&
        b === outcome(() => old.evaluate({ self: asciiFold(self) }))
      )
        count.unicodeFolding += 1;
      // has() on a value that is not an object: cel-go and @bufbuild/cel say false, the old
      // interpreter failed. Never reached by cr-validate.ts: it runs no rule after a type error.
      else if (!typed(self, r.schema) && r.rule.includes('has(') && a === 'error') count.untypedHas += 1;
      else disagreements.push(`${r.crd} ${r.path} ${r.rule}\n  self=${JSON.stringify(self)}: old ${a}, new ${b}`);
    }
  }
  t.diagnostic(
    `${rules.length} rules (${new Set(rules.map((r) => r.rule)).size} distinct), ${count.cases} cases: ` +
      `${count.same} the same, ${count.unicodeFolding} differ by RE2's Unicode case folding, ` +
      `${count.untypedHas} by has() on a wrongly typed value`,
  );
  assert.deepEqual(disagreements.slice(0, 20), [], `${disagreements.length} disagreements`);
  assert.ok(count.unicodeFolding > 0, 'the corpus holds strings that RE2 folds');
  // The corpus is broad enough when every rule both passes and fails on it.
  for (const [rule, outcomes] of seen)
    assert.ok(outcomes.has('true') && outcomes.has('false'), `${rule}: ${[...outcomes].join(', ')}`);
});

const RECORDED = new URL('./testdata/cel-corpus-outcomes.json', import.meta.url);

test('@bufbuild/cel gives the recorded outcome on every case of the corpus', () => {
  const got: Record<
    string,
    { rule: string; cases: number; true: number; false: number; error: number; sha256: string }
  > = {};
  for (const r of crdRules()) {
    const program = compileNew(r.rule);
    const outcomes = corpus(r.schema).map((self) => outcome(() => program.evaluate({ self }, r.schema)));
    const n = (o: Outcome): number => outcomes.filter((x) => x === o).length;
    const key = `${r.crd} ${r.path} #${Object.keys(got).filter((k) => k.startsWith(`${r.crd} ${r.path} #`)).length}`;
    got[key] = {
      rule: r.rule,
      cases: outcomes.length,
      true: n('true'),
      false: n('false'),
      error: n('error'),
      sha256: createHash('sha256').update(outcomes.join('\n')).digest('hex'),
    };
  }
  if (process.env.CEL_CORPUS_RECORD) writeFileSync(RECORDED, `${JSON.stringify(got, null, 2)}\n`);
  assert.deepEqual(got, JSON.parse(readFileSync(RECORDED, 'utf8')));
});
