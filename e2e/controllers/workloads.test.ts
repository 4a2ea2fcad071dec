// The four controllers on the real control plane, driven by real operator processes:
// children and status, drift repair from the watch, edits, deletion, tenants, invalid specs,
// and a failover that adopts everything without restarting it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import YAML from 'yaml';
import { FAST_TIMINGS, STARTUP_MS, operatorEnv } from '../../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig, mergePatch, statusOf, waitFor } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { kubectlOk } from '../../testkit/run-command.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { GROUP } from '../../api/labels.ts';
import { condition, workloadClient } from '../../testkit/workloads.ts';
import type { CR } from '../../testkit/workloads.ts';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

let ns: TestNamespace;
const procs: OperatorProcess[] = [];
// CRs without a tenant label belong to `default`: these operators are that tenant's.
const env = operatorEnv('kubernetes', 'default', FAST_TIMINGS);

before(async () => {
  ns = await createTestNamespace(kc, 'ctl');
  const a = new OperatorProcess('a', env);
  procs.push(a);
  await a.becameLeader(STARTUP_MS);
});
after(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  await ns?.remove();
});

const crs = workloadClient(kc, () => ns.name);
const getCR = crs.get;
const applyCR = crs.apply;
const cond = condition;
const readyCR = (kind: string, name: string, extra?: (cr: CR) => boolean): Promise<CR> =>
  crs.ready(kind, name, extra ? { extra } : {});

const script = { commands: ['sleep 3600'] };

