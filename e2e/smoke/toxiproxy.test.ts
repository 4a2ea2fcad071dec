// Proves that testkit/toxiproxy.ts puts real faults between a client and a real Redis (from
// e2e/services/up.sh): each fault is checked by what a client sees, and each check would fail
// if the fault were missing or were a different one (a hang is not a reset, a reset not a hang).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadServicesEnv, redisHostPort } from '../../testkit/services.ts';
import { LOOPBACK, Toxiproxy } from '../../testkit/toxiproxy.ts';
import type { ProxyAddress } from '../../testkit/toxiproxy.ts';

const env = loadServicesEnv();
const run = `${process.pid}_${randomBytes(4).toString('hex')}`;
const NAME = `redis-${run}`;
const TIMEOUT = { timeout: 30_000 };
// How long a blackholed command must stay unanswered; Redis on loopback answers in ~1 ms.
const HANG_MS = 1_000;

let toxiproxy: Toxiproxy;
let proxy: ProxyAddress;
// Straight to Redis, to see what did or did not get through the proxy.
let direct: Redis;
const clients: Redis[] = [];

/** A client of the proxy: no offline queue, no retries, no reconnects, so faults show at once. */
function client(port = proxy.port): Redis {
  const redis = new Redis({
    host: LOOPBACK,
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    // Ready on connect: the INFO a ready check sends would itself hang under a cut, and hide
    // whether a command does.
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2_000,
  });
  redis.on('error', () => {}); // Failures are asserted where they matter.
  clients.push(redis);
  return redis;
}

/** What became of `promise` within `ms`: its value, its error, or nothing. */
async function outcome(promise: Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const nothing = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${ms} ms`), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (v) => `answered ${String(v)}`,
        (e: unknown) => `failed: ${(e as Error).message}`,
      ),
      nothing,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Connects `redis`: 'connected', or the code of the socket error that failed it (ioredis's own
 * rejection only says the connection is closed). */
function connectResult(redis: Redis): Promise<string> {
  const error = once(redis, 'error').then(([e]) => `error ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  return redis.connect().then(
    () => 'connected',
    () => error,
  );
}

/** The next message a subscribed client receives. */
function nextMessage(subscriber: Redis): Promise<string> {
  return once(subscriber, 'message').then(([, message]) => message as string);
}

/** Milliseconds `fn` took, and its value. */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

