// A CR deleted and created again under the same name, while the garbage collector is behind (as
// after an API server restart, when the chaos run found it): the old CR's children still hold the
// names. The new CR must not stall on them (an apply would give the child two controllers, which
// the API server refuses) nor keep them on under an owner that no longer exists; the leader
// deletes them and creates the new CR's own. The controller-manager is frozen for the test, so
// the collector cannot do it first.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { TENANT_LABEL } from '../../api/labels.ts';
import { FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import { freezeComponent } from '../../testkit/cluster-control.ts';
import { createTestNamespace, loadKubeConfig, waitFor } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { workloadClient } from '../../testkit/workloads.ts';

const kc = loadKubeConfig();
const batch = kc.makeApiClient(BatchV1Api);
const core = kc.makeApiClient(CoreV1Api);
const tenant = uniqueTenant('again');
const crs = workloadClient(kc, () => ns.name);
let ns: TestNamespace;
let op: OperatorProcess;

before(async () => {
  ns = await createTestNamespace(kc, 'again');
  op = new OperatorProcess('again', operatorEnv('kubernetes', tenant, FAST_TIMINGS));
  await op.becameLeader(STARTUP_MS);
});
after(async () => {
  freezeComponent('kube-controller-manager', false);
  await op?.kill();
  await ns?.remove();
});

const controllerUid = (o: KubernetesObject): string | undefined =>
  o.metadata?.ownerReferences?.find((r) => r.controller)?.uid;

const cron = { image: 'busybox', script: { commands: ['true'] }, schedule: '0 0 1 1 *' };
const proc = { image: 'busybox', script: { commands: ['sleep 3600'] } };

test('a CR created again under its name gets its own children while the old ones still hold the names', async () => {
  const labels = { [TENANT_LABEL]: tenant };
  await crs.create('WorkloadCronJob', 'again', cron, labels);
  await crs.create('WorkloadProcess', 'again', proc, labels);
  await crs.ready('WorkloadCronJob', 'again');
  await crs.ready('WorkloadProcess', 'again', { timeoutMs: 60_000 });
  const oldCron = (await crs.get('WorkloadCronJob', 'again')).metadata.uid;

  freezeComponent('kube-controller-manager', true);
  try {
    await crs.remove('WorkloadCronJob', 'again');
    await crs.remove('WorkloadProcess', 'again');
    // Nothing collects the children now: they are still there, owned by CRs that are gone.
    const left = await batch.readNamespacedCronJob({ name: 'again', namespace: ns.name });
    assert.equal(controllerUid(left), oldCron);
    await crs.create('WorkloadCronJob', 'again', cron, labels);
    await crs.create('WorkloadProcess', 'again', proc, labels);

    const ownChild = async (kind: string, read: () => Promise<KubernetesObject>) => {
      const cr = await crs.get(kind, 'again');
      const stalled = cr.status?.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True');
      assert.equal(stalled, undefined, `${kind} stalled: ${stalled?.reason} ${stalled?.message}`);
      const child = await read();
      return controllerUid(child) === cr.metadata.uid ? cr : undefined;
    };
    await waitFor(
      () => ownChild('WorkloadCronJob', () => batch.readNamespacedCronJob({ name: 'again', namespace: ns.name })),
      {
        what: "the new WorkloadCronJob's own CronJob",
        timeoutMs: 30_000,
      },
    );
    await crs.ready('WorkloadCronJob', 'again');
    await waitFor(
      () => ownChild('WorkloadProcess', () => core.readNamespacedPod({ name: 'again-pod', namespace: ns.name })),
      {
        what: "the new WorkloadProcess's own pod",
        timeoutMs: 60_000,
      },
    );
    await crs.ready('WorkloadProcess', 'again', { timeoutMs: 60_000 });
  } finally {
    freezeComponent('kube-controller-manager', false);
  }
  // Each replacement is told on the new CR, naming what it deleted.
  const events = await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: 'reason=Replacing' });
  const told = events.items.map((e) => `${e.involvedObject.kind}: ${e.message}`).sort();
  assert.equal(told.length, 2, told.join('\n'));
  assert.match(told[0]!, /^WorkloadCronJob: CronJob again was left by a deleted WorkloadCronJob of this name/);
  assert.match(told[1]!, /^WorkloadProcess: pod again-pod: it was left by a deleted WorkloadProcess of this name/);
});
