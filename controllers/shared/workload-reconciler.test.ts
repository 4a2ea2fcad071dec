// One reconcile pass, called directly with in-memory caches and recording writers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubernetesObject, V1CronJob, V1Pod } from '@kubernetes/client-node';
import { CacheIndex } from '../../runtime/index.ts';
import { podWorkloadKey } from './singleton-release.ts';
import type { ObjectCache } from '../../runtime/types.ts';
import { unguarded } from '../../runtime/write-guard.ts';
import { KubeApiError } from '../../runtime/kube-client.ts';
import { cronJobDriver } from '../cronjob/driver.ts';
import type { ChildWriter } from './apply.ts';
import type { StatusWriter } from './status-writer.ts';
import type { Workload, WorkloadService } from '../../api/types.ts';
import type { StepOutcome } from './workload-reconciler.ts';
import { together, workloadReconciler } from './workload-reconciler.ts';

class MapCache<T extends KubernetesObject> implements ObjectCache<T> {
  readonly items = new Map<string, T>();
  get(key: string) {
    return this.items.get(key);
  }
  list() {
    return [...this.items.values()];
  }
  hasSynced() {
    return true;
  }
  on() {
    return () => undefined;
  }
}

function setup(opts: { failApply?: KubeApiError; staleStatus?: () => boolean } = {}) {
  const crs = new MapCache<Workload>();
  const cronJobs = new MapCache<V1CronJob>();
  const applied: KubernetesObject[] = [];
  const statuses: object[] = [];
  const events: string[] = [];
  const write = <T extends KubernetesObject>(o: T) => {
    if (opts.failApply) return Promise.reject(opts.failApply);
    applied.push(o);
    return Promise.resolve(o);
  };
  const writer: ChildWriter = {
    create: write,
    apply: write,
    patch: (o) => Promise.resolve(o),
    delete: () => Promise.resolve(),
  };
  const status: StatusWriter = {
    patchStatus: (cr, s) => {
      statuses.push(s);
      // A stale cache has not seen this write yet.
      if (!opts.staleStatus?.())
        (crs.get(`${cr.metadata.namespace}/${cr.metadata.name}`) as { status?: object }).status = s;
      return Promise.resolve(undefined);
    },
  };
  const pods = new CacheIndex(new MapCache<V1Pod>(), podWorkloadKey);
  const r = workloadReconciler<Workload, object>(cronJobDriver(cronJobs, pods, writer), {
    crs,
    writer,
    status,
    tenant: 'default',
    leader: 'me_1',
    now: () => new Date('2026-01-01T00:00:00Z'),
    record: (_cr, type, reason) => {
      events.push(`${type} ${reason}`);
      return Promise.resolve();
    },
  });
  const cr = (extra: Partial<Workload['metadata']> = {}, status?: object): Workload => ({
    apiVersion: 'highlander.plexobject.io/v1',
    kind: 'WorkloadCronJob',
    metadata: { name: 'c', namespace: 'ns', uid: 'u1', generation: 1, ...extra },
    spec: { image: 'i', script: { commands: ['x'] }, schedule: '@daily' },
    ...(status ? { status } : {}),
  });
  return { crs, cronJobs, applied, statuses, events, r, cr };
}

const req = (epoch = 3) => ({ key: 'ns/c', epoch, signal: new AbortController().signal, guard: unguarded(epoch) });

test('guards: gone, being deleted, another tenant, or a newer leader’s status: nothing is written', async () => {
  const s = setup();
  await s.r.reconcile(req());
  s.crs.items.set('ns/c', s.cr({ deletionTimestamp: new Date() }));
  await s.r.reconcile(req());
  s.crs.items.set('ns/c', s.cr({ labels: { 'highlander.plexobject.io/tenant': 'other' } }));
  await s.r.reconcile(req());
  s.crs.items.set('ns/c', s.cr({}, { epoch: 9 }));
  await s.r.reconcile(req(3));
  assert.deepEqual([s.applied.length, s.statuses.length], [0, 0]);
});

