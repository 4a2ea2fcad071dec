// The chart's RBAC is enough and no more: its ServiceAccount, Roles and bindings are applied to
// the local control plane, a token is minted for the ServiceAccount (TokenRequest), and a real
// operator runs with only that token and the chart's own config file. It must drive all four
// kinds (children, status, events, drift repair, config-file workloads) without one refusal;
// `kubectl auth can-i` shows what it can and cannot do. Both RBAC modes: cluster-wide, and Roles
// in two watched namespaces.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import YAML from 'yaml';
import { STARTUP_MS, uniqueTenant } from '../../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig, mergePatch, PLURAL, statusOf, waitFor } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { kubectl, kubectlOk, only, render } from './helm.ts';
import { GROUP, TENANT_LABEL } from '../../api/labels.ts';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const script = { commands: ['sleep 3600'] };
// Short election timings: nothing here measures them.
const TIMINGS = { leaseDuration: '3s', renewDeadline: '2s', retryPeriod: '500ms' };

/** The chart's ServiceAccount, RBAC and config installed for one release, and an operator running with its token. */
interface Install {
  release: string;
  namespace: string;
  serviceAccount: string;
  tenant: string;
  operator: OperatorProcess;
  remove(): Promise<void>;
}

/**
 * Renders the chart's ServiceAccount, RBAC and ConfigMap with `values`, applies them as the
 * admin, mints a ServiceAccount token and starts an operator that has only that token.
 */
async function install(namespace: string, tenant: string, values: Record<string, unknown>): Promise<Install> {
  const release = `hl-${randomUUID().slice(0, 6)}`;
  const { yaml, objects } = await render({
    release,
    namespace,
    values: { ...values, config: { ...(values.config as object), tenant, leaderElection: TIMINGS } },
    showOnly: ['templates/serviceaccount.yaml', 'templates/rbac.yaml', 'templates/configmap.yaml'],
  });
  const clusterScoped = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding');
  const dir = mkdtempSync(join(tmpdir(), 'highlander-rbac-'));
  const remove = async (): Promise<void> => {
    for (const o of clusterScoped)
      await kubectl(['delete', o.kind!.toLowerCase(), o.metadata!.name!, '--ignore-not-found', '--wait=false']);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await kubectlOk(['apply', '-f', '-'], yaml);
    const serviceAccount = only(objects, 'ServiceAccount').metadata!.name!;
    const minted = await core.createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const cluster = kc.getCurrentCluster()!;
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'local', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } },
        ],
        users: [{ name: serviceAccount, user: { token: minted.status?.token } }],
        contexts: [{ name: 'chart', context: { cluster: 'local', user: serviceAccount } }],
        'current-context': 'chart',
      }),
      { mode: 0o600 },
    );
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, only<V1ConfigMap>(objects, 'ConfigMap').data!['config.yaml']!);
    // The chart's config file as rendered; only what a pod gets from its surroundings differs
    // (listening on loopback, any free port, the token instead of the in-cluster account).
    const operator = new OperatorProcess(release, {
      CONFIG_PATH: configFile,
      HIGHLANDER_KUBECONFIG: kubeconfig,
      HIGHLANDER_PORT: '0',
      HIGHLANDER_HTTP_HOST: '127.0.0.1',
    });
    const stop = async (): Promise<void> => {
      await operator.kill();
      await remove();
    };
    try {
      await operator.becameLeader(STARTUP_MS);
    } catch (err) {
      await stop();
      throw err;
    }
    return { release, namespace, serviceAccount, tenant, operator, remove: stop };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** Creates a CR of our tenant. */
async function createCR(ns: string, tenant: string, kind: string, name: string, spec: object): Promise<void> {
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: 'v1',
    namespace: ns,
    plural: PLURAL[kind]!,
    body: { apiVersion: `${GROUP}/v1`, kind, metadata: { name, labels: { [TENANT_LABEL]: tenant } }, spec },
  });
}

interface Status {
  active?: boolean;
  leader?: string;
  observedGeneration?: number;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}
type CR = KubernetesObject & { metadata: { generation: number; uid: string }; status?: Status };

const getCR = async (ns: string, kind: string, name: string): Promise<CR> =>
  (await custom.getNamespacedCustomObject({
    group: GROUP,
    version: 'v1',
    namespace: ns,
    plural: PLURAL[kind]!,
    name,
  })) as CR;

/** Waits for Ready=True at the current generation, active, written by `leader`. */
function readyCR(ns: string, kind: string, name: string, leader: string): Promise<CR> {
  return waitFor(
    async () => {
      const cr = await getCR(ns, kind, name);
      const ready = cr.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      return ready &&
        cr.status?.observedGeneration === cr.metadata.generation &&
        cr.status.active &&
        cr.status.leader?.startsWith(`${leader}_`)
        ? cr
        : undefined;
    },
    { what: `${kind} ${ns}/${name} Ready=True`, timeoutMs: 60_000 },
  );
}

/** `kubectl auth can-i` as the ServiceAccount: true for yes. */
async function canI(inst: Install, args: string[]): Promise<boolean> {
  const r = await kubectl([
    'auth',
    'can-i',
    ...args,
    `--as=system:serviceaccount:${inst.namespace}:${inst.serviceAccount}`,
  ]);
  if (r.code > 1 || !/^(yes|no)/.test(r.stdout.trim()))
    throw new Error(`kubectl auth can-i ${args.join(' ')}: ${r.stderr}`);
  return r.code === 0;
}

/**
 * Every refusal the operator met: in its log and stderr, and in what it reports a refused
 * write with (a Warning event with reason Forbidden, a Stalled condition on the CR).
 */
async function refusals(inst: Install, namespaces: string[]): Promise<string[]> {
  const refused = (text: string) => /forbidden|\b403\b/i.test(text);
  const found = [...inst.operator.lines.map((l) => JSON.stringify(l)), ...inst.operator.stderr].filter(refused);
  for (const namespace of namespaces) {
    for (const e of (await core.listNamespacedEvent({ namespace })).items) {
      if (e.reportingInstance?.startsWith(`${inst.release}_`) && refused(`${e.reason} ${e.message}`))
        found.push(`event: ${e.reason}: ${e.message}`);
    }
    for (const plural of Object.values(PLURAL)) {
      const list = (await custom.listNamespacedCustomObject({ group: GROUP, version: 'v1', namespace, plural })) as {
        items: CR[];
      };
      for (const cr of list.items) {
        for (const c of cr.status?.conditions ?? []) {
          if (refused(`${c.reason} ${c.message}`))
            found.push(`${cr.kind} ${cr.metadata.name}: ${c.type} ${c.reason}: ${c.message}`);
        }
      }
    }
  }
  return found;
}

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
