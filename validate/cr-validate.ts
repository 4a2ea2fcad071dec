// Offline validation of Highlander custom resources against the CRDs in crds/, as the API server
// would validate them on create with strict field validation (kubectl's default): the
// openAPIV3Schema (through ajv, after turning the structural schema into JSON Schema), the
// object metadata, list-type uniqueness, and the x-kubernetes-validations CEL rules (through
// @bufbuild/cel, in cel-program.ts). A rule it cannot run is listed in `unchecked`, never passed
// silently. Status is not checked: the status subresource makes the API server drop it on create.
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2019 } from 'ajv/dist/2019.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import { WORKLOAD_KINDS } from '../api/types.ts';
import type { WorkloadKind } from '../api/types.ts';
import { API_VERSION, GROUP } from '../api/labels.ts';
import { CelEvalError, CelUnsupported, compileCel } from './cel-program.ts';
import type { CelProgram } from './cel-program.ts';
import { uniqueBy, valueAt } from '../runtime/values.ts';
import type { Segment } from '../runtime/values.ts';

/** One problem with one object, at a path inside it. */
export interface CrProblem {
  path: Segment[];
  message: string;
}

/** A CEL rule the validator does not run, and why. */
export interface UncheckedRule {
  kind: WorkloadKind;
  path: string;
  rule: string;
  reason: string;
}

