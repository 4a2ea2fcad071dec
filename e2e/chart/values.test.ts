// The chart's values file and schema, read as text and JSON (no cluster, no helm): every value
// is commented, and every object the chart defines closes its keys, so that a typo is an error.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import YAML from 'yaml';
import { chartDir } from './helm.ts';

const valuesText = readFileSync(`${chartDir}/values.yaml`, 'utf8');
const schema = JSON.parse(readFileSync(`${chartDir}/values.schema.json`, 'utf8')) as Schema;

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  unevaluatedProperties?: boolean;
  items?: Schema;
  $ref?: string;
  $defs?: Record<string, Schema>;
  description?: string;
  allOf?: Schema[];
  anyOf?: Schema[];
}

// Values whose comment describes the whole block (Kubernetes objects given as an example).
const DOCUMENTED_AS_A_BLOCK = [
  'resources',
  'podSecurityContext',
  'containerSecurityContext',
  'nodeSelector',
  'networkPolicy.egress',
];

/** Every key of values.yaml with its dotted path and whether a comment sits right above it. */
function keysWithComments(text: string): { path: string; commented: boolean }[] {
  const lines = text.split('\n');
  const stack: { indent: number; key: string }[] = [];
  const out: { path: string; commented: boolean }[] = [];
  lines.forEach((line, i) => {
    const m = /^( *)([A-Za-z][\w.-]*):( |$)/.exec(line);
    if (!m) return;
    const indent = m[1]!.length;
    while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
    stack.push({ indent, key: m[2]! });
    let prev = i - 1;
    while (prev >= 0 && lines[prev]!.trim() === '') prev--;
    out.push({ path: stack.map((s) => s.key).join('.'), commented: prev >= 0 && lines[prev]!.trim().startsWith('#') });
  });
  return out;
}

describe('values.yaml', () => {
  test('every value has a comment right above it (children of example blocks excepted)', () => {
    const keys = keysWithComments(valuesText);
    assert.ok(keys.length > 60, `only ${keys.length} keys found: the parser is wrong`);
    const inBlock = (p: string) => DOCUMENTED_AS_A_BLOCK.some((b) => p.startsWith(`${b}.`));
    // A key that opens a group of commented keys (image:, config:) may rely on its children's comments.
    const isGroup = (p: string) => keys.some((k) => k.path.startsWith(`${p}.`)) && !DOCUMENTED_AS_A_BLOCK.includes(p);
    const missing = keys.filter((k) => !k.commented && !inBlock(k.path) && !isGroup(k.path)).map((k) => k.path);
    assert.deepEqual(missing, []);
  });

  test('every key of values.yaml is declared in the schema', () => {
    const values = YAML.parse(valuesText) as Record<string, unknown>;
    const undeclared: string[] = [];
    const walk = (v: unknown, s: Schema | undefined, path: string): void => {
      if (!s || v === null || typeof v !== 'object' || Array.isArray(v) || !s.properties) return;
      for (const [k, child] of Object.entries(v)) {
        if (!(k in s.properties)) undeclared.push(`${path}${k}`);
        else walk(child, s.properties[k], `${path}${k}.`);
      }
    };
    walk(values, schema, '');
    assert.deepEqual(undeclared, []);
  });
});

describe('values.schema.json', () => {
  test('closes every object the chart defines; the open ones are Kubernetes types or string maps', () => {
    const open: string[] = [];
    const visit = (s: Schema, path: string): void => {
      const isObject = s.type === 'object' || s.properties !== undefined;
      if (isObject && s.additionalProperties === undefined && s.unevaluatedProperties === undefined) {
        // An open object must say what it is: a Kubernetes type the API server checks.
        if (!/a Kubernetes \w+|Helm's global values/.test(s.description ?? '') && !s.allOf) open.push(path);
      }
      for (const [k, child] of Object.entries(s.properties ?? {})) visit(child, `${path}.${k}`);
      if (typeof s.additionalProperties === 'object') visit(s.additionalProperties, `${path}.*`);
      if (s.items) visit(s.items, `${path}[]`);
      for (const [i, sub] of [...(s.allOf ?? []), ...(s.anyOf ?? [])].entries()) visit(sub, `${path}(${i})`);
    };
    visit(schema, '');
    for (const [name, def] of Object.entries(schema.$defs ?? {})) {
      // workloadCommon is closed by the kinds that extend it (unevaluatedProperties: false).
      if (name !== 'workloadCommon') visit(def, `$defs.${name}`);
    }
    assert.deepEqual(open, []);
    assert.equal(schema.additionalProperties, false);
  });
});
