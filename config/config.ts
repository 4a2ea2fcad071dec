// Configuration: K8 Highlander's file keys and HIGHLANDER_* variables, plus ours, checked
// against config.schema.json. Only this module (and env.ts, its table of variables) reads the environment.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Ajv2019 } from 'ajv/dist/2019.js';
import type { ErrorObject } from 'ajv';
import YAML from 'yaml';
import type { Backend } from '../locks/lock-store.ts';
import { parseDuration } from '../runtime/duration.ts';
import { uniqueBy } from '../runtime/values.ts';
import { applyEnv } from './env.ts';
import { describeSchemaError } from './schema-errors.ts';
import type { LeaderTimings } from '../election/timings.ts';
import { DEFAULT_TIMINGS, timingProblems } from '../election/timings.ts';
import type { RedisSettings, SpannerSettings } from '../election/store-factory.ts';

/** Config-file workloads, as written (validated by the schema; turned into CRs by the operator). */
export interface WorkloadsConfig {
  processes?: Record<string, unknown>[];
  cronJobs?: Record<string, unknown>[];
  services?: Record<string, unknown>[];
  persistentSets?: Record<string, unknown>[];
}

/** The validated configuration the operator runs with. */
export interface HighlanderConfig {
  id: string;
  tenant: string;
  port: number;
  /** Address the HTTP server listens on. */
  httpHost: string;
  /** When set, `POST /api/leader/handover` exists and requires this bearer token. */
  handoverToken?: string;
  namespace: string;
  /** Namespaces whose CRs and children are watched; empty: all namespaces (cluster-wide). */
  watchNamespaces: string[];
  storageType: Backend;
  /** Whether storageType was written down or inferred from the configured store. */
  storageTypeInferred: boolean;
  redis?: RedisSettings;
  databaseURL?: string;
  spanner?: SpannerSettings;
  cluster: { name: string; kubeconfig?: string };
  terminationGracePeriodMs: number;
  leaderElection: LeaderTimings & { leaseNamespace: string };
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  workloads: WorkloadsConfig;
  /** The file it came from, if any. */
  configPath?: string;
}

