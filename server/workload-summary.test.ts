import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { WORKLOAD_KINDS } from '../api/types.ts';
import { formatAge } from '../runtime/duration.ts';
import { byName, findWorkload, podViews } from './workload-summary.ts';
import type { WorkloadSummary } from './workload-summary.ts';

const w = (kind: WorkloadSummary['kind'], namespace: string, name: string): WorkloadSummary => ({
  name,
  namespace,
  kind,
  type: WORKLOAD_KINDS[kind].type,
  active: true,
  healthy: true,
  phase: '',
  message: '',
  leader: '',
  epoch: 1,
  status: {},
});
const all = [
  w('WorkloadProcess', 'a', 'job'),
  w('WorkloadProcess', 'b', 'job'),
  w('WorkloadService', 'a', 'api'),
  w('WorkloadCronJob', 'a', 'api'),
];

test('unique names are keys; clashes get the namespace, then the kind', () => {
  assert.deepEqual(Object.keys(byName(all)).sort(), [
    'WorkloadCronJob/a/api',
    'WorkloadService/a/api',
    'a/job',
    'b/job',
  ]);
  assert.deepEqual(Object.keys(byName([w('WorkloadProcess', 'a', 'solo')])), ['solo']);
});

test('a lookup by name finds a unique workload, names the candidates when ambiguous', () => {
  assert.equal((findWorkload(all, 'job', 'b') as { found: WorkloadSummary }).found.namespace, 'b');
  assert.deepEqual(findWorkload(all, 'job'), { ambiguous: ['WorkloadProcess a/job', 'WorkloadProcess b/job'] });
  assert.deepEqual(findWorkload(all, 'nope'), { missing: true });
});

test("/api/pods: only pods of this tenant's workloads, with K8 Highlander's fields, sorted", () => {
  const now = Date.parse('2026-01-02T03:04:05Z');
  const pod = (ns: string, name: string, workload: string | undefined, extra: Partial<V1Pod> = {}): V1Pod => ({
    metadata: {
      name,
      namespace: ns,
      creationTimestamp: new Date(now - 3_725_000),
      labels: workload ? { 'highlander.plexobject.io/workload': workload } : {},
      annotations: { 'highlander.plexobject.io/epoch': '4' },
    },
    spec: { nodeName: 'kwok-node-1', containers: [] },
    status: { phase: 'Running' },
    ...extra,
  });
  const views = podViews(
    [
      pod('b', 'api-7d9-x', 'api'),
      pod('a', 'job-pod', 'job'),
      pod('a', 'stranger', undefined),
      pod('c', 'other-pod', 'other'),
    ],
    new Map([
      ['a/job', 'a-job-leader'],
      ['b/api', 'b-api-leader'],
    ]),
    'primary',
    now,
  );
  assert.deepEqual(
    views.map((v) => `${v.namespace}/${v.name}`),
    ['a/job-pod', 'b/api-7d9-x'],
    'other tenants and unmanaged pods are left out',
  );
  assert.deepEqual(
    { ...views[0], labels: undefined, annotations: undefined },
    {
      name: 'job-pod',
      namespace: 'a',
      status: 'Running',
      node: 'kwok-node-1',
      age: '1h2m',
      createdAt: new Date(now - 3_725_000).toISOString(),
      workload: 'job',
      epoch: 4,
      leaderId: 'a-job-leader',
      controllerId: 'a-job-leader',
      clusterName: 'primary',
      labels: undefined,
      annotations: undefined,
    },
  );
  assert.deepEqual([formatAge(9_400), formatAge(183_000), formatAge(90_061_000)], ['9s', '3m3s', '1d1h']);
});
