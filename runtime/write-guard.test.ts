import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeApiError } from './kube-client.ts';
import type { KubeClient, KubeRequest } from './kube-client.ts';
import { LeadershipLost, MIN_WRITE_BUDGET_MS, sendGuarded } from './write-guard.ts';
import type { WriteGuard } from './write-guard.ts';

/** A client that runs the request's last-moment check and records what it would have sent. */
function recorder() {
  const sent: { path: string; timeoutMs: number | undefined; signal: AbortSignal | undefined }[] = [];
  const client = {
    send: (r: KubeRequest) => {
      const budget = r.beforeSend?.();
      sent.push({ path: r.path, timeoutMs: typeof budget === 'number' ? budget : undefined, signal: r.signal });
      return Promise.resolve({});
    },
  } as unknown as KubeClient;
  return { client, sent };
}

const guard = (budget: () => number, ac = new AbortController()): WriteGuard => ({
  epoch: 4,
  signal: ac.signal,
  budgetMs: budget,
});

test('a write leaves only while the lease is safely held, with the lease time left as its deadline', async () => {
  const { client, sent } = recorder();
  let left = 1500;
  const g = guard(() => left);
  await sendGuarded(client, g, { method: 'PATCH', path: '/api/v1/namespaces/n/pods/p' });
  assert.deepEqual(sent, [{ path: '/api/v1/namespaces/n/pods/p', timeoutMs: 1500, signal: g.signal }]);
  left = MIN_WRITE_BUDGET_MS - 1;
  await assert.rejects(sendGuarded(client, g, { method: 'DELETE', path: '/x' }), LeadershipLost);
  assert.equal(sent.length, 1, 'a write was sent after the renew deadline');
});

test('a write is not sent once leadership ended, whatever the clock says', async () => {
  const { client, sent } = recorder();
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(
    sendGuarded(
      client,
      guard(() => 5000, ac),
      { method: 'POST', path: '/y' },
    ),
    /no longer safely held/,
  );
  assert.equal(sent.length, 0);
});

test('a write that failed without a definite answer is reported as one that may still land', async () => {
  const failing = (err: Error) => ({ send: () => Promise.reject(err) }) as unknown as KubeClient;
  const outcomes: [string, Error, boolean][] = [
    ['aborted in flight', new DOMException('aborted', 'AbortError'), true],
    ['connection reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    ['504 from the API server', new KubeApiError(504, 'Timeout', 'timeout', {}), true],
    ['409 conflict', new KubeApiError(409, 'Conflict', 'conflict', {}), false],
    ['403 refused by the fence', new KubeApiError(403, 'Forbidden', 'fence', {}), false],
    ['not sent: the lease is not safely held', new LeadershipLost('not sent'), false],
  ];
  for (const [what, err, landsLater] of outcomes) {
    let told = 0;
    const g = { ...guard(() => 5000), unanswered: () => (told += 1) };
    await assert.rejects(sendGuarded(failing(err), g, { method: 'PUT', path: '/z' }));
    assert.equal(told, landsLater ? 1 : 0, what);
  }
  // An answered write tells nothing.
  let told = 0;
  await sendGuarded(
    recorder().client,
    { ...guard(() => 5000), unanswered: () => (told += 1) },
    { method: 'PUT', path: '/z' },
  );
  assert.equal(told, 0);
});
