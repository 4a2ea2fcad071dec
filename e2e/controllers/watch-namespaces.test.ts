// watchNamespaces (namespaced RBAC): an operator told to watch some namespaces reconciles the
// workloads there and leaves the others alone, with informers scoped to each namespace.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig, statusOf, waitFor } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const tenant = uniqueTenant('wns');
let watched: TestNamespace;
let other: TestNamespace;
let op: OperatorProcess | undefined;

before(async () => {
  watched = await createTestNamespace(kc, 'wns-in');
  other = await createTestNamespace(kc, 'wns-out');
  op = new OperatorProcess(
    'wns',
    operatorEnv('kubernetes', tenant, FAST_TIMINGS, { HIGHLANDER_WATCH_NAMESPACES: watched.name }),
  );
  await op.becameLeader(STARTUP_MS);
});
after(async () => {
  await op?.kill();
  await Promise.all([watched?.remove(), other?.remove()]);
});

const processCR = (namespace: string) => ({
  apiVersion: 'highlander.plexobject.io/v1',
  kind: 'WorkloadProcess',
  metadata: { name: 'solo', namespace, labels: { 'highlander.plexobject.io/tenant': tenant } },
  spec: { image: 'busybox', script: { commands: ['sleep 3600'] } },
});

test('a CR in a watched namespace gets its pod; the same CR elsewhere is left alone', async () => {
  for (const ns of [watched.name, other.name]) {
    await custom.createNamespacedCustomObject({
      group: 'highlander.plexobject.io',
      version: 'v1',
      namespace: ns,
      plural: 'workloadprocesses',
      body: processCR(ns),
    });
  }
  const pod = await waitFor(
    () => core.readNamespacedPod({ name: 'solo-pod', namespace: watched.name }).catch(() => undefined),
    { what: 'pod in the watched namespace' },
  );
  assert.equal(pod.metadata?.labels?.['highlander.plexobject.io/workload'], 'solo');
  // The watched one is done; give the other the same time again, then check nothing happened there.
  await sleep(3000);
  const missing = await core.readNamespacedPod({ name: 'solo-pod', namespace: other.name }).then(
    () => 200,
    (err: unknown) => statusOf(err),
  );
  assert.equal(missing, 404, 'no pod in the unwatched namespace');
  const cr = (await custom.getNamespacedCustomObject({
    group: 'highlander.plexobject.io',
    version: 'v1',
    namespace: other.name,
    plural: 'workloadprocesses',
    name: 'solo',
  })) as { status?: unknown };
  assert.equal(cr.status, undefined, 'no status written in the unwatched namespace');
  assert.ok(op!.lines.some((l) => l.msg === 'became leader'));
});
