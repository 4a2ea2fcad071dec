// `await` reads the operator's settings plus k8s-await-election's variables as they are, and
// names the variable at fault in every problem.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../config/config.ts';
import { awaitSettings } from './await-settings.ts';

const K8S = {
  K8S_AWAIT_ELECTION_ENABLED: '1',
  K8S_AWAIT_ELECTION_NAME: 'linstor-controller',
  K8S_AWAIT_ELECTION_LOCK_NAME: 'piraeus-op-cs',
  K8S_AWAIT_ELECTION_LOCK_NAMESPACE: 'storage',
  K8S_AWAIT_ELECTION_IDENTITY: 'pod-7',
};

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    awaitSettings(env, {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('accepted');
};

test("k8s-await-election's variables alone: a Lease named LOCK_NAME in LOCK_NAMESPACE, held as IDENTITY", () => {
  const s = awaitSettings({ ...K8S, K8S_AWAIT_ELECTION_STATUS_ENDPOINT: ':9999' }, {});
  assert.equal(s.election, true);
  assert.equal(s.name, 'linstor-controller');
  assert.equal(s.elect.lock, 'piraeus-op-cs');
  assert.equal(s.elect.identity, 'pod-7');
  assert.deepEqual(s.elect.store, { type: 'kubernetes', namespace: 'storage' });
  assert.deepEqual(s.elect.timings, { leaseDuration: 15_000, renewDeadline: 10_000, retryPeriod: 2000 });
  assert.deepEqual(s.status, { host: '0.0.0.0', port: 9999 });
  assert.equal(s.service, undefined);
});

test('with ENABLED unset but other K8S_AWAIT_ELECTION_* set there is no election; with none at all, there is', () => {
  const rest: Record<string, string> = { ...K8S };
  delete rest.K8S_AWAIT_ELECTION_ENABLED;
  assert.equal(awaitSettings(rest, {}).election, false);
  const native = awaitSettings(
    { HIGHLANDER_STORAGE_TYPE: 'redis', HIGHLANDER_REDIS_ADDR: '127.0.0.1:6379' },
    {
      lock: 'reports',
    },
  );
  assert.equal(native.election, true);
  assert.equal(native.elect.lock, 'reports');
  assert.equal((native.elect.store as { type: string }).type, 'redis');
});

test('the timings come from K8S_AWAIT_ELECTION_* durations, and a bad one is named as given', () => {
  const s = awaitSettings(
    {
      ...K8S,
      K8S_AWAIT_ELECTION_LEASE_DURATION: '6s',
      K8S_AWAIT_ELECTION_RENEW_DEADLINE: '4s',
      K8S_AWAIT_ELECTION_RETRY_PERIOD: '1s',
    },
    {},
  );
  assert.deepEqual(s.elect.timings, { leaseDuration: 6000, renewDeadline: 4000, retryPeriod: 1000 });
  const problems = problemsOf({ ...K8S, K8S_AWAIT_ELECTION_LEASE_DURATION: 'long' });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /\(from K8S_AWAIT_ELECTION_LEASE_DURATION\): must be a duration/);
});

test('ENABLED without the variables k8s-await-election requires names each of them', () => {
  assert.deepEqual(problemsOf({ K8S_AWAIT_ELECTION_ENABLED: 'yes' }), [
    'K8S_AWAIT_ELECTION_NAME: is required when K8S_AWAIT_ELECTION_ENABLED is set',
    'K8S_AWAIT_ELECTION_LOCK_NAME: is required when K8S_AWAIT_ELECTION_ENABLED is set',
    'K8S_AWAIT_ELECTION_LOCK_NAMESPACE: is required when K8S_AWAIT_ELECTION_ENABLED is set',
    'K8S_AWAIT_ELECTION_IDENTITY: is required when K8S_AWAIT_ELECTION_ENABLED is set',
  ]);
});

test('Service routing: the pod IP, node name and ports; bad ports and a missing pod IP are named', () => {
  const s = awaitSettings(
    {
      ...K8S,
      K8S_AWAIT_ELECTION_SERVICE_NAME: 'my-service',
      K8S_AWAIT_ELECTION_SERVICE_PORTS_JSON: '[{"name":"my-port","port":1024}]',
      K8S_AWAIT_ELECTION_POD_IP: '10.1.2.3',
      K8S_AWAIT_ELECTION_NODE_NAME: 'node-a',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
    },
    {},
  );
  assert.deepEqual(s.service, {
    name: 'my-service',
    namespace: 'storage',
    ports: [{ name: 'my-port', port: 1024 }],
    podIP: '10.1.2.3',
    nodeName: 'node-a',
  });
  assert.deepEqual(
    problemsOf({
      ...K8S,
      K8S_AWAIT_ELECTION_SERVICE_NAME: 'my-service',
      K8S_AWAIT_ELECTION_SERVICE_PORTS_JSON: '[{"port":70000},{"port":80,"protocol":"HTTP"}]',
    }),
    [
      'K8S_AWAIT_ELECTION_POD_IP: is required with K8S_AWAIT_ELECTION_SERVICE_NAME (fieldRef status.podIP)',
      'K8S_AWAIT_ELECTION_SERVICE_PORTS_JSON[0].port: must be a port number 1-65535 (got 70000)',
      'K8S_AWAIT_ELECTION_SERVICE_PORTS_JSON[1].protocol: must be one of TCP, UDP, SCTP (got "HTTP")',
    ],
  );
  assert.match(
    problemsOf({ ...K8S, K8S_AWAIT_ELECTION_SERVICE_NAME: 's', K8S_AWAIT_ELECTION_SERVICE_PORTS_JSON: '{port' })[1]!,
    /SERVICE_PORTS_JSON: is not JSON/,
  );
  assert.deepEqual(problemsOf({ ...K8S, K8S_AWAIT_ELECTION_SERVICE_NAME: 's', K8S_AWAIT_ELECTION_POD_IP: '10.1.2' }), [
    'K8S_AWAIT_ELECTION_POD_IP: must be an IPv4 or IPv6 address (got "10.1.2")',
  ]);
});

test('Service routing outside a pod needs a kubeconfig: the API server is where the EndpointSlice is written', () => {
  const env = { ...K8S, K8S_AWAIT_ELECTION_SERVICE_NAME: 's', K8S_AWAIT_ELECTION_POD_IP: '10.1.2.3' };
  assert.match(problemsOf(env)[0]!, /^K8S_AWAIT_ELECTION_SERVICE_NAME: .*--kubeconfig/);
  assert.equal(awaitSettings(env, { kubeconfig: '/tmp/kc' }).kubeconfig, '/tmp/kc');
  assert.equal(awaitSettings({ ...env, HIGHLANDER_KUBECONFIG: '/tmp/kc2' }, {}).kubeconfig, '/tmp/kc2');
});

test('a malformed status address is named, the flag over the variable', () => {
  assert.deepEqual(problemsOf({ ...K8S, K8S_AWAIT_ELECTION_STATUS_ENDPOINT: '9999' }), [
    'K8S_AWAIT_ELECTION_STATUS_ENDPOINT: must be host:port or :port (got "9999")',
  ]);
  const s = awaitSettings({ ...K8S, K8S_AWAIT_ELECTION_STATUS_ENDPOINT: 'bad' }, { statusAddr: '127.0.0.1:0' });
  assert.deepEqual(s.status, { host: '127.0.0.1', port: 0 });
});
