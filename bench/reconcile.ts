// Reconcile benchmark: two real `highlander run` processes (tenant `default`, Lease store) and
// N workload CRs of the four kinds, created at a steady rate in one fresh namespace.
//   create_to_child:  the bench's watch sees a CR ADDED → it sees the CR's child ADDED (the Pod
//                     of a process, the CronJob, the Deployment, the StatefulSet).
//   create_to_ready:  CR ADDED → the watch sees the CR with Ready=True for its generation.
//   takeover:         SIGKILL the leader once all are Ready → every CR's status.epoch is the
//                     new leader's; failover is the kill → the new leader's 'became leader'.
//   idle requests:    the operators' API requests over a quiet minute, counted in the API
//                     server's audit log (they run as ServiceAccount highlander-system/highlander
//                     for that); lease traffic apart, watches apart, broken down by verb+resource.
//   rss:              the leader's process_resident_memory_bytes once everything is Ready.
// Object timestamps have one-second resolution: every time here is when a watch event arrived.
// Prints one JSON line; progress goes to stderr. Figures that explain the others (per kind, the
// operators' CPU, peak workqueue depth, reconcile times, requests by verb) go into its `diag`.
// Every wait is bounded; at the end the operators are killed, the namespace deleted (the run
// waits until its CRs are gone) and the bench's cluster-admin binding removed.
// Usage: node --import tsx bench/reconcile.ts [--crs N] [--rate R] [--skip-takeover]
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api, Watch } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import YAML from 'yaml';
import { FAST_TIMINGS, STARTUP_MS, operatorEnv } from '../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig, repoRoot, statusOf } from '../testkit/kube.ts';
import type { TestNamespace } from '../testkit/kube.ts';
import { OperatorProcess } from '../testkit/operator-process.ts';
import { percentile, round1 } from './stats.ts';
import { GROUP } from '../api/labels.ts';

const { values } = parseArgs({
  options: {
    crs: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '50' },
    'skip-takeover': { type: 'boolean', default: false },
  },
});
const N = Number(values.crs);
const RATE = Number(values.rate);
if (!Number.isInteger(N) || N < 4) throw new RangeError(`--crs (${values.crs}) must be a whole number, at least 4`);
if (!(RATE > 0)) throw new RangeError(`--rate (${values.rate}) must be a positive number of CRs per second`);

const SA = { namespace: 'highlander-system', name: 'highlander' };
const SA_USER = `system:serviceaccount:${SA.namespace}:${SA.name}`;
const BINDING = 'highlander-bench-reconcile';
const AUDIT_LOG = `${repoRoot}.cluster/cluster/logs/audit.log`;
const IDLE_WINDOW_MS = 60_000;
const timings = FAST_TIMINGS;
const script = { commands: ['sleep 3600'] };

/** The four kinds: how a CR is named and specified, and which child counts as "its child". */
const KINDS = [
  {
    kind: 'WorkloadProcess',
    plural: 'workloadprocesses',
    prefix: 'proc',
    child: 'Pod',
    spec: { image: 'busybox', script },
  },
  {
    kind: 'WorkloadCronJob',
    plural: 'workloadcronjobs',
    prefix: 'cron',
    child: 'CronJob',
    spec: { image: 'busybox', script, schedule: '0 3 1 1 *' },
  },
  {
    kind: 'WorkloadService',
    plural: 'workloadservices',
    prefix: 'svc',
    child: 'Deployment',
    spec: { image: 'busybox', script, replicas: 1, ports: [{ name: 'http', containerPort: 8080, servicePort: 80 }] },
  },
  {
    kind: 'WorkloadPersistent',
    plural: 'workloadpersistents',
    prefix: 'sts',
    child: 'StatefulSet',
    spec: { image: 'busybox', script, replicas: 1, ports: [{ name: 'tcp', containerPort: 9000 }] },
  },
] as const;
type Kind = (typeof KINDS)[number]['kind'];

/** Child collections the bench watches in its namespace. */
const CHILD_PATHS = [
  '/api/v1/namespaces/NS/pods',
  '/api/v1/namespaces/NS/services',
  '/apis/apps/v1/namespaces/NS/deployments',
  '/apis/apps/v1/namespaces/NS/statefulsets',
  '/apis/batch/v1/namespaces/NS/cronjobs',
];

