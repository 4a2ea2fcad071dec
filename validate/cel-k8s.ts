// The parts of Kubernetes' CEL library (k8s.io/apiserver/pkg/cel/library) that @bufbuild/cel
// lacks and the CRDs' rules call: quantities (isQuantity, quantity, compareTo, isGreaterThan,
// isLessThan), the regex functions find and findAll, matches() with RE2's semantics (re2js, a
// port of RE2, whose syntax and matching Go's regexp shares), and split() as Go's
// strings.SplitN, which cel-go's strings extension uses. A CRD rule that needs anything more is
// reported as not checked, so add it here.
import { CelScalar, celFunc, celMethod, listType, objectType } from '@bufbuild/cel';
import { create, createFileRegistry } from '@bufbuild/protobuf';
import type { DescMessage } from '@bufbuild/protobuf';
import { reflect } from '@bufbuild/protobuf/reflect';
import type { ReflectMessage } from '@bufbuild/protobuf/reflect';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import { RE2JS } from 're2js';
import { compareQuantities, parseQuantity } from './quantity.ts';
import type { Quantity } from './quantity.ts';

const { BOOL, INT, STRING } = CelScalar;

// @bufbuild/cel's values are protobuf messages or built-in types, so Kubernetes' opaque
// kubernetes.Quantity becomes a message holding the exact fraction, reduced: equal quantities
// (1 and 1000m) are then equal messages, as `==` on Kubernetes' Quantity says.
const QUANTITY_DESC: DescMessage = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: 'highlander/kubernetes-quantity.proto',
    package: 'kubernetes',
    syntax: 'proto3',
    messageType: [
      {
        name: 'Quantity',
        field: ['num', 'den'].map((name, i) => ({
          name,
          jsonName: name,
          number: i + 1,
          type: FieldDescriptorProto_Type.STRING,
          label: FieldDescriptorProto_Label.OPTIONAL,
        })),
      },
    ],
  }),
  () => undefined,
).getMessage('kubernetes.Quantity')!;

// The CEL type kubernetes.Quantity, what quantity() returns.
const QUANTITY_TYPE = objectType(QUANTITY_DESC);

function toCelQuantity(q: Quantity): ReflectMessage {
  return reflect(QUANTITY_DESC, create(QUANTITY_DESC, { num: String(q.num), den: String(q.den) }));
}

function fromCelQuantity(m: ReflectMessage): Quantity {
  const { num, den } = m.message as unknown as { num: string; den: string };
  return { num: BigInt(num), den: BigInt(den) };
}

const cmp = (a: ReflectMessage, b: ReflectMessage): number => compareQuantities(fromCelQuantity(a), fromCelQuantity(b));

// ---- regular expressions ----

const compiled = new Map<string, RE2JS>();

/** An RE2 pattern compiled with re2js (cached); throws re2js' syntax error for a bad pattern. */
export function re2(pattern: string): RE2JS {
  let re = compiled.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern);
    // Rules hold few distinct patterns; the bound only guards against patterns built from data.
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/** Names of the functions whose second operand (the first argument) is an RE2 pattern. */
export const REGEX_FUNCTIONS: ReadonlySet<string> = new Set(['matches', 'find', 'findAll']);

/** Go's strings.SplitN: n < 0 splits at every separator, n > 0 gives at most n parts, the last one the rest. */
function splitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const parts = sep === '' ? [...s] : s.split(sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

/** The functions added to @bufbuild/cel's standard ones; later overloads replace earlier ones of the same signature. */
export const K8S_FUNCTIONS = [
  celFunc('isQuantity', [STRING], BOOL, (s) => parseQuantity(s) !== undefined),
  celFunc('quantity', [STRING], QUANTITY_TYPE, (s) => {
    const q = parseQuantity(s);
    if (!q) throw new Error(`quantity: ${JSON.stringify(s)} is not a Kubernetes quantity`);
    return toCelQuantity(q);
  }),
  celMethod('compareTo', QUANTITY_TYPE, [QUANTITY_TYPE], INT, function (o) {
    return BigInt(cmp(this, o));
  }),
  celMethod('isGreaterThan', QUANTITY_TYPE, [QUANTITY_TYPE], BOOL, function (o) {
    return cmp(this, o) > 0;
  }),
  celMethod('isLessThan', QUANTITY_TYPE, [QUANTITY_TYPE], BOOL, function (o) {
    return cmp(this, o) < 0;
  }),
  celMethod('matches', STRING, [STRING], BOOL, function (p) {
    return re2(p).test(this);
  }),
  celFunc('matches', [STRING, STRING], BOOL, (s, p) => re2(p).test(s)),
  celMethod('find', STRING, [STRING], STRING, function (p) {
    return (re2(p).re2().find(this) as string | null) ?? '';
  }),
  celMethod('findAll', STRING, [STRING], listType(STRING), function (p) {
    return (re2(p).re2().findAll(this, -1) as string[] | null) ?? [];
  }),
  celMethod('findAll', STRING, [STRING, INT], listType(STRING), function (p, n) {
    return (re2(p).re2().findAll(this, Number(n)) as string[] | null) ?? [];
  }),
  celMethod('split', STRING, [STRING], listType(STRING), function (sep) {
    return splitN(this, sep, -1);
  }),
  celMethod('split', STRING, [STRING, INT], listType(STRING), function (sep, n) {
    return splitN(this, sep, Number(n));
  }),
];