describe('toxiproxy between a client and Redis', () => {
  before(
    async () => {
      direct = new Redis({ ...redisHostPort(env), maxRetriesPerRequest: 0, retryStrategy: () => null });
      clients.push(direct);
      toxiproxy = await Toxiproxy.start();
      proxy = await toxiproxy.createProxy(NAME, env.redisAddr);
      // The first start on a machine builds the binary (about a minute on 2 cores).
    },
    { timeout: 300_000 },
  );

  after(async () => {
    await direct?.del(...['through', 'cut', 'stall'].map((k) => `toxiproxy:${run}:${k}`));
    for (const c of clients) c.disconnect();
    await toxiproxy?.stop();
  }, TIMEOUT);

  // A failed test must not leave its fault to the next one.
  beforeEach(() => toxiproxy.heal(NAME), TIMEOUT);

  test('a PING through the proxy answers, and what is written through it lands in that Redis', TIMEOUT, async () => {
    assert.match(proxy.listen, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(proxy.port, redisHostPort(env).port);
    const through = client();
    await through.connect();
    assert.equal(await through.ping(), 'PONG');
    const key = `toxiproxy:${run}:through`;
    await through.set(key, 'via-proxy', 'PX', 60_000);
    assert.equal(await direct.get(key), 'via-proxy');
  });

  test(
    'cut: an open connection stays open but nothing crosses it either way, a new one completes no command; heal ends it',
    TIMEOUT,
    async () => {
      const held = client();
      const subscriber = client();
      await Promise.all([held.connect(), subscriber.connect()]);
      assert.equal(await held.ping(), 'PONG');
      const channel = `toxiproxy:${run}:events`;
      await subscriber.subscribe(channel);
      const first = nextMessage(subscriber);
      await direct.publish(channel, 'before');
      assert.equal(await outcome(first, 2_000), 'answered before');

      await toxiproxy.cut(NAME);
      const key = `toxiproxy:${run}:cut`;
      const pending = held.set(key, 'sent-into-the-cut', 'PX', 60_000);
      assert.equal(await outcome(pending, HANG_MS), `no answer within ${HANG_MS} ms`);
      // Upstream: the command never reached Redis.
      assert.equal(await direct.get(key), null);
      // Downstream: what Redis sends is dropped too. Redis still counts the subscriber, since
      // Toxiproxy keeps its side of the connection open.
      const during = nextMessage(subscriber);
      assert.equal(await direct.publish(channel, 'during'), 1);
      assert.equal(await outcome(during, HANG_MS), `no answer within ${HANG_MS} ms`);
      // Still open on the client's side too: a blackhole, not a closed connection (refuse()).
      assert.deepEqual([held.status, subscriber.status], ['ready', 'ready']);

      const fresh = client();
      const freshPing = fresh.connect().then(() => fresh.ping());
      assert.equal(await outcome(freshPing, HANG_MS), `no answer within ${HANG_MS} ms`);

      await toxiproxy.heal(NAME);
      // Toxiproxy closes the connections the cut held, and what they sent into it is gone: the
      // SET fails and never lands.
      assert.match(await outcome(pending, 5_000), /^failed: /);
      assert.equal(await direct.get(key), null);
      const afterHeal = client();
      await afterHeal.connect();
      assert.equal(await outcome(afterHeal.ping(), 2_000), 'answered PONG');
    },
  );

  test(
    'stall(1500) holds a request for at least 1.5 s before Redis sees it; heal removes the delay',
    TIMEOUT,
    async () => {
      const c = client();
      await c.connect();
      const before = await timed(() => c.ping());
      assert.ok(before.ms < 500, `PING took ${before.ms} ms before any stall`);

      await toxiproxy.stall(NAME, 1_500);
      const key = `toxiproxy:${run}:stall`;
      const stalled = timed(() => c.set(key, 'stalled', 'PX', 60_000));
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal(await direct.get(key), null, 'the SET reached Redis within 700 ms of a 1500 ms stall');
      const { ms, value } = await stalled;
      assert.equal(value, 'OK');
      assert.ok(ms >= 1_490, `stalled SET answered after ${ms} ms, expected >= 1500`);
      assert.ok(ms < 5_000, `stalled SET took ${ms} ms: a delay, not a hang, was asked for`);
      assert.equal(await direct.get(key), 'stalled');

      // The latency toxic leaves the connection open when removed: the same client goes on.
      await toxiproxy.heal(NAME);
      const healed = await timed(() => c.ping());
      assert.ok(healed.ms < 500, `PING took ${healed.ms} ms after heal`);
    },
  );

  test(
    'refuse closes open connections and fails a new connect fast; heal listens on the same port',
    TIMEOUT,
    async () => {
      const open = client();
      await open.connect();
      assert.equal(await open.ping(), 'PONG');
      const ended = once(open, 'end').then(() => 'end');

      await toxiproxy.refuse(NAME);
      assert.equal(await outcome(ended, 2_000), 'answered end');
      const fresh = client();
      const refused = await timed(() => outcome(connectResult(fresh), 2_000));
      assert.equal(refused.value, 'answered error ECONNREFUSED');
      assert.ok(refused.ms < 500, `refused connect took ${refused.ms} ms`);
      assert.equal((await toxiproxy.getProxy(NAME)).enabled, false);

      await toxiproxy.heal(NAME);
      const state = await toxiproxy.getProxy(NAME);
      assert.equal(state.listen, proxy.listen);
      assert.equal(state.enabled, true);
      const again = client();
      await again.connect();
      assert.equal(await outcome(again.ping(), 2_000), 'answered PONG');
    },
  );

  test('resetAll lifts every fault on every proxy; a deleted proxy refuses', TIMEOUT, async () => {
    const second = await toxiproxy.createProxy(`${NAME}-2`, env.redisAddr);
    await toxiproxy.cut(NAME);
    await toxiproxy.stall(NAME, 5_000);
    await toxiproxy.refuse(second.name);

    await toxiproxy.resetAll();
    for (const p of [proxy, second]) {
      const state = await toxiproxy.getProxy(p.name);
      assert.deepEqual([state.enabled, state.toxics], [true, []], p.name);
      const c = client(p.port);
      await c.connect();
      assert.equal(await outcome(c.ping(), 2_000), 'answered PONG', p.name);
    }

    await toxiproxy.deleteProxy(second.name);
    assert.equal(await outcome(connectResult(client(second.port)), 2_000), 'answered error ECONNREFUSED');
  });
});

test('stop ends the server: its API stops answering and none of its processes is left', TIMEOUT, async () => {
  const own = await Toxiproxy.start();
  const res = await fetch(`${own.apiUrl}/version`);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  await own.stop();
  await assert.rejects(fetch(`${own.apiUrl}/version`, { signal: AbortSignal.timeout(2_000) }));
  // Signal 0 to the process group only asks whether any process of it still exists.
  assert.throws(() => process.kill(-own.pid, 0), { code: 'ESRCH' });
  await own.stop(); // A second stop is harmless.
});
