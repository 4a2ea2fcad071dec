// The chart's RBAC is enough and no more: its ServiceAccount, Roles and bindings are applied to
// the local control plane, a token is minted for the ServiceAccount (TokenRequest), and a real
// operator runs with only that token and the chart's own config file. It must drive all four
// kinds (children, status, events, drift repair, config-file workloads) without one refusal;
// `kubectl auth can-i` shows what it can and cannot do. Both RBAC modes: cluster-wide, and Roles
// in two watched namespaces.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uniqueTenant } from '../../testkit/backends.ts';
import { createTestNamespace, mergePatch, statusOf, waitFor } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { kubectlOk } from './helm.ts';
import { GROUP, TENANT_LABEL } from '../../api/labels.ts';

import {
  kc,
  core,
  apps,
  batch,
  custom,
  script,
  install,
  createCR,
  getCR,
  readyCR,
  canI,
  refusals,
} from './rbac-install.ts';
import type { Install } from './rbac-install.ts';

describe('cluster-wide RBAC (ClusterRole)', () => {
  let home: TestNamespace;
  let work: TestNamespace;
  let inst: Install;
  const tenant = uniqueTenant('rbac');

  before(async () => {
    home = await createTestNamespace(kc, 'rbac');
    work = await createTestNamespace(kc, 'rbac-wl');
    inst = await install(home.name, tenant, {
      config: {
        namespace: work.name,
        workloads: { processes: [{ name: 'from-config', image: 'busybox', script }] },
      },
    });
  });
  after(async () => {
    await inst?.remove();
    await Promise.all([home, work].map((n) => n?.remove()));
  });

  test('every kind gets its children and Ready, active status from the token-only operator', async () => {
    const ns = work.name;
    await createCR(ns, tenant, 'WorkloadProcess', 'idgen', { image: 'busybox', script });
    await createCR(ns, tenant, 'WorkloadCronJob', 'nightly', { image: 'busybox', script, schedule: '0 3 * * *' });
    await createCR(ns, tenant, 'WorkloadService', 'api', {
      image: 'nginx',
      script,
      replicas: 1,
      ports: [{ name: 'http', containerPort: 8080, servicePort: 80 }],
    });
    await createCR(ns, tenant, 'WorkloadPersistent', 'mq', {
      image: 'mq',
      script,
      replicas: 1,
      ports: [{ name: 'mq', containerPort: 1414 }],
    });
    for (const [kind, name] of [
      ['WorkloadProcess', 'idgen'],
      ['WorkloadCronJob', 'nightly'],
      ['WorkloadService', 'api'],
      ['WorkloadPersistent', 'mq'],
    ]) {
      await readyCR(ns, kind!, name!, inst.release);
    }
    await core.readNamespacedPod({ name: 'idgen-pod', namespace: ns });
    await batch.readNamespacedCronJob({ name: 'nightly', namespace: ns });
    await apps.readNamespacedDeployment({ name: 'api', namespace: ns });
    await core.readNamespacedService({ name: 'api', namespace: ns });
    await apps.readNamespacedStatefulSet({ name: 'mq', namespace: ns });
  });

  test('the config-file workload is applied as a CR (labelled source=config) and runs', async () => {
    const cr = await readyCR(work.name, 'WorkloadProcess', 'from-config', inst.release);
    assert.equal(cr.metadata?.labels?.[`${GROUP}/source`], 'config');
    assert.equal(cr.metadata?.labels?.[TENANT_LABEL], tenant);
    await core.readNamespacedPod({ name: 'from-config-pod', namespace: work.name });
  });

  test('drift is repaired: a deleted Deployment and a deleted pod come back; an edited process is replaced', async () => {
    const ns = work.name;
    const oldDeployment = (await apps.readNamespacedDeployment({ name: 'api', namespace: ns })).metadata!.uid;
    const oldPod = (await core.readNamespacedPod({ name: 'idgen-pod', namespace: ns })).metadata!.uid;
    await apps.deleteNamespacedDeployment({ name: 'api', namespace: ns });
    await core.deleteNamespacedPod({ name: 'idgen-pod', namespace: ns, gracePeriodSeconds: 0 });
    await waitFor(
      async () =>
        (await apps.readNamespacedDeployment({ name: 'api', namespace: ns })).metadata?.uid !== oldDeployment
          ? true
          : undefined,
      {
        what: 'Deployment api recreated',
      },
    );
    const recreated = await waitFor(
      async () => {
        const p = await core.readNamespacedPod({ name: 'idgen-pod', namespace: ns });
        return p.metadata?.uid !== oldPod && !p.metadata?.deletionTimestamp ? p.metadata?.uid : undefined;
      },
      { what: 'pod idgen-pod recreated' },
    );
    // A spec change replaces the pod (pods are immutable): the operator deletes it itself.
    await custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: 'v1',
        namespace: ns,
        plural: 'workloadprocesses',
        name: 'idgen',
        body: { spec: { script: { commands: ['sleep 7200'] } } },
      },
      mergePatch,
    );
    await waitFor(
      async () => {
        const p = await core.readNamespacedPod({ name: 'idgen-pod', namespace: ns });
        return p.metadata?.uid !== recreated &&
          !p.metadata?.deletionTimestamp &&
          JSON.stringify(p.spec?.containers).includes('sleep 7200')
          ? true
          : undefined;
      },
      { what: 'pod idgen-pod replaced after the edit' },
    );
    await readyCR(ns, 'WorkloadProcess', 'idgen', inst.release);
  });

  test('events are recorded on the CRs', async () => {
    const events = await waitFor(
      async () => {
        const list = await core.listNamespacedEvent({ namespace: work.name });
        const ours = list.items.filter(
          (e) => e.source?.component === 'highlander' && e.involvedObject.apiVersion === `${GROUP}/v1`,
        );
        return ours.some((e) => e.involvedObject.name === 'api') && ours.some((e) => e.involvedObject.name === 'idgen')
          ? ours
          : undefined;
      },
      { what: 'events from highlander on the CRs' },
    );
    assert.ok(
      events.every((e) => e.reportingInstance?.startsWith(`${inst.release}_`)),
      'events from another operator',
    );
  });

  test('the operator was never refused: no forbidden in its logs, events or conditions', async () => {
    assert.ok(inst.operator.lines.length > 0);
    assert.deepEqual(await refusals(inst, [work.name, home.name]), []);
  });

  test('kubectl auth can-i: it can do what it needs', async () => {
    const ns = work.name;
    const can: string[][] = [
      ['list', 'pods', '--all-namespaces'],
      ['watch', 'workloadservices.highlander.plexobject.io', '--all-namespaces'],
      ['patch', 'deployments.apps', '-n', ns],
      ['create', 'statefulsets.apps', '-n', ns],
      ['patch', 'cronjobs.batch', '-n', ns],
      ['delete', 'pods', '-n', ns],
      ['patch', 'workloadpersistents.highlander.plexobject.io', '--subresource=status', '-n', ns],
      ['create', 'events', '-n', ns],
      ['get', `leases.coordination.k8s.io/highlander-leader-${tenant}`, '-n', home.name],
      ['update', `leases.coordination.k8s.io/highlander-leader-${tenant}`, '-n', home.name],
      ['create', 'leases.coordination.k8s.io', '-n', home.name],
    ];
    for (const args of can) assert.equal(await canI(inst, args), true, `cannot ${args.join(' ')}`);
  });

  test('kubectl auth can-i: it cannot read Secrets, touch nodes or CRDs, exec, or take another Lease', async () => {
    const ns = work.name;
    const cannot: string[][] = [
      ['get', 'secrets', '-n', home.name],
      ['list', 'secrets', '--all-namespaces'],
      ['watch', 'secrets', '-n', ns],
      ['delete', 'nodes'],
      ['patch', 'nodes'],
      ['create', 'customresourcedefinitions.apiextensions.k8s.io'],
      ['update', 'customresourcedefinitions.apiextensions.k8s.io'],
      ['delete', 'customresourcedefinitions.apiextensions.k8s.io'],
      ['create', 'pods', '--subresource=exec', '-n', ns],
      ['delete', 'deployments.apps', '-n', ns],
      ['get', 'leases.coordination.k8s.io/kube-controller-manager', '-n', 'kube-system'],
      ['update', 'leases.coordination.k8s.io/highlander-leader-someone-else', '-n', home.name],
      ['create', 'leases.coordination.k8s.io', '-n', ns],
      ['create', 'serviceaccounts/token', '-n', home.name],
      ['escalate', 'clusterroles.rbac.authorization.k8s.io'],
      ['impersonate', 'serviceaccounts'],
    ];
    for (const args of cannot) assert.equal(await canI(inst, args), false, `can ${args.join(' ')}`);
  });
});

