// What an application passes to elect(): the lock store, the lock's name, who it is, and the
// timings. They are checked by the operator's own configuration rules (config/), so a setting
// the operator refuses is refused here too, with the option at fault named.
import { hostname } from 'node:os';
import { ConfigError, parseConfig } from '../config/config.ts';
import type { StoreSettings } from '../election/store-factory.ts';
import type { LeaderTimings } from '../election/timings.ts';
import type { Backend, LockStore } from '../locks/lock-store.ts';

/** A Kubernetes Lease named after the lock, in `namespace` (default `default`). */
export interface LeaseStoreOptions {
  type: 'kubernetes';
  namespace?: string;
  /** A kubeconfig file; without it, the pod's service account (in-cluster). */
  kubeconfig?: string;
}
/** A Redis server (the lock is a key, grants are published on a channel). */
export interface RedisStoreOptions {
  type: 'redis';
  /** host:port */
  addr: string;
  username?: string;
  password?: string;
  db?: number;
  tls?: boolean;
}
/** A PostgreSQL database (the lock is a row). */
export interface PostgresStoreOptions {
  type: 'postgres';
  /** postgres://user:password@host:5432/database */
  url: string;
}
/** A Cloud Spanner database (the lock is a row). */
export interface SpannerStoreOptions {
  type: 'spanner';
  projectID: string;
  instanceID: string;
  databaseID: string;
  /** host:port of the Spanner emulator, for local runs. */
  emulatorHost?: string;
}
/** Which lock store holds the election. */
export type StoreOptions = LeaseStoreOptions | RedisStoreOptions | PostgresStoreOptions | SpannerStoreOptions;

/** A duration: milliseconds, or text such as `15s`, `500ms`, `1m30s`. */
export type Duration = number | string;

/** The election's timings; each defaults to client-go's (15 s, 10 s, 2 s). */
export interface TimingOptions {
  /** How long a hold lasts after the leader's last renewal. */
  leaseDuration?: Duration;
  /** A leader that could not renew for this long stops acting (must be below leaseDuration). */
  renewDeadline?: Duration;
  /** How often the leader renews (renewDeadline must exceed 1.2 × this). */
  retryPeriod?: Duration;
}

/** The settings of {@link elect} and {@link runWhileLeader}. */
export interface ElectOptions {
  /** The lock store, or a store already opened (its owner closes it). */
  store: StoreOptions | LockStore;
  /** The election's name: the Lease's name, the Redis key's or the row's. */
  lock: string;
  /** This candidate's name (default: the host name); a random suffix keeps two of the same name apart. */
  identity?: string;
  timings?: TimingOptions;
}

/** The options after checking: what the store factory and the gate are built from. */
export interface ResolvedOptions {
  /** Settings of the store to open; undefined when an opened store was given. */
  settings: StoreSettings | undefined;
  /** The opened store given, if any. */
  store: LockStore | undefined;
  kubeconfig: string | undefined;
  identity: string;
  timings: LeaderTimings;
}

const STORE_TYPES: Record<StoreOptions['type'], Backend> = {
  kubernetes: 'kubernetes',
  redis: 'redis',
  postgres: 'db',
  spanner: 'spanner',
};

/** A DNS-1123 subdomain: what a Lease may be called, and a safe key or row name elsewhere. */
const LOCK_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The configuration key each option is checked as, and the option's own name for messages. */
const OPTION_NAMES: [RegExp, string][] = [
  [/^id\b/, 'identity'],
  [/^storageType\b/, 'store.type'],
  [/^databaseURL\b/, 'store.url'],
  [/^(redis|spanner)\./, 'store.'],
  [/^cluster\.kubeconfig\b/, 'store.kubeconfig'],
  [/^leaderElection\.leaseNamespace\b/, 'store.namespace'],
  [/^leaderElection\b/, 'timings'],
];

const rename = (problem: string): string => {
  for (const [key, option] of OPTION_NAMES) if (key.test(problem)) return problem.replace(key, option);
  return problem;
};