test('a new CR: its CronJob is applied, an event told, status written once; a second pass writes nothing', async () => {
  const s = setup();
  s.crs.items.set('ns/c', s.cr());
  await s.r.reconcile(req());
  assert.equal(s.applied.length, 1);
  assert.equal(s.applied[0]?.kind, 'CronJob');
  assert.deepEqual(s.events, ['Normal Created']);
  assert.equal(s.statuses.length, 1);
  const st = s.statuses[0] as {
    epoch: number;
    leader: string;
    observedGeneration: number;
    conditions: { type: string; status: string }[];
  };
  assert.deepEqual([st.epoch, st.leader, st.observedGeneration], [3, 'me_1', 1]);
  assert.equal(st.conditions.find((c) => c.type === 'Reconciling')?.status, 'True');
  // The child now exists exactly as desired: adopted, no write, no new status.
  s.cronJobs.items.set('ns/c', { ...(s.applied[0] as V1CronJob), status: {} });
  await s.r.reconcile(req());
  assert.equal(s.applied.length, 1);
  assert.equal(s.statuses.length, 2, 'Ready flips once the CronJob is seen');
  await s.r.reconcile(req());
  assert.equal(s.statuses.length, 2, 'an unchanged status is not rewritten');
});

test('a refusal by the API server marks the CR Stalled instead of retrying forever', async () => {
  const s = setup({
    failApply: new KubeApiError(422, 'Invalid', 'PATCH …: spec.jobTemplate: Invalid value', {
      message: 'spec.jobTemplate: Invalid value',
    }),
  });
  s.crs.items.set('ns/c', s.cr());
  await s.r.reconcile(req());
  const st = s.statuses[0] as { conditions: { type: string; status: string; reason: string; message: string }[] };
  const stalled = st.conditions.find((c) => c.type === 'Stalled');
  assert.deepEqual(
    [stalled?.status, stalled?.reason, stalled?.message],
    ['True', 'Invalid', 'spec.jobTemplate: Invalid value'],
  );
  assert.equal(st.conditions.find((c) => c.type === 'Ready')?.status, 'False');
  assert.deepEqual(s.events, ['Warning Invalid']);
});

test('a CronJob name held by an object another controller owns: Stalled NameTaken, the object left alone', async () => {
  const s = setup();
  s.crs.items.set('ns/c', s.cr());
  s.cronJobs.items.set('ns/c', {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: 'c',
      namespace: 'ns',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'x', uid: 'd1', controller: true }],
    },
  });
  await s.r.reconcile(req());
  const st = s.statuses[0] as { conditions: { type: string; status: string; reason: string; message: string }[] };
  const stalled = st.conditions.find((c) => c.type === 'Stalled');
  assert.deepEqual([stalled?.status, stalled?.reason], ['True', 'NameTaken']);
  assert.match(stalled?.message ?? '', /CronJob ns\/c exists and is controlled by Deployment x/);
  assert.deepEqual([s.applied.length, s.events], [0, ['Warning NameTaken']]);
});

test("the Stalled message is the API server's own, also when the answer is kept as JSON text", async () => {
  const body = JSON.stringify({
    kind: 'Status',
    status: 'Failure',
    message: 'Pod "c-pod" is invalid: spec.containers[0].env[0].name: Invalid value: "<b>"',
    code: 422,
  });
  const s = setup({
    failApply: new KubeApiError(422, undefined, 'HTTP 422', body),
  });
  s.crs.items.set('ns/c', s.cr());
  await s.r.reconcile(req());
  const st = s.statuses[0] as { phase: string; message: string; conditions: { type: string; message: string }[] };
  const want = 'Pod "c-pod" is invalid: spec.containers[0].env[0].name: Invalid value: "<b>"';
  assert.equal(st.conditions.find((c) => c.type === 'Stalled')?.message, want);
  assert.deepEqual([st.phase, st.message], ['Stalled', want]);
});

test('a conflict is retried (thrown), not stalled', async () => {
  const s = setup({ failApply: new KubeApiError(409, 'Conflict', 'Conflict', {}) });
  s.crs.items.set('ns/c', s.cr());
  await assert.rejects(s.r.reconcile(req()));
  assert.equal(s.statuses.length, 0);
});

