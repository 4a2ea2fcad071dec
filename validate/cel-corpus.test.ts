// Every x-kubernetes-validations rule of crds/*.yaml, run on a corpus of values derived from the
// rule's schema (the cron schedules, quantities, ports and names of the other tests, and many
// more), must give the outcome recorded in testdata/cel-corpus-outcomes.json. The record was
// made when this file was a differential check of @bufbuild/cel against the hand-written
// interpreter it replaced: the two agreed on every case except where @bufbuild/cel is the one that
// behaves as Kubernetes does (RE2's Unicode case folding under (?i), so ſ matches s; has() on a
// value of the wrong type is false, not an error, which cr-validate.ts never meets since it runs
// no rule after a type error). After a deliberate change, CEL_CORPUS_RECORD=1 writes the record anew.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { compileCel } from './cel-program.ts';
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
      const crd = d.toJS() as { kind?: string; spec: { versions: { schema: { openAPIV3Schema: RuleSchema } }[] } };
      if (crd.kind !== 'CustomResourceDefinition') continue; // the fencing policies live beside the CRDs
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

const RECORDED = new URL('./testdata/cel-corpus-outcomes.json', import.meta.url);

test('@bufbuild/cel gives the recorded outcome on every case of the corpus', (t) => {
  const got: Record<
    string,
    { rule: string; cases: number; true: number; false: number; error: number; sha256: string }
  > = {};
  for (const r of crdRules()) {
    const program = compileCel(r.rule);
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
  const all = Object.values(got);
  t.diagnostic(`${all.length} rules, ${all.reduce((sum, r) => sum + r.cases, 0)} cases`);
  // The corpus is broad enough when every rule both passes and fails on it.
  for (const [k, r] of Object.entries(got)) assert.ok(r.true > 0 && r.false > 0, `${k}: ${r.rule}`);
  assert.deepEqual(got, JSON.parse(readFileSync(RECORDED, 'utf8')));
});