describe('controllers', () => {
  test('the seed WorkloadCronJob applies unchanged and becomes Ready with a Forbid CronJob', async () => {
    const seed = YAML.parse(
      readFileSync(new URL('../../testkit/fixtures/seed/cr-sample-cronjob.yaml', import.meta.url), 'utf8'),
    ) as {
      metadata: { namespace: string };
    };
    seed.metadata.namespace = ns.name; // the seed names `default`; everything else is as written
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace: ns.name,
      plural: 'workloadcronjobs',
      body: seed,
    });
    const cr = await readyCR('WorkloadCronJob', 'sample-cronjob');
    assert.equal(cr.status?.active, true);
    assert.equal(cr.status?.healthy, true);
    const cj = await batch.readNamespacedCronJob({ name: 'sample-cronjob', namespace: ns.name });
    assert.equal(cj.spec?.concurrencyPolicy, 'Forbid');
    assert.equal(cj.metadata?.ownerReferences?.[0]?.uid, cr.metadata.uid);
    const stdout = await waitFor(() => kubectlOk(['-n', ns.name, 'get', 'workloadcronjobs']), {
      what: 'kubectl get workloadcronjobs',
      timeoutMs: 20_000,
    });
    assert.match(stdout, /^NAME\s+ACTIVE\s+HEALTHY\s+SCHEDULE\s+AGE/m);
    assert.match(stdout, /^sample-cronjob\s+true\s+true\s+\*\/5 \* \* \* \*/m);
  });

  test('every kind reaches Ready with active and healthy, its children owned and labelled', async () => {
    await applyCR('WorkloadProcess', 'idgen', { image: 'busybox', script });
    await applyCR('WorkloadService', 'api', {
      image: 'nginx',
      script,
      replicas: 1,
      ports: [{ name: 'http', containerPort: 8080, servicePort: 80 }],
    });
    await applyCR('WorkloadPersistent', 'mq', {
      image: 'mq',
      script,
      replicas: 1,
      ports: [{ name: 'mq', containerPort: 1414 }],
      persistentVolumes: [{ name: 'data', mountPath: '/data', size: '1Gi' }],
    });
    for (const [kind, name] of [
      ['WorkloadProcess', 'idgen'],
      ['WorkloadService', 'api'],
      ['WorkloadPersistent', 'mq'],
    ] as const) {
      const cr = await readyCR(kind, name);
      assert.equal(cr.status?.active, true, kind);
      assert.equal(cr.status?.healthy, true, kind);
      assert.ok(cr.status?.leader?.startsWith('a_'), `leader ${cr.status?.leader}`);
    }
    const pod = await core.readNamespacedPod({ name: 'idgen-pod', namespace: ns.name });
    assert.equal(pod.metadata?.labels?.['app.kubernetes.io/managed-by'], 'highlander');
    const d = await apps.readNamespacedDeployment({ name: 'api', namespace: ns.name });
    assert.equal(d.spec?.strategy?.type, 'Recreate');
    const svc = await core.readNamespacedService({ name: 'api', namespace: ns.name });
    assert.equal(svc.spec?.ports?.[0]?.port, 80);
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: 'data-mq-0', namespace: ns.name });
    assert.equal(pvc.status?.phase, 'Bound');
  });

  test('the HTTP API lists the workloads with their state', async () => {
    const a = procs[0]!;
    const port = String(a.logs('campaigning for leadership')[0]?.port);
    const body = async (path: string) =>
      (await (await fetch(`http://127.0.0.1:${port}${path}`)).json()) as {
        status: string;
        data: Record<string, unknown>;
      };
    // Earlier runs may leave an `idgen` in another (terminating) namespace: name it exactly.
    const one = await body(`/api/workloads/${ns.name}/idgen`);
    assert.equal(one.status, 'success');
    assert.deepEqual(
      [one.data.type, one.data.namespace, one.data.active, one.data.healthy],
      ['process', ns.name, true, true],
    );
    const all = Object.values((await body('/api/v1/workloads')).data) as { name: string; namespace: string }[];
    for (const name of ['idgen', 'api', 'mq', 'sample-cronjob']) {
      assert.ok(
        all.some((w) => w.name === name && w.namespace === ns.name),
        `/api/v1/workloads lacks ${name}`,
      );
    }
    const st = await body('/api/v1/status');
    const api = Object.values(st.data.workloadStatus as Record<string, { namespace: string; type: string }>).find(
      (w) => w.namespace === ns.name && w.type === 'service',
    );
    assert.deepEqual(api, { type: 'service', namespace: ns.name, active: true, healthy: true, phase: 'Running' });
    // K8 Highlander's /status groups the same by type: service → name → {active, namespace}.
    const k8 = (await body('/status')).data.workloadStatus as Record<string, Record<string, { namespace: string }>>;
    assert.deepEqual(
      Object.values(k8.service ?? {}).filter((w) => w.namespace === ns.name),
      [{ active: true, namespace: ns.name }],
    );
  });

  test('drift is repaired from the watch: deleted, scaled down, suspended, edited children', async () => {
    await apps.deleteNamespacedDeployment({ name: 'api', namespace: ns.name });
    await apps.patchNamespacedStatefulSetScale(
      { name: 'mq', namespace: ns.name, body: { spec: { replicas: 0 } } },
      mergePatch,
    );
    await batch.patchNamespacedCronJob(
      { name: 'sample-cronjob', namespace: ns.name, body: { spec: { suspend: true } } },
      mergePatch,
    );
    await core.deleteNamespacedPod({ name: 'idgen-pod', namespace: ns.name });
    await waitFor(
      async () =>
        (await apps.readNamespacedDeployment({ name: 'api', namespace: ns.name })).spec?.replicas === 1
          ? true
          : undefined,
      {
        what: 'Deployment api recreated',
      },
    );
    await waitFor(
      async () =>
        (await apps.readNamespacedStatefulSet({ name: 'mq', namespace: ns.name })).spec?.replicas === 1
          ? true
          : undefined,
      {
        what: 'StatefulSet mq scaled back to 1',
      },
    );
    await waitFor(
      async () =>
        (await batch.readNamespacedCronJob({ name: 'sample-cronjob', namespace: ns.name })).spec?.suspend === false
          ? true
          : undefined,
      {
        what: 'CronJob un-suspended',
      },
    );
    await waitFor(
      async () =>
        (await core.readNamespacedPod({ name: 'idgen-pod', namespace: ns.name })).status?.phase === 'Running'
          ? true
          : undefined,
      {
        what: 'pod idgen-pod recreated',
      },
    );
    const d = await apps.readNamespacedDeployment({ name: 'api', namespace: ns.name });
    d.spec!.template.spec!.containers[0]!.image = 'nginx:tampered';
    await apps.replaceNamespacedDeployment({ name: 'api', namespace: ns.name, body: d });
    await waitFor(
      async () =>
        (await apps.readNamespacedDeployment({ name: 'api', namespace: ns.name })).spec?.template.spec?.containers[0]
          ?.image === 'nginx'
          ? true
          : undefined,
      { what: 'Deployment image restored' },
    );
  });

  test('a CR edit updates its child', async () => {
    await custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: 'v1',
        namespace: ns.name,
        plural: 'workloadcronjobs',
        name: 'sample-cronjob',
        body: { spec: { schedule: '0 3 * * *', suspend: true } },
      },
      mergePatch,
    );
    await waitFor(
      async () => {
        const cj = await batch.readNamespacedCronJob({ name: 'sample-cronjob', namespace: ns.name });
        return cj.spec?.schedule === '0 3 * * *' && cj.spec.suspend === true ? true : undefined;
      },
      { what: 'CronJob follows the edited schedule and suspend' },
    );
    const cr = await readyCR('WorkloadCronJob', 'sample-cronjob', (c) => c.status?.active === false);
    assert.equal(cond(cr.status, 'Ready')?.reason, 'Suspended');
  });

  test('a spec the API server accepted but that cannot work is Stalled with the reason', async () => {
    // Volume claim templates of a StatefulSet cannot change.
    await custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: 'v1',
        namespace: ns.name,
        plural: 'workloadpersistents',
        name: 'mq',
        body: { spec: { persistentVolumes: [{ name: 'data', mountPath: '/data', size: '2Gi' }] } },
      },
      mergePatch,
    );
    const cr = await waitFor(
      async () => {
        const c = await getCR('WorkloadPersistent', 'mq');
        return cond(c.status, 'Stalled')?.status === 'True' && c.status?.observedGeneration === c.metadata.generation
          ? c
          : undefined;
      },
      { what: 'WorkloadPersistent mq Stalled' },
    );
    assert.equal(cond(cr.status, 'Ready')?.status, 'False');
    assert.match(cond(cr.status, 'Stalled')?.message ?? '', /StatefulSet|Forbidden|updates/i);
    // The other workloads are untouched and the operator still serves them (api may still be
    // finishing the rollout that the drift test's image repair started).
    await readyCR('WorkloadService', 'api');
  });

  test('maxRestarts: a process restarted more often is stopped and Stalled until its spec changes', async () => {
    await applyCR('WorkloadProcess', 'flaky', { image: 'busybox', script, restartPolicy: 'OnFailure', maxRestarts: 1 });
    await readyCR('WorkloadProcess', 'flaky');
    // The kubelet's count, as a real node would report it after two restarts of the container.
    const pod = await core.readNamespacedPod({ name: 'flaky-pod', namespace: ns.name });
    const statuses = (pod.status?.containerStatuses ?? []).map((c) => ({ ...c, restartCount: 2 }));
    assert.ok(statuses.length > 0, 'the pod reports its container');
    await core.patchNamespacedPodStatus(
      { name: 'flaky-pod', namespace: ns.name, body: { status: { containerStatuses: statuses } } },
      mergePatch,
    );
    const cr = await waitFor(
      async () => {
        const c = await getCR('WorkloadProcess', 'flaky');
        return cond(c.status, 'Stalled')?.status === 'True' ? c : undefined;
      },
      { what: 'flaky Stalled', timeoutMs: 30_000 },
    );
    assert.equal(cond(cr.status, 'Stalled')?.reason, 'MaxRestartsExceeded');
    assert.match(cond(cr.status, 'Stalled')?.message ?? '', /gave up after 2 restarts \(maxRestarts 1\)/);
    assert.equal(cond(cr.status, 'Ready')?.status, 'False');
    await waitFor(
      () =>
        core.readNamespacedPod({ name: 'flaky-pod', namespace: ns.name }).then(
          () => undefined,
          (err: unknown) => (statusOf(err) === 404 ? true : undefined),
        ),
      {
        what: 'flaky-pod gone',
        timeoutMs: 30_000,
      },
    );
    await sleep(2000);
    assert.equal(
      await core.readNamespacedPod({ name: 'flaky-pod', namespace: ns.name }).then(
        () => 200,
        (err: unknown) => statusOf(err),
      ),
      404,
      'no new pod while given up',
    );
    // A spec change starts it again.
    await applyCR('WorkloadProcess', 'flaky', { image: 'busybox', script, restartPolicy: 'OnFailure', maxRestarts: 3 });
    await readyCR('WorkloadProcess', 'flaky');
  });

  test('a CR of another tenant is left alone', async () => {
    await applyCR(
      'WorkloadProcess',
      'other',
      { image: 'busybox', script },
      { 'highlander.plexobject.io/tenant': 'someone-else' },
    );
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await getCR('WorkloadProcess', 'other')).status, undefined);
    await assert.rejects(
      core.readNamespacedPod({ name: 'other-pod', namespace: ns.name }),
      (e: unknown) => statusOf(e) === 404,
    );
  });

  test('failover: the new leader adopts every child without restarting it, and statuses show it', async () => {
    const podUids = async () =>
      Object.fromEntries(
        (await core.listNamespacedPod({ namespace: ns.name })).items.map((p) => [p.metadata!.name!, p.metadata!.uid!]),
      );
    const before = await podUids();
    const deploymentGeneration = (await apps.readNamespacedDeployment({ name: 'api', namespace: ns.name })).metadata
      ?.generation;
    const b = new OperatorProcess('b', env);
    procs.push(b);
    await b.waitForLog((l) => l.msg === 'new leader observed', STARTUP_MS);
    const a = procs[0]!;
    const oldEpoch = Number(a.logs('became leader')[0]?.epoch);
    a.signal('SIGKILL');
    const took = await b.becameLeader(FAST_TIMINGS.leaseMs + 10_000);
    const epoch = Number(took.epoch);
    assert.ok(epoch > oldEpoch);
    for (const [kind, name] of [
      ['WorkloadProcess', 'idgen'],
      ['WorkloadService', 'api'],
      ['WorkloadCronJob', 'sample-cronjob'],
    ] as const) {
      await readyCR(kind, name, (c) => c.status?.epoch === epoch && (c.status.leader ?? '').startsWith('b_'));
    }
    assert.deepEqual(await podUids(), before, 'a pod was restarted by the failover');
    assert.equal(
      (await apps.readNamespacedDeployment({ name: 'api', namespace: ns.name })).metadata?.generation,
      deploymentGeneration,
      'the Deployment was rolled',
    );
  });

  test('deleting a CR removes its children', async () => {
    await custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace: ns.name,
      plural: 'workloadservices',
      name: 'api',
    });
    await waitFor(
      async () => {
        try {
          await apps.readNamespacedDeployment({ name: 'api', namespace: ns.name });
          return undefined;
        } catch (err) {
          return statusOf(err) === 404 ? true : undefined;
        }
      },
      { what: 'Deployment api garbage-collected', timeoutMs: 60_000 },
    );
  });
});
