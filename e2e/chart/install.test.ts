// A real `helm install`, `helm upgrade` and `helm uninstall` of the chart on the local cluster.
// Its nodes are kwok's fakes: the operator container never runs, but every API object is made,
// the Deployment's ReplicaSet creates pods, the scheduler places them and kwok reports them Ready,
// so Helm's --wait sees a working release. The CRDs the other tests use are already installed:
// Helm finds them, leaves them alone on install and never deletes them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiextensionsV1Api, AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { KubernetesObject, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import YAML from 'yaml';
import { createTestNamespace, kubeconfigPath, loadKubeConfig, waitFor } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { chartDir, helmPath, kubectl, runCommand } from './helm.ts';
import type { Run } from './helm.ts';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const crds = kc.makeApiClient(ApiextensionsV1Api);

const CRDS = ['workloadprocesses', 'workloadcronjobs', 'workloadservices', 'workloadpersistents'].map(
  (p) => `${p}.highlander.plexobject.io`,
);
// Pods only on kwok's fake nodes (all nodes here are, but say so), with election timings short
// enough that nothing here waits on them.
const VALUES = {
  nodeSelector: { type: 'kwok' },
  config: { leaderElection: { leaseDuration: '6s', renewDeadline: '4s', retryPeriod: '1s' } },
};

let ns: TestNamespace;
let helmHome: string;
let release: string;
let installed = false;
/** uid and resourceVersion of each CRD before the install. */
const crdsBefore = new Map<string, string>();

/** Runs helm against the test cluster, with its own config, cache and data directories. */
async function helmRun(args: string[], values?: object): Promise<Run> {
  const env = {
    ...process.env,
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };
  const withValues = values ? [...args, '-f', '-'] : args;
  return runCommand(
    await helmPath(),
    [...withValues, '--kubeconfig', kubeconfigPath, '--namespace', ns.name],
    values ? YAML.stringify(values) : '',
    env,
  );
}