/** The parts of a structural schema node that validation reads. */
interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;
  enum?: unknown[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean | number;
  exclusiveMaximum?: boolean | number;
  format?: string;
  'x-kubernetes-validations'?: { rule: string; message?: string; messageExpression?: string; fieldPath?: string }[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  [key: string]: unknown;
}

interface CompiledRule {
  rule: string;
  program: CelProgram | undefined;
  message: string;
  messageExpression: CelProgram | undefined;
  fieldPath: Segment[];
}

/** A kind's schema, compiled for ajv and with its rules compiled to CEL programs. */
interface KindSchema {
  schema: Schema;
  ajv: ValidateFunction;
  rules: Map<Schema, CompiledRule[]>;
  hasStatusSubresource: boolean;
}

/** The default location of the CRDs: crds/ at the repository (or package) root. */
export const CRD_DIR = new URL('../crds/', import.meta.url);

/** Checks Highlander custom resources against the CRDs' schemas and rules. */
export class CrValidator {
  readonly #kinds = new Map<string, KindSchema>();
  /** CEL rules that are not evaluated here; the API server still applies them. */
  readonly unchecked: UncheckedRule[] = [];

  /** Builds a validator from parsed CustomResourceDefinition manifests (other documents are ignored). */
  constructor(crds: readonly unknown[]) {
    const ajv = new Ajv2019({
      allErrors: true,
      strict: true,
      strictRequired: false,
      allowUnionTypes: true,
      useDefaults: true,
    });
    ajv.addFormat('date-time', {
      type: 'string',
      validate: (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)),
    });
    for (const crd of crds) {
      const c = crd as CrdManifest | null;
      if (c?.kind !== 'CustomResourceDefinition' || c.spec?.group !== GROUP) continue;
      const kind = c.spec.names?.kind as WorkloadKind;
      const version = c.spec.versions?.find((v) => `${GROUP}/${v.name}` === API_VERSION);
      const schema = version?.schema?.openAPIV3Schema;
      if (!schema || !(kind in WORKLOAD_KINDS)) continue;
      const rules = new Map<Schema, CompiledRule[]>();
      this.#compileRules(kind, schema, '', rules);
      this.#kinds.set(kind, {
        schema,
        ajv: ajv.compile(toJsonSchema(schema, true)),
        rules,
        hasStatusSubresource: !!version.subresources?.status,
      });
    }
  }

  /** Loads every CRD manifest in `dir` (*.yaml, *.yml, *.json). */
  static fromDirectory(dir: URL | string = CRD_DIR): CrValidator {
    const base = typeof dir === 'string' ? dir.replace(/\/?$/, '/') : dir.href.replace(/\/?$/, '/');
    const root = typeof dir === 'string' ? base : new URL(base);
    const docs: unknown[] = [];
    for (const name of readdirSync(root).sort()) {
      if (!/\.(ya?ml|json)$/.test(name)) continue;
      const text = readFileSync(typeof root === 'string' ? `${root}${name}` : new URL(name, root), 'utf8');
      for (const d of parseAllDocuments(text)) docs.push(d.toJS());
    }
    return new CrValidator(docs);
  }

  /** The kinds this validator knows. */
  get kinds(): string[] {
    return [...this.#kinds.keys()];
  }

  /** Every problem with one parsed object (empty: the API server would accept it on create). */
  validate(obj: unknown): CrProblem[] {
    if (!isObject(obj)) return [{ path: [], message: `must be a mapping (an object), not ${describeType(obj)}` }];
    const problems: CrProblem[] = [];
    if (obj.apiVersion !== API_VERSION) {
      problems.push({
        path: ['apiVersion'],
        message: `must be ${API_VERSION}${obj.apiVersion === undefined ? '' : ` (got ${show(obj.apiVersion)})`}`,
      });
    }
    const kind = this.#kinds.get(String(obj.kind));
    if (!kind) {
      problems.push({
        path: ['kind'],
        message: `must be one of ${this.kinds.join(', ')}${obj.kind === undefined ? '' : ` (got ${show(obj.kind)})`}`,
      });
      return problems;
    }
    problems.push(...metadataProblems(obj.metadata));
    // Validate a copy: defaults are filled in (as the API server does before its rules run).
    const data = structuredClone(obj);
    if (kind.hasStatusSubresource) delete data.status;
    const blocking = !kind.ajv(data) && (kind.ajv.errors ?? []).some((e) => e.keyword === 'type');
    for (const e of kind.ajv.errors ?? []) problems.push(describeAjvError(e, data));
    // Like the API server, rules are not run on an object with a value of the wrong type.
    if (blocking)
      problems.push({ path: [], message: 'validation rules were not checked because of the type errors above' });
    else problems.push(...this.#runRules(kind, kind.schema, data, []));
    return uniqueBy(problems, (p) => `${formatPath(p.path)}\n${p.message}`).map((p) => ({
      path: p.path,
      message: stripPrefix(formatPath(p.path), p.message),
    }));
  }

  #compileRules(kind: WorkloadKind, s: Schema, path: string, out: Map<Schema, CompiledRule[]>): void {
    const compiled: CompiledRule[] = [];
    for (const r of s['x-kubernetes-validations'] ?? []) {
      let program: CelProgram | undefined;
      try {
        program = compileCel(r.rule);
        if (program.variables.has('oldSelf')) program = undefined; // a transition rule: not run on create
      } catch (err) {
        if (!(err instanceof CelUnsupported)) throw err;
        this.unchecked.push({ kind, path: path || '(root)', rule: r.rule, reason: err.message });
        continue;
      }
      let messageExpression: CelProgram | undefined;
      try {
        messageExpression = r.messageExpression ? compileCel(r.messageExpression) : undefined;
      } catch {
        messageExpression = undefined; // falls back to message
      }
      compiled.push({
        rule: r.rule,
        program,
        message: r.message ?? `failed rule: ${r.rule}`,
        messageExpression,
        fieldPath: parseFieldPath(r.fieldPath ?? ''),
      });
    }
    if (compiled.length) out.set(s, compiled);
    for (const [k, p] of Object.entries(s.properties ?? {})) this.#compileRules(kind, p, `${path}.${k}`, out);
    if (s.items) this.#compileRules(kind, s.items, `${path}[*]`, out);
    if (typeof s.additionalProperties === 'object') this.#compileRules(kind, s.additionalProperties, `${path}[*]`, out);
  }

  /** Runs the rules and list-type checks of `s` on `value`, then those below it. */
  #runRules(kind: KindSchema, s: Schema, value: unknown, path: Segment[]): CrProblem[] {
    const problems: CrProblem[] = [];
    for (const r of kind.rules.get(s) ?? []) {
      if (!r.program) continue;
      let verdict: unknown;
      try {
        verdict = r.program.evaluate({ self: value }, s);
      } catch (err) {
        if (!(err instanceof CelEvalError)) throw err;
        problems.push({ path, message: `rule could not be evaluated (${err.message}): ${r.rule}` });
        continue;
      }
      if (verdict !== true)
        problems.push({ path: [...path, ...r.fieldPath], message: ruleMessage(r, value, s, verdict) });
    }
    problems.push(...listTypeProblems(s, value, path));
    if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) {
        if (path.length === 0 && k === 'metadata') continue;
        const child =
          s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
        if (child) problems.push(...this.#runRules(kind, child, v, [...path, k]));
      }
    } else if (Array.isArray(value) && s.items) {
      value.forEach((v, i) => problems.push(...this.#runRules(kind, s.items!, v, [...path, i])));
    }
    return problems;
  }
}

