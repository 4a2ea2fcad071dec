// The Toxiproxy client without a server: its argument checks, and the requests each fault sends
// (seen through a fake fetch). e2e/smoke/toxiproxy.test.ts runs the same calls against the binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ToxiproxyClient, checkProxyName, checkStallMs, parseUpstream, pinnedToxiproxyVersion } from './toxiproxy.ts';
import type { Fetch } from './toxiproxy.ts';

interface Sent {
  method: string;
  path: string;
  body: unknown;
}

/** A client whose fetch records each request and answers from `reply` (status 200, no body by default). */
function fakeClient(reply: (r: Sent) => { status?: number; body?: unknown } = () => ({})): {
  client: ToxiproxyClient;
  sent: Sent[];
} {
  const sent: Sent[] = [];
  const fakeFetch: Fetch = (url, init) => {
    const r: Sent = {
      method: init.method ?? 'GET',
      path: new URL(url).pathname,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    sent.push(r);
    const { status = 200, body } = reply(r);
    const text = body === undefined ? '' : JSON.stringify(body);
    return Promise.resolve(new Response(status === 204 ? null : text, { status }));
  };
  return { client: new ToxiproxyClient('http://127.0.0.1:8474', fakeFetch), sent };
}

test('parseUpstream takes 127.0.0.1:<port> and nothing else', () => {
  assert.deepEqual(parseUpstream('127.0.0.1:6379'), { host: '127.0.0.1', port: 6379 });
  assert.deepEqual(parseUpstream('127.0.0.1:65535'), { host: '127.0.0.1', port: 65535 });
  for (const bad of [
    '10.0.0.5:6379',
    '192.168.1.20:6379',
    '172.16.0.1:5432',
    '8.8.8.8:53',
    'localhost:6379',
    '127.0.0.2:6379',
    '[::1]:6379',
    '127.0.0.1',
    '127.0.0.1:0',
    '127.0.0.1:65536',
    '127.0.0.1:6379/x',
    'redis://127.0.0.1:6379',
    ' 127.0.0.1:6379',
  ]) {
    assert.throws(() => parseUpstream(bad), /must be 127\.0\.0\.1:<port 1-65535>/, bad);
  }
});

test('createProxy refuses a non-loopback upstream before sending anything', async () => {
  const { client, sent } = fakeClient();
  await assert.rejects(
    client.createProxy('redis', '10.1.2.3:6379'),
    /upstream "10\.1\.2\.3:6379" must be 127\.0\.0\.1/,
  );
  await assert.rejects(client.createProxy('redis', '192.168.0.7:6379'), /only ever forward to servers on this machine/);
  assert.deepEqual(sent, []);
});

test('the API itself must be on 127.0.0.1', () => {
  assert.throws(() => new ToxiproxyClient('http://10.0.0.1:8474'), /must be on 127\.0\.0\.1/);
  assert.throws(() => new ToxiproxyClient('http://localhost:8474'), /must be on 127\.0\.0\.1/);
  assert.equal(new ToxiproxyClient('http://127.0.0.1:8474/').apiUrl, 'http://127.0.0.1:8474');
});

test('proxy names must be plain path segments; stalls whole ms from 1 to 600000', async () => {
  assert.equal(checkProxyName('redis-a_1.x'), 'redis-a_1.x');
  for (const bad of ['', 'a/b', '../reset', 'a b', '-x', 'x'.repeat(64)]) {
    assert.throws(() => checkProxyName(bad), /proxy name/, bad);
  }
  assert.equal(checkStallMs(1500), 1500);
  for (const bad of [0, -1, 1.5, Number.NaN, Infinity, 600_001]) {
    assert.throws(() => checkStallMs(bad), /whole number of ms/, String(bad));
  }
  const { client, sent } = fakeClient();
  await assert.rejects(client.cut('a/b'), /proxy name/);
  await assert.rejects(client.stall('redis', 0), /whole number of ms/);
  assert.deepEqual(sent, []);
});

test('createProxy asks for a free 127.0.0.1 port and returns the one Toxiproxy bound', async () => {
  const { client, sent } = fakeClient(() => ({
    status: 201,
    body: { name: 'redis', listen: '127.0.0.1:40123', upstream: '127.0.0.1:6390', enabled: true, toxics: [] },
  }));
  assert.deepEqual(await client.createProxy('redis', '127.0.0.1:6390'), {
    name: 'redis',
    listen: '127.0.0.1:40123',
    port: 40123,
  });
  assert.deepEqual(sent, [
    {
      method: 'POST',
      path: '/proxies',
      body: { name: 'redis', listen: '127.0.0.1:0', upstream: '127.0.0.1:6390', enabled: true },
    },
  ]);
  const elsewhere = fakeClient(() => ({ status: 201, body: { name: 'redis', listen: '[::]:40123' } }));
  await assert.rejects(elsewhere.client.createProxy('redis', '127.0.0.1:6390'), /listens on \[::\]:40123/);
});

test('cut adds a timeout-0 toxic each way; cutting again updates them in place', async () => {
  let exists = false;
  const { client, sent } = fakeClient((r) => (r.method === 'POST' && exists ? { status: 409, body: {} } : {}));
  await client.cut('redis');
  const toxic = (name: string, stream: string): Sent => ({
    method: 'POST',
    path: '/proxies/redis/toxics',
    body: { name, type: 'timeout', stream, toxicity: 1, attributes: { timeout: 0 } },
  });
  assert.deepEqual(sent, [toxic('cut_upstream', 'upstream'), toxic('cut_downstream', 'downstream')]);
  exists = true;
  sent.length = 0;
  await client.cut('redis');
  assert.deepEqual(
    sent.filter((r) => r.method === 'PATCH'),
    ['cut_upstream', 'cut_downstream'].map((name) => ({
      method: 'PATCH',
      path: `/proxies/redis/toxics/${name}`,
      body: { attributes: { timeout: 0 } },
    })),
  );
});

test('stall adds upstream latency and a slow close; a second stall changes them', async () => {
  let exists = false;
  const { client, sent } = fakeClient((r) => (r.method === 'POST' && exists ? { status: 409, body: {} } : {}));
  await client.stall('redis', 1500);
  exists = true;
  await client.stall('redis', 300);
  const post = (name: string, type: string, attributes: object): Sent => ({
    method: 'POST',
    path: '/proxies/redis/toxics',
    body: { name, type, stream: 'upstream', toxicity: 1, attributes },
  });
  const patch = (name: string, attributes: object): Sent => ({
    method: 'PATCH',
    path: `/proxies/redis/toxics/${name}`,
    body: { attributes },
  });
  assert.deepEqual(sent, [
    post('stall_upstream', 'latency', { latency: 1500, jitter: 0 }),
    post('stall_close', 'slow_close', { delay: 2500 }),
    post('stall_upstream', 'latency', { latency: 300, jitter: 0 }),
    patch('stall_upstream', { latency: 300, jitter: 0 }),
    post('stall_close', 'slow_close', { delay: 1300 }),
    patch('stall_close', { delay: 1300 }),
  ]);
});

test("refuse disables; heal removes a cut's toxics, zeroes a stall's and enables; resetAll posts /reset", async () => {
  const listed = ['cut_upstream', 'latency downstream', 'stall_upstream', 'stall_close'].map((name) => ({ name }));
  const { client, sent } = fakeClient((r) =>
    r.method === 'GET'
      ? { body: listed }
      : r.method === 'POST' && r.path !== '/reset'
        ? { status: 409, body: {} }
        : { status: 204 },
  );
  await client.refuse('redis');
  await client.heal('redis');
  await client.resetAll();
  assert.deepEqual(
    sent.filter((r) => r.method !== 'POST' || r.path === '/reset').map((r) => [r.method, r.path, r.body]),
    [
      ['PATCH', '/proxies/redis', { enabled: false }],
      ['GET', '/proxies/redis/toxics', undefined],
      ['DELETE', '/proxies/redis/toxics/cut_upstream', undefined],
      ['DELETE', '/proxies/redis/toxics/latency%20downstream', undefined],
      ['PATCH', '/proxies/redis/toxics/stall_upstream', { attributes: { latency: 0, jitter: 0 } }],
      ['PATCH', '/proxies/redis/toxics/stall_close', { attributes: { delay: 0 } }],
      ['PATCH', '/proxies/redis', { enabled: true }],
      ['POST', '/reset', undefined],
    ],
  );
});

test("an API error names the call, the status and Toxiproxy's message", async () => {
  const { client } = fakeClient(() => ({ status: 404, body: { error: 'proxy not found', status: 404 } }));
  await assert.rejects(client.refuse('nope'), /toxiproxy: PATCH \/proxies\/nope answered 404: proxy not found/);
  const conflict = fakeClient(() => ({ status: 409, body: { error: 'proxy already exists', status: 409 } }));
  await assert.rejects(conflict.client.createProxy('redis', '127.0.0.1:6390'), /answered 409: proxy already exists/);
});

test('the pinned version is a plain x.y.z, as the server reports it on GET /version', () => {
  assert.match(pinnedToxiproxyVersion(), /^2\.\d+\.\d+$/);
});
