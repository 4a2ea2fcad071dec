// At most one running pod per singleton, whatever Kubernetes' controllers do: a deleted pod of a
// WorkloadService's Deployment is replaced by its ReplicaSet at once, and a Job replaces a pod
// while the old one still terminates — the replacement must wait, held, until the old one is
// gone. The pods ask the local cluster's fake kubelet to stop them only at the end of their grace
// period (the e2e-graceful-stop annotation); a watch counts, the whole time, the pods that may run.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { TENANT_LABEL, WORKLOAD_LABEL } from '../../api/labels.ts';
import { isHeld, mayRun } from '../../controllers/shared/singleton-release.ts';
import { FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig, waitFor } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { watchCollection } from '../../testkit/resumable-watch.ts';
import type { Watching } from '../../testkit/resumable-watch.ts';
import { kubectlOk } from '../../testkit/run-command.ts';
import { workloadClient } from '../../testkit/workloads.ts';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const tenant = uniqueTenant('single');
/** Pods stay terminating (and running) for their whole grace period in the local cluster. */
const graceful = { 'highlander.plexobject.io/e2e-graceful-stop': 'true' };
/** A Job's pod runs until deleted instead of completing at once. */
const longRun = { 'highlander.plexobject.io/e2e-long-run': 'true' };
const crs = workloadClient(kc, () => ns.name);
let ns: TestNamespace;
let op: OperatorProcess;
let watching: Watching;
/** The pods seen, by name, and the most of one workload that could run at once. */
const pods = new Map<string, V1Pod>();
const mostAtOnce = new Map<string, number>();

before(async () => {
  ns = await createTestNamespace(kc, 'single');
  watching = watchCollection(kc, `/api/v1/namespaces/${ns.name}/pods`, (type, obj) => {
    const p = obj as V1Pod;
    if (type === 'DELETED') pods.delete(p.metadata!.name!);
    else pods.set(p.metadata!.name!, p);
    const workload = p.metadata?.labels?.[WORKLOAD_LABEL] ?? '';
    const running = [...pods.values()].filter(
      (x) => x.metadata?.labels?.[WORKLOAD_LABEL] === workload && runs(x),
    ).length;
    mostAtOnce.set(workload, Math.max(mostAtOnce.get(workload) ?? 0, running));
  });
  await watching.opened;
  op = new OperatorProcess('single', operatorEnv('kubernetes', tenant, FAST_TIMINGS));
  await op.becameLeader(STARTUP_MS);
});
after(async () => {
  watching?.stop();
  await op?.kill();
  await ns?.remove();
});

/** A pod whose container runs or could: released, not final (a terminating pod still runs). */
const runs = (p: V1Pod): boolean => mayRun(p) && p.status?.phase === 'Running';
const of = (workload: string) => [...pods.values()].filter((p) => p.metadata?.labels?.[WORKLOAD_LABEL] === workload);
/** Deletes a pod with a grace period of a few seconds: it terminates (and runs) until then. */
const stop = (name: string) => core.deleteNamespacedPod({ name, namespace: ns.name, gracePeriodSeconds: 6 });

describe('at most one running pod per singleton', () => {
  test('a WorkloadService’s replacement pod waits, held, until the deleted one is gone', async () => {
    await crs.create(
      'WorkloadService',
      'svc',
      { image: 'busybox', script: { commands: ['httpd -f'] }, replicas: 1, annotations: graceful },
      { [TENANT_LABEL]: tenant },
    );
    await crs.ready('WorkloadService', 'svc');
    const [first] = of('svc').filter(runs);
    assert.ok(first, 'no running pod');
    const name = first.metadata!.name!;
    await stop(name);
    const replacement = await waitFor(() => Promise.resolve(of('svc').find((p) => p.metadata?.name !== name)), {
      what: 'the ReplicaSet’s replacement pod',
    });
    await sleep(3000); // long enough for a reconcile or two; the old pod still terminates
    assert.ok(pods.get(name)?.metadata?.deletionTimestamp, 'the old pod is already gone');
    assert.equal(isHeld(pods.get(replacement.metadata!.name!)!), true, 'the replacement was let start');
    assert.equal(mostAtOnce.get('svc'), 1, 'two pods of the singleton ran at once');
    await waitFor(() => Promise.resolve(runs(pods.get(replacement.metadata!.name!) ?? {}) ? true : undefined), {
      what: 'the replacement released and running once the old pod is gone',
      timeoutMs: 30_000,
    });
    await crs.ready('WorkloadService', 'svc');
    assert.equal(mostAtOnce.get('svc'), 1, 'two pods of the singleton ran at once');
  });

  test('a WorkloadCronJob’s run pods: never replaced while terminating, one at a time', async () => {
    await crs.create(
      'WorkloadCronJob',
      'cron',
      {
        image: 'busybox',
        script: { commands: ['sleep 3600'] },
        schedule: '0 0 1 1 *',
        annotations: { ...graceful, ...longRun },
      },
      { [TENANT_LABEL]: tenant },
    );
    await crs.ready('WorkloadCronJob', 'cron');
    await kubectlOk(['create', 'job', '-n', ns.name, 'cron-a', '--from=cronjob/cron']);
    const a = await waitFor(() => Promise.resolve(of('cron').find(runs)), {
      what: 'the first run’s pod released and running',
    });
    await stop(a.metadata!.name!);
    await kubectlOk(['create', 'job', '-n', ns.name, 'cron-b', '--from=cronjob/cron']);
    const b = await waitFor(
      () => Promise.resolve(of('cron').find((p) => p.metadata?.labels?.['job-name'] === 'cron-b')),
      {
        what: 'the second run’s pod',
      },
    );
    await sleep(3000);
    assert.equal(isHeld(pods.get(b.metadata!.name!)!), true, 'the second run started while the first still terminated');
    assert.equal(
      of('cron').filter((p) => p.metadata?.labels?.['job-name'] === 'cron-a').length,
      1,
      'the first run’s terminating pod was replaced',
    );
    assert.equal(mostAtOnce.get('cron'), 1, 'two run pods ran at once');
    await waitFor(() => Promise.resolve(runs(pods.get(b.metadata!.name!) ?? {}) ? true : undefined), {
      what: 'the second run released once the first pod is gone',
      timeoutMs: 30_000,
    });
  });
});