interface CrdManifest {
  kind?: string;
  spec?: {
    group?: string;
    names?: { kind?: string };
    versions?: { name: string; schema?: { openAPIV3Schema?: Schema }; subresources?: { status?: unknown } }[];
  };
}

function ruleMessage(r: CompiledRule, self: unknown, s: Schema, verdict: unknown): string {
  if (typeof verdict !== 'boolean') return `rule did not evaluate to a boolean: ${r.rule}`;
  if (r.messageExpression) {
    try {
      const m = r.messageExpression.evaluate({ self }, s);
      if (typeof m === 'string' && m.trim()) return m;
    } catch {
      // the API server falls back to message as well
    }
  }
  return r.message;
}

/** ".a.b[0]" or ".a['x.y']" → ['a', 'b', 0] / ['a', 'x.y']. */
function parseFieldPath(fp: string): Segment[] {
  const out: Segment[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['([^']*)'\]/gy;
  for (let m = re.exec(fp); m; m = re.exec(fp)) out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]!));
  return out;
}

// ---- structural schema → JSON Schema for ajv ----

/**
 * The JSON Schema ajv checks for a structural schema node. Unknown fields are errors (strict
 * field validation) except under x-kubernetes-preserve-unknown-fields; x-kubernetes-int-or-string
 * allows an integer or a string; `nullable` allows null; OpenAPI's boolean exclusiveMinimum and
 * exclusiveMaximum become numbers; of the string formats only date-time is checked. At the root,
 * metadata is left to {@link metadataProblems}.
 */
function toJsonSchema(s: Schema, root = false, inJunctor = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-kubernetes-') || k === 'nullable' || k === 'example' || k === 'externalDocs') continue;
    switch (k) {
      case 'properties':
        out.properties = Object.fromEntries(
          Object.entries(v as Record<string, Schema>).map(([name, p]) => [
            name,
            root && name === 'metadata' ? true : toJsonSchema(p, false, inJunctor),
          ]),
        );
        break;
      case 'additionalProperties':
        out.additionalProperties = typeof v === 'boolean' ? v : toJsonSchema(v as Schema, false, inJunctor);
        break;
      case 'items':
        out.items = toJsonSchema(v as Schema, false, inJunctor);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        out[k] = (v as Schema[]).map((x) => toJsonSchema(x, false, true));
        break;
      case 'not':
        out.not = toJsonSchema(v as Schema, false, true);
        break;
      case 'minimum':
      case 'maximum': {
        const exclusive = s[k === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum'];
        if (exclusive === true) out[k === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum'] = v;
        else out[k] = v;
        break;
      }
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        if (typeof v === 'number') out[k] = v;
        break;
      case 'format':
        if (v === 'date-time') out.format = v;
        break;
      default:
        out[k] = v;
    }
  }
  if (s['x-kubernetes-int-or-string']) out.type = ['integer', 'string'];
  if (s.nullable) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
  }
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (s.type === 'object' && !inJunctor && !preserve && s.additionalProperties === undefined) {
    out.additionalProperties = false;
    if (s['x-kubernetes-embedded-resource']) {
      out.properties = {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object' },
        ...(out.properties as object),
      };
    }
  }
  return out;
}

function describeAjvError(e: ErrorObject, data: unknown): CrProblem {
  const path = pointerToSegments(e.instancePath, data);
  const p = e.params as Record<string, unknown>;
  const value = valueAt(data, path);
  const got = isSensitive(path) ? '' : ` (got ${show(value)})`;
  switch (e.keyword) {
    case 'required':
      return { path: [...path, String(p.missingProperty)], message: 'Required value' };
    case 'additionalProperties':
      return {
        path: [...path, String(p.additionalProperty)],
        message: 'unknown field (the API server rejects it under strict field validation)',
      };
    case 'type':
      return { path, message: `must be ${[p.type].flat().join(' or ')}, not ${describeType(value)}` };
    case 'enum':
      return {
        path,
        message: `Unsupported value${isSensitive(path) ? '' : `: ${show(value)}`}: supported values: ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`,
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `${e.message ?? 'is out of range'}${got}` };
    case 'minLength':
      return { path, message: `must be at least ${String(p.limit)} characters long` };
    case 'maxLength':
      return { path, message: `must be at most ${String(p.limit)} characters long` };
    case 'minItems':
      return { path, message: `must have at least ${String(p.limit)} items` };
    case 'maxItems':
      return { path, message: `must have at most ${String(p.limit)} items` };
    case 'pattern':
      return { path, message: `must match ${String(p.pattern)}${got}` };
    default:
      return { path, message: e.message ?? `fails ${e.keyword}` };
  }
}

