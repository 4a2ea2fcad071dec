// K8 Highlander's /status, /api/workloads and /api/workloads/{name}, served by the real app on a
// loopback port and checked key by key, in order and by JSON type, against its Go structs.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import type { WorkloadKind } from '../api/types.ts';
import { StoreHealth } from '../election/store-health.ts';
import { MemoryLock } from '../locks/memory/memory-store.ts';
import { FakeClock } from '../runtime/fake-clock.ts';
import { createApp, listen } from './http-server.ts';
import { k8DbInfo } from './k8-dbinfo.ts';
import { GO_ZERO_TIME } from './k8-json.ts';
import { k8HealthStatus } from './k8-status.ts';
import { findK8Workload, k8WorkloadGroups } from './k8-workloads.ts';
import { StatusTracker } from './status-tracker.ts';
import type { KindedWorkload } from './workload-summary.ts';

/** A Go field's JSON: `time` is an RFC 3339 string, `duration` integer nanoseconds; `?` omitempty. */
type GoType = 'bool' | 'string' | 'int' | 'time' | 'duration' | 'map';
type Fixture = readonly [jsonTag: string, type: GoType, omitempty?: '?'][];

/** pkg/monitoring/monitoring.go, type HealthStatus, in field order. */
const HEALTH_STATUS: Fixture = [
  ['isLeader', 'bool'],
  ['leaderSince', 'time'], // omitempty has no effect on a struct: a zero time is still written
  ['lastLeaderTransition', 'time'],
  ['uptime', 'duration'],
  ['leaderID', 'string'],
  ['clusterName', 'string'],
  ['clusterHealth', 'bool'],
  ['dbConnected', 'bool'],
  ['storageType', 'string'],
  ['workloadStatus', 'map'],
  ['readyForTraffic', 'bool'],
  ['version', 'string'],
  ['buildInfo', 'string'],
  ['lastError', 'string', '?'],
  ['failoverCount', 'int'],
  ['leadershipTransitions', 'int'],
  ['currentLeader', 'string'],
  ['lastLeader', 'string'],
  ['lastLeadershipChangeReason', 'string'],
  ['controllerState', 'string'],
  ['dbFailureCount', 'int'],
  ['dbFailureDuration', 'duration', '?'],
  ['dbLastSuccessTime', 'time'],
  ['dbLastFailureTime', 'time'],
  ['dbFailureThreshold', 'duration'],
  ['splitBrainProtection', 'bool'],
];

/** pkg/common/workloads.go, type WorkloadStatus, in field order. */
const WORKLOAD_STATUS: Fixture = [
  ['name', 'string'],
  ['type', 'string'],
  ['active', 'bool'],
  ['healthy', 'bool'],
  ['lastError', 'string', '?'],
  ['lastTransition', 'time'],
  ['details', 'map', '?'],
];

/** pkg/service/highlander_service.go, type DBInfo, in field order. */
const DB_INFO: Fixture = [
  ['type', 'string'],
  ['address', 'string'],
  ['connected', 'bool'],
  ['details', 'map'],
];

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const isType: Record<GoType, (v: unknown) => boolean> = {
  bool: (v) => typeof v === 'boolean',
  string: (v) => typeof v === 'string',
  int: (v) => Number.isInteger(v),
  duration: (v) => Number.isInteger(v),
  time: (v) => typeof v === 'string' && RFC3339.test(v),
  map: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
};

/** Mismatches of `value` against `fixture`: unknown or missing keys, wrong order, wrong types. */
function shapeErrors(value: unknown, fixture: Fixture): string[] {
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  const known = new Set(fixture.map(([k]) => k));
  const errors = keys.filter((k) => !known.has(k)).map((k) => `unknown key ${k}`);
  for (const [k, type, opt] of fixture) {
    if (!(k in obj)) {
      if (!opt) errors.push(`missing ${k}`);
    } else if (!isType[type](obj[k])) errors.push(`${k}: not a Go ${type}: ${JSON.stringify(obj[k])}`);
  }
  const order = fixture.map(([k]) => k).filter((k) => k in obj);
  if (errors.length === 0 && JSON.stringify(order) !== JSON.stringify(keys)) errors.push(`order ${keys.join(',')}`);
  return errors;
}