const isOpenedStore = (s: unknown): s is LockStore =>
  typeof (s as LockStore | undefined)?.tryAcquire === 'function' && typeof (s as LockStore).renew === 'function';

/** Checks `opts`; throws a {@link ConfigError} listing every problem, each naming its option. */
export function resolveOptions(opts: ElectOptions, source = 'election options'): ResolvedOptions {
  const problems: string[] = [];
  if (typeof opts.lock !== 'string' || opts.lock.length > 253 || !LOCK_NAME.test(opts.lock)) {
    problems.push(
      `lock: must be a name of lowercase letters, digits, '-' and '.', at most 253 characters (got ${JSON.stringify(opts.lock)})`,
    );
  }
  const given = isOpenedStore(opts.store) ? opts.store : undefined;
  const store = given ? undefined : (opts.store as StoreOptions | undefined);
  const backend = store ? STORE_TYPES[store.type] : undefined;
  if (!given && !backend) {
    problems.push(
      `store.type: must be one of ${Object.keys(STORE_TYPES).join(', ')} (got ${JSON.stringify(store?.type)})`,
    );
  }
  const raw: RawSettings = { ...settingsOf(store), leaderElection: { ...timingsOf(opts.timings ?? {}, problems) } };
  if (store?.type === 'kubernetes' && store.namespace !== undefined)
    raw.leaderElection.leaseNamespace = store.namespace;
  if (opts.identity !== undefined) raw.id = opts.identity;
  let cfg: ReturnType<typeof parseConfig> | undefined;
  try {
    cfg = parseConfig(raw, {}, source, { id: hostname(), leaseNamespace: 'default' });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.map(rename));
  }
  if (problems.length || !cfg) throw new ConfigError(problems, source);
  const timings: LeaderTimings = {
    leaseDurationMs: cfg.leaderElection.leaseDurationMs,
    renewDeadlineMs: cfg.leaderElection.renewDeadlineMs,
    retryPeriodMs: cfg.leaderElection.retryPeriodMs,
  };
  const settings: StoreSettings | undefined = given
    ? undefined
    : {
        storageType: cfg.storageType,
        tenant: opts.lock,
        leaseName: opts.lock,
        ...(cfg.redis ? { redis: cfg.redis } : {}),
        ...(cfg.databaseURL ? { databaseURL: cfg.databaseURL } : {}),
        ...(cfg.spanner ? { spanner: cfg.spanner } : {}),
        leaderElection: { ...timings, leaseNamespace: cfg.leaderElection.leaseNamespace },
      };
  return { settings, store: given, kubeconfig: cfg.cluster.kubeconfig, identity: cfg.id, timings };
}

type RawSettings = Record<string, unknown> & { id?: string; leaderElection: Record<string, string> };

/** The configuration keys the store options stand for. */
function settingsOf(s: StoreOptions | undefined): Omit<RawSettings, 'leaderElection'> {
  switch (s?.type) {
    case 'kubernetes':
      return { storageType: 'kubernetes', ...(s.kubeconfig ? { cluster: { kubeconfig: s.kubeconfig } } : {}) };
    case 'redis': {
      const { addr, username, password, db, tls } = s;
      return { storageType: 'redis', redis: defined({ addr, username, password, db, tls }) };
    }
    case 'postgres':
      return { storageType: 'db', databaseURL: s.url };
    case 'spanner': {
      const { projectID, instanceID, databaseID, emulatorHost } = s;
      return { storageType: 'spanner', spanner: defined({ projectID, instanceID, databaseID, emulatorHost }) };
    }
    default:
      return {};
  }
}

/** Durations as the configuration writes them: a number of milliseconds becomes `<n>ms`. */
function timingsOf(t: TimingOptions, problems: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['leaseDuration', 'renewDeadline', 'retryPeriod'] as const) {
    const v = t[key];
    if (v === undefined) continue;
    if (typeof v === 'number') {
      if (Number.isInteger(v) && v > 0) out[key] = `${v}ms`;
      else problems.push(`timings.${key}: must be a positive whole number of milliseconds (got ${v})`);
    } else out[key] = v;
  }
  return out;
}

const defined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
