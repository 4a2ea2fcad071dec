// `highlander await`'s settings: the operator's configuration (file, HIGHLANDER_* variables) for
// the store and timings, plus k8s-await-election's K8S_AWAIT_ELECTION_* variables taken as they
// are, so that a Deployment written for it switches by changing only its image and command.
import { isIP } from 'node:net';
import type { ConfigSources, HighlanderConfig } from '../config/config.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import type { ElectOptions, StoreOptions } from '../app-election/options.ts';

const K8S = 'K8S_AWAIT_ELECTION_';

/** k8s-await-election's variables with the operator's variable each stands for. */
const AS_HIGHLANDER: [string, string][] = [
  [`${K8S}IDENTITY`, 'HIGHLANDER_ID'],
  [`${K8S}LOCK_NAMESPACE`, 'HIGHLANDER_LEASE_NAMESPACE'],
  [`${K8S}LEASE_DURATION`, 'HIGHLANDER_LEASE_DURATION'],
  [`${K8S}RENEW_DEADLINE`, 'HIGHLANDER_RENEW_DEADLINE'],
  [`${K8S}RETRY_PERIOD`, 'HIGHLANDER_RETRY_PERIOD'],
];

/** Variables k8s-await-election requires once ENABLED is set. */
const REQUIRED = ['NAME', 'LOCK_NAME', 'LOCK_NAMESPACE', 'IDENTITY'].map((v) => `${K8S}${v}`);

/** One port of the leader's EndpointSlice (k8s-await-election's SERVICE_PORTS_JSON entries). */
export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
}

/** The selector-less Service whose endpoints the leader points at itself. */
export interface ServiceRouting {
  name: string;
  namespace: string;
  ports: EndpointPort[];
  podIP: string;
  nodeName?: string;
}

/** Everything `await` runs with. */
export interface AwaitSettings {
  /** False: no election at all, the command just runs (K8S_AWAIT_ELECTION_ENABLED unset, others set). */
  election: boolean;
  /** The election's name, for logs and the status endpoint. */
  name: string;
  /** What the library campaigns with. */
  elect: ElectOptions;
  config: HighlanderConfig;
  /** host and port of the status endpoint, when one is asked for. */
  status?: { host: string; port: number };
  service?: ServiceRouting;
  /** The kubeconfig for the API server (the Lease store, Service routing); unset: in-cluster. */
  kubeconfig?: string;
}

/** Command-line flags of `await`. */
export interface AwaitFlags {
  config?: string;
  kubeconfig?: string;
  lock?: string;
  statusAddr?: string;
}

/** Reads and checks the settings; throws a {@link ConfigError} naming every variable or flag at fault. */
export function awaitSettings(env: Record<string, string | undefined>, flags: AwaitFlags): AwaitSettings {
  const set = (name: string): string | undefined => (env[name] ? env[name] : undefined);
  const k8sMode = Object.keys(env).some((k) => k.startsWith(K8S) && env[k]);
  const election = !k8sMode || set(`${K8S}ENABLED`) !== undefined;
  const problems: string[] = [];
  if (k8sMode && election) {
    for (const v of REQUIRED) if (!set(v)) problems.push(`${v}: is required when ${K8S}ENABLED is set`);
  }
  const merged: Record<string, string | undefined> = { ...env };
  for (const [ours, theirs] of AS_HIGHLANDER) if (set(ours) && !set(theirs)) merged[theirs] = env[ours];
  const sources: ConfigSources = { env: merged, ...(flags.config ? { configPath: flags.config } : {}) };
  let config: HighlanderConfig | undefined;
  try {
    config = loadConfig(sources);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.map((p) => namedAsGiven(p, env)));
  }
  const statusText = flags.statusAddr ?? set(`${K8S}STATUS_ENDPOINT`);
  const status =
    statusText === undefined
      ? undefined
      : parseAddr(statusText, flags.statusAddr ? '--status-addr' : `${K8S}STATUS_ENDPOINT`, problems);
  const service = serviceRouting(env, problems);
  const kubeconfig = flags.kubeconfig ?? config?.cluster.kubeconfig;
  if (service && !kubeconfig && !env.KUBERNETES_SERVICE_HOST) {
    problems.push(
      `${K8S}SERVICE_NAME: routing writes an EndpointSlice, which needs the API server: run in a pod, or give --kubeconfig (HIGHLANDER_KUBECONFIG)`,
    );
  }
  if (problems.length || !config) throw new ConfigError(problems, 'await settings');
  const lock = set(`${K8S}LOCK_NAME`) ?? flags.lock ?? config.tenant;
  return {
    election,
    name: set(`${K8S}NAME`) ?? lock,
    elect: {
      store: storeOf(config, flags.kubeconfig),
      lock,
      identity: config.id,
      timings: {
        leaseDuration: config.leaderElection.leaseDurationMs,
        renewDeadline: config.leaderElection.renewDeadlineMs,
        retryPeriod: config.leaderElection.retryPeriodMs,
      },
    },
    config,
    ...(status ? { status } : {}),
    ...(service ? { service } : {}),
    ...(kubeconfig ? { kubeconfig } : {}),
  };
}

