// Two sidecars on one in-memory lock, over real HTTP: the classic `{"name":…}` answer with the
// epoch, a handover when the leader leaves, and 503 with name null from the one whose store fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config/config.ts';
import { MemoryLock } from '../locks/memory/memory-store.ts';
import type { MemoryLockStore } from '../locks/memory/memory-store.ts';
import { systemClock } from '../runtime/clock.ts';
import { createLogger } from '../runtime/logger.ts';
import { runElect } from './elect.ts';
import type { ElectSettings } from './elect-settings.ts';

const silent = createLogger('silent');
const timings = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };

function settings(id: string, observe = false): ElectSettings {
  const config = parseConfig({}, {}, 'test', { id });
  const store = {
    storageType: 'kubernetes' as const,
    tenant: 'e',
    leaderElection: { ...timings, leaseNamespace: 'd' },
  };
  const http = { host: '127.0.0.1', port: 0 };
  return {
    election: 'e',
    id,
    observe,
    http,
    store,
    kubeconfig: undefined,
    timings,
    pollMs: 100,
    staleAfterMs: 200,
    config,
  };
}

/** Starts a sidecar on `store`; resolves with its base URL and a stop function. */
async function sidecar(id: string, store: MemoryLockStore, observe = false) {
  const ac = new AbortController();
  let listening = (_port: number): void => undefined;
  const port = new Promise<number>((resolve) => (listening = resolve));
  const done = runElect(settings(id, observe), silent, ac.signal, { store, onListening: (p) => listening(p) });
  const url = `http://127.0.0.1:${await Promise.race([port, done.then(() => assert.fail('ended'))])}`;
  return {
    url,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls `url` until `ok` holds of its answer, or fails after `ms`. */
async function until(url: string, ok: (a: { status: number; body: Record<string, unknown> }) => boolean, ms = 3000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const a = await get(url);
    if (ok(a)) return a;
    if (Date.now() > deadline) assert.fail(`no such answer within ${ms} ms; last: ${JSON.stringify(a)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('one leads under its pod name; a leaving leader hands over at once; an observer only reports', async () => {
  const lock = new MemoryLock(systemClock);
  const a = await sidecar('pod-a', lock.client());
  const lead = await until(a.url, (x) => x.body.name === 'pod-a');
  assert.equal(lead.status, 200);
  assert.equal(lead.body.isLeader, true);
  assert.equal(lead.body.epoch, 1);
  assert.ok((lead.body.leaseRemainingMs as number) > 0);
  const b = await sidecar('pod-b', lock.client());
  const o = await sidecar('watcher', lock.client(), true);
  const seen = await until(b.url, (x) => x.body.name === 'pod-a');
  assert.equal(seen.body.isLeader, false);
  assert.equal((await until(o.url, (x) => x.body.name === 'pod-a')).body.identity, null);
  assert.equal((await get(`${a.url}/healthz`)).status, 200);
  const stoppedAt = Date.now();
  await a.stop();
  const next = await until(b.url, (x) => x.body.name === 'pod-b', 1000);
  assert.ok(Date.now() - stoppedAt < 1000, 'took over after the release, not at expiry');
  assert.equal(next.body.epoch, 2);
  assert.equal((await until(o.url, (x) => x.body.name === 'pod-b')).body.epoch, 2);
  const metrics = await (await fetch(`${b.url}/metrics`)).text();
  assert.match(metrics, /^highlander_elect_is_leader 1$/m);
  assert.match(metrics, /^highlander_elect_leader_known 1$/m);
  await b.stop();
  await o.stop();
  assert.equal(lock.state().holder, null, 'released on stop');
});

test('the sidecar whose store fails answers 503 with name null, never the last leader it saw', async () => {
  const lock = new MemoryLock(systemClock);
  const storeA = lock.client();
  const a = await sidecar('pod-a', storeA);
  await until(a.url, (x) => x.body.name === 'pod-a');
  const b = await sidecar('pod-b', lock.client());
  await until(b.url, (x) => x.body.name === 'pod-a');
  storeA.down();
  const cutAt = Date.now();
  const unknown = await until(a.url, (x) => x.status === 503, 1000);
  assert.ok(Date.now() - cutAt <= 300, `unknown after ${Date.now() - cutAt} ms`);
  assert.equal(unknown.body.name, null);
  assert.equal(unknown.body.known, false);
  assert.equal(unknown.body.unknown, 'store-unreachable');
  // Until it is healed, every answer is unknown; meanwhile b takes over once a's hold expires.
  const end = Date.now() + 2000;
  while (Date.now() < end) {
    const x = await get(a.url);
    assert.equal(x.status, 503, JSON.stringify(x));
    await new Promise((r) => setTimeout(r, 50));
  }
  await until(b.url, (x) => x.body.name === 'pod-b');
  storeA.down(false);
  await until(a.url, (x) => x.body.name === 'pod-b');
  await a.stop();
  await b.stop();
});
