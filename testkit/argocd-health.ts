// Runs deploy/argocd/health.lua, the Argo CD health check of our kinds, with a real Lua
// interpreter. The object goes in as a Lua table literal (what Argo CD hands a script as
// `obj`), and the script runs with only the libraries Argo CD's sandbox offers.
import { spawnSync } from 'node:child_process';
import { repoRoot } from './kube.ts';

/** The health script users put into argocd-cm. */
export const HEALTH_SCRIPT = `${repoRoot}deploy/argocd/health.lua`;

/** The statuses Argo CD accepts from a health script. */
export const ARGO_HEALTH_STATUSES = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'] as const;

/** What the script returned. */
export interface ArgoHealth {
  status: string;
  message: string;
}

/** Options for {@link runHealthScript}. */
export interface RunOptions {
  /** Lua interpreter on PATH: lua5.4, or lua5.1 (the dialect of gopher-lua, which Argo CD embeds). */
  interpreter?: string;
  script?: string;
}

/** A Lua string literal: quotes, backslashes and control characters escaped, other bytes as they are. */
function luaString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (code < 0x20 || code === 0x7f) out += `\\${String(code).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * A JSON value as a Lua table constructor: objects become tables keyed by string, arrays
 * sequences, null nil (as Argo CD's JSON-to-Lua conversion does). Dates, as client-node may
 * give them, become their ISO strings.
 */
export function luaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (value instanceof Date) return luaString(value.toISOString());
  switch (typeof value) {
    case 'boolean':
      return String(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`luaLiteral: ${value} has no JSON form`);
      return String(value);
    case 'string':
      return luaString(value);
    case 'object':
      if (Array.isArray(value)) return `{${value.map(luaLiteral).join(', ')}}`;
      return `{${Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `[${luaString(k)}] = ${luaLiteral(v)}`)
        .join(', ')}}`;
    default:
      throw new Error(`luaLiteral: cannot convert a ${typeof value}`);
  }
}

/**
 * The harness: loads the script with an environment holding `obj` and the base, string,
 * table and math functions only, so a script that reached for io or os would fail here as
 * it would in Argo CD. Works on Lua 5.1 (setfenv) and 5.2+ (load with env).
 */
function harness(obj: object, script: string): string {
  return `
local env = {
  obj = ${luaLiteral(obj)},
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
  select = select, tonumber = tonumber, tostring = tostring, type = type, unpack = unpack,
  string = string, table = table, math = math,
}
local f = assert(io.open(${luaString(script)}, "r"))
local source = f:read("*a")
f:close()
local chunk
if setfenv then
  chunk = assert(loadstring(source, "=health.lua"))
  setfenv(chunk, env)
else
  chunk = assert(load(source, "=health.lua", "t", env))
end
local hs = chunk()
assert(type(hs) == "table", "health.lua returned " .. type(hs) .. ", not a table")
assert(type(hs.status) == "string", "health.lua returned no status")
assert(hs.message == nil or type(hs.message) == "string", "health.lua returned a message that is not a string")
io.write(hs.status, "\\n", hs.message or "")
`;
}

/** Runs the health script on `obj`; throws with Lua's error when the script fails. */
export function runHealthScript(obj: object, opts: RunOptions = {}): ArgoHealth {
  const interpreter = opts.interpreter ?? 'lua5.4';
  const res = spawnSync(interpreter, ['-'], { input: harness(obj, opts.script ?? HEALTH_SCRIPT), encoding: 'utf8' });
  if (res.error) {
    const missing = (res.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing ? `${interpreter} not found: run \`bash e2e/lib/ensure-lua.sh\` (root) to install it` : res.error.message,
    );
  }
  if (res.status !== 0) throw new Error(`${interpreter} failed (exit ${res.status}): ${res.stderr.trim()}`);
  const nl = res.stdout.indexOf('\n');
  return { status: res.stdout.slice(0, nl), message: res.stdout.slice(nl + 1) };
}
