// The lock-store contract on the local Redis, and what only Redis has: the key's name and
// TTL, the epoch counter, pub/sub messages, a release that must not touch a successor's key,
// ACL authentication and a subscriber connection that is killed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { LockEvent } from '../../locks/lock-store.ts';
import { LockStoreError } from '../../locks/lock-store.ts';
import { RedisStore } from '../../locks/redis/redis-store.ts';
import type { RedisStoreOptions } from '../../locks/redis/redis-store.ts';
import { eventually } from '../../testkit/kube.ts';
import { loadServicesEnv } from '../../testkit/services.ts';
import { lockStoreContract } from './contract.ts';

const { redisAddr } = loadServicesEnv();
// Every tenant of this run carries the run's id, so runs never share a lock and the keys can
// be removed afterwards.
const run = `e2e-${randomBytes(4).toString('hex')}`;

const [host, port] = redisAddr.split(':') as [string, string];
const admin = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 1 });
const stores: RedisStore[] = [];
const open = (tenant: string, extra: Partial<RedisStoreOptions> = {}): RedisStore => {
  const s = new RedisStore({ addr: redisAddr, tenant: `${run}-${tenant}`, ...extra });
  stores.push(s);
  return s;
};

after(async () => {
  await Promise.allSettled(stores.map((s) => s.close()));
  const keys = await admin.keys(`highlander-leader-*${run}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

lockStoreContract('redis', (lockName) => Promise.resolve(open(lockName)), {
  unreachable: () => Promise.resolve(new RedisStore({ addr: '127.0.0.1:1', tenant: run, timeoutMs: 2000 })),
  unreachableDeadlineMs: 2000,
});

describe('redis lock store', () => {
  test('the lock is the key highlander-leader-lock:<tenant>, found by KEYS highlander-leader-*, with a TTL', async () => {
    const s = open('named');
    assert.equal(s.lockName, `highlander-leader-lock:${run}-named`);
    const g = await s.tryAcquire('pod-a', 8000);
    assert.ok(g.acquired);
    const keys = await admin.keys('highlander-leader-*');
    assert.ok(keys.includes(s.lockName), `KEYS highlander-leader-* did not list ${s.lockName}`);
    const pttl = await admin.pttl(s.lockName);
    assert.ok(pttl > 0 && pttl <= 8000, `PTTL ${pttl}`);
    assert.deepEqual(await admin.hgetall(s.lockName), { holder: 'pod-a', epoch: String(g.epoch) });
    // The epoch counter outlives every hold.
    assert.equal(await admin.pttl(`highlander-leader-epoch:${run}-named`), -1);
  });

  test('epochs keep counting after the key expired', async () => {
    const s = open('expiry');
    const g = await s.tryAcquire('a', 300);
    assert.ok(g.acquired);
    await sleep(500);
    assert.equal(await admin.exists(s.lockName), 0, 'the key outlived its TTL');
    assert.deepEqual(await s.read(), { holder: null, epoch: g.epoch, remainingMs: 0 });
    const again = await s.tryAcquire('a', 5000);
    assert.ok(again.acquired);
    assert.equal(again.epoch, g.epoch + 1);
  });

  test('a release after expiry does not delete the new holder’s key', async () => {
    const [a, b] = [open('successor'), open('successor')];
    const ga = await a.tryAcquire('a', 300);
    assert.ok(ga.acquired);
    await sleep(500);
    const gb = await b.tryAcquire('b', 10_000);
    assert.ok(gb.acquired, 'b could not take the expired lock');
    assert.equal(await a.release('a', ga.epoch), false);
    assert.equal(await a.renew('a', ga.epoch, 10_000), null);
    assert.deepEqual(await admin.hgetall(b.lockName), { holder: 'b', epoch: String(gb.epoch) });
    assert.equal((await a.read()).holder, 'b');
  });

  test('acquire and release publish JSON on highlander-leader-events:<tenant>', async () => {
    const s = open('wire');
    const channel = `highlander-leader-events:${run}-wire`;
    const sub = admin.duplicate();
    const messages: unknown[] = [];
    sub.on('message', (ch: string, msg: string) => {
      if (ch === channel) messages.push(JSON.parse(msg));
    });
    try {
      await sub.subscribe(channel);
      const g = await s.tryAcquire('pod/a', 5000);
      assert.ok(g.acquired);
      assert.ok(await s.release('pod/a', g.epoch));
      // A holder that vouches none of its writes is pending says so, and the event carries it.
      const g2 = await s.tryAcquire('pod/a', 5000);
      assert.ok(g2.acquired);
      assert.ok(await s.release('pod/a', g2.epoch, { clean: true }));
      assert.ok(await eventually(() => messages.length >= 4, 2000), `messages: ${JSON.stringify(messages)}`);
      assert.deepEqual(messages, [
        { type: 'acquired', holder: 'pod/a', epoch: g.epoch },
        { type: 'released', epoch: g.epoch, clean: false },
        { type: 'acquired', holder: 'pod/a', epoch: g2.epoch },
        { type: 'released', epoch: g2.epoch, clean: true },
      ]);
    } finally {
      sub.disconnect();
    }
  });

  test('a key that is not a lock the store wrote is an invalid response, not a lock', async () => {
    const s = open('foreign');
    await admin.hset(s.lockName, 'holder', 'x', 'epoch', '1'); // no TTL: would be held forever
    await assert.rejects(s.read(), (err: unknown) => err instanceof LockStoreError && err.code === 'invalid-response');
    await admin.del(s.lockName);
    await admin.set(s.lockName, 'a string');
    await assert.rejects(
      s.tryAcquire('a', 1000),
      (err: unknown) => err instanceof LockStoreError && err.code === 'invalid-response',
    );
    await admin.del(s.lockName);
  });

  test('an ACL user authenticates with username and password; a wrong password is a config error', async () => {
    const user = `hltest-${run}`;
    // Only the store's own keys and channels: the store needs nothing else.
    await admin.call(
      'ACL',
      'SETUSER',
      user,
      'on',
      '>secret-pw',
      '~highlander-leader-*',
      '&highlander-leader-*',
      '+@all',
    );
    try {
      const s = open('acl', { username: user, password: 'secret-pw' });
      const events: LockEvent[] = [];
      const stop = await s.subscribe((e) => events.push(e));
      const g = await s.tryAcquire('a', 5000);
      assert.ok(g.acquired);
      assert.ok(await s.release('a', g.epoch));
      assert.ok(await eventually(() => events.length >= 2, 2000), `events: ${JSON.stringify(events)}`);
      await stop();

      const bad = open('acl', { username: user, password: 'wrong-pw', timeoutMs: 3000 });
      await assert.rejects(bad.read(), (err: unknown) => {
        assert.ok(err instanceof LockStoreError, String(err));
        assert.equal(err.code, 'config', err.message);
        assert.ok(!err.message.includes('wrong-pw') && !err.message.includes('secret-pw'), err.message);
        return true;
      });
    } finally {
      await admin.call('ACL', 'DELUSER', user);
    }
  });

  test('a subscription survives its connection being killed', async () => {
    const [a, b] = [open('resubscribe'), open('resubscribe')];
    const subscriberIds = async (): Promise<Set<string>> => {
      const list = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
      return new Set([...list.matchAll(/^id=(\d+) .*name=highlander-lock /gm)].map((m) => m[1]!));
    };
    const before = await subscriberIds();
    const events: LockEvent[] = [];
    const stop = await b.subscribe((e) => events.push(e));
    try {
      const mine = [...(await subscriberIds())].filter((id) => !before.has(id));
      assert.equal(mine.length, 1, `subscriber connections of this store: ${mine.join(', ')}`);
      await admin.call('CLIENT', 'KILL', 'ID', mine[0]!);
      // ioredis reconnects and subscribes again by itself; keep announcing until it hears.
      const deadline = Date.now() + 10_000;
      while (!events.some((e) => e.type === 'released') && Date.now() < deadline) {
        const g = await a.tryAcquire('a', 5000);
        assert.ok(g.acquired);
        assert.ok(await a.release('a', g.epoch));
        await sleep(200);
      }
      assert.ok(
        events.some((e) => e.type === 'released'),
        'no event after the subscriber was killed',
      );
    } finally {
      await stop();
    }
  });
});
