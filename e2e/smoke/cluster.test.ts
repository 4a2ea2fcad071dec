// Smoke tests: the local control plane is a real Kubernetes, with the parts Highlander relies on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  AuthenticationV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  V1MicroTime,
  VersionApi,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { V1CustomResourceDefinition, V1PodTemplateSpec } from '@kubernetes/client-node';
import { clusterVersions, createTestNamespace, loadKubeConfig, statusOf, waitFor } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { kubectlOk } from '../../testkit/run-command.ts';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
let ns: TestNamespace;

before(async () => {
  ns = await createTestNamespace(kc, 'smoke');
});
after(async () => {
  await ns?.remove();
});

/** A pod template for the fake nodes: kwok never runs the image, it only sets the status. */
function template(app: string): V1PodTemplateSpec {
  return {
    metadata: { labels: { app } },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
  };
}

describe('control plane', () => {
  test('reports the version it was built at', async () => {
    const info = await kc.makeApiClient(VersionApi).getCode();
    assert.equal(info.gitVersion, `v${clusterVersions().K8S_VERSION}`);
  });

  test('has Ready kwok nodes', async () => {
    const nodes = await core.listNode({ labelSelector: 'type=kwok' });
    assert.ok(nodes.items.length >= 3, `expected 3 nodes, got ${nodes.items.length}`);
    for (const n of nodes.items) {
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      assert.equal(ready?.status, 'True', `node ${n.metadata?.name} not Ready`);
    }
  });
});

describe('custom resources', () => {
  const group = 'smoke.highlander.test';
  const plural = 'widgets';
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const crd: V1CustomResourceDefinition = {
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: 'widget', kind: 'Widget', categories: ['smoke'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Active', type: 'boolean', jsonPath: '.status.active' },
            { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['size'],
                  properties: { size: { type: 'integer', minimum: 1 } },
                },
                status: { type: 'object', properties: { active: { type: 'boolean' } } },
              },
            },
          },
        },
      ],
    },
  };

  before(async () => {
    await ext.createCustomResourceDefinition({ body: crd });
    await waitFor(
      async () => {
        const got = await ext.readCustomResourceDefinition({ name: crd.metadata!.name! });
        return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      },
      { what: 'CRD Established' },
    );
  });
  after(async () => {
    await ext.deleteCustomResourceDefinition({ name: crd.metadata!.name! });
  });

  test('status lands only through the /status subresource, printer columns show it', async () => {
    const ref = { group, version: 'v1', namespace: ns.name, plural };
    // The main endpoint ignores status when the status subresource is on.
    await waitFor(
      () =>
        custom.createNamespacedCustomObject({
          ...ref,
          body: {
            apiVersion: `${group}/v1`,
            kind: 'Widget',
            metadata: { name: 'w1' },
            spec: { size: 3 },
            status: { active: true },
          },
        }) as Promise<unknown>,
      { what: 'the new CRD to serve creates', timeoutMs: 20_000 },
    );
    const created = (await custom.getNamespacedCustomObject({ ...ref, name: 'w1' })) as { status?: unknown };
    assert.equal(created.status, undefined);

    await custom.patchNamespacedCustomObjectStatus(
      { ...ref, name: 'w1', body: { status: { active: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const patched = (await custom.getNamespacedCustomObject({ ...ref, name: 'w1' })) as {
      status?: { active?: boolean };
    };
    assert.equal(patched.status?.active, true);

    // Discovery learns of a new CRD a moment after it is Established: retry as a user would.
    const stdout = await waitFor(() => kubectlOk(['-n', ns.name, 'get', 'smoke']), {
      what: 'kubectl get smoke (category from discovery)',
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    assert.match(stdout, /^NAME\s+ACTIVE\s+SIZE/m);
    assert.match(stdout, /^w1\s+true\s+3/m);
  });

  test('the schema rejects an invalid spec, naming the field', async () => {
    await assert.rejects(
      custom.createNamespacedCustomObject({
        group,
        version: 'v1',
        namespace: ns.name,
        plural,
        body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'bad' }, spec: { size: 0 } },
      }),
      (err: unknown) => statusOf(err) === 422 && /spec\.size/.test(String((err as Error).message)),
    );
  });
});

describe('workloads on kwok nodes', () => {
  test('a one-replica Deployment becomes Available', async () => {
    await apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          strategy: { type: 'Recreate' },
          selector: { matchLabels: { app: 'web' } },
          template: template('web'),
        },
      },
    });
    const d = await waitFor(
      async () => {
        const got = await apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
        const ok = got.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
        return ok && got.status?.availableReplicas === 1 ? got : undefined;
      },
      { what: 'Deployment web Available' },
    );
    assert.equal(d.status?.readyReplicas, 1);
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' });
    assert.equal(pods.items[0]?.status?.phase, 'Running');
    assert.ok(pods.items[0]?.spec?.nodeName?.startsWith('kwok-node-'));
  });

  test('a StatefulSet with a volume claim becomes Ready and its claim Bound', async () => {
    await core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: 'db' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] } },
    });
    await apps.createNamespacedStatefulSet({
      namespace: ns.name,
      body: {
        metadata: { name: 'db' },
        spec: {
          serviceName: 'db',
          replicas: 1,
          selector: { matchLabels: { app: 'db' } },
          template: template('db'),
          volumeClaimTemplates: [
            {
              metadata: { name: 'data' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            },
          ],
        },
      },
    });
    await waitFor(
      async () => {
        const s = await apps.readNamespacedStatefulSet({ name: 'db', namespace: ns.name });
        return s.status?.readyReplicas === 1 ? s : undefined;
      },
      { what: 'StatefulSet db Ready' },
    );
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: 'data-db-0', namespace: ns.name });
    assert.equal(pvc.status?.phase, 'Bound');
    assert.equal(pvc.spec?.storageClassName, 'standard');

    // Deleting the claim releases its volume; the cluster's recycler makes it Available again.
    const pv = pvc.spec?.volumeName;
    assert.ok(pv, 'the claim names its volume');
    await apps.deleteNamespacedStatefulSet({ name: 'db', namespace: ns.name });
    await core.deleteNamespacedPersistentVolumeClaim({ name: 'data-db-0', namespace: ns.name });
    await waitFor(
      async () => {
        const v = await core.readPersistentVolume({ name: pv });
        return v.status?.phase === 'Available' && !v.spec?.claimRef ? v : undefined;
      },
      { what: `volume ${pv} Available again`, timeoutMs: 60_000 },
    );
  });

  test('a Job created from a CronJob completes', async () => {
    const cj = await batch.createNamespacedCronJob({
      namespace: ns.name,
      body: {
        metadata: { name: 'tick' },
        spec: {
          schedule: '0 0 1 1 *',
          concurrencyPolicy: 'Forbid',
          jobTemplate: {
            spec: {
              backoffLimit: 0,
              template: {
                spec: {
                  restartPolicy: 'Never',
                  containers: [{ name: 'main', image: 'busybox:1.36', command: ['true'] }],
                },
              },
            },
          },
        },
      },
    });
    // What `kubectl create job --from=cronjob/tick` does: the CronJob's template, owned by it.
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: {
          name: 'tick-manual',
          annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
          ownerReferences: [
            { apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: cj.metadata!.uid!, controller: true },
          ],
        },
        spec: cj.spec!.jobTemplate.spec!,
      },
    });
    const job = await waitFor(
      async () => {
        const j = await batch.readNamespacedJob({ name: 'tick-manual', namespace: ns.name });
        return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
      },
      { what: 'Job tick-manual Complete' },
    );
    assert.equal(job.status?.succeeded, 1);
  });
});