/** Invalid configuration: every problem, each naming its setting. The CLI exits with code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly problems: string[],
    readonly source: string,
    /** The settings as read (file and environment merged), when they could be read at all. */
    readonly settings?: Readonly<Record<string, unknown>>,
  ) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const schema = JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv2019({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(
  schema,
);

/** Where configuration comes from; everything injectable for tests. */
export interface ConfigSources {
  env: Record<string, string | undefined>;
  /** A --config flag; otherwise CONFIG_PATH; otherwise no file. */
  configPath?: string;
  readFile?: (path: string) => string;
  hostname?: () => string;
}

/** Loads, merges and validates the configuration; throws {@link ConfigError}. */
export function loadConfig(src: ConfigSources = { env: process.env }): HighlanderConfig {
  const read = src.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const path = src.configPath ?? (src.env.CONFIG_PATH || undefined);
  let raw: unknown = {};
  if (path) {
    let text: string;
    try {
      text = read(path);
    } catch (err) {
      throw new ConfigError([`cannot read config file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`], path);
    }
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    if (doc.errors.length) {
      throw new ConfigError(
        doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`),
        path,
      );
    }
    raw = doc.toJS() ?? {};
  }
  const defaults = {
    id: src.hostname?.() ?? hostname(),
    leaseNamespace: src.env.POD_NAMESPACE || inClusterNamespace(read),
  };
  return parseConfig(raw, src.env, path ?? 'defaults and environment', defaults);
}

/**
 * The rules across settings (the chosen store's settings, the timing rules, workloads outside
 * watchNamespaces), each checked only when the schema accepted the settings it reads.
 */
function crossChecks(c: RawConfig, schemaErrors: readonly ErrorObject[], problems: string[]) {
  const accepted = (...prefixes: string[]): boolean =>
    !schemaErrors.some((e) => prefixes.some((p) => pointerOf(e) === p || pointerOf(e).startsWith(`${p}/`)));
  const { storageType, inferred } = accepted('/storageType', '/redis', '/databaseURL', '/spanner')
    ? chooseStore(c, problems)
    : { storageType: 'kubernetes' as const, inferred: false };
  let timings: LeaderTimings = DEFAULT_TIMINGS;
  if (accepted('/leaderElection')) {
    timings = {
      leaseDurationMs: durationOr(c.leaderElection?.leaseDuration, DEFAULT_TIMINGS.leaseDurationMs),
      renewDeadlineMs: durationOr(c.leaderElection?.renewDeadline, DEFAULT_TIMINGS.renewDeadlineMs),
      retryPeriodMs: durationOr(c.leaderElection?.retryPeriod, DEFAULT_TIMINGS.retryPeriodMs),
    };
    problems.push(...timingProblems(timings).map((p) => `leaderElection: ${p}`));
  }
  const namespace = accepted('/namespace') && typeof c.namespace === 'string' ? c.namespace : 'default';
  if (accepted('/workloads', '/watchNamespaces', '/namespace')) {
    problems.push(...unwatchedWorkloads(c.workloads ?? {}, namespace, c.watchNamespaces ?? []));
  }
  return { storageType, inferred, timings, namespace };
}

/** The JSON pointer a schema error is about, the named property included (`/redis/addr`). */
function pointerOf(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const key = (p.missingProperty ?? p.additionalProperty ?? p.unevaluatedProperty) as string | undefined;
  return key === undefined ? e.instancePath : `${e.instancePath}/${key}`;
}

function inClusterNamespace(read: (p: string) => string): string | undefined {
  const file = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
  try {
    return existsSync(file) ? read(file).trim() || undefined : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Validates raw file contents with the environment applied over them (pure: no I/O).
 * `origin` names the source in the error; `defaults` supplies what the machine decides.
 */
export function parseConfig(
  raw: unknown,
  env: Record<string, string | undefined>,
  origin: string,
  defaults: { id: string; leaseNamespace?: string | undefined },
): HighlanderConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(['the file must hold a mapping of settings (key: value)'], origin);
  }
  // Empty strings mean "not set" in settings, but are real values inside workloads (env: {X: ""}).
  const { workloads, ...settings } = structuredClone(raw) as Record<string, unknown>;
  const merged = dropEmptyStrings(settings) as Record<string, unknown>;
  if (workloads !== undefined) merged.workloads = workloads;
  const fromEnv = applyEnv(merged, env);
  // Every problem at once: the schema's, and the checks across settings whose inputs the schema
  // accepted (a rule over an invalid value would only add noise).
  const valid = validate(merged);
  const errors = valid ? [] : (validate.errors ?? []);
  const problems = uniqueBy(errors.map((e) => describeSchemaError(e, merged, fromEnv)));
  const c = merged as RawConfig;
  const { storageType, inferred, timings, namespace } = crossChecks(c, errors, problems);
  if (problems.length) throw new ConfigError(problems, origin, merged);

  return {
    id: c.id ?? defaults.id,
    tenant: c.tenant ?? 'default',
    port: c.port ?? 8080,
    httpHost: c.http?.host ?? '0.0.0.0',
    ...(c.http?.handoverToken ? { handoverToken: c.http.handoverToken } : {}),
    namespace,
    watchNamespaces: c.watchNamespaces ?? [],
    storageType,
    storageTypeInferred: inferred,
    ...(c.redis?.addr
      ? {
          redis: {
            addr: c.redis.addr,
            username: c.redis.username,
            password: c.redis.password,
            db: c.redis.db ?? 0,
            tls: c.redis.tls ?? false,
          },
        }
      : {}),
    ...(c.databaseURL ? { databaseURL: c.databaseURL } : {}),
    ...(c.spanner?.projectID || c.spanner?.instanceID || c.spanner?.databaseID
      ? {
          spanner: {
            projectID: c.spanner.projectID ?? '',
            instanceID: c.spanner.instanceID ?? '',
            databaseID: c.spanner.databaseID ?? '',
            ...(c.spanner.emulatorHost ? { emulatorHost: c.spanner.emulatorHost } : {}),
          },
        }
      : {}),
    cluster: {
      name: c.cluster?.name ?? 'default',
      ...(c.cluster?.kubeconfig ? { kubeconfig: c.cluster.kubeconfig } : {}),
    },
    terminationGracePeriodMs: durationOr(c.terminationGracePeriod, 30_000),
    leaderElection: {
      ...timings,
      leaseNamespace: c.leaderElection?.leaseNamespace ?? defaults.leaseNamespace ?? namespace,
    },
    logLevel: c.logLevel ?? 'info',
    workloads: c.workloads ?? {},
    ...(origin.endsWith('environment') ? {} : { configPath: origin }),
  };
}

/** Config-file workloads placed in a namespace the operator would not watch. */
function unwatchedWorkloads(w: WorkloadsConfig, defaultNamespace: string, watched: readonly string[]): string[] {
  if (watched.length === 0) return [];
  const problems: string[] = [];
  for (const [list, items] of Object.entries(w) as [string, Record<string, unknown>[] | undefined][]) {
    (items ?? []).forEach((item, i) => {
      const ns = typeof item.namespace === 'string' && item.namespace ? item.namespace : defaultNamespace;
      if (!watched.includes(ns)) {
        problems.push(`workloads.${list}[${i}].namespace: ${ns} is not in watchNamespaces (${watched.join(', ')})`);
      }
    });
  }
  return problems;
}

interface RawConfig {
  id?: string;
  tenant?: string;
  port?: number;
  namespace?: string;
  storageType?: Backend;
  redis?: { addr?: string; username?: string; password?: string; db?: number; tls?: boolean };
  databaseURL?: string;
  spanner?: { projectID?: string; instanceID?: string; databaseID?: string; emulatorHost?: string };
  cluster?: { name?: string; kubeconfig?: string };
  terminationGracePeriod?: string;
  leaderElection?: { leaseDuration?: string; renewDeadline?: string; retryPeriod?: string; leaseNamespace?: string };
  logLevel?: HighlanderConfig['logLevel'];
  workloads?: WorkloadsConfig;
  http?: { host?: string; handoverToken?: string };
  watchNamespaces?: string[];
}

function chooseStore(c: RawConfig, problems: string[]): { storageType: Backend; inferred: boolean } {
  const configured: Backend[] = [];
  if (c.redis?.addr) configured.push('redis');
  if (c.databaseURL) configured.push('db');
  if (c.spanner?.projectID || c.spanner?.instanceID || c.spanner?.databaseID) configured.push('spanner');
  let storageType = c.storageType;
  const inferred = storageType === undefined;
  if (storageType === undefined) {
    if (configured.length > 1) {
      problems.push(
        `storageType: several lock stores are configured (${configured.join(', ')}); set storageType to choose one`,
      );
    }
    storageType = configured[0] ?? 'kubernetes';
  }
  if (storageType === 'redis' && !c.redis?.addr) {
    problems.push('redis.addr: is required when storageType is redis (host:port, or HIGHLANDER_REDIS_ADDR)');
  }
  if (storageType === 'db') {
    if (!c.databaseURL) problems.push('databaseURL: is required when storageType is db (or HIGHLANDER_DATABASE_URL)');
    else problems.push(...databaseUrlProblems(c.databaseURL));
  }
  if (storageType === 'spanner') {
    for (const k of ['projectID', 'instanceID', 'databaseID'] as const) {
      if (!c.spanner?.[k]) problems.push(`spanner.${k}: is required when storageType is spanner`);
    }
  }
  return { storageType, inferred };
}

function databaseUrlProblems(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return ['databaseURL: is not a URL (expected postgres://user:password@host:5432/database)'];
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    return [`databaseURL: scheme must be postgres:// or postgresql:// (got ${u.protocol}//)`];
  }
  if (!u.hostname) return ['databaseURL: has no host (expected postgres://user:password@host:5432/database)'];
  return [];
}

function durationOr(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : (parseDuration(text) ?? fallback);
}

/** K8 Highlander files write "" for "not set" (password: "", kubeconfig: ""). */
function dropEmptyStrings(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropEmptyStrings);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== '') out[k] = dropEmptyStrings(x);
    return out;
  }
  return v;
}
