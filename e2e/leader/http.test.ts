// The operator's HTTP surface from two real processes: health, readiness, and leadership metrics.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import { OperatorProcess, leaderAndFollower } from '../../testkit/operator-process.ts';

const procs: OperatorProcess[] = [];
after(async () => {
  await Promise.all(procs.map((p) => p.kill()));
});

async function get(p: OperatorProcess, path: string): Promise<{ status: number; body: string }> {
  const line = await p.waitForLog((l) => l.msg === 'campaigning for leadership', STARTUP_MS);
  const res = await fetch(`http://127.0.0.1:${String(line.port)}${path}`);
  return { status: res.status, body: await res.text() };
}

const metric = (text: string, name: string): number => {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  assert.ok(m, `no ${name} in /metrics`);
  return Number(m[1]);
};

/** A leader `a` and a follower `b` on Redis, in a tenant of their own. */
const pair = (): Promise<[OperatorProcess, OperatorProcess]> =>
  leaderAndFollower(operatorEnv('redis', uniqueTenant('http')), procs, STARTUP_MS);

test('leader and follower report their roles on /metrics and are both ready', async () => {
  const [a, b] = await pair();

  for (const [p, leading] of [
    [a, 1],
    [b, 0],
  ] as const) {
    const health = await get(p, '/healthz');
    assert.deepEqual([health.status, health.body], [200, 'ok']);
    const ready = await get(p, '/readyz');
    assert.deepEqual([ready.status, ready.body], [200, 'ok']);
    const m = (await get(p, '/metrics')).body;
    assert.equal(metric(m, 'k8_highlander_is_leader'), leading, `${p.name} is_leader`);
    assert.equal(metric(m, 'k8_highlander_leadership_acquisitions_total'), leading);
    assert.ok(metric(m, 'k8_highlander_db_operations_total') >= 1);
    assert.ok(metric(m, 'process_resident_memory_bytes') > 0);
  }
});

test("/status, /api/status and /api/dbinfo answer in K8 Highlander's shapes, /api/v1/* in ours", async () => {
  const [a, b] = await pair();
  const aId = String(a.logs('campaigning for leadership')[0]?.identity);
  for (const path of ['/status', '/api/status']) {
    const sa = JSON.parse((await get(a, path)).body) as { status: string; data: Record<string, unknown> };
    assert.equal(sa.status, 'success');
    assert.equal(sa.data.isLeader, true);
    assert.equal(sa.data.leaderID, aId);
    assert.equal(sa.data.currentLeader, aId);
    assert.equal(typeof sa.data.leaderSince, 'string');
    for (const key of [
      'uptime',
      'clusterName',
      'workloadStatus',
      'failoverCount',
      'leadershipTransitions',
      'lastLeader',
      'lastLeaderTransition',
    ]) {
      assert.ok(key in sa.data, `${path} has no ${key}`);
    }
    // K8 Highlander's types: uptime in nanoseconds, health and store state as it reported them.
    assert.ok(Number.isInteger(sa.data.uptime), `${path} uptime ${String(sa.data.uptime)}`);
    assert.deepEqual(
      [sa.data.clusterHealth, sa.data.dbConnected, sa.data.readyForTraffic, sa.data.controllerState],
      [true, true, true, 'Normal'],
    );
    assert.ok(!('epoch' in sa.data), `${path} carries only K8 Highlander's fields`);
  }
  const v1 = JSON.parse((await get(a, '/api/v1/status')).body) as { data: Record<string, unknown> };
  assert.equal(v1.data.isLeader, true);
  assert.equal(typeof v1.data.epoch, 'number');
  assert.equal(typeof v1.data.uptime, 'string');
  const sb = JSON.parse((await get(b, '/status')).body) as { data: Record<string, unknown> };
  assert.equal(sb.data.isLeader, false);
  assert.equal(sb.data.currentLeader, aId);
  const db = JSON.parse((await get(a, '/api/v1/dbinfo')).body) as { data: Record<string, unknown> };
  assert.equal(db.data.storageType, 'redis');
  assert.equal(db.data.reachable, true);
  assert.match(String(db.data.lockName), /^highlander-leader-lock:/);
  // K8 Highlander's DBInfo at its path: type, address, connected, details.
  const k8db = JSON.parse((await get(a, '/api/dbinfo')).body) as { data: Record<string, unknown> };
  assert.deepEqual(Object.keys(k8db.data), ['type', 'address', 'connected', 'details']);
  assert.deepEqual([k8db.data.type, k8db.data.connected, k8db.data.address], ['redis', true, db.data.address]);
  const missing = await get(a, '/api/workloads/no-such-workload');
  assert.deepEqual([missing.status, JSON.parse(missing.body)], [404, { status: 'error', error: 'workload not found' }]);
  const missingV1 = await get(a, '/api/v1/workloads/no-such-workload');
  assert.equal(missingV1.status, 404);
  assert.match(missingV1.body, /workload no-such-workload not found/);
});

test('a replica whose lock store is unreachable is alive but not ready', async () => {
  const p = new OperatorProcess(
    'c',
    operatorEnv('redis', uniqueTenant('http'), undefined, { HIGHLANDER_REDIS_ADDR: '127.0.0.1:1' }),
  );
  procs.push(p);
  await p.waitForLog((l) => l.msg === 'lock store call failed while campaigning', STARTUP_MS);
  assert.equal((await get(p, '/healthz')).status, 200);
  const ready = await get(p, '/readyz');
  assert.equal(ready.status, 503);
  assert.match(ready.body, /^not ready - lock store unreachable/, "K8 Highlander's plain text");
  assert.equal((await get(p, '/health')).status, 503);
  const line = await p.waitForLog((l) => l.msg === 'campaigning for leadership', STARTUP_MS);
  const asJson = await fetch(`http://127.0.0.1:${String(line.port)}/readyz`, {
    headers: { Accept: 'application/json' },
  });
  assert.equal(asJson.status, 503);
  const body = (await asJson.json()) as { status: string; reasons: string[] };
  assert.equal(body.status, 'not ready');
  assert.match(body.reasons[0] ?? '', /lock store unreachable/);
});
