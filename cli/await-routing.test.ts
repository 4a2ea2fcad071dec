// Service routing against an in-memory API server that keeps one EndpointSlice with a
// resourceVersion and refuses, as the admission policy does, a write that lowers its epoch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EPOCH_LABEL, FENCE_POLICY, MANAGED_BY } from '../api/labels.ts';
import { KubeApiError } from '../runtime/kube-client.ts';
import type { KubeClient, KubeRequest } from '../runtime/kube-client.ts';
import { unguarded } from '../runtime/write-guard.ts';
import type { WriteGuard } from '../runtime/write-guard.ts';
import type { EndpointSlice } from './await-routing.ts';
import {
  LEADER_ANNOTATION,
  SERVICE_NAME_LABEL,
  SLICE_MANAGER,
  SLICE_MANAGER_LABEL,
  leaderSlice,
  routeToLeader,
  routeWithRetries,
} from './await-routing.ts';
import type { ServiceRouting } from './await-settings.ts';

const route: ServiceRouting = {
  name: 'my-service',
  namespace: 'ns',
  ports: [{ name: 'my-port', port: 1024 }],
  podIP: '10.1.2.3',
  nodeName: 'node-a',
};
const quiet = { info: () => undefined, warn: () => undefined };

/** A fake API server: one slice, requests recorded, failures injected by `fail`. */
function fakeServer(stored?: EndpointSlice) {
  let rv = 1;
  const state = { slice: stored ? { ...stored, metadata: { ...stored.metadata, resourceVersion: '1' } } : undefined };
  const requests: KubeRequest[] = [];
  const fail: (KubeApiError | Error)[] = [];
  const client = {
    send(r: KubeRequest): Promise<unknown> {
      requests.push(r);
      r.beforeSend?.();
      const injected = fail.shift();
      if (injected) return Promise.reject(injected);
      if (r.method === 'GET') {
        if (!state.slice) return Promise.reject(new KubeApiError(404, 'NotFound', 'not found', {}));
        return Promise.resolve(structuredClone(state.slice));
      }
      const body = structuredClone(r.body as EndpointSlice);
      if (r.method === 'POST' && state.slice) return Promise.reject(new KubeApiError(409, 'AlreadyExists', 'x', {}));
      if (r.method === 'PUT') {
        if (body.metadata.resourceVersion !== state.slice?.metadata.resourceVersion)
          return Promise.reject(new KubeApiError(409, 'Conflict', 'the object has been modified', {}));
        const was = Number(state.slice?.metadata.labels?.[EPOCH_LABEL]);
        const now = Number(body.metadata.labels?.[EPOCH_LABEL]);
        if (now < was) return Promise.reject(new KubeApiError(403, 'Forbidden', `${FENCE_POLICY} ${now} < ${was}`, {}));
      }
      rv += 1;
      state.slice = { ...body, metadata: { ...body.metadata, resourceVersion: String(rv) } };
      return Promise.resolve(structuredClone(state.slice));
    },
  };
  return { client: client as unknown as KubeClient, state, requests, fail };
}

const writes = (reqs: KubeRequest[]) => reqs.filter((r) => r.method !== 'GET').map((r) => r.method);