const cr = (kind: WorkloadKind, name: string, status: Record<string, unknown>, spec = {}): KindedWorkload => ({
  kind,
  cr: { apiVersion: 'highlander.plexobject.io/v1', kind, metadata: { name, namespace: 'prod' }, spec, status } as never,
});
const readyAt = (t: string) => [{ type: 'Ready', status: 'True', lastTransitionTime: t }];
const items: KindedWorkload[] = [
  cr('WorkloadProcess', 'idgen', {
    active: true,
    healthy: true,
    phase: 'Running',
    podName: 'idgen-pod',
    restarts: 0,
    conditions: readyAt('2026-01-01T00:00:05Z'),
  }),
  cr('WorkloadCronJob', 'report', { active: true, healthy: true, activeJobs: 0 }, { schedule: '0 2 * * *' }),
  cr('WorkloadService', 'api', { active: true, healthy: false, message: 'deployment api: 0/1 ready', replicas: 1 }),
];

const clock = new FakeClock();
const lock = new MemoryLock(clock);
const raw = lock.client();
const health = new StoreHealth(() => clock.now());
const store = health.watch(raw);
const tracker = new StatusTracker('me_0a0b0c0d', () => clock.now());
const managers = { active: true, lastTransition: Date.parse('2026-01-01T00:00:01Z') };
let server: Server;
let base = '';

