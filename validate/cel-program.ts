// CEL (Common Expression Language) for the CRDs' validation rules (x-kubernetes-validations),
// evaluated by @bufbuild/cel with Kubernetes' library functions from cel-k8s.ts, so that
// `highlander validate` catches a bad CR before `kubectl apply`. A rule is compiled once: one
// that does not parse, that calls a function the environment lacks, or that holds an invalid
// constant regex is refused then (CelUnsupported), so it is reported as not checked instead of
// failing every object or, worse, passing it.
import { celEnv, isCelError, isCelList, isCelMap, isCelUint, parse, plan } from '@bufbuild/cel';
import type { CelInput, CelValue } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { K8S_FUNCTIONS, REGEX_FUNCTIONS, re2 } from './cel-k8s.ts';

/** The rule uses CEL that this environment cannot run; the API server still checks it. */
export class CelUnsupported extends Error {
  override readonly name = 'CelUnsupported';
}

/** The rule cannot be evaluated on this object (no such key, wrong type); the API server refuses such objects too. */
export class CelEvalError extends Error {
  override readonly name = 'CelEvalError';
}

/** The parts of a structural schema that decide the CEL type of a value: integer is int, number is double. */
export interface CelSchema {
  type?: string;
  properties?: Record<string, CelSchema>;
  items?: CelSchema;
  additionalProperties?: CelSchema | boolean;
}

/** A compiled rule. */
export interface CelProgram {
  /**
   * Evaluates the rule with these variables (`self`, and `oldSelf` for transition rules), given
   * as parsed JSON and typed by `schema` where given. Returns the result as plain JSON values
   * (ints as numbers while they fit); throws CelEvalError when CEL's result is an error.
   */
  evaluate(vars: Record<string, unknown>, schema?: CelSchema): unknown;
  /** Names of the variables the rule reads. */
  readonly variables: ReadonlySet<string>;
}

// Kubernetes' environment has cel-go's strings extension; split comes from cel-k8s.ts, as Go's SplitN.
const ENV = celEnv({ funcs: [...strings, ...K8S_FUNCTIONS] });

/** Parses and plans `src`; throws CelUnsupported for what the environment cannot run. */
export function compileCel(src: string): CelProgram {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(src);
  } catch (err) {
    throw new CelUnsupported(`syntax error: ${firstLine(err)}`);
  }
  const variables = new Set<string>();
  inspect(parsed.expr, new Set(), variables);
  let run: ReturnType<typeof plan>;
  try {
    run = plan(ENV, parsed);
  } catch (err) {
    throw new CelUnsupported(firstLine(err));
  }
  return {
    variables,
    evaluate(vars, schema) {
      const bindings: Record<string, CelInput> = {};
      for (const [k, v] of Object.entries(vars)) if (v !== undefined) bindings[k] = toCel(v, schema);
      const result = run(bindings);
      // In cel-go's words, which the API server reports: "no such key", not "field not found".
      if (isCelError(result)) throw new CelEvalError(result.message.replace(/^field not found: /, 'no such key: '));
      return fromCel(result);
    },
  };
}

type Expr = ReturnType<typeof parse>['expr'];
type Call = Extract<Expr['exprKind'], { case: 'callExpr' }>['value'];

// Calls that @bufbuild/cel's planner evaluates itself, not through the function registry.
const PLANNER_CALLS = new Set([
  '_&&_',
  '_||_',
  '_?_:_',
  '_[_]',
  '_[?_]',
  '_?._',
  '@not_strictly_false',
  '__not_strictly_false__',
]);

/**
 * Walks the parsed rule: collects the free variables into `free` and refuses what cannot run.
 * Macros (all, exists, exists_one, map, filter) are comprehensions by now, whose loop variables
 * are bound inside them.
 */
