import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meta } from '../shared/testing.ts';
import { desiredHeadlessService, desiredStatefulSet } from './desired.ts';
import type { WorkloadPersistent } from '../../api/types.ts';
import type { Owner } from '../shared/child-meta.ts';

const cr: Owner<WorkloadPersistent> = {
  kind: 'WorkloadPersistent',
  metadata: meta('message-queue'),
  spec: {
    image: 'mq',
    replicas: 1,
    ports: [{ name: 'mq', containerPort: 1414, servicePort: 1414 }],
    persistentVolumes: [{ name: 'data', mountPath: '/var/mqm', size: '10Gi' }],
  },
};

test('a StatefulSet with a claim template per volume, mounted in the main container', () => {
  const s = desiredStatefulSet(cr, 1);
  assert.equal(s.spec?.serviceName, 'message-queue');
  assert.deepEqual(s.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests, { storage: '10Gi' });
  assert.deepEqual(s.spec?.template.spec?.containers[0]?.volumeMounts, [{ name: 'data', mountPath: '/var/mqm' }]);
});

test('a headless Service named by serviceName', () => {
  const svc = desiredHeadlessService({ ...cr, spec: { ...cr.spec, serviceName: 'mq-headless' } }, 1);
  assert.equal(svc.metadata?.name, 'mq-headless');
  assert.equal(svc.spec?.clusterIP, 'None');
  assert.equal(
    desiredStatefulSet({ ...cr, spec: { ...cr.spec, serviceName: 'mq-headless' } }, 1).spec?.serviceName,
    'mq-headless',
  );
});