before(async () => {
  tracker.observer().acquired?.({ epoch: 3, previousHolder: 'old_01020304', failoverMs: 10, requestedAgoMs: 1 });
  await store.read();
  const app = createApp({
    metrics: new Registry(),
    ready: () => ({ ready: true, reasons: [] }),
    compat: {
      status: () =>
        k8HealthStatus({
          leadership: tracker.snapshot(),
          uptimeMs: tracker.uptimeMs(),
          clusterName: 'primary',
          clusterHealth: true,
          storageType: raw.backend,
          readyForTraffic: health.reachable,
          version: '0.1.0',
          buildInfo: 'node v20 (sources)',
          health,
          thresholdMs: 10_000,
          workloads: items,
        }),
      workloads: () => k8WorkloadGroups(items, managers),
      find: (name) => findK8Workload(items, managers, name),
      dbinfo: () =>
        k8DbInfo({
          storageType: raw.backend,
          reachable: health.reachable,
          lockName: 'highlander-leader-lock:t',
          tenant: 't',
        }),
    },
  });
  const bound = await listen(app, '127.0.0.1', 0);
  server = bound.server;
  base = `http://127.0.0.1:${bound.port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function get(path: string): Promise<{ code: number; body: { status: string; data?: unknown; error?: string } }> {
  const res = await fetch(`${base}${path}`);
  return { code: res.status, body: (await res.json()) as { status: string; data?: unknown } };
}

test("/status and /api/status: K8 Highlander's HealthStatus, with workloadStatus grouped by type", async () => {
  for (const path of ['/status', '/api/status']) {
    const { code, body } = await get(path);
    assert.deepEqual([code, body.status], [200, 'success']);
    assert.deepEqual(shapeErrors(body.data, HEALTH_STATUS), [], path);
    const d = body.data as Record<string, unknown>;
    assert.deepEqual(d.workloadStatus, {
      process: { idgen: { active: true, namespace: 'prod' } },
      cronjob: { report: { active: true, namespace: 'prod' } },
      service: { api: { active: true, namespace: 'prod' } },
    });
    assert.deepEqual(
      [d.isLeader, d.controllerState, d.dbConnected, d.dbFailureThreshold, d.lastLeadershipChangeReason],
      [true, 'Normal', true, 10_000_000_000, 'took over from old_01020304'],
    );
    assert.equal(d.dbLastFailureTime, GO_ZERO_TIME, 'never failed: Go zero time, not null');
  }
});

test('/status while the lock store fails: lastError and dbFailureDuration appear, the state degrades', async () => {
  raw.down();
  await assert.rejects(store.read());
  await clock.advance(12_000);
  const { body } = await get('/status');
  raw.down(false);
  assert.deepEqual(shapeErrors(body.data, HEALTH_STATUS), []);
  const d = body.data as Record<string, unknown>;
  assert.deepEqual(
    [d.dbConnected, d.dbFailureCount, d.dbFailureDuration, d.controllerState, d.splitBrainProtection],
    [false, 1, 12_000_000_000, 'Degraded', true],
  );
  assert.match(String(d.lastError), /memory store is down/);
  await store.read();
});

test("/api/workloads: K8 Highlander's four managers, each WorkloadStatus holding its kind's by name", async () => {
  const { body } = await get('/api/workloads');
  const groups = body.data as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(groups), ['processes', 'cronjobs', 'service', 'persistent']);
  const inner: Record<string, [name: string, key: string]> = {
    processes: ['processes', 'processes'],
    cronjobs: ['cronjobs', 'cronJobs'],
    service: ['deployments', 'deployments'],
    persistent: ['persistentsets', 'persistentSets'],
  };
  for (const [key, group] of Object.entries(groups)) {
    assert.deepEqual(shapeErrors(group, WORKLOAD_STATUS), [], key);
    assert.deepEqual([group.name, group.type, group.active], [inner[key]![0], 'custom', true]);
    const details = group.details as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(details), [inner[key]![1]]);
    for (const w of Object.values(details[inner[key]![1]]!)) assert.deepEqual(shapeErrors(w, WORKLOAD_STATUS), []);
  }
  const svc = groups.service!;
  assert.deepEqual([svc.healthy, svc.lastError], [false, 'service api is unhealthy: deployment api: 0/1 ready']);
  const idgen = (groups.processes!.details as { processes: Record<string, Record<string, unknown>> }).processes.idgen;
  assert.deepEqual(idgen, {
    name: 'idgen',
    type: 'process',
    active: true,
    healthy: true,
    lastTransition: '2026-01-01T00:00:05.000Z',
    details: { namespace: 'prod', podName: 'idgen-pod', podPhase: 'Running', restarts: 0 },
  });
  const names = await get('/api/workload-names');
  assert.deepEqual(names.body.data, ['processes', 'cronjobs', 'service', 'persistent']);
});

test("/api/workloads/{name}: a manager by its key, one workload by name, K8 Highlander's 404", async () => {
  const group = await get('/api/workloads/cronjobs');
  assert.deepEqual(shapeErrors(group.body.data, WORKLOAD_STATUS), []);
  assert.equal((group.body.data as { name: string }).name, 'cronjobs');
  const one = await get('/api/workloads/report');
  assert.deepEqual(shapeErrors(one.body.data, WORKLOAD_STATUS), []);
  assert.deepEqual((one.body.data as { details: unknown }).details, {
    namespace: 'prod',
    schedule: '0 2 * * *',
    suspend: false,
    activeJobs: 0,
  });
  const missing = await get('/api/workloads/nope');
  assert.deepEqual([missing.code, missing.body], [404, { status: 'error', error: 'workload not found' }]);
});

test("/api/dbinfo: K8 Highlander's DBInfo, details a map of strings", async () => {
  const { code, body } = await get('/api/dbinfo');
  assert.equal(code, 200);
  assert.deepEqual(shapeErrors(body.data, DB_INFO), []);
  const d = body.data as { type: string; address: string; connected: boolean; details: Record<string, unknown> };
  assert.deepEqual([d.type, d.address, d.connected], [raw.backend, '', true]);
  assert.ok(
    Object.values(d.details).every((v) => typeof v === 'string'),
    JSON.stringify(d.details),
  );
  assert.equal(d.details.lockName, 'highlander-leader-lock:t');
});

test('the shape check fails on a renamed, retyped, missing or extra field', () => {
  const good = { name: 'a', type: 'process', active: true, healthy: true, lastTransition: GO_ZERO_TIME };
  assert.deepEqual(shapeErrors(good, WORKLOAD_STATUS), []);
  assert.deepEqual(shapeErrors({ ...good, active: 'yes' }, WORKLOAD_STATUS), ['active: not a Go bool: "yes"']);
  const renamed = Object.fromEntries(Object.entries(good).map(([k, v]) => [k === 'healthy' ? 'healty' : k, v]));
  assert.deepEqual(shapeErrors(renamed, WORKLOAD_STATUS), ['unknown key healty', 'missing healthy']);
  assert.deepEqual(shapeErrors({ ...good, lastTransition: null }, WORKLOAD_STATUS), [
    'lastTransition: not a Go time: null',
  ]);
  const { name, ...rest } = good;
  assert.deepEqual(shapeErrors({ ...rest, name }, WORKLOAD_STATUS), ['order type,active,healthy,lastTransition,name']);
});