function inspect(e: Expr | undefined, bound: ReadonlySet<string>, free: Set<string>): void {
  if (!e) return;
  const walk = (x: Expr | undefined): void => inspect(x, bound, free);
  const k = e.exprKind;
  switch (k.case) {
    case 'constExpr':
      return;
    case 'identExpr':
      if (!bound.has(k.value.name)) free.add(k.value.name);
      return;
    case 'selectExpr':
      walk(k.value.operand);
      return;
    case 'listExpr':
      k.value.elements.forEach(walk);
      return;
    case 'structExpr':
      if (k.value.messageName)
        throw new CelUnsupported(`message literals (${k.value.messageName}{…}) are not supported`);
      for (const entry of k.value.entries) {
        if (entry.keyKind.case === 'mapKey') walk(entry.keyKind.value);
        walk(entry.value);
      }
      return;
    case 'comprehensionExpr': {
      const c = k.value;
      walk(c.iterRange);
      walk(c.accuInit);
      const inLoop = new Set([...bound, c.iterVar, c.iterVar2, c.accuVar]);
      inspect(c.loopCondition, inLoop, free);
      inspect(c.loopStep, inLoop, free);
      inspect(c.result, new Set([...bound, c.accuVar]), free);
      return;
    }
    case 'callExpr':
      inspectCall(k.value, walk);
      return;
    default:
      throw new CelUnsupported('an expression of unknown kind');
  }
}

function inspectCall(call: Call, walk: (x: Expr | undefined) => void): void {
  const { function: name, target, args } = call;
  const namespaced = target && qualifiedName(target);
  if (namespaced && ENV.funcs.find(`${namespaced}.${name}`)) {
    args.forEach(walk); // a namespaced function such as strings.quote(), not a method on a variable
    return;
  }
  // Arguments first, so that in url(self).getHost() the innermost unknown function is named.
  walk(target);
  args.forEach(walk);
  if (!PLANNER_CALLS.has(name)) {
    const overloads = [...(ENV.funcs.find(name) ?? [])];
    if (
      !overloads.some((f) => (f.target !== undefined) === (target !== undefined) && f.arguments.length === args.length)
    )
      throw new CelUnsupported(
        name === 'has' ? 'has() takes one field selection, such as has(self.x)' : `function ${name}() is not supported`,
      );
    const pattern = REGEX_FUNCTIONS.has(name) ? (target ? args[0] : args[1]) : undefined;
    if (pattern?.exprKind.case === 'constExpr' && pattern.exprKind.value.constantKind.case === 'stringValue') {
      // As Kubernetes does, a constant pattern is compiled with the rule, not on each call.
      const p = pattern.exprKind.value.constantKind.value;
      try {
        re2(p);
      } catch (err) {
        throw new CelUnsupported(`regular expression ${JSON.stringify(p)}: ${firstLine(err)}`);
      }
    }
  }
}

/** `a.b.c` as a dotted name, or undefined when the expression is not a plain name path. */
function qualifiedName(e: Expr): string | undefined {
  if (e.exprKind.case === 'identExpr') return e.exprKind.value.name;
  if (e.exprKind.case !== 'selectExpr' || !e.exprKind.value.operand) return undefined;
  const base = qualifiedName(e.exprKind.value.operand);
  return base === undefined ? undefined : `${base}.${e.exprKind.value.field}`;
}

/**
 * Parsed JSON as CEL values: integers are int (bigint) unless the schema says number, as the API
 * server types them; objects are maps and arrays lists.
 */
function toCel(v: unknown, s: CelSchema | undefined): CelInput {
  if (typeof v === 'number') return Number.isSafeInteger(v) && s?.type !== 'number' ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map((x) => toCel(x, s?.items));
  if (v !== null && typeof v === 'object') {
    const extra = typeof s?.additionalProperties === 'object' ? s.additionalProperties : undefined;
    return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x, s?.properties?.[k] ?? extra)]));
  }
  return v as CelInput;
}

/** A CEL result as plain JSON values, for messageExpression results and for tests. */
function fromCel(v: CelValue): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (isCelUint(v)) return fromCel(v.value);
  if (isCelList(v)) return [...v].map(fromCel);
  if (isCelMap(v)) return Object.fromEntries([...v].map(([k, x]) => [String(fromCel(k)), fromCel(x)]));
  return v;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