describe('namespaced RBAC (Roles in the watched namespaces only)', () => {
  let home: TestNamespace;
  let watchedA: TestNamespace;
  let watchedB: TestNamespace;
  let outside: TestNamespace;
  let inst: Install;
  const tenant = uniqueTenant('rbacns');

  before(async () => {
    home = await createTestNamespace(kc, 'rbacns');
    watchedA = await createTestNamespace(kc, 'rbacns-a');
    watchedB = await createTestNamespace(kc, 'rbacns-b');
    outside = await createTestNamespace(kc, 'rbacns-out');
    inst = await install(home.name, tenant, {
      rbac: { scope: 'namespaced' },
      watchNamespaces: [watchedA.name, watchedB.name],
      config: { namespace: watchedA.name },
    });
  });
  after(async () => {
    await inst?.remove();
    await Promise.all([home, watchedA, watchedB, outside].map((n) => n?.remove()));
  });

  test('workloads in both watched namespaces get children and Ready status, without a refusal', async () => {
    await createCR(watchedA.name, tenant, 'WorkloadService', 'web', {
      image: 'nginx',
      script,
      replicas: 1,
      ports: [{ name: 'http', containerPort: 8080 }],
    });
    await createCR(watchedB.name, tenant, 'WorkloadProcess', 'worker', { image: 'busybox', script });
    await readyCR(watchedA.name, 'WorkloadService', 'web', inst.release);
    await readyCR(watchedB.name, 'WorkloadProcess', 'worker', inst.release);
    await apps.readNamespacedDeployment({ name: 'web', namespace: watchedA.name });
    await core.readNamespacedPod({ name: 'worker-pod', namespace: watchedB.name });
    assert.deepEqual(await refusals(inst, [watchedA.name, watchedB.name, home.name]), []);
  });

  test('a workload outside the watched namespaces is not touched', async () => {
    await createCR(outside.name, tenant, 'WorkloadProcess', 'stray', { image: 'busybox', script });
    // Positive control after it: a new CR in a watched namespace is served, so the operator is working.
    await createCR(watchedB.name, tenant, 'WorkloadProcess', 'later', { image: 'busybox', script });
    await readyCR(watchedB.name, 'WorkloadProcess', 'later', inst.release);
    assert.equal((await getCR(outside.name, 'WorkloadProcess', 'stray')).status, undefined);
    await assert.rejects(
      core.readNamespacedPod({ name: 'stray-pod', namespace: outside.name }),
      (e: unknown) => statusOf(e) === 404,
    );
  });

  test('kubectl auth can-i: rights in the watched namespaces only, nothing cluster-wide', async () => {
    assert.equal(await canI(inst, ['list', 'pods', '-n', watchedA.name]), true);
    assert.equal(await canI(inst, ['patch', 'deployments.apps', '-n', watchedB.name]), true);
    assert.equal(await canI(inst, ['list', 'pods', '--all-namespaces']), false);
    assert.equal(await canI(inst, ['list', 'pods', '-n', outside.name]), false);
    assert.equal(await canI(inst, ['create', 'events', '-n', outside.name]), false);
    assert.equal(await canI(inst, ['get', 'secrets', '-n', watchedA.name]), false);
    const clusterRoles = await kubectlOk(['get', 'clusterroles', '-o', 'name']);
    assert.ok(!clusterRoles.includes(inst.release), 'a ClusterRole was made in namespaced mode');
  });
});
