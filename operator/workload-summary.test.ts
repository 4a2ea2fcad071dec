import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byName, findWorkload } from './workload-summary.ts';
import type { WorkloadSummary } from './workload-summary.ts';

const w = (kind: WorkloadSummary['kind'], namespace: string, name: string): WorkloadSummary => ({
  name, namespace, kind, type: 'x', active: true, healthy: true, phase: '', message: '', leader: '', epoch: 1, status: {},
});
const all = [w('WorkloadProcess', 'a', 'job'), w('WorkloadProcess', 'b', 'job'), w('WorkloadService', 'a', 'api'), w('WorkloadCronJob', 'a', 'api')];

test('unique names are keys; clashes get the namespace, then the kind', () => {
  assert.deepEqual(Object.keys(byName(all)).sort(), ['WorkloadCronJob/a/api', 'WorkloadService/a/api', 'a/job', 'b/job']);
  assert.deepEqual(Object.keys(byName([w('WorkloadProcess', 'a', 'solo')])), ['solo']);
});

test('a lookup by name finds a unique workload, names the candidates when ambiguous', () => {
  assert.equal((findWorkload(all, 'job', 'b') as { found: WorkloadSummary }).found.namespace, 'b');
  assert.deepEqual(findWorkload(all, 'job'), { ambiguous: ['WorkloadProcess a/job', 'WorkloadProcess b/job'] });
  assert.deepEqual(findWorkload(all, 'nope'), { missing: true });
});
