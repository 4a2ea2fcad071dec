// The epoch fence enforced by the API server itself (crds/highlander-fencing.yaml, bound for the
// fences in `default`): writes made with the operators' own ServiceAccount token that lower a
// child's or a CR's epoch, or carry an epoch below the tenant's fence, are refused with a message
// naming both epochs; a person's edit that keeps the epoch goes through. No operator runs here:
// the writes are the ones a paused or partitioned leader would make.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, CoordinationV1Api } from '@kubernetes/client-node';
import { EPOCH_LABEL, FENCE_LABEL, MANAGED_BY, TENANT_LABEL } from '../../api/labels.ts';
import { KubeApiError, KubeClient, PATCH } from '../../runtime/kube-client.ts';
import { uniqueTenant } from '../../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { operatorIdentity } from '../../testkit/operator-account.ts';
import type { OperatorIdentity } from '../../testkit/operator-account.ts';
import { kubectl, kubectlOk } from '../../testkit/run-command.ts';
import { workloadClient } from '../../testkit/workloads.ts';

const kc = loadKubeConfig();
const leases = kc.makeApiClient(CoordinationV1Api);
const core = kc.makeApiClient(CoreV1Api);
const tenant = uniqueTenant('fence');
let ns: TestNamespace;
let id: OperatorIdentity;
let operator: KubeClient;

before(async () => {
  ns = await createTestNamespace(kc, 'fence');
  id = await operatorIdentity(kc, 'highlander-e2e-fencing');
  operator = new KubeClient(loadKubeConfig(id.kubeconfig));
});
after(async () => {
  operator?.close();
  await leases
    .deleteNamespacedLease({ name: `highlander-fence-${tenant}`, namespace: 'default' })
    .catch(() => undefined);
  await ns?.remove();
  await id?.remove();
});

const labels = (epoch: number) => ({
  [MANAGED_BY]: 'highlander',
  [TENANT_LABEL]: tenant,
  [EPOCH_LABEL]: String(epoch),
});
const servicePath = () => `/api/v1/namespaces/${ns.name}/services`;

/** A managed Service (a child as the operator writes it) at `epoch`, created with the operator's token. */
async function createChild(name: string, epoch: number): Promise<void> {
  await operator.send({
    method: 'POST',
    path: servicePath(),
    body: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels: labels(epoch) },
      spec: { ports: [{ port: 80 }] },
    },
  });
}

/** Stamps the child with `epoch` (a merge patch, as the operator's restamp and updates do). */
const stamp = (name: string, epoch: number) =>
  operator.send({
    method: 'PATCH',
    path: `${servicePath()}/${name}`,
    contentType: PATCH.merge,
    body: { metadata: { labels: { [EPOCH_LABEL]: String(epoch) } } },
  });