test('the first leader creates the slice: its pod IP and node, ready, the ports, its epoch and our labels', async () => {
  const api = fakeServer();
  assert.equal(await routeToLeader(api.client, route, unguarded(4), 'pod-a'), 'created');
  const s = api.state.slice!;
  assert.equal(s.metadata.name, 'my-service');
  assert.deepEqual(s.metadata.labels, {
    [SERVICE_NAME_LABEL]: 'my-service',
    [SLICE_MANAGER_LABEL]: SLICE_MANAGER,
    [MANAGED_BY]: 'highlander',
    [EPOCH_LABEL]: '4',
  });
  assert.equal(s.metadata.annotations?.[LEADER_ANNOTATION], 'pod-a');
  assert.equal(s.addressType, 'IPv4');
  assert.deepEqual(s.endpoints, [
    { addresses: ['10.1.2.3'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-a' },
  ]);
  assert.deepEqual(s.ports, [{ name: 'my-port', port: 1024 }]);
  assert.equal(leaderSlice({ ...route, podIP: 'fd00::1' }, 1, 'x').addressType, 'IPv6');
});

test("a newer leader replaces the version it read, keeping others' labels; the same term writes nothing again", async () => {
  const old = leaderSlice({ ...route, podIP: '10.9.9.9' }, 3, 'pod-old');
  old.metadata.labels!['team'] = 'payments';
  const api = fakeServer(old);
  assert.equal(await routeToLeader(api.client, route, unguarded(5), 'pod-a'), 'updated');
  const put = api.requests.find((r) => r.method === 'PUT')!;
  assert.equal((put.body as EndpointSlice).metadata.resourceVersion, '1');
  assert.equal(api.state.slice!.endpoints[0]!.addresses[0], '10.1.2.3');
  assert.equal(api.state.slice!.metadata.labels!['team'], 'payments');
  assert.equal(api.state.slice!.metadata.labels![EPOCH_LABEL], '5');
  assert.equal(await routeToLeader(api.client, route, unguarded(5), 'pod-a'), 'unchanged');
  assert.deepEqual(writes(api.requests), ['PUT']);
});

test('a stale leader sends nothing over a newer epoch; a refusal by the policy counts as fenced too', async () => {
  const api = fakeServer(leaderSlice({ ...route, podIP: '10.9.9.9' }, 7, 'pod-new'));
  assert.equal(await routeToLeader(api.client, route, unguarded(6), 'pod-a'), 'fenced');
  assert.deepEqual(writes(api.requests), []);
  // A newer leader's write lands between the read and ours: the policy refuses, nothing is retried.
  const raced = fakeServer(leaderSlice({ ...route, podIP: '10.9.9.9' }, 5, 'pod-b'));
  const send = raced.client.send.bind(raced.client);
  raced.client.send = (r: KubeRequest) => {
    if (r.method === 'PUT') raced.state.slice!.metadata.labels![EPOCH_LABEL] = '8';
    return send(r);
  };
  assert.equal(await routeToLeader(raced.client, route, unguarded(6), 'pod-a'), 'fenced');
  assert.equal(raced.state.slice!.metadata.labels![EPOCH_LABEL], '8');
});

test('a conflict re-reads and writes again; other failures are retried until the term ends', async () => {
  const api = fakeServer(leaderSlice({ ...route, podIP: '10.9.9.9' }, 1, 'pod-b'));
  const send = api.client.send.bind(api.client);
  let bumped = false;
  api.client.send = (r: KubeRequest) => {
    if (r.method === 'PUT' && !bumped) {
      bumped = true;
      api.state.slice!.metadata.resourceVersion = '99'; // someone wrote in between
    }
    return send(r);
  };
  assert.equal(await routeToLeader(api.client, route, unguarded(2), 'pod-a'), 'updated');
  assert.deepEqual(writes(api.requests), ['PUT', 'PUT']);

  const flaky = fakeServer();
  flaky.fail.push(new Error('connect ECONNREFUSED'), new KubeApiError(503, undefined, 'unavailable', {}));
  assert.equal(await routeWithRetries(flaky.client, route, unguarded(3), 'pod-a', quiet, 5), 'created');
  assert.equal(flaky.requests.length, 4); // two failed reads, a read, the create
});

test('no write once the term is over: the lease check stops it, an aborted term stops the retries', async () => {
  const api = fakeServer();
  const ended = new AbortController();
  const guard: WriteGuard = { epoch: 3, signal: ended.signal, budgetMs: () => 0 };
  assert.equal(await routeWithRetries(api.client, route, guard, 'pod-a', quiet, 5), undefined);
  assert.deepEqual(writes(api.requests), ['POST']); // built, refused before it left: beforeSend threw
  assert.equal(api.state.slice, undefined);

  const down = fakeServer();
  for (let i = 0; i < 100; i += 1) down.fail.push(new Error('connect ECONNREFUSED'));
  const term = new AbortController();
  const trying = routeWithRetries(down.client, route, { ...unguarded(3), signal: term.signal }, 'pod-a', quiet, 5);
  setTimeout(() => term.abort('lost'), 30);
  assert.equal(await trying, undefined);
  assert.equal(down.state.slice, undefined);
});
