// A CRD's structural schema as JSON Schema for ajv, and ajv's errors as the API server words them.
import type { ErrorObject } from 'ajv';
import type { Segment } from '../runtime/values.ts';
import { valueAt } from '../runtime/values.ts';
import type { CrProblem, Schema } from './schema.ts';
import { describeType, isSensitive, show } from './schema.ts';

/**
 * The JSON Schema ajv checks for a structural schema node. Unknown fields are errors (strict
 * field validation) except under x-kubernetes-preserve-unknown-fields; x-kubernetes-int-or-string
 * allows an integer or a string; `nullable` allows null; OpenAPI's boolean exclusiveMinimum and
 * exclusiveMaximum become numbers; of the string formats only date-time is checked. At the root,
 * metadata is left to {@link metadataProblems}.
 */
export function toJsonSchema(s: Schema, root = false, inJunctor = false): Record<string, unknown> {
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

export function describeAjvError(e: ErrorObject, data: unknown): CrProblem {
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
export function pointerToSegments(pointer: string, data: unknown): Segment[] {
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
