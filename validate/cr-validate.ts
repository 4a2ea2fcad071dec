// Offline validation of Highlander custom resources against the CRDs in crds/, as the API server
// would validate them on create with strict field validation (kubectl's default): the
// openAPIV3Schema (through ajv, after turning the structural schema into JSON Schema), the
// object metadata, list-type uniqueness, and the x-kubernetes-validations CEL rules (through
// @bufbuild/cel, in cel-program.ts). A rule it cannot run is listed in `unchecked`, never passed
// silently. Status is not checked: the status subresource makes the API server drop it on create.
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2019 } from 'ajv/dist/2019.js';
import type { ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { WORKLOAD_KINDS } from '../api/types.ts';
import type { WorkloadKind } from '../api/types.ts';
import { API_VERSION, GROUP } from '../api/labels.ts';
import { CelEvalError, CelUnsupported, compileCel } from './cel-program.ts';
import type { CelProgram } from './cel-program.ts';
import { uniqueBy } from '../runtime/values.ts';
import { describeAjvError, toJsonSchema } from './json-schema.ts';
import { formatPath, stripPrefix } from './manifests.ts';
import { listTypeProblems, metadataProblems } from './metadata.ts';
import type { CrProblem, Schema } from './schema.ts';
import { RFC3339, describeType, isObject, show } from './schema.ts';
import type { Segment } from '../runtime/values.ts';

/** A CEL rule the validator does not run, and why. */
export interface UncheckedRule {
  kind: WorkloadKind;
  path: string;
  rule: string;
  reason: string;
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
