// The fence as a follower sees it: a replica that follows the fence Lease knows when another raised
// it, and then raises it to that epoch without a request; a deleted fence is created again.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { fence } from '../../controllers/fence.ts';
import { KubeClient } from '../../runtime/kube-client.ts';
import { unguarded } from '../../runtime/write-guard.ts';
import { uniqueTenant } from '../../testkit/backends.ts';
import { loadKubeConfig } from '../../testkit/kube.ts';

const kc = loadKubeConfig();
const leases = kc.makeApiClient(CoordinationV1Api);
const tenant = uniqueTenant('follow');
const namespace = 'default';
const clients: KubeClient[] = [];

after(async () => {
  for (const c of clients) c.close();
  await leases.deleteNamespacedLease({ name: `highlander-fence-${tenant}`, namespace }).catch(() => undefined);
});

/** A fence client whose requests are counted. */
function counted(): { f: ReturnType<typeof fence>; sent: string[] } {
  const client = new KubeClient(kc);
  clients.push(client);
  const sent: string[] = [];
  const send = client.send.bind(client);
  client.send = (r: Parameters<KubeClient['send']>[0]) => {
    sent.push(r.method);
    return send(r);
  };
  return { f: fence(client, { namespace, tenant }), sent };
}

/** Polls `check` until it holds (or fails after 5 s). */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`never: ${what}`);
}

test('a follower of the fence raises it to an epoch another reached without a request, and recreates it once deleted', async () => {
  const leader = counted();
  const follower = counted();
  const unfollow = await follower.f.follow(kc);
  try {
    await leader.f.raise(unguarded(4), 'leader');
    assert.deepEqual(leader.sent, ['GET', 'POST'], 'the first raise reads, then creates');
    await leader.f.raise(unguarded(5), 'leader');
    assert.deepEqual(leader.sent.slice(2), ['PUT'], 'its own version is written over without a read');
    await eventually('the follower saw epoch 5', async () => {
      const before = follower.sent.length;
      await follower.f.raise(unguarded(5), 'follower');
      return follower.sent.length === before;
    });
    // Until the watch showed epoch 5 the follower may have written over the version of epoch 4
    // it had seen; the API server refused that (409), so the fence is still the leader's.
    assert.ok(!follower.sent.includes('POST'), `the follower created the fence: ${follower.sent.join(' ')}`);
    const held = await leases.readNamespacedLease({ name: `highlander-fence-${tenant}`, namespace });
    assert.equal(held.spec?.holderIdentity, 'leader', 'the follower wrote the fence');
    assert.equal(await leader.f.epoch(), 5);

    await leases.deleteNamespacedLease({ name: `highlander-fence-${tenant}`, namespace });
    await eventually('the follower saw the deletion', async () => {
      await follower.f.raise(unguarded(6), 'follower');
      return (await leader.f.epoch()) === 6;
    });
  } finally {
    await unfollow();
  }
});
