// The chaos suite (`make chaos ROUNDS=200`): on the local control plane, three real operator
// replicas per lock store and workloads of all four kinds; each round injects one fault at
// random (faults.ts), heals it and waits until the operators have converged; then the checker
// reads the audit log and the replicas' logs. One JSON line per store:
//   {"bench":"chaos","store":…,"rounds":…,"faults":{…},"stale_writes_accepted":0,
//    "stale_writes_refused":…,"double_running_ms":0,"max_leaderless_ms":…,"not_ready_at_end":0}
// Usage: node --import tsx e2e/chaos/run.ts [--rounds N] [--stores kubernetes,redis,db,spanner]
//          [--seed N] [--slow] [--faults kill,pause,...]
// --slow adds the minute-long every-node-NotReady fault; --faults injects the named faults in turn.
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { TENANT_LABEL } from '../../api/labels.ts';
import type { Backend } from '../../locks/lock-store.ts';
import { auditMark } from '../../testkit/audit-log.ts';
import { BACKENDS, uniqueTenant } from '../../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig, repoRoot } from '../../testkit/kube.ts';
import { Toxiproxy } from '../../testkit/toxiproxy.ts';
import { workloadClient } from '../../testkit/workloads.ts';
import { check } from './checker.ts';
import { FAULTS, inject, pick } from './faults.ts';
import type { Fault } from './faults.ts';
import { Observer } from './observer.ts';
import { current, leaders, saveLogs, startSlots, stopSlots } from './replicas.ts';
import type { Slot } from './replicas.ts';
import { chaosStore } from './stores.ts';

const log = (msg: string): void => void process.stderr.write(`[chaos] ${msg}\n`);

/** Options of a chaos run. */
export interface ChaosOptions {
  rounds: number;
  stores: readonly Backend[];
  seed: number;
  /** Include the every-node-NotReady fault (a minute each). */
  slow: boolean;
  /** Inject these faults in turn instead of at random (the CI smoke covers each kind this way). */
  sequence?: readonly Fault[];
  /** Once aborted, the run ends after the current round (its fault healed) and reports. */
  stop?: AbortSignal;
}

/** A deterministic PRNG (mulberry32): a seed replays a run's choice of faults. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The run's workloads: every kind, pods that take their grace period to stop, short tolerations. */
function workloads(tenant: string) {
  const annotations = { 'highlander.plexobject.io/e2e-graceful-stop': 'true' };
  const tolerations = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].map((key) => ({
    key,
    operator: 'Exists' as const,
    effect: 'NoExecute' as const,
    tolerationSeconds: 5,
  }));
  const base = { image: 'busybox', script: { commands: ['sleep 3600'] }, annotations, tolerations };
  const labels = { [TENANT_LABEL]: tenant };
  return [
    ['WorkloadProcess', 'proc-a', { ...base, gracePeriod: '3s' }],
    ['WorkloadProcess', 'proc-b', { ...base, gracePeriod: '3s' }],
    ['WorkloadCronJob', 'cron', { ...base, schedule: '*/1 * * * *' }],
    ['WorkloadService', 'svc', { ...base, replicas: 1, ports: [{ name: 'http', containerPort: 8080 }] }],
    [
      'WorkloadPersistent',
      'sts',
      { ...base, replicas: 1, persistentVolumes: [{ name: 'data', mountPath: '/data', size: '1Gi' }] },
    ],
  ].map(([kind, name, spec]) => ({ kind: kind as string, name: name as string, spec: spec as object, labels }));
}

/** The singletons of the run's workloads (the CronJob's runs come and go): each runs one pod. */
const SINGLETONS = ['proc-a', 'proc-b', 'svc', 'sts#0'];

/** What keeps the run from having converged: nothing when one replica leads and all is Ready. */
async function unsettled(slots: readonly Slot[], observer: Observer): Promise<string[]> {
  const out: string[] = [];
  const starting = slots.filter((s) => !current(s).lines.some((l) => l.msg === 'campaigning for leadership'));
  if (starting.length) out.push(`starting: ${starting.map((s) => s.name).join(', ')}`);
  const leading = await leaders(slots);
  if (leading.length !== 1) out.push(`leaders: ${leading.map((s) => s.name).join(', ') || 'none'}`);
  if (observer.crs.size === 0) out.push('no CRs seen');
  const notReady = observer.notReady();
  if (notReady.length) out.push(`not Ready: ${notReady.join(', ')}`);
  const pods = observer.notRunningOnce(SINGLETONS);
  if (pods.length) out.push(`not running one pod: ${pods.join(', ')}`);
  return out;
}

/** Waits until nothing is unsettled; what still was after `ms`, or [] . */
async function converged(slots: readonly Slot[], observer: Observer, ms: number): Promise<string[]> {
  const deadline = performance.now() + ms;
  for (;;) {
    const left = await unsettled(slots, observer);
    if (left.length === 0 || performance.now() > deadline) return left;
    await sleep(250);
  }
}

