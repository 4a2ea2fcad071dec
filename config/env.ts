// The environment variables that override config-file settings: K8 Highlander's HIGHLANDER_*
// names first, then ours. This module and config.ts are the only ones that read the environment.

/** How a variable's text becomes a setting's value. */
type EnvType = 'string' | 'int' | 'bool' | 'list';
/** Variables and the setting each overrides (K8 Highlander's names, then ours). */
export const ENV_OVERRIDES: readonly (readonly [string, readonly string[], EnvType])[] = [
  ['HIGHLANDER_ID', ['id'], 'string'],
  ['HIGHLANDER_TENANT', ['tenant'], 'string'],
  ['HIGHLANDER_PORT', ['port'], 'int'],
  ['HIGHLANDER_NAMESPACE', ['namespace'], 'string'],
  ['HIGHLANDER_STORAGE_TYPE', ['storageType'], 'string'],
  ['HIGHLANDER_REDIS_ADDR', ['redis', 'addr'], 'string'],
  ['HIGHLANDER_REDIS_PASSWORD', ['redis', 'password'], 'string'],
  ['HIGHLANDER_REDIS_DB', ['redis', 'db'], 'int'],
  ['HIGHLANDER_DATABASE_URL', ['databaseURL'], 'string'],
  ['HIGHLANDER_KUBECONFIG', ['cluster', 'kubeconfig'], 'string'],
  ['HIGHLANDER_CLUSTER_NAME', ['cluster', 'name'], 'string'],
  ['HIGHLANDER_SPANNER_PROJECT_ID', ['spanner', 'projectID'], 'string'],
  ['HIGHLANDER_SPANNER_INSTANCE_ID', ['spanner', 'instanceID'], 'string'],
  ['HIGHLANDER_SPANNER_DATABASE_ID', ['spanner', 'databaseID'], 'string'],
  ['HIGHLANDER_LOG_LEVEL', ['logLevel'], 'string'],
  ['HIGHLANDER_REDIS_USERNAME', ['redis', 'username'], 'string'],
  ['HIGHLANDER_REDIS_TLS', ['redis', 'tls'], 'bool'],
  ['SPANNER_EMULATOR_HOST', ['spanner', 'emulatorHost'], 'string'],
  ['HIGHLANDER_LEASE_DURATION', ['leaderElection', 'leaseDuration'], 'string'],
  ['HIGHLANDER_RENEW_DEADLINE', ['leaderElection', 'renewDeadline'], 'string'],
  ['HIGHLANDER_RETRY_PERIOD', ['leaderElection', 'retryPeriod'], 'string'],
  ['HIGHLANDER_LEASE_NAMESPACE', ['leaderElection', 'leaseNamespace'], 'string'],
  ['HIGHLANDER_HTTP_HOST', ['http', 'host'], 'string'],
  ['HIGHLANDER_HANDOVER_TOKEN', ['http', 'handoverToken'], 'string'],
  ['HIGHLANDER_WATCH_NAMESPACES', ['watchNamespaces'], 'list'],
];

/**
 * Writes every variable set in `env` over the setting it names in `settings`; returns, for each
 * setting overridden ("redis.addr"), the variable it came from (messages name both).
 */
export function applyEnv(
  settings: Record<string, unknown>,
  env: Record<string, string | undefined>,
): Map<string, string> {
  const fromEnv = new Map<string, string>();
  for (const [name, path, type] of ENV_OVERRIDES) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    setPath(settings, path, coerce(v, type));
    fromEnv.set(path.join('.'), name);
  }
  return fromEnv;
}

function coerce(v: string, type: EnvType): unknown {
  if (type === 'int') return /^-?\d+$/.test(v) ? Number(v) : v;
  if (type === 'bool') return v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v;
  if (type === 'list')
    return v
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
  return v;
}

function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let o = obj;
  for (const k of path.slice(0, -1)) {
    const next = o[k];
    if (next === null || typeof next !== 'object') o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[path[path.length - 1]!] = value;
}