test('a status equal to a stale cached one is still written when it differs from our last write', async () => {
  let stale = false;
  const s = setup({ staleStatus: () => stale });
  s.crs.items.set('ns/c', s.cr());
  await s.r.reconcile(req());
  s.cronJobs.items.set('ns/c', { ...(s.applied[0] as V1CronJob), status: {} });
  await s.r.reconcile(req());
  const ready = JSON.stringify(s.statuses[1]);
  // The CronJob vanishes: "creating" is written, but the cache still shows the Ready status.
  stale = true;
  s.cronJobs.items.delete('ns/c');
  await s.r.reconcile(req());
  assert.equal(s.statuses.length, 3);
  assert.notEqual(JSON.stringify(s.statuses[2]), ready);
  // It is back: the next status equals the stale cached one, yet the server holds "creating".
  s.cronJobs.items.set('ns/c', { ...(s.applied[1] as V1CronJob), status: {} });
  await s.r.reconcile(req());
  assert.equal(s.statuses.length, 4, 'written: our last write differs');
  assert.equal(JSON.stringify(s.statuses[3]), ready);
  await s.r.reconcile(req());
  assert.equal(s.statuses.length, 4, 'and only once');
});

test('independent steps run together: both start before either ends, and each tells its own event', async () => {
  const started: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const created = { reason: 'Created', message: 'Deployment d' } as const;
  const repaired = { reason: 'Repaired', message: 'Service d brought back to its spec' } as const;
  const step = (what: StepOutcome) => async () => {
    started.push(what!.message);
    await gate;
    return what;
  };
  const both = together(step(created), step(repaired), () => Promise.resolve(undefined));
  const done = both();
  await Promise.resolve();
  assert.deepEqual(
    started,
    ['Deployment d', 'Service d brought back to its spec'],
    'the second started while the first waited',
  );
  release();
  assert.deepEqual(await done, [created, repaired, undefined]);

  // Through a reconcile pass: one event per result, with its own reason.
  const crs = new MapCache<WorkloadService>();
  crs.items.set('ns/c', {
    apiVersion: 'highlander.plexobject.io/v1',
    kind: 'WorkloadService',
    metadata: { name: 'c', namespace: 'ns', uid: 'u', generation: 1 },
    spec: { image: 'i', replicas: 1 },
  });
  const events: string[] = [];
  const r = workloadReconciler(
    {
      kind: 'WorkloadService',
      steps: () => [
        together(
          () => Promise.resolve({ reason: 'Created', message: 'Deployment d' }),
          () => Promise.resolve({ reason: 'Repaired', message: 'Service d' }),
        ),
      ],
      observe: () => ({
        active: true,
        healthy: true,
        ready: true,
        reconciling: false,
        phase: 'Running',
        reason: 'Running',
        message: '',
        fields: {},
      }),
    },
    {
      crs,
      writer: {} as ChildWriter,
      status: { patchStatus: () => Promise.resolve(undefined) },
      tenant: 'default',
      leader: 'me',
      record: (_cr, type, reason) => {
        events.push(`${type} ${reason}`);
        return Promise.resolve();
      },
    },
  );
  await r.reconcile(req());
  assert.deepEqual(events, ['Normal Created', 'Normal Repaired']);
});

test('steps run together settle before a failure is reported: no sibling write is left in flight', async () => {
  let slowDone = false;
  let release!: () => void;
  const slow = new Promise<void>((r) => (release = r));
  const both = together(
    () => Promise.reject(new Error('refused')),
    async () => {
      await slow;
      slowDone = true;
      return { reason: 'Created', message: 'Service d' };
    },
  );
  let settled = false;
  const outcome = both().finally(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'the failure was reported while the sibling write was still in flight');
  release();
  await assert.rejects(outcome, /refused/);
  assert.equal(slowDone, true);
});

test('a pass ends only once the events it records are written', async () => {
  const crs = new MapCache<WorkloadService>();
  crs.items.set('ns/c', {
    apiVersion: 'highlander.plexobject.io/v1',
    kind: 'WorkloadService',
    metadata: { name: 'c', namespace: 'ns', uid: 'u', generation: 1 },
    spec: { image: 'i', replicas: 1 },
  });
  let written = false;
  const r = workloadReconciler<WorkloadService, object>(
    {
      kind: 'WorkloadService',
      steps: () => [() => Promise.resolve({ reason: 'Created', message: 'Deployment d' })],
      observe: () => ({
        active: true,
        healthy: true,
        ready: true,
        reconciling: false,
        phase: 'Running',
        reason: 'Running',
        message: '',
        fields: {},
      }),
    },
    {
      crs,
      writer: {} as ChildWriter,
      status: { patchStatus: () => Promise.resolve(undefined) },
      tenant: 'default',
      leader: 'me',
      record: async () => {
        await new Promise((res) => setTimeout(res, 20));
        written = true;
      },
    },
  );
  await r.reconcile(req());
  assert.equal(written, true, 'the pass returned with an event write in flight');
});