/** What the watches saw of one CR; times are performance.now() at the event's arrival. */
interface CrTrack {
  kind: Kind;
  addedAt?: number;
  childAt?: number;
  /** The Service of a service or persistent workload (a completeness check, not a figure). */
  serviceAt?: number;
  readyAt?: number;
  epoch?: number;
  epochAt?: number;
  leader?: string;
}

type CR = KubernetesObject & {
  metadata: { name: string; generation?: number };
  status?: {
    epoch?: number;
    leader?: string;
    observedGeneration?: number;
    conditions?: { type: string; status: string }[];
  };
};

const log = (msg: string): void => void process.stderr.write(`[bench reconcile] ${msg}\n`);
const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

/** Resolves as `p` does, or rejects naming `what` once `ms` have passed. */
async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench: ${what} did not finish within ${seconds(ms)}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until `done()` (a check of what the watches saw) holds, logging `progress()` every 10 s;
 * throws with the progress after `ms`.
 */
async function until(done: () => boolean, ms: number, what: string, progress: () => string): Promise<void> {
  const start = performance.now();
  let told = start;
  while (!done()) {
    const now = performance.now();
    if (now - start > ms) throw new Error(`bench: timed out after ${seconds(ms)} waiting for ${what}: ${progress()}`);
    if (now - told >= 10_000) {
      log(`${what}: ${progress()}`);
      told = now;
    }
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------
// Prometheus text from an operator's /metrics.

/** One sample: labels and value. */
interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of metric `name` in Prometheus text format. */
function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

const sum = (xs: readonly Sample[]): number => xs.reduce((a, s) => a + s.value, 0);

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET :${port}/metrics: HTTP ${res.status}`);
  return res.text();
}

/** Polls an operator's workqueue depth every second and remembers the peak (all four queues together). */
class DepthSampler {
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  max = 0;
  last = 0;
  errors = 0;

  start(port: number): this {
    this.#timer = setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      scrape(port)
        .then((text) => {
          this.last = sum(samples(text, 'workqueue_depth'));
          this.max = Math.max(this.max, this.last);
        })
        .catch(() => {
          this.errors += 1; // a killed leader stops answering; the count says how often
        })
        .finally(() => {
          this.#busy = false;
        });
    }, 1000);
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Reconcile figures per controller from a /metrics text: passes, mean and worst-bucket time, errors. */
function reconcileDiag(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { kind } of KINDS) {
    const c = (s: Sample): boolean => s.labels.controller === kind;
    const n = sum(samples(text, 'controller_runtime_reconcile_time_seconds_count').filter(c));
    const secs = sum(samples(text, 'controller_runtime_reconcile_time_seconds_sum').filter(c));
    const buckets = samples(text, 'controller_runtime_reconcile_time_seconds_bucket').filter(c);
    const p99 = buckets.find((b) => b.value >= 0.99 * n)?.labels.le;
    const q = (s: Sample): boolean => s.labels.name === kind;
    const qn = sum(samples(text, 'workqueue_queue_duration_seconds_count').filter(q));
    const qs = sum(samples(text, 'workqueue_queue_duration_seconds_sum').filter(q));
    out[kind] = {
      reconciles: n,
      reconcile_mean_ms: n ? round1((secs / n) * 1000) : null,
      reconcile_p99_le_s: p99 === undefined ? null : Number(p99),
      queue_wait_mean_ms: qn ? round1((qs / qn) * 1000) : null,
      errors: sum(samples(text, 'controller_runtime_reconcile_errors_total').filter(c)),
      retries: sum(samples(text, 'workqueue_retries_total').filter(q)),
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The operators' identity: a ServiceAccount the audit policy logs, bound to cluster-admin (bench only).

/** A kubeconfig for the operator ServiceAccount, and the token's id (to pick our requests out of the audit log). */
interface OperatorIdentity {
  kubeconfig: string;
  credentialId: string;
  remove(): Promise<void>;
}

const ignoreConflict = (err: unknown): void => {
  if (statusOf(err) !== 409) throw err;
};

async function operatorIdentity(kc: KubeConfig): Promise<OperatorIdentity> {
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  // Shared with other tests that run the operator as this ServiceAccount: create, never delete.
  await core.createNamespace({ body: { metadata: { name: SA.namespace } } }).catch(ignoreConflict);
  await core
    .createNamespacedServiceAccount({ namespace: SA.namespace, body: { metadata: { name: SA.name } } })
    .catch(ignoreConflict);
  await rbac
    .createClusterRoleBinding({
      body: {
        metadata: { name: BINDING },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: SA.name, namespace: SA.namespace }],
      },
    })
    .catch(ignoreConflict);
  const tr = await core.createNamespacedServiceAccountToken({
    name: SA.name,
    namespace: SA.namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error(`bench: TokenRequest for ${SA_USER} returned no token`);
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti?: string };
  if (!claims.jti)
    throw new Error(
      'bench: the ServiceAccount token has no jti claim; cannot tell our requests apart in the audit log',
    );

  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('bench: the admin kubeconfig has no current cluster');
  const caData = cluster.caData ?? (cluster.caFile ? (await readFile(cluster.caFile)).toString('base64') : undefined);
  if (!caData) throw new Error('bench: the admin kubeconfig has no certificate authority');
  const dir = await mkdtemp(join(tmpdir(), 'highlander-bench-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server: cluster.server, 'certificate-authority-data': caData } }],
    users: [{ name: SA.name, user: { token } }],
    contexts: [{ name: 'operator', context: { cluster: 'local', user: SA.name } }],
    'current-context': 'operator',
  };
  await writeFile(kubeconfig, YAML.stringify(doc), { mode: 0o600 });

  // The binding reaches the authorizer through its informer: wait until it lets us list CRs.
  const asOperator = loadKubeConfig(kubeconfig).makeApiClient(CustomObjectsApi);
  const deadline = performance.now() + 30_000;
  for (;;) {
    try {
      await asOperator.listClusterCustomObject({ group: GROUP, version: 'v1', plural: 'workloadprocesses', limit: 1 });
      break;
    } catch (err) {
      if (performance.now() > deadline)
        throw new Error(`bench: ${SA_USER} still cannot list CRs after 30 s: ${String(err)}`, { cause: err });
      await sleep(250);
    }
  }
  return {
    kubeconfig,
    credentialId: `JTI=${claims.jti}`,
    async remove() {
      await rm(dir, { recursive: true, force: true });
      // cluster-admin must not outlive the bench: RBAC tests use the same ServiceAccount.
      await rbac.deleteClusterRoleBinding({ name: BINDING }).catch((err: unknown) => {
        if (statusOf(err) !== 404) throw err;
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Watches on the bench namespace.

/** A running watch: `opened` resolves once the server has answered the first request. */
interface Watching {
  opened: Promise<void>;
  stop(): void;
}

/** Watches one collection for the whole run, resuming from the last resourceVersion if a watch ends. */
function watchCollection(
  kc: KubeConfig,
  path: string,
  onEvent: (type: string, obj: KubernetesObject, at: number) => void,
): Watching {
  const watch = new Watch(kc);
  let markOpen = (): void => undefined;
  const opened = new Promise<void>((resolve) => (markOpen = resolve));
  let rv: string | undefined;
  let stopped = false;
  let ctl: AbortController | undefined;
  const open = async (): Promise<void> => {
    const c = await watch.watch(
      path,
      { allowWatchBookmarks: true, ...(rv ? { resourceVersion: rv } : {}) },
      (type: string, obj: KubernetesObject) => {
        const at = performance.now();
        if (type === 'ERROR') {
          rv = undefined; // 410 Gone: start over; ADDED replays are ignored (first sighting counts)
          return;
        }
        if (obj.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
        if (type !== 'BOOKMARK') onEvent(type, obj, at);
      },
      (err: unknown) => {
        if (stopped) return;
        if (err) log(`watch ${path} ended: ${err instanceof Error ? err.message : JSON.stringify(err)}; resuming`);
        reopen(err ? 500 : 0);
      },
    );
    ctl = c;
    markOpen();
    if (stopped) c.abort();
  };
  const reopen = (delayMs: number): void => {
    setTimeout(() => {
      open().catch((err: unknown) => {
        log(`watch ${path} could not start: ${String(err)}; retrying`);
        reopen(1000);
      });
    }, delayMs);
  };
  reopen(0);
  return {
    opened,
    stop() {
      stopped = true;
      ctl?.abort();
    },
  };
}

/** Watches the namespace's CRs and children, filling `tracks`. */
function watchNamespace(kc: KubeConfig, ns: string, tracks: Map<string, CrTrack>, onCrEvent: () => void): Watching {
  const track = (kind: Kind, name: string): CrTrack => {
    const key = `${kind}/${name}`;
    let t = tracks.get(key);
    if (!t) tracks.set(key, (t = { kind }));
    return t;
  };
  const watches = KINDS.map(({ kind, plural }) =>
    watchCollection(kc, `/apis/${GROUP}/v1/namespaces/${ns}/${plural}`, (type, obj, at) => {
      if (type === 'DELETED') return;
      const cr = obj as CR;
      const t = track(kind, cr.metadata.name);
      t.addedAt ??= at;
      const s = cr.status;
      const ready =
        s?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' &&
        s.observedGeneration === cr.metadata.generation;
      if (ready) t.readyAt ??= at;
      if (s?.epoch !== undefined && s.epoch !== t.epoch) {
        t.epoch = s.epoch;
        t.epochAt = at;
      }
      t.leader = s?.leader;
      onCrEvent();
    }),
  );
  const children = CHILD_PATHS.map((p) =>
    watchCollection(kc, p.replace('NS', ns), (type, obj, at) => {
      if (type !== 'ADDED') return;
      const owner = obj.metadata?.ownerReferences?.find((r) => r.controller && r.apiVersion === `${GROUP}/v1`);
      const spec = KINDS.find((k) => k.kind === owner?.kind);
      if (!owner || !spec) return;
      const t = track(spec.kind, owner.name);
      if (obj.kind === spec.child) t.childAt ??= at;
      if (obj.kind === 'Service') t.serviceAt ??= at;
    }),
  );
  const all = [...watches, ...children];
  return {
    opened: Promise.all(all.map((w) => w.opened)).then(() => undefined),
    stop: () => all.forEach((w) => w.stop()),
  };
}

// ---------------------------------------------------------------------------------------------
// Phases.

/** Creates N CRs (kinds in turn) at RATE per second; returns the achieved rate. */
async function createAll(custom: CustomObjectsApi, ns: string): Promise<number> {
  const inflight = new Set<Promise<void>>();
  const failures: unknown[] = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i += 1) {
    const wait = t0 + (i * 1000) / RATE - performance.now();
    if (wait > 0) await sleep(wait);
    // A slow API server must not pile up unbounded requests; the achieved rate shows it.
    while (inflight.size >= 64) await Promise.race(inflight);
    if (failures.length > 0) break;
    const k = KINDS[i % KINDS.length]!;
    const name = `${k.prefix}-${String(Math.floor(i / KINDS.length)).padStart(5, '0')}`;
    const p: Promise<void> = custom
      .createNamespacedCustomObject({
        group: GROUP,
        version: 'v1',
        namespace: ns,
        plural: k.plural,
        body: { apiVersion: `${GROUP}/v1`, kind: k.kind, metadata: { name }, spec: k.spec },
      })
      .then(
        () => undefined,
        (err: unknown) => void failures.push(err),
      )
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  if (failures.length > 0) throw new Error(`bench: creating CRs failed: ${String(failures[0])}`);
  return N / ((performance.now() - t0) / 1000);
}

/** An operator's memory from its /metrics, in MB: resident, V8 heap in use, and outside the heap (buffers). */
async function memoryMb(port: number): Promise<{ rss: number; heapUsed: number; external: number }> {
  const text = await scrape(port);
  const mb = (name: string): number => {
    const v = samples(text, name)[0]?.value;
    if (v === undefined) throw new Error(`bench: :${port}/metrics has no ${name}`);
    return round1(v / 2 ** 20);
  };
  return {
    rss: mb('process_resident_memory_bytes'),
    heapUsed: mb('nodejs_heap_size_used_bytes'),
    external: mb('nodejs_external_memory_bytes'),
  };
}

/** An operator's CPU seconds so far (user + system). */
async function cpuSeconds(port: number): Promise<number> {
  return sum(samples(await scrape(port), 'process_cpu_seconds_total'));
}

/** CPU use of an operator between two readings, in % of one core. */
const cpuPercent = (cpu0: number, cpu1: number, ms: number): number => round1(((cpu1 - cpu0) * 100_000) / ms);

/** An audit event, as much of it as the count needs. */
interface AuditEvent {
  stage?: string;
  verb?: string;
  stageTimestamp?: string;
  user?: { username?: string; extra?: Record<string, string[]> };
  objectRef?: { resource?: string; subresource?: string; apiGroup?: string };
}

/** Where the audit log stood at a moment: which file (inode) and how long it was. */
interface AuditMark {
  ino: number;
  size: number;
  atMs: number;
}

async function auditMark(): Promise<AuditMark> {
  const s = await stat(AUDIT_LOG);
  return { ino: s.ino, size: s.size, atMs: Date.now() };
}

/** `path`'s contents from byte `offset` on. */
async function readFrom(path: string, offset: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.max(0, size - offset));
    await fh.read(buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * Requests by our operators' token that completed in [fromMs, toMs), from the audit text written
 * since `mark`. The API server rotates a full log (100 MB) to audit-<time>.log: the marked file
 * is read from the mark on, files written to after the mark in full.
 */
async function auditedRequests(
  mark: AuditMark,
  credentialId: string,
  fromMs: number,
  toMs: number,
): Promise<AuditEvent[]> {
  const dir = dirname(AUDIT_LOG);
  const out: AuditEvent[] = [];
  for (const file of (await readdir(dir)).filter((f) => /^audit(-.+)?\.log$/.test(f))) {
    const path = join(dir, file);
    const s = await stat(path);
    if (s.ino !== mark.ino && s.mtimeMs < mark.atMs) continue;
    for (const line of (await readFrom(path, s.ino === mark.ino ? mark.size : 0)).split('\n')) {
      if (!line.includes(SA_USER)) continue;
      let e: AuditEvent;
      try {
        e = JSON.parse(line) as AuditEvent;
      } catch {
        continue; // a line the API server was still writing when the mark was taken: it is before the window
      }
      const at = Date.parse(e.stageTimestamp ?? '');
      if (e.stage !== 'ResponseComplete' || e.user?.username !== SA_USER || at < fromMs || at >= toMs) continue;
      if (!(e.user.extra?.['authentication.kubernetes.io/credential-id'] ?? []).includes(credentialId)) continue;
      out.push(e);
    }
  }
  return out;
}

/** Counts by "verb resource[/subresource][.group]", most frequent first. */
function breakdown(events: readonly AuditEvent[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) {
    const key = `${e.verb ?? '?'} ${resourceOf(e)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}

const isLease = (e: AuditEvent): boolean =>
  e.objectRef?.apiGroup === 'coordination.k8s.io' && e.objectRef.resource === 'leases';
const resourceOf = (e: AuditEvent): string => {
  const r = e.objectRef;
  const name = `${r?.resource ?? '?'}${r?.subresource ? `/${r.subresource}` : ''}`;
  return r?.apiGroup ? `${name}.${r.apiGroup}` : name;
};

// ---------------------------------------------------------------------------------------------

/** Starts an operator and waits until it leads (`lead`) or follows. */
async function startOperator(name: string, env: Record<string, string>, lead: boolean): Promise<OperatorProcess> {
  const p = new OperatorProcess(name, env);
  try {
    if (lead) await p.becameLeader(STARTUP_MS);
    else await p.waitForLog((l) => l.msg === 'new leader observed', STARTUP_MS);
  } catch (err) {
    await p.kill();
    const hint = lead
      ? ' Is another operator of tenant `default` running (an e2e test)? The bench needs the lease to itself.'
      : '';
    throw new Error(
      `bench: operator ${name} did not ${lead ? 'become leader' : 'see the leader'} within ${seconds(STARTUP_MS)}.${hint}\n${String(err)}`,
      { cause: err },
    );
  }
  return p;
}

/** Its HTTP port and identity, from the 'campaigning for leadership' line. */
function portOf(p: OperatorProcess): { port: number; identity: string } {
  const line = p.logs('campaigning for leadership')[0];
  if (!line) throw new Error(`bench: operator ${p.name} logged no 'campaigning for leadership' line`);
  return { port: Number(line.port), identity: String(line.identity) };
}

/** Waits until an operator's caches are synced (/readyz 200). */
async function readyz(p: OperatorProcess, ms: number): Promise<void> {
  const { port } = portOf(p);
  const deadline = performance.now() + ms;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(
      () => undefined,
    );
    if (res?.ok) return;
    if (performance.now() > deadline) throw new Error(`bench: operator ${p.name} not ready within ${seconds(ms)}`);
    await sleep(250);
  }
}

/** What every phase of one run reads and fills: one context instead of many parameters. */
interface Run {
  kc: KubeConfig;
  id: OperatorIdentity;
  ns: TestNamespace;
  env: Record<string, string>;
  /** What the watches saw, by `kind/name`. */
  tracks: Map<string, CrTrack>;
  /** Every operator started (all are killed at the end). */
  procs: OperatorProcess[];
  leader: OperatorProcess;
  follower: OperatorProcess;
  samplers: DepthSampler[];
  /** When the watches last saw a CR change (performance.now()). */
  lastCrEventAt: number;
  /** The JSON line being built, and the diagnostics that go into its `diag` field. */
  out: Record<string, unknown>;
  diag: Record<string, unknown>;
}

/** CRs the watches have seen created. */
const seen = (run: Run): CrTrack[] => [...run.tracks.values()].filter((t) => t.addedAt !== undefined);

/**
 * Phase 1: create N CRs at RATE, wait until every child exists and every CR is Ready; figures
 * from the watch events, diagnostics from the leader's /metrics and the audit log.
 */
async function createPhase(run: Run): Promise<void> {
  const { out, diag } = run;
  const leaderPort = portOf(run.leader).port;
  const followerPort = portOf(run.follower).port;
  const sampler = new DepthSampler().start(leaderPort);
  run.samplers.push(sampler);
  const created = performance.now();
  const createdWall = Date.now();
  const audit = await auditMark();
  const leaderCpu0 = await cpuSeconds(leaderPort);
  const followerCpu0 = await cpuSeconds(followerPort);
  const custom = run.kc.makeApiClient(CustomObjectsApi);
  diag.create_rate_achieved = round1(
    await withDeadline(createAll(custom, run.ns.name), (N / RATE) * 1000 + 120_000, `creating ${N} CRs`),
  );

  const progress = (): string => {
    const a = seen(run);
    return `seen ${a.length}/${N}, children ${a.filter((t) => t.childAt !== undefined).length}, ready ${a.filter((t) => t.readyAt !== undefined).length}, leader queue depth ${sampler.last}`;
  };
  const needsService = (t: CrTrack): boolean => t.kind === 'WorkloadService' || t.kind === 'WorkloadPersistent';
  const complete = (t: CrTrack): boolean => t.childAt !== undefined && (!needsService(t) || t.serviceAt !== undefined);
  await until(() => seen(run).length === N && seen(run).every(complete), 120_000 + N * 20, 'every child', progress);
  diag.all_children_after_s = round1((performance.now() - created) / 1000);
  await until(() => seen(run).every((t) => t.readyAt !== undefined), 300_000 + N * 100, 'every CR Ready', progress);
  const readyMs = performance.now() - created;
  diag.all_ready_after_s = round1(readyMs / 1000);
  sampler.stop();
  diag.create_queue_depth_max = sampler.max;
  diag.create_leader_cpu_percent = cpuPercent(leaderCpu0, await cpuSeconds(leaderPort), readyMs);
  diag.create_follower_cpu_percent = cpuPercent(followerCpu0, await cpuSeconds(followerPort), readyMs);
  diag.create_loadavg_1m = round1(loadavg()[0] ?? 0);
  diag.create_requests = breakdown(
    (await auditedRequests(audit, run.id.credentialId, createdWall, Date.now())).filter((e) => !isLease(e)),
  );

  const a = seen(run);
  const leaderId = portOf(run.leader).identity;
  const foreign = a.find((t) => t.leader !== leaderId);
  if (foreign)
    throw new Error(
      `bench: a CR's status names leader ${foreign.leader}, not ours (${leaderId}): another operator of tenant default is reconciling`,
    );
  const toChild = (ts: CrTrack[]): number[] => ts.map((t) => t.childAt! - t.addedAt!);
  const toReady = (ts: CrTrack[]): number[] => ts.map((t) => t.readyAt! - t.addedAt!);
  out.create_to_child_ms_p50 = round1(percentile(toChild(a), 50));
  out.create_to_child_ms_p99 = round1(percentile(toChild(a), 99));
  out.create_to_ready_status_ms_p50 = round1(percentile(toReady(a), 50));
  out.create_to_ready_status_ms_p99 = round1(percentile(toReady(a), 99));
  diag.by_kind = Object.fromEntries(
    KINDS.map(({ kind }) => {
      const k = a.filter((t) => t.kind === kind);
      const [c, r] = [toChild(k), toReady(k)];
      return [
        kind,
        {
          child_ms_p50: round1(percentile(c, 50)),
          child_ms_p99: round1(percentile(c, 99)),
          ready_ms_p50: round1(percentile(r, 50)),
          ready_ms_p99: round1(percentile(r, 99)),
        },
      ];
    }),
  );
  diag.reconcile = reconcileDiag(await scrape(leaderPort));
}

/** Phase 2: both operators' memory, once everything is Ready. */
async function memoryPhase(run: Run): Promise<void> {
  const leader = await memoryMb(portOf(run.leader).port);
  const follower = await memoryMb(portOf(run.follower).port);
  run.out.rss_mb = leader.rss;
  run.out.rss_follower_mb = follower.rss;
  Object.assign(run.diag, {
    leader_heap_used_mb: leader.heapUsed,
    leader_external_mb: leader.external,
    follower_heap_used_mb: follower.heapUsed,
  });
}

/**
 * Phase 3: SIGKILL the leader; failover is the kill → the follower's 'became leader', takeover
 * the kill → every CR's status.epoch is the new one. Then a fresh follower, as in steady state.
 */
async function takeoverPhase(run: Run): Promise<void> {
  const { out, diag } = run;
  const epoch0 = Number(run.leader.logs('became leader')[0]?.epoch);
  await until(
    () => seen(run).every((t) => t.epoch === epoch0),
    30_000,
    `every status.epoch = ${epoch0}`,
    () => `${seen(run).filter((t) => t.epoch === epoch0).length}/${N}`,
  );
  const takerPort = portOf(run.follower).port;
  const from = run.follower.lines.length;
  const sampler = new DepthSampler().start(takerPort);
  run.samplers.push(sampler);
  const audit = await auditMark();
  const cpu0 = await cpuSeconds(takerPort);
  const killedAt = performance.now();
  const killedWall = Date.now();
  run.leader.signal('SIGKILL');
  const took = await run.follower.becameLeader(timings.leaseMs + 20_000, from);
  const epoch = Number(took.epoch);
  out.failover_ms = Number(took.leaderAt) - killedWall;
  const moved = (): CrTrack[] => seen(run).filter((t) => t.epoch === epoch);
  await until(
    () => moved().length === N,
    120_000 + N * 50,
    `every status.epoch = ${epoch}`,
    () => `${moved().length}/${N} at the new epoch, queue depth ${sampler.last}`,
  );
  out.takeover_s = round1((Math.max(...moved().map((t) => t.epochAt!)) - killedAt) / 1000);
  sampler.stop();
  diag.takeover_queue_depth_max = sampler.max;
  diag.takeover_leader_cpu_percent = cpuPercent(cpu0, await cpuSeconds(takerPort), performance.now() - killedAt);
  // Includes the dead leader's watches, which end (ResponseComplete) when its connections drop.
  diag.takeover_requests = breakdown(
    (await auditedRequests(audit, run.id.credentialId, killedWall, Date.now())).filter((e) => !isLease(e)),
  );
  diag.takeover_reconcile = reconcileDiag(await scrape(takerPort));
  await run.leader.exited;
  run.leader = run.follower;
  run.follower = await startOperator('rec-c', run.env, false);
  run.procs.push(run.follower);
  await readyz(run.follower, STARTUP_MS);
}

/** Phase 4: once quiet (no CR events for 5 s, empty queues), count a minute of the operators' requests. */
async function idlePhase(run: Run): Promise<void> {
  const { out } = run;
  const quiet = new DepthSampler().start(portOf(run.leader).port);
  run.samplers.push(quiet);
  await sleep(1500);
  await until(
    () => performance.now() - run.lastCrEventAt > 5000 && quiet.last === 0,
    120_000,
    'quiet (no CR events for 5 s, empty workqueues)',
    () => `queue depth ${quiet.last}`,
  );
  quiet.stop();
  const mark = await auditMark();
  const fromMs = Date.now();
  log(`counting the operators' API requests for ${IDLE_WINDOW_MS / 1000} s`);
  await sleep(IDLE_WINDOW_MS);
  const toMs = Date.now();
  await sleep(2000); // the audit backend writes an entry once the response has completed
  const events = await auditedRequests(mark, run.id.credentialId, fromMs, toMs);
  if (events.length === 0)
    throw new Error(
      `bench: no audit entries for ${SA_USER} in the idle window, not even lease renewals: is the audit policy active?`,
    );
  const perMin = (n: number): number => round1((n * 60_000) / (toMs - fromMs));
  const nonLease = events.filter((e) => !isLease(e));
  out.idle_api_requests_per_min = perMin(nonLease.length);
  out.idle_watch_requests_per_min = perMin(nonLease.filter((e) => e.verb === 'watch').length);
  out.idle_lease_requests_per_min = perMin(events.length - nonLease.length);
  out.idle_breakdown = breakdown(nonLease);
}

/**
 * One run: (1) the operators' identity, a fresh namespace and the watches, (2) two operators,
 * (3) the phases, (4) whatever happened, operators killed and everything made removed.
 */
async function main(): Promise<Record<string, unknown>> {
  if (!existsSync(AUDIT_LOG)) {
    throw new Error(
      `bench: no audit log at ${AUDIT_LOG}; the API server must run with e2e/cluster/audit-policy.yaml (restart the cluster with e2e/cluster/up.sh)`,
    );
  }
  const kc = loadKubeConfig();
  const cleanups: (() => Promise<void>)[] = [];
  const procs: OperatorProcess[] = [];
  const samplers: DepthSampler[] = [];
  try {
    // 1. Identity, namespace, watches.
    const id = await operatorIdentity(kc);
    cleanups.push(() => id.remove());
    const ns = await createTestNamespace(kc, 'bench-rec');
    cleanups.push(() => removeNamespace(kc, ns));
    const tracks = new Map<string, CrTrack>();
    let onCrEvent = (): void => undefined;
    const watches = watchNamespace(kc, ns.name, tracks, () => onCrEvent());
    cleanups.push(() => Promise.resolve(watches.stop()));
    await withDeadline(watches.opened, 30_000, 'opening the watches');

    // 2. Two operators, as the ServiceAccount; the follower's caches synced too.
    const env = operatorEnv('kubernetes', 'default', timings, { HIGHLANDER_KUBECONFIG: id.kubeconfig });
    const leader = await startOperator('rec-a', env, true);
    procs.push(leader);
    const follower = await startOperator('rec-b', env, false);
    procs.push(follower);
    await readyz(follower, STARTUP_MS);
    const run: Run = {
      kc,
      id,
      ns,
      env,
      tracks,
      procs,
      leader,
      follower,
      samplers,
      lastCrEventAt: performance.now(),
      out: { bench: 'reconcile', crs: N, rate: RATE },
      diag: {},
    };
    onCrEvent = () => (run.lastCrEventAt = performance.now());
    log(`operators up (leader ${leader.name}); namespace ${ns.name}; creating ${N} CRs at ${RATE}/s`);

    // 3. The phases.
    await createPhase(run);
    await memoryPhase(run);
    if (values['skip-takeover']) Object.assign(run.out, { takeover_s: null, failover_ms: null });
    else await takeoverPhase(run);
    await idlePhase(run);
    return { ...run.out, diag: run.diag };
  } finally {
    // 4. Clean up, even after a failure.
    for (const s of samplers) s.stop();
    await Promise.all(procs.map((p) => p.kill()));
    for (const c of cleanups.reverse()) {
      await c().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
    }
  }
}

/** Deletes the namespace and waits until its CRs are gone, so later runs and tests start clean. */
async function removeNamespace(kc: KubeConfig, ns: TestNamespace): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  log(`deleting namespace ${ns.name}`);
  // Deleting the CRs first is faster than waiting for the namespace controller to get to them.
  await Promise.all(
    KINDS.map(({ plural }) =>
      custom.deleteCollectionNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: ns.name, plural }),
    ),
  );
  await ns.remove();
  const deadline = performance.now() + 300_000;
  for (const { plural } of KINDS) {
    for (;;) {
      const list = (await custom.listNamespacedCustomObject({
        group: GROUP,
        version: 'v1',
        namespace: ns.name,
        plural,
        limit: 1,
      })) as { items: unknown[] };
      if (list.items.length === 0) break;
      if (performance.now() > deadline)
        throw new Error(`bench: ${plural} in ${ns.name} still exist 300 s after deleting the namespace`);
      await sleep(500);
    }
  }
}

try {
  console.log(JSON.stringify(await main()));
  process.exit(0);
} catch (err) {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
}
