// Reading the CRD manifests in crds/ for the API tests: the parts of a CRD they look at, and
// walks over its schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { WorkloadKindInfo } from './types.ts';

/** The parts of an OpenAPI v3 schema node the CRDs use. */
export interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  maxItems?: number;
  maxLength?: number;
  'x-kubernetes-validations'?: { rule: string; message?: string; fieldPath?: string }[];
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories?: string[];
    };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status?: object };
      additionalPrinterColumns?: PrinterColumn[];
      schema: { openAPIV3Schema: Schema };
    }[];
  };
}

export const repo = new URL('../', import.meta.url);

export function loadCrd(info: WorkloadKindInfo): Crd {
  const text = readFileSync(new URL(`crds/${info.plural}.yaml`, repo), 'utf8');
  const docs = parseAllDocuments(text);
  assert.ok(Array.isArray(docs) && docs.length === 1, `crds/${info.plural}.yaml must hold exactly one document`);
  const crd = docs[0]!.toJS() as Crd;
  assert.equal(crd.kind, 'CustomResourceDefinition');
  assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
  return crd;
}

/** Every schema node under `schema`, with a path such as `.spec.ports[].name` or `.spec.env{}`. */
export function* nodes(schema: Schema, path = ''): Generator<[string, Schema]> {
  yield [path, schema];
  for (const [name, child] of Object.entries(schema.properties ?? {})) yield* nodes(child, `${path}.${name}`);
  if (schema.items) yield* nodes(schema.items, `${path}[]`);
  if (typeof schema.additionalProperties === 'object') yield* nodes(schema.additionalProperties, `${path}{}`);
}

/** The node at a dotted path (`spec.ports[].name`), or undefined. */
export function at(schema: Schema, path: string): Schema | undefined {
  let node: Schema | undefined = schema;
  for (const part of path.split('.').filter(Boolean)) {
    const list = part.endsWith('[]');
    node = node?.properties?.[list ? part.slice(0, -2) : part];
    if (list) node = node?.items;
  }
  return node;
}