/** A JSON pointer as segments; numeric steps into arrays become indices. */
function pointerToSegments(pointer: string, data: unknown): Segment[] {
  const out: Segment[] = [];
  let v: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: Segment = Array.isArray(v) && /^\d+$/.test(key) ? Number(key) : key;
    out.push(seg);
    v = (v as Record<string, unknown> | undefined)?.[seg as string];
  }
  return out;
}

// ---- list types ----

function listTypeProblems(s: Schema, value: unknown, path: Segment[]): CrProblem[] {
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

// ---- metadata ----

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

// ---- documents and files ----

/** The outcome for one YAML document of a manifest file. */
export interface DocResult {
  /** 1-based position in the file. */
  doc: number;
  kind?: string;
  namespace?: string;
  name?: string;
  problems: { path: string; line: number | undefined; message: string }[];
}

/**
 * Validates every document of a (multi-document) YAML or JSON manifest. Empty documents are
 * skipped, as kubectl does; every other one must be a Highlander custom resource.
 */
export function validateManifests(text: string, v: CrValidator): DocResult[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (!Array.isArray(docs)) return []; // an empty stream
  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : lines.linePos(offset).line;
  const results: DocResult[] = [];
  docs.forEach((d, i) => {
    const r: DocResult = { doc: i + 1, problems: [] };
    if (d.errors.length) {
      r.problems = d.errors.map((e) => ({
        path: '',
        line: lineAt(e.pos[0]),
        message: `YAML: ${e.message.split('\n')[0]}`,
      }));
      results.push(r);
      return;
    }
    const obj = d.toJS({ maxAliasCount: 100 }) as unknown;
    if (obj === null || obj === undefined) return; // an empty document, skipped as kubectl does
    if (isObject(obj)) {
      if (typeof obj.kind === 'string') r.kind = obj.kind;
      const meta = isObject(obj.metadata) ? obj.metadata : {};
      if (typeof meta.name === 'string') r.name = meta.name;
      else if (typeof meta.generateName === 'string') r.name = `${meta.generateName}*`;
      if (typeof meta.namespace === 'string') r.namespace = meta.namespace;
    }
    r.problems = v
      .validate(obj)
      .map((p) => ({ path: formatPath(p.path), line: lineAt(locate(d, p.path).offset), message: p.message }));
    results.push(r);
  });
  return results;
}

/**
 * The start offset of the node at `path` in `doc` (of its key, for a mapping entry), or of the
 * nearest parent found, and how many steps of `path` were found.
 */
export function locate(doc: Document, path: readonly Segment[]): { offset: number | undefined; found: number } {
  let node: unknown = doc.contents;
  let offset = (node as { range?: [number] } | null)?.range?.[0];
  let found = 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg];
      offset = (node as { range?: [number] }).range?.[0] ?? offset;
    } else break;
    found += 1;
  }
  return { offset, found };
}

/** ['spec', 'ports', 0, 'name'] → "spec.ports[0].name"; keys that are not plain names go in brackets. */
export function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${s}]`;
  }
  return out;
}

/** "schedule: unknown macro" at spec.schedule reads "spec.schedule: unknown macro". */
function stripPrefix(path: string, message: string): string {
  const colon = message.indexOf(': ');
  if (colon < 0) return message;
  const head = message.slice(0, colon);
  return path === head || path.endsWith(`.${head}`) ? message.slice(colon + 2) : message;
}

// ---- small helpers ----

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Environment values and annotations may hold secrets: their values are never shown. */
function isSensitive(path: readonly Segment[]): boolean {
  return path.includes('env') || path.includes('annotations');
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
