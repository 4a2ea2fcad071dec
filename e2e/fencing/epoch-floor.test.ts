// Epochs never go backwards, with real operators: when the store loses its counter (the Lease
// deleted; Redis restarted without persistence), the next leader is granted a low epoch, raises it
// above every epoch written on its CRs and children (the epoch floor), and still manages them —
// a deleted process pod comes back. Also: after a failover every child carries the new leader's
// epoch (adoption restamps it), and a late write with the old epoch is refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { EPOCH_LABEL, TENANT_LABEL } from '../../api/labels.ts';
import { FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig, waitFor } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { startRedis } from '../../testkit/redis-server.ts';
import type { TestRedis } from '../../testkit/redis-server.ts';
import { kubectl } from '../../testkit/run-command.ts';
import { workloadClient } from '../../testkit/workloads.ts';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const leases = kc.makeApiClient(CoordinationV1Api);
const procs: OperatorProcess[] = [];
let ns: TestNamespace;
let redis: TestRedis | undefined;
const crs = workloadClient(kc, () => ns.name);
const spec = { image: 'busybox', script: { commands: ['sleep 3600'] } };

before(async () => {
  ns = await createTestNamespace(kc, 'floor');
});
after(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  await redis?.cleanup();
  await ns?.remove();
});

/** Starts an operator of `env`'s tenant; `leads` waits for it to become leader. */
async function operator(name: string, env: Record<string, string>, leads: boolean): Promise<OperatorProcess> {
  const p = new OperatorProcess(name, env);
  procs.push(p);
  if (leads) await p.becameLeader(STARTUP_MS);
  else await p.waitForLog((l) => l.msg === 'new leader observed', STARTUP_MS);
  return p;
}

/** The process's pod: its uid and epoch label. */
async function pod(name: string) {
  const p = await core.readNamespacedPod({ name: `${name}-pod`, namespace: ns.name });
  return { uid: p.metadata!.uid!, epoch: Number(p.metadata?.labels?.[EPOCH_LABEL]) };
}

/** Kills `old`; resolves with the epoch `next` leads at (after any floor raise), once the CR shows it. */
async function failover(old: OperatorProcess, next: OperatorProcess, cr: string): Promise<number> {
  old.signal('SIGKILL');
  await next.becameLeader(FAST_TIMINGS.leaseMs + 15_000);
  const ready = await crs.ready('WorkloadProcess', cr, {
    extra: (c) => (c.status?.leader ?? '').startsWith(`${next.name}_`),
    timeoutMs: 30_000,
  });
  return ready.status!.epoch!;
}

describe('epochs never go backwards', () => {
  test('Lease store: children adopted at each failover; the Lease deleted, the new leader raises the floor and still repairs', async () => {
    const tenant = uniqueTenant('floor');
    const env = operatorEnv('kubernetes', tenant, FAST_TIMINGS);
    const a = await operator('a', env, true);
    await crs.create('WorkloadProcess', 'p', spec, { [TENANT_LABEL]: tenant });
    const first = await crs.ready('WorkloadProcess', 'p');
    assert.equal((await pod('p')).epoch, first.status?.epoch);

    // Failovers: each new leader restamps the pod (metadata only: same uid) with its epoch.
    const b = await operator('b', env, false);
    const e2 = await failover(a, b, 'p');
    await waitFor(async () => ((await pod('p')).epoch === e2 ? true : undefined), { what: `pod restamped to ${e2}` });
    // A late write of the old leader (its epoch on the pod) is refused by the API server.
    const late = await kubectl([
      'label',
      '-n',
      ns.name,
      'pod/p-pod',
      `${EPOCH_LABEL}=${first.status?.epoch}`,
      '--overwrite',
    ]);
    assert.notEqual(late.code, 0, 'a write with the old epoch was accepted');
    // Both policies refuse it (the pod's epoch is e2, and so is the fence, the Lease); the API
    // server reports whichever it evaluated first.
    const lower = `epoch ${first.status?.epoch} is lower than the`;
    assert.match(late.stderr, new RegExp(`${lower} (stored epoch ${e2}|tenant ${tenant} fence epoch ${e2})`));
    const c = await operator('c', env, false);
    const e3 = await failover(b, c, 'p');
    const uid = (await pod('p')).uid;

    // The store forgets: the Lease is deleted; the next leader is granted epoch 1.
    const d = await operator('d', env, false);
    await leases.deleteNamespacedLease({ name: `highlander-leader-${tenant}`, namespace: 'default' });
    c.signal('SIGKILL');
    const granted = await d.becameLeader(FAST_TIMINGS.leaseMs + 15_000);
    assert.ok(Number(granted.epoch) <= e3, `the store did not restart low (granted ${String(granted.epoch)})`);
    await d.waitForLog((l) => typeof l.to === 'number' && l.to > e3, 30_000);
    const raised = await crs.ready('WorkloadProcess', 'p', {
      extra: (cr) => (cr.status?.epoch ?? 0) > e3 && (cr.status?.leader ?? '').startsWith('d_'),
      timeoutMs: 30_000,
    });
    assert.equal((await pod('p')).uid, uid, 'the raise restarted the pod');

    // It still manages the singleton: a deleted pod comes back.
    await core.deleteNamespacedPod({ name: 'p-pod', namespace: ns.name, gracePeriodSeconds: 0 });
    const back = await waitFor(
      async () => {
        const p = await pod('p').catch(() => undefined);
        return p && p.uid !== uid ? p : undefined;
      },
      { what: 'the deleted pod recreated by the leader at the raised epoch', timeoutMs: 30_000 },
    );
    assert.equal(back.epoch, raised.status?.epoch);
  });

  test('Redis restarted without persistence: the new grant starts low and is raised above the floor', async () => {
    redis = await startRedis({ persist: false });
    const tenant = uniqueTenant('floor-r');
    const env = operatorEnv('redis', tenant, FAST_TIMINGS, { HIGHLANDER_REDIS_ADDR: redis.addr });
    const a = await operator('ra', env, true);
    const b = await operator('rb', env, false);
    await crs.create('WorkloadProcess', 'r', spec, { [TENANT_LABEL]: tenant });
    await crs.ready('WorkloadProcess', 'r');
    const e2 = await failover(a, b, 'r');
    const c = await operator('rc', env, false);
    const e3 = await failover(b, c, 'r');
    assert.ok(e3 > e2);
    // An ordinary grant is not a lost counter: the fence raised before it is the grant's own.
    for (const o of [a, b, c])
      assert.deepEqual(o.logs('epoch raised'), [], `${o.name} raised its epoch on an ordinary grant`);

    // Redis restarts empty: the counter is gone; the leader loses its key and the next grant is low.
    await redis.stop();
    await redis.start();
    await c.waitForLog((l) => typeof l.to === 'number' && l.to > e3, 60_000);
    const raised = await crs.ready('WorkloadProcess', 'r', {
      extra: (cr) => (cr.status?.epoch ?? 0) > e3,
      timeoutMs: 30_000,
    });
    const uid = (await pod('r')).uid;
    await core.deleteNamespacedPod({ name: 'r-pod', namespace: ns.name, gracePeriodSeconds: 0 });
    const back = await waitFor(
      async () => {
        const p = await pod('r').catch(() => undefined);
        return p && p.uid !== uid ? p : undefined;
      },
      { what: 'the deleted pod recreated after the Redis restart', timeoutMs: 30_000 },
    );
    assert.equal(back.epoch, raised.status?.epoch);
  });
});
