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
// Usage: node --import tsx bench/reconcile.ts [--crs N] [--rate R] [--skip-takeover] [--from dist|sources]
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { FAST_TIMINGS, STARTUP_MS, operatorEnv } from '../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig } from '../testkit/kube.ts';
import type { TestNamespace } from '../testkit/kube.ts';
import type { OperatorProcess } from '../testkit/operator-process.ts';
import { percentile, round1 } from './stats.ts';
import { GROUP } from '../api/labels.ts';
import { AUDIT_LOG, auditMark, auditedRequests, breakdown, isLease } from '../testkit/audit-log.ts';
import { SA_USER, operatorIdentity } from '../testkit/operator-account.ts';
import type { OperatorIdentity } from '../testkit/operator-account.ts';
import { DepthSampler, scrape } from '../testkit/prom-text.ts';
import {
  cpuPercent,
  cpuSeconds,
  memoryMb,
  portOf,
  readyz,
  reconcileDiag,
  startOperator,
  until,
  withDeadline,
} from './operators.ts';
import { KINDS, watchNamespace } from './reconcile-tracks.ts';
import type { CrTrack } from './reconcile-tracks.ts';

const { values } = parseArgs({
  options: {
    crs: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '50' },
    'skip-takeover': { type: 'boolean', default: false },
    // The operators run what the image ships (dist/, `npm run build` first) unless told otherwise:
    // memory and start-up differ a lot between the build and the sources through tsx.
    from: { type: 'string', default: 'dist' },
  },
});
const FROM = values.from;
if (FROM !== 'dist' && FROM !== 'sources') throw new RangeError(`--from (${FROM}) must be dist or sources`);
if (FROM === 'dist' && !existsSync(new URL('../dist/cli/main.js', import.meta.url)))
  throw new Error('bench: dist/cli/main.js is missing: run `npm run build` first (or pass --from sources)');
const N = Number(values.crs);
const RATE = Number(values.rate);
if (!Number.isInteger(N) || N < 4) throw new RangeError(`--crs (${values.crs}) must be a whole number, at least 4`);
if (!(RATE > 0)) throw new RangeError(`--rate (${values.rate}) must be a positive number of CRs per second`);

const BINDING = 'highlander-bench-reconcile';
const IDLE_WINDOW_MS = 60_000;
const timings = FAST_TIMINGS;

const log = (msg: string): void => void process.stderr.write(`[bench reconcile] ${msg}\n`);

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

// ---------------------------------------------------------------------------------------------

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
    const id = await operatorIdentity(kc, BINDING);
    cleanups.push(() => id.remove());
    const ns = await createTestNamespace(kc, 'bench-rec');
    cleanups.push(() => removeNamespace(kc, ns));
    const tracks = new Map<string, CrTrack>();
    let onCrEvent = (): void => undefined;
    const watches = watchNamespace(kc, ns.name, tracks, () => onCrEvent(), log);
    cleanups.push(() => Promise.resolve(watches.stop()));
    await withDeadline(watches.opened, 30_000, 'opening the watches');

    // 2. Two operators, as the ServiceAccount; the follower's caches synced too.
    const env = operatorEnv('kubernetes', 'default', timings, {
      HIGHLANDER_KUBECONFIG: id.kubeconfig,
      HIGHLANDER_DEV: FROM === 'dist' ? '0' : '1',
    });
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
      out: { bench: 'reconcile', crs: N, rate: RATE, from: FROM },
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
