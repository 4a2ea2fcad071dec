// Checks the API server makes of object metadata and of list types, which the schema alone does not express.
import type { Segment } from '../runtime/values.ts';
import type { CrProblem, Schema } from './schema.ts';
import { describeType, isObject, show } from './schema.ts';

/** Duplicate items of a `set` list, or duplicate keys of a `map` list. */
export function listTypeProblems(s: Schema, value: unknown, path: Segment[]): CrProblem[] {
  const type = s['x-kubernetes-list-type'];
  if (!Array.isArray(value) || (type !== 'set' && type !== 'map')) return [];
  const keys = s['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Map<string, number>();
  const problems: CrProblem[] = [];
  value.forEach((item, i) => {
    const key =
      type === 'set' ? JSON.stringify(item) : JSON.stringify(keys.map((k) => (isObject(item) ? item[k] : undefined)));
    if (seen.has(key))
      problems.push({
        path: [...path, i],
        message: `Duplicate value: ${type === 'set' ? key : `${keys.join(', ')} ${key}`}`,
      });
    else seen.set(key, i);
  });
  return problems;
}

const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** What the API server checks in metadata on create: names, namespace, labels, annotations, no unknown fields. */
export function metadataProblems(meta: unknown): CrProblem[] {
  if (meta === undefined)
    return [{ path: ['metadata', 'name'], message: 'Required value: name or generateName is required' }];
  if (!isObject(meta)) return [{ path: ['metadata'], message: `must be object, not ${describeType(meta)}` }];
  const problems: CrProblem[] = [];
  const at = (k: Segment, ...rest: Segment[]): Segment[] => ['metadata', k, ...rest];
  for (const k of Object.keys(meta)) {
    if (!OBJECT_META_FIELDS.has(k))
      problems.push({
        path: at(k),
        message: 'unknown field (the API server rejects it under strict field validation)',
      });
  }
  const { name, generateName, namespace, labels, annotations } = meta;
  if (name === undefined && generateName === undefined)
    problems.push({ path: at('name'), message: 'Required value: name or generateName is required' });
  if (name !== undefined) {
    if (typeof name !== 'string')
      problems.push({ path: at('name'), message: `must be string, not ${describeType(name)}` });
    else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
      problems.push({
        path: at('name'),
        message: `must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', at most 253 characters (got ${show(name)})`,
      });
    }
  }
  if (
    namespace !== undefined &&
    (typeof namespace !== 'string' || namespace.length > 63 || !DNS_LABEL.test(namespace))
  ) {
    problems.push({
      path: at('namespace'),
      message: `must be a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters (got ${show(namespace)})`,
    });
  }
  for (const [field, map] of [
    ['labels', labels],
    ['annotations', annotations],
  ] as const) {
    if (map === undefined) continue;
    if (!isObject(map)) {
      problems.push({ path: at(field), message: `must be a map of strings, not ${describeType(map)}` });
      continue;
    }
    for (const [k, v] of Object.entries(map)) {
      const keyProblem = qualifiedNameProblem(k);
      if (keyProblem) problems.push({ path: at(field, k), message: `key ${keyProblem}` });
      if (typeof v !== 'string')
        problems.push({ path: at(field, k), message: `must be string, not ${describeType(v)}` });
      else if (field === 'labels' && (v.length > 63 || !LABEL_VALUE.test(v))) {
        problems.push({
          path: at(field, k),
          message: `must be a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (got ${show(v)})`,
        });
      }
    }
  }
  return problems;
}

function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `prefix ${show(prefix)} must be a DNS-1123 subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return `name ${show(name)} must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}