/** The refusal of `p`: its HTTP status and message. */
async function refusal(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KubeApiError, `not an API error: ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail('the write was accepted');
}

/** Sets the tenant's fence Lease (in `default`, where the bindings look) to `epoch`. */
async function fence(epoch: number): Promise<void> {
  const name = `highlander-fence-${tenant}`;
  const body = {
    metadata: { name, namespace: 'default', labels: { [FENCE_LABEL]: 'true', [TENANT_LABEL]: tenant } },
    spec: { leaseTransitions: epoch },
  };
  try {
    const cur = await leases.readNamespacedLease({ name, namespace: 'default' });
    await leases.replaceNamespacedLease({
      name,
      namespace: 'default',
      body: { ...cur, spec: { ...cur.spec, leaseTransitions: epoch } },
    });
  } catch {
    await leases.createNamespacedLease({ namespace: 'default', body });
  }
  // The policy reads its params through an informer: wait until a write sees the new fence.
  await new Promise((r) => setTimeout(r, 1500));
}

describe('the API server fences writes by epoch', () => {
  test('a write that lowers a child’s epoch is refused, naming both epochs; a person’s edit that keeps it is not', async () => {
    await createChild('lower', 5);
    const r = await refusal(stamp('lower', 4));
    assert.equal(r.code, 403);
    assert.match(r.message, /epoch 4 is lower than the stored epoch 5/);
    // kubectl edit / annotate / label by a person, keeping the epoch as it is.
    await kubectlOk(['annotate', '-n', ns.name, 'service/lower', 'note=edited-by-hand']);
    const edited = await kubectl(['label', '-n', ns.name, 'service/lower', 'team=payments']);
    assert.equal(edited.code, 0, edited.stderr);
    // Removing the epoch label is lowering it, too.
    const removed = await kubectl(['label', '-n', ns.name, 'service/lower', `${EPOCH_LABEL}-`]);
    assert.notEqual(removed.code, 0);
    assert.match(removed.stderr, /epoch \(none\) is lower than the stored epoch 5/);
    await stamp('lower', 6); // a newer leader's restamp goes through
  });

  test('a create or update with an epoch below the tenant’s fence is refused; at the fence it is not', async () => {
    await fence(9);
    const created = await refusal(createChild('stale-create', 7));
    assert.equal(created.code, 403);
    assert.match(created.message, new RegExp(`epoch 7 is lower than the tenant ${tenant} fence epoch 9`));
    await createChild('current', 9);
    const updated = await refusal(stamp('current', 8));
    assert.match(updated.message, /epoch 8 is lower than the stored epoch 9|fence epoch 9/);
    // Another tenant's fence does not apply.
    const other = await operator.send({
      method: 'POST',
      path: servicePath(),
      body: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'other-tenant', labels: { ...labels(2), [TENANT_LABEL]: `${tenant}-other` } },
        spec: { ports: [{ port: 80 }] },
      },
    });
    assert.ok(other);
  });

  test('an Event from a leader below the fence is refused', async () => {
    await fence(9);
    const event = (epoch: number) =>
      operator.send({
        method: 'POST',
        path: `/api/v1/namespaces/${ns.name}/events`,
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: 'fence.', labels: labels(epoch) },
          involvedObject: { kind: 'Service', name: 'current', namespace: ns.name },
          reason: 'Created',
          message: 'a stale leader speaking',
          type: 'Normal',
        },
      });
    assert.match((await refusal(event(8))).message, /epoch 8 is lower than the tenant .* fence epoch 9/);
    await event(9);
  });

  test('a CR status with a lower epoch, or below the fence, is refused', async () => {
    await fence(9);
    const crs = workloadClient(kc, () => ns.name);
    await crs.create('WorkloadProcess', 'p', { image: 'busybox', command: ['sleep', '1'] }, { [TENANT_LABEL]: tenant });
    const path = `/apis/highlander.plexobject.io/v1/namespaces/${ns.name}/workloadprocesses/p/status`;
    const status = (epoch: number) =>
      operator.send({ method: 'PATCH', path, contentType: PATCH.merge, body: { status: { epoch, leader: 'x' } } });
    assert.match(
      (await refusal(status(8))).message,
      new RegExp(`epoch 8 is lower than the tenant ${tenant} fence epoch 9`),
    );
    await status(10);
    assert.match((await refusal(status(9))).message, /epoch 9 is lower than the stored epoch 10/);
  });

  test('a config-file CR written with an epoch below the stored one is refused', async () => {
    const crs = workloadClient(kc, () => ns.name);
    await crs.create(
      'WorkloadProcess',
      'from-config',
      { image: 'busybox', command: ['sleep', '1'] },
      { [TENANT_LABEL]: tenant, 'highlander.plexobject.io/source': 'config', [EPOCH_LABEL]: '11' },
    );
    const path = `/apis/highlander.plexobject.io/v1/namespaces/${ns.name}/workloadprocesses/from-config`;
    const r = await refusal(
      operator.send({
        method: 'PATCH',
        path,
        contentType: PATCH.merge,
        body: { metadata: { labels: { [EPOCH_LABEL]: '10' } } },
      }),
    );
    assert.match(r.message, /epoch 10 is lower than the stored epoch 11/);
  });

  test('only a leader at the fence may let a singleton’s gated pod start', async () => {
    await fence(9);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'gated', labels: { [MANAGED_BY]: 'highlander', [TENANT_LABEL]: tenant } },
      spec: {
        schedulingGates: [{ name: 'highlander.plexobject.io/singleton' }],
        containers: [{ name: 'main', image: 'busybox' }],
      },
    };
    await operator.send({ method: 'POST', path: `/api/v1/namespaces/${ns.name}/pods`, body: pod });
    const release = (epoch: number) =>
      operator.send({
        method: 'PATCH',
        path: `/api/v1/namespaces/${ns.name}/pods/gated`,
        contentType: PATCH.merge,
        body: {
          metadata: { annotations: { 'highlander.plexobject.io/released-epoch': String(epoch) } },
          spec: { schedulingGates: null },
        },
      });
    assert.match(
      (await refusal(release(8))).message,
      /pod release refused: epoch 8 is lower than the tenant .* fence epoch 9/,
    );
    await release(9);
    const p = await core.readNamespacedPod({ name: 'gated', namespace: ns.name });
    assert.equal(p.spec?.schedulingGates?.length ?? 0, 0);
  });
});