async function helmOk(args: string[], values?: object): Promise<string> {
  const r = await helmRun(args, values);
  assert.equal(r.code, 0, `helm ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** The objects of the release, from Helm's own record of it. */
async function manifest(): Promise<KubernetesObject[]> {
  return YAML.parseAllDocuments(await helmOk(['get', 'manifest', release]))
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

/** Whether `o` exists (in the release namespace unless it is cluster-scoped). */
async function exists(o: KubernetesObject): Promise<boolean> {
  const group = o.apiVersion!.includes('/') ? `.${o.apiVersion!.split('/')[0]}` : '';
  const r = await kubectl(['get', `${o.kind!.toLowerCase()}${group}`, o.metadata!.name!, '-n', ns.name, '-o', 'name']);
  if (r.code === 0) return true;
  if (/NotFound/.test(r.stderr)) return false;
  throw new Error(`kubectl get ${o.kind} ${o.metadata!.name}: ${r.stderr}`);
}

async function crdVersions(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of CRDS) {
    const crd = await crds.readCustomResourceDefinition({ name });
    out.set(name, `${crd.metadata!.uid} ${crd.metadata!.resourceVersion}`);
  }
  return out;
}

/** The release's operator pods (selected as the Deployment selects them). */
async function pods(): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({
    namespace: ns.name,
    labelSelector: `app.kubernetes.io/instance=${release},app.kubernetes.io/component=operator`,
  });
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** The ReplicaSets the release's Deployment owns. */
async function replicaSets(): Promise<V1ReplicaSet[]> {
  const list = await apps.listNamespacedReplicaSet({ namespace: ns.name });
  return list.items.filter((rs) =>
    rs.metadata?.ownerReferences?.some((r) => r.kind === 'Deployment' && r.name === release),
  );
}

const ready = (p: V1Pod): boolean =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

before(async () => {
  ns = await createTestNamespace(kc, 'chart-install');
  helmHome = mkdtempSync(join(tmpdir(), 'highlander-helm-'));
  // The release name is the full name of every object (it contains "highlander"), and unique,
  // because its ClusterRole and ClusterRoleBinding are cluster-wide.
  release = `highlander-${ns.name.split('-').slice(-2).join('-')}`;
  await helmPath();
  for (const [k, v] of await crdVersions()) crdsBefore.set(k, v);
});

after(async () => {
  if (installed) await helmRun(['uninstall', release, '--wait', '--timeout', '60s']);
  await ns?.remove();
  if (helmHome) rmSync(helmHome, { recursive: true, force: true });
});

describe('helm install, upgrade, uninstall', () => {
  test('install: every object of the release exists, and the Deployment’s pods are scheduled and ready', async () => {
    const out = await helmOk(['install', release, chartDir, '--wait', '--timeout', '120s'], VALUES);
    installed = true;
    assert.match(out, /STATUS: deployed/);
    assert.match(out, /REVISION: 1/);
    const objects = await manifest();
    const kinds = new Set(objects.map((o) => o.kind));
    for (const k of [
      'ServiceAccount',
      'ConfigMap',
      'Service',
      'Deployment',
      'PodDisruptionBudget',
      'ClusterRole',
      'Role',
    ])
      assert.ok(kinds.has(k), `release has a ${k}`);
    assert.ok(!kinds.has('CustomResourceDefinition'), 'CRDs are not part of the release (crds/ is install-only)');
    for (const o of objects) assert.ok(await exists(o), `${o.kind} ${o.metadata?.name} exists`);

    const deploy = await apps.readNamespacedDeployment({ name: release, namespace: ns.name });
    assert.equal(deploy.spec?.replicas, 2);
    assert.equal(deploy.status?.readyReplicas, 2);
    const sets = await replicaSets();
    assert.equal(sets.length, 1);
    const running = await pods();
    assert.equal(running.length, 2);
    for (const p of running) {
      assert.match(p.spec?.nodeName ?? '', /^kwok-node-\d+$/, `${p.metadata?.name} scheduled`);
      assert.ok(ready(p), `${p.metadata?.name} ready`);
      assert.equal(p.metadata?.ownerReferences?.[0]?.name, sets[0]!.metadata?.name);
      assert.equal(p.spec?.serviceAccountName, release);
    }
    // The chart prefers one replica per node, and there are three empty fake nodes.
    assert.notEqual(running[0]!.spec?.nodeName, running[1]!.spec?.nodeName);
    assert.deepEqual(await crdVersions(), crdsBefore, 'the existing CRDs are left as they were');
  });

  test('upgrade: a third replica and a config change roll a new ReplicaSet; the ConfigMap follows', async () => {
    const before = await apps.readNamespacedDeployment({ name: release, namespace: ns.name });
    const oldChecksum = before.spec?.template.metadata?.annotations?.['checksum/config'];
    assert.ok(oldChecksum, 'the pod template carries the config checksum');
    const out = await helmOk(['upgrade', release, chartDir, '--wait', '--timeout', '120s'], {
      ...VALUES,
      replicaCount: 3,
      config: { ...VALUES.config, logLevel: 'debug' },
    });
    assert.match(out, /REVISION: 2/);

    const cm = await core.readNamespacedConfigMap({ name: release, namespace: ns.name });
    const cfg = YAML.parse(cm.data?.['config.yaml'] ?? '') as { logLevel?: string };
    assert.equal(cfg.logLevel, 'debug');
    const deploy = await apps.readNamespacedDeployment({ name: release, namespace: ns.name });
    assert.equal(deploy.spec?.replicas, 3);
    assert.notEqual(deploy.spec?.template.metadata?.annotations?.['checksum/config'], oldChecksum);
    const sets = await replicaSets();
    assert.equal(sets.length, 2, 'the config change made a new ReplicaSet');
    const current = sets.find((rs) => rs.spec?.replicas === 3);
    assert.ok(current, 'one ReplicaSet wants 3 pods');
    assert.equal(sets.find((rs) => rs !== current)?.spec?.replicas, 0, 'the old one is scaled down');
    const rolled = await waitFor(
      async () => {
        const ps = await pods();
        const mine = ps.filter((p) => p.metadata?.ownerReferences?.[0]?.name === current.metadata?.name);
        return ps.length === 3 && mine.length === 3 && mine.every(ready) ? ps : undefined;
      },
      { what: 'three ready pods of the new ReplicaSet, and no old ones' },
    );
    assert.equal(rolled.length, 3);
    const history = await helmOk(['history', release, '-o', 'json']);
    assert.deepEqual(
      (JSON.parse(history) as { revision: number; status: string }[]).map((h) => [h.revision, h.status]),
      [
        [1, 'superseded'],
        [2, 'deployed'],
      ],
    );
  });

  test('uninstall: the release’s objects are gone, the CRDs stay as they were', async () => {
    const objects = await manifest();
    await helmOk(['uninstall', release, '--wait', '--timeout', '120s']);
    installed = false;
    for (const o of objects) assert.equal(await exists(o), false, `${o.kind} ${o.metadata?.name} removed`);
    await waitFor(async () => ((await pods()).length === 0 ? true : undefined), { what: 'the pods to go' });
    assert.deepEqual(await crdVersions(), crdsBefore, 'CRDs neither deleted nor changed');
    const list = await helmRun(['list', '-o', 'json']);
    assert.deepEqual(JSON.parse(list.stdout), []);
  });
});