/** A problem about a HIGHLANDER_* variable that was really set as its K8S_AWAIT_ELECTION_* twin names the twin. */
function namedAsGiven(problem: string, env: Record<string, string | undefined>): string {
  for (const [ours, theirs] of AS_HIGHLANDER) {
    if (env[ours] && !env[theirs]) problem = problem.replace(`(from ${theirs})`, `(from ${ours})`);
  }
  return problem;
}

/** The library's store options for the configured store. */
export function storeOf(c: HighlanderConfig, kubeconfig: string | undefined): StoreOptions {
  switch (c.storageType) {
    case 'kubernetes': {
      const path = kubeconfig ?? c.cluster.kubeconfig;
      return { type: 'kubernetes', namespace: c.leaderElection.leaseNamespace, ...(path ? { kubeconfig: path } : {}) };
    }
    case 'redis':
      return { type: 'redis', ...c.redis! };
    case 'db':
      return { type: 'postgres', url: c.databaseURL! };
    case 'spanner':
      return { type: 'spanner', ...c.spanner! };
  }
}

/** `host:port` or `:port` (every interface, as k8s-await-election listens). */
export function parseAddr(text: string, what: string, problems: string[]): { host: string; port: number } | undefined {
  const m = /^(.*):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || port > 65535) {
    problems.push(`${what}: must be host:port or :port (got ${JSON.stringify(text)})`);
    return undefined;
  }
  return { host: m[1] === '' ? '0.0.0.0' : m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

/** The Service routing variables, checked; undefined when no service is named. */
function serviceRouting(env: Record<string, string | undefined>, problems: string[]): ServiceRouting | undefined {
  const name = env[`${K8S}SERVICE_NAME`];
  if (!name) return undefined;
  const namespace = env[`${K8S}SERVICE_NAMESPACE`] || env[`${K8S}LOCK_NAMESPACE`] || env.POD_NAMESPACE;
  const podIP = env[`${K8S}POD_IP`];
  const given = problems.length;
  if (!namespace) problems.push(`${K8S}SERVICE_NAMESPACE: is required with ${K8S}SERVICE_NAME`);
  if (!podIP) problems.push(`${K8S}POD_IP: is required with ${K8S}SERVICE_NAME (fieldRef status.podIP)`);
  else if (!isIP(podIP)) problems.push(`${K8S}POD_IP: must be an IPv4 or IPv6 address (got ${JSON.stringify(podIP)})`);
  const ports = endpointPorts(env[`${K8S}SERVICE_PORTS_JSON`], problems);
  if (problems.length > given) return undefined;
  const nodeName = env[`${K8S}NODE_NAME`];
  return { name, namespace: namespace!, ports, podIP: podIP!, ...(nodeName ? { nodeName } : {}) };
}

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];

/** SERVICE_PORTS_JSON: `[{"name":"http","port":8080}]`, each entry checked. */
export function endpointPorts(text: string | undefined, problems: string[]): EndpointPort[] {
  const what = `${K8S}SERVICE_PORTS_JSON`;
  if (!text) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push(`${what}: is not JSON (expected [{"name":"http","port":8080}])`);
    return [];
  }
  if (!Array.isArray(parsed)) {
    problems.push(`${what}: must be a JSON array of ports (expected [{"name":"http","port":8080}])`);
    return [];
  }
  const ports: EndpointPort[] = [];
  parsed.forEach((p: Record<string, unknown> | null, i) => {
    const at = `${what}[${i}]`;
    const port = p?.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push(`${at}.port: must be a port number 1-65535 (got ${JSON.stringify(port)})`);
    } else if (p!.protocol !== undefined && !PROTOCOLS.includes(p!.protocol as string)) {
      problems.push(`${at}.protocol: must be one of ${PROTOCOLS.join(', ')} (got ${JSON.stringify(p!.protocol)})`);
    } else ports.push(p as unknown as EndpointPort);
  });
  return ports;
}
