import assert from 'node:assert/strict';
import { test } from 'node:test';
import { entrypoint, envVars, podTemplate, probes } from './pod-template.ts';

const seed = {
  image: 'busybox:latest',
  script: { commands: ["echo 'Running at $(date)'", 'sleep 15'], shell: '/bin/sh' },
  env: { TEST_ENV: 'crd-value', CRD_DEFINED: 'true' },
  resources: { cpuRequest: '50m', memoryRequest: '32Mi', cpuLimit: '100m', memoryLimit: '64Mi' },
};

test('a K8 Highlander script runs as `shell -c` with one command per line', () => {
  assert.deepEqual(entrypoint(seed), { command: ['/bin/sh', '-c', "echo 'Running at $(date)'\nsleep 15"] });
  assert.deepEqual(entrypoint({ image: 'i', script: { commands: ['x'] } }).command?.[0], '/bin/sh');
  assert.deepEqual(entrypoint({ image: 'i', script: { commands: ['x'] }, command: ['/app'], args: ['-v'] }), {
    command: ['/app'],
    args: ['-v'],
  });
});

test('env is sorted so the template does not depend on map order', () => {
  assert.deepEqual(envVars({ B: '2', A: '1' }), [
    { name: 'A', value: '1' },
    { name: 'B', value: '2' },
  ]);
  assert.equal(envVars({}), undefined);
});

test('the template carries the spec, our labels, and nothing about the leader', () => {
  const t = podTemplate(
    'sample',
    { ...seed, labels: { team: 'x' }, configMaps: ['cfg'], secrets: ['creds'] },
    { restartPolicy: 'OnFailure' },
  );
  assert.deepEqual(t.metadata?.labels, {
    team: 'x',
    'app.kubernetes.io/managed-by': 'highlander',
    'highlander.plexobject.io/workload': 'sample',
  });
  const c = t.spec!.containers[0]!;
  assert.equal(c.image, 'busybox:latest');
  assert.deepEqual(c.resources, { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } });
  assert.deepEqual(
    c.volumeMounts?.map((m) => m.mountPath),
    ['/etc/config/cfg', '/etc/secrets/creds'],
  );
  assert.equal(t.spec!.restartPolicy, 'OnFailure');
  const text = JSON.stringify(t);
  assert.ok(!/epoch|leader/i.test(text), `leader state leaked into the pod template: ${text}`);
});

test('health checks become HTTP probes on the health port or the first container port', () => {
  assert.deepEqual(probes({ image: 'i' }), {});
  const p = probes({ image: 'i', healthCheckPath: '/health', ports: [{ containerPort: 8080 }] });
  assert.deepEqual(p.readinessProbe?.httpGet, { path: '/health', port: 8080 });
  assert.equal(
    probes({ image: 'i', healthCheckPath: '/h', healthCheckPort: 9000, ports: [{ containerPort: 8080 }] }).livenessProbe
      ?.httpGet?.port,
    9000,
  );
});
