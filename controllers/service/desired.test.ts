import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meta } from '../shared/testing.ts';
import { desiredDeployment, desiredService } from './desired.ts';
import type { WorkloadService } from '../../api/types.ts';
import type { Owner } from '../shared/child-meta.ts';

const cr: Owner<WorkloadService> = {
  kind: 'WorkloadService',
  metadata: meta('admin-api'),
  spec: {
    image: 'api:1',
    replicas: 1,
    ports: [{ name: 'http', containerPort: 8080, servicePort: 80 }],
    healthCheckPath: '/health',
  },
};

test('a Deployment with the Recreate strategy, selecting by workload label', () => {
  const d = desiredDeployment(cr, 3);
  assert.equal(d.spec?.strategy?.type, 'Recreate');
  assert.equal(d.spec?.replicas, 1);
  assert.deepEqual(d.spec?.selector.matchLabels, { 'highlander.plexobject.io/workload': 'admin-api' });
  assert.equal(d.spec?.template.spec?.containers[0]?.readinessProbe?.httpGet?.port, 8080);
});

test('failover does not change the pod template (no rollout)', () => {
  assert.deepEqual(desiredDeployment(cr, 3).spec?.template, desiredDeployment(cr, 4).spec?.template);
});

test('a Service maps servicePort to containerPort; none without ports', () => {
  assert.deepEqual(desiredService(cr, 1)?.spec?.ports, [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }]);
  assert.equal(desiredService({ ...cr, spec: { ...cr.spec, ports: [] } }, 1), undefined);
});

test('the Deployment’s pods start held by the singleton gate and carry the tenant', () => {
  const t = desiredDeployment(
    { ...cr, metadata: { ...cr.metadata, labels: { 'highlander.plexobject.io/tenant': 'blue' } } },
    1,
  ).spec?.template;
  assert.deepEqual(t?.spec?.schedulingGates, [{ name: 'highlander.plexobject.io/singleton' }]);
  assert.equal(t?.metadata?.labels?.['highlander.plexobject.io/tenant'], 'blue');
  assert.equal(t?.metadata?.labels?.['highlander.plexobject.io/epoch'], undefined, 'the epoch would roll pods');
});