/** One store's run. */
async function runStore(backend: Backend, kc: KubeConfig, tox: Toxiproxy, o: ChaosOptions) {
  const tenant = uniqueTenant(`chaos-${backend}`);
  const ns = await createTestNamespace(kc, `chaos-${backend === 'kubernetes' ? 'lease' : backend}`);
  const store = await chaosStore(backend, kc, tenant);
  const observer = new Observer(kc, ns.name);
  await observer.opened();
  const slots = await startSlots({
    kc,
    tox,
    backend,
    tenant,
    storeUpstream: store.upstream,
    storeEnv: store.env,
    n: 3,
    binding: 'highlander-chaos',
  });
  try {
    const crs = workloadClient(kc, () => ns.name);
    const labels = { [TENANT_LABEL]: tenant };
    for (const w of workloads(tenant)) await crs.create(w.kind, w.name, w.spec, w.labels);
    const start = await converged(slots, observer, 120_000);
    if (start.length) throw new Error(`${backend}: the run never settled: ${start.join('; ')}`);
    const mark = await auditMark();
    const from = Date.now();
    const random = prng(o.seed + BACKENDS.indexOf(backend));
    const faults: Partial<Record<Fault, number>> = {};
    let unconverged = 0;
    let faultErrors = 0;
    const core = kc.makeApiClient(CoreV1Api);
    let rounds = 0;
    /** Each round's fault and when it began, to tell which fault the longest leaderless time followed. */
    const began: { at: number; what: string }[] = [];
    for (let round = 1; round <= o.rounds && !o.stop?.aborted; round += 1) {
      rounds = round;
      const fault = o.sequence ? o.sequence[(round - 1) % o.sequence.length]! : pick(random, o.slow);
      faults[fault] = (faults[fault] ?? 0) + 1;
      began.push({ at: Date.now(), what: `round ${round}: ${fault}` });
      // A fault that could not be injected (the API server still restarting, say) is reported, and
      // everything it may have left behind healed: the run goes on.
      const what = await inject(fault, {
        slots,
        tox,
        store,
        observer,
        core,
        crs,
        labels,
        namespace: ns.name,
        random,
        log,
      }).catch(async (err: unknown) => {
        faultErrors += 1;
        for (const s of slots) {
          for (const p of new Set([s.apiProxy, s.storeProxy])) await tox.heal(p);
          current(s).signal('SIGCONT');
        }
        return `${fault} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
      });
      const left = await converged(slots, observer, 90_000);
      if (left.length) unconverged += 1;
      log(
        `${backend} round ${round}/${o.rounds}: ${what}; ${left.length ? `NOT converged: ${left.join('; ')}` : 'converged'}`,
      );
    }
    await converged(slots, observer, 90_000);
    const to = Date.now();
    const notReady = observer.notReady();
    await sleep(2000); // the audit log is written asynchronously
    const v = await check({ slots, mark, namespace: ns.name, from, to });
    return {
      bench: 'chaos',
      store: backend,
      rounds,
      faults: Object.fromEntries(FAULTS.filter((f) => faults[f]).map((f) => [f, faults[f]])),
      stale_writes_accepted: v.staleAccepted.length,
      stale_writes_refused: v.refused,
      double_running_ms: observer.doubleRunningMs(to),
      max_leaderless_ms: v.maxLeaderless.ms,
      not_ready_at_end: notReady.length,
      diag: {
        seed: o.seed,
        writes: v.writes,
        stale_writes_conflicted: v.conflicted,
        rounds_not_converged: unconverged,
        fault_errors: faultErrors,
        not_ready: notReady,
        overlaps: observer.overlaps.slice(0, 5),
        stale: v.staleAccepted.slice(0, 5),
        duration_s: Math.round((to - from) / 1000),
        max_leaderless_in: began.filter((b) => b.at <= v.maxLeaderless.at).at(-1)?.what ?? 'before the first round',
      },
    };
  } finally {
    observer.stop();
    await stopSlots(slots);
    saveLogs(slots, `${repoRoot}.cluster/chaos/${backend}`);
    await store.cleanup();
    await ns.remove();
  }
}

/** Runs the suite; one result per store, in order. */
export async function runChaos(o: ChaosOptions): Promise<Record<string, unknown>[]> {
  const kc = loadKubeConfig();
  const tox = await Toxiproxy.start();
  const out: Record<string, unknown>[] = [];
  try {
    for (const backend of o.stores) {
      if (o.stop?.aborted) break;
      const line = await runStore(backend, kc, tox, o);
      process.stdout.write(`${JSON.stringify(line)}\n`);
      out.push(line);
    }
  } finally {
    mkdirSync(`${repoRoot}.cluster/chaos`, { recursive: true });
    writeFileSync(`${repoRoot}.cluster/chaos/toxiproxy.log`, `${tox.log.join('\n')}\n`);
    await tox.stop();
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '200' },
      stores: { type: 'string', default: BACKENDS.join(',') },
      seed: { type: 'string', default: String(Date.now() % 100_000) },
      slow: { type: 'boolean', default: false },
      faults: { type: 'string' },
    },
  });
  const stores = values.stores.split(',').map((s) => s.trim()) as Backend[];
  for (const s of stores)
    if (!BACKENDS.includes(s)) throw new RangeError(`--stores: unknown store ${s} (${BACKENDS.join(', ')})`);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new RangeError(`--rounds (${values.rounds}) must be a whole number ≥ 1`);
  const sequence = values.faults?.split(',').map((f) => f.trim()) as Fault[] | undefined;
  for (const f of sequence ?? [])
    if (!FAULTS.includes(f)) throw new RangeError(`--faults: unknown fault ${f} (${FAULTS.join(', ')})`);
  // Ctrl-C (or SIGTERM) ends the run after the current round, its fault healed: stopping in the
  // middle of one would leave the API server down or the fake kubelets frozen.
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping after this round`);
      stop.abort();
    });
  }
  await runChaos({
    rounds,
    stores,
    seed: Number(values.seed),
    slow: values.slow,
    stop: stop.signal,
    ...(sequence ? { sequence } : {}),
  });
}
