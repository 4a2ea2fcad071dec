// Schema errors (ajv) as one line each that names the setting, says what is wrong with it, and
// shows the value given unless it is a secret.
import type { ErrorObject } from 'ajv';
import { pointerPath, valueAt } from '../runtime/values.ts';
import { SECRET_PATHS } from './redact.ts';

/** One problem line for `e`; `fromEnv` names the variable a setting came from. */
export function describeSchemaError(e: ErrorObject, root: unknown, fromEnv: Map<string, string>): string {
  const path = pointerToPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') {
    const key = String(params.additionalProperty ?? params.unevaluatedProperty);
    return `${join(path, key)}: unknown setting`;
  }
  if (e.keyword === 'required') return `${join(path, String(params.missingProperty))}: is required`;
  const env = fromEnv.get(path);
  const where = env ? `${path} (from ${env})` : path || '(top level)';
  const value = valueAt(root, pointerPath(e.instancePath));
  const got = SECRET_PATHS.has(path) ? '' : ` (got ${JSON.stringify(value)})`;
  switch (e.keyword) {
    case 'enum':
      return `${where}: must be one of ${(params.allowedValues as unknown[]).join(', ')}${got}`;
    case 'pattern':
      if (String(params.pattern).includes('ms|s|m|h'))
        return `${where}: must be a duration like 15s, 500ms or 1m30s${got}`;
      if (String(params.pattern).includes('Ki|Mi')) return `${where}: must be a quantity like 100m, 256Mi or 1Gi${got}`;
      if (path.endsWith('addr')) return `${where}: must be host:port${got}`;
      if (String(params.pattern).startsWith('^[a-z0-9]')) {
        return `${where}: must be a DNS-1123 name (lowercase letters, digits and '-')${got}`;
      }
      return `${where}: ${e.message ?? 'is invalid'}${got}`;
    default:
      return `${where}: ${e.message ?? 'is invalid'}${got}`;
  }
}

/** "/workloads/cronJobs/0/schedule" → "workloads.cronJobs[0].schedule". */
export function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