describe('leases and identity', () => {
  test('a Lease update with a stale resourceVersion gets 409 Conflict', async () => {
    const coord = kc.makeApiClient(CoordinationV1Api);
    const created = await coord.createNamespacedLease({
      namespace: ns.name,
      body: {
        metadata: { name: 'smoke-lock' },
        spec: { holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0, renewTime: new V1MicroTime() },
      },
    });
    const updated = await coord.replaceNamespacedLease({
      name: 'smoke-lock',
      namespace: ns.name,
      body: {
        ...created,
        spec: { ...created.spec, holderIdentity: 'b', leaseTransitions: 1, renewTime: new V1MicroTime() },
      },
    });
    assert.equal(updated.spec?.holderIdentity, 'b');
    assert.notEqual(updated.metadata?.resourceVersion, created.metadata?.resourceVersion);
    await assert.rejects(
      coord.replaceNamespacedLease({
        name: 'smoke-lock',
        namespace: ns.name,
        body: { ...created, spec: { ...created.spec, holderIdentity: 'c' } },
      }),
      (err: unknown) => statusOf(err) === 409,
    );
    const now = await coord.readNamespacedLease({ name: 'smoke-lock', namespace: ns.name });
    assert.equal(now.spec?.holderIdentity, 'b');
  });

  test('a ServiceAccount token authenticates, and RBAC denies what it was not granted', async () => {
    await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'robot' } } });
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'robot',
      namespace: ns.name,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = tr.status?.token;
    assert.ok(token, 'TokenRequest returned no token');

    const cluster = kc.getCurrentCluster()!;
    const robot = new KubeConfig();
    robot.loadFromOptions({
      clusters: [{ name: 'local', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
      users: [{ name: 'robot', token }],
      contexts: [{ name: 'robot', cluster: 'local', user: 'robot' }],
      currentContext: 'robot',
    });
    const review = await robot.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    assert.equal(review.status?.userInfo?.username, `system:serviceaccount:${ns.name}:robot`);
    await assert.rejects(
      robot.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: ns.name }),
      (err: unknown) => statusOf(err) === 403,
    );
  });
});
