import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meta } from '../shared/testing.ts';
import { desiredPod } from './desired.ts';
import type { WorkloadProcess } from '../../api/types.ts';
import type { Owner } from '../shared/child-meta.ts';

test('a process runs as `<name>-pod` with its restart policy and grace period', () => {
  const cr: Owner<WorkloadProcess> = {
    kind: 'WorkloadProcess',
    metadata: meta('id-gen'),
    spec: { image: 'gen', script: { commands: ['run'] }, restartPolicy: 'OnFailure', gracePeriod: '45s' },
  };
  const p = desiredPod(cr, 2);
  assert.equal(p.metadata?.name, 'id-gen-pod');
  assert.equal(p.spec?.restartPolicy, 'OnFailure');
  assert.equal(p.spec?.terminationGracePeriodSeconds, 45);
  assert.equal(p.metadata?.labels?.['highlander.plexobject.io/workload'], 'id-gen');
  assert.equal(p.metadata?.labels?.['highlander.plexobject.io/epoch'], '2');
  assert.equal(desiredPod({ ...cr, spec: { ...cr.spec, restartPolicy: undefined } }, 1).spec?.restartPolicy, 'Always');
});
