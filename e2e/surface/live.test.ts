// The live surface from two real operator processes on the Lease: the SSE stream, the failover
// timeline, workload metrics, the planned-handover endpoint and the dashboard's files.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { OperatorProcess, leaderAndFollower } from '../../testkit/operator-process.ts';
import { SseStream } from '../../testkit/sse.ts';

const kc = loadKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const TOKEN = 'e2e-handover-token-0123456789';
const procs: OperatorProcess[] = [];
const streams: SseStream[] = [];
let ns: TestNamespace;

before(async () => {
  ns = await createTestNamespace(kc, 'live');
});
after(async () => {
  streams.forEach((s) => s.close());
  await Promise.all(procs.map((p) => p.kill()));
  await ns?.remove();
});

async function base(p: OperatorProcess): Promise<string> {
  const line = await p.waitForLog((l) => l.msg === 'campaigning for leadership', STARTUP_MS);
  return `http://127.0.0.1:${String(line.port)}`;
}
const identity = (p: OperatorProcess): string => String(p.logs('campaigning for leadership')[0]?.identity);
const json = async (url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const open = async (p: OperatorProcess): Promise<SseStream> => {
  const s = new SseStream(`${await base(p)}/api/events`);
  streams.push(s);
  return s;
};
type Data = Record<string, unknown>;

test('the event stream: a snapshot first, then leadership, a failover with its duration, and lease heartbeats', async () => {
  const tenant = uniqueTenant('live');
  const [a, b] = await leaderAndFollower(operatorEnv('kubernetes', tenant, FAST_TIMINGS), procs, STARTUP_MS);
  const stream = await open(b);
  const snap = (await stream.waitFor((e) => e.event === 'snapshot', 10_000)).data as Data;
  assert.equal(snap.identity, identity(b));
  const st = snap.status as Data;
  assert.equal(st.isLeader, false);
  assert.equal(st.currentLeader, identity(a));
  assert.equal((snap.ready as Data).ready, true);
  assert.equal((snap.lockStore as Data).storageType, 'kubernetes');
  const beat = (await stream.waitFor((e) => e.event === 'lease', 5_000)).data as Data;
  assert.equal(beat.leaseDurationMs, FAST_TIMINGS.leaseMs);

  const from = stream.events.length;
  a.signal('SIGTERM');
  const acquired = (
    await stream.waitFor((e) => e.event === 'leadership' && (e.data as Data).change === 'acquired', 15_000, from)
  ).data as Data;
  assert.equal(acquired.leader, identity(b));
  const failover = ((await stream.waitFor((e) => e.event === 'failover', 5_000, from)).data as Data).failover as Data;
  assert.deepEqual([failover.from, failover.to, failover.observedBy], [identity(a), identity(b), 'self']);
  assert.equal(typeof failover.durationMs, 'number');
  const leading = await stream.waitFor((e) => e.event === 'lease' && (e.data as Data).isLeader === true, 5_000, from);
  assert.ok(((leading.data as Data).leaseRemainingMs as number) > 0, 'the new leader counts its lease down');

  const history = await json(`${await base(b)}/api/failovers`);
  assert.equal(history.status, 200);
  const entries = history.body.data as Data[];
  assert.deepEqual([entries[0]?.from, entries[0]?.to], [identity(a), identity(b)], 'newest first');
  assert.equal(entries[0]?.epoch, acquired.epoch);
});

test('workloads over the stream and in the metrics: added, then healthy; exported by the leader only', async () => {
  const tenant = uniqueTenant('livew');
  const [a, b] = await leaderAndFollower(operatorEnv('kubernetes', tenant, FAST_TIMINGS), procs, STARTUP_MS);
  const streamB = await open(b);
  await streamB.waitFor((e) => e.event === 'snapshot', 10_000);
  await custom.createNamespacedCustomObject({
    group: 'highlander.plexobject.io',
    version: 'v1',
    namespace: ns.name,
    plural: 'workloadprocesses',
    body: {
      apiVersion: 'highlander.plexobject.io/v1',
      kind: 'WorkloadProcess',
      metadata: { name: 'ticker', namespace: ns.name, labels: { 'highlander.plexobject.io/tenant': tenant } },
      spec: { image: 'busybox', script: { commands: ['sleep 3600'] } },
    },
  });
  const isTicker = (d: Data): boolean => (d.workload as Data | undefined)?.name === 'ticker';
  await streamB.waitFor(
    (e) => e.event === 'workload' && (e.data as Data).change === 'added' && isTicker(e.data as Data),
    15_000,
  );
  await streamB.waitFor(
    (e) => e.event === 'workload' && isTicker(e.data as Data) && ((e.data as Data).workload as Data).healthy === true,
    60_000,
  );

  // The leader saw its own transition as an event, and counts it.
  const streamA = await open(a);
  const snapA = (await streamA.waitFor((e) => e.event === 'snapshot', 10_000)).data as Data;
  const recent = snapA.recent as Data[];
  assert.ok(
    recent.some((e) => e.type === 'event' && e.reason === 'Created' && e.name === 'ticker'),
    JSON.stringify(recent).slice(0, 600),
  );

  assert.deepEqual((await json(`${await base(b)}/api/v1/workload-names`)).body.data, ['ticker']);
  // K8 Highlander's /api/pods: this tenant's pods, from every replica.
  const pods = await json(`${await base(b)}/api/pods`);
  const listed = pods.body.data as Data[];
  assert.deepEqual(
    listed.map((p) => [p.name, p.namespace, p.workload, p.status]),
    [['ticker-pod', ns.name, 'ticker', 'Running']],
  );
  assert.equal(listed[0]?.leaderId, identity(a));
  assert.match(String(listed[0]?.node), /^kwok-node-\d$/);

  // Logs: one info line for the change, none per reconcile pass.
  assert.ok(
    a.lines.some((l) => l.msg === 'workload changed' && l.name === 'ticker' && l.reason === 'Created'),
    'the leader logs the creation',
  );
  const infoMessages = new Set(a.lines.filter((l) => l.level === 30).map((l) => String(l.msg)));
  assert.deepEqual(
    [...infoMessages].filter(
      (m) => !['starting', 'campaigning for leadership', 'became leader', 'workload changed'].includes(m),
    ),
    [],
  );

  const metrics = async (p: OperatorProcess): Promise<string> => (await fetch(`${await base(p)}/metrics`)).text();
  const leaderText = await metrics(a);
  const series = `{type="process",name="ticker",namespace="${ns.name}"}`;
  assert.match(leaderText, new RegExp(`^k8_highlander_workload_status${escape(series)} 1$`, 'm'));
  assert.match(leaderText, new RegExp(`^k8_highlander_workload_healthy${escape(series)} 1$`, 'm'));
  assert.match(
    leaderText,
    /^k8_highlander_workload_operations_total\{type="process",name="ticker",operation="created"\} 1$/m,
  );
  assert.match(leaderText, /^k8_highlander_cluster_health\{cluster="default"\} 1$/m);
  assert.match(
    leaderText,
    /^controller_runtime_reconcile_total\{controller="WorkloadProcess",result="success"\} [1-9]/m,
  );
  const followerText = await metrics(b);
  assert.doesNotMatch(followerText, /^k8_highlander_workload_status\{/m, 'a follower exports no workload series');
  assert.match(followerText, /^k8_highlander_cluster_health\{cluster="default"\} 1$/m);
});

test('planned handover: needs the token, only the leader hands over, and the follower takes over at once', async () => {
  const tenant = uniqueTenant('hand');
  const [a, b] = await leaderAndFollower(
    operatorEnv('kubernetes', tenant, FAST_TIMINGS, { HIGHLANDER_HANDOVER_TOKEN: TOKEN }),
    procs,
    STARTUP_MS,
  );
  const url = `${await base(a)}/api/leader/handover`;
  assert.equal((await json(url, { method: 'POST' })).status, 401);
  assert.equal(
    (await json(url, { method: 'POST', headers: { Authorization: 'Bearer not-the-token-at-all' } })).status,
    403,
  );
  const onFollower = await json(`${await base(b)}/api/leader/handover`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(onFollower.status, 409);
  assert.match(String(onFollower.body.error), new RegExp(`the leader is ${identity(a)}`));

  const from = b.lines.length;
  const ok = await json(url, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal((ok.body.data as Data).handedOver, true);
  const took = await b.becameLeader(5_000, from);
  assert.equal(took.previousLeader, identity(a));
  // The old leader stands aside: a stays a follower well past a lease duration.
  await new Promise((r) => setTimeout(r, FAST_TIMINGS.leaseMs * 2));
  const sa = await json(`${await base(a)}/api/status`);
  assert.equal((sa.body.data as Data).isLeader, false);
  assert.equal((sa.body.data as Data).currentLeader, identity(b));
});

test('without a token the handover route does not exist; the dashboard is local files under a strict CSP', async () => {
  const tenant = uniqueTenant('dash');
  const p = new OperatorProcess('solo', operatorEnv('kubernetes', tenant, FAST_TIMINGS));
  procs.push(p);
  await p.becameLeader(STARTUP_MS);
  const root = await base(p);
  const missing = await json(`${root}/api/leader/handover`, { method: 'POST' });
  assert.deepEqual(
    [missing.status, missing.body],
    [404, { status: 'error', error: 'no route POST /api/leader/handover' }],
    'unknown routes answer JSON',
  );
  const page = await fetch(`${root}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/, 'no inline scripts allowed');
  const html = await page.text();
  for (const asset of ['/dashboard.js', '/dashboard.css']) {
    const res = await fetch(`${root}${asset}`);
    assert.equal(res.status, 200, asset);
    const text = await res.text();
    assert.doesNotMatch(text, /https?:\/\//, `${asset} loads nothing from elsewhere`);
    if (asset.endsWith('.js'))
      assert.doesNotMatch(
        text,
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write/,
        'values are never written as HTML',
      );
  }
  assert.doesNotMatch(html, /<script>|https?:\/\//, 'no inline script, no CDN');
});

function escape(s: string): string {
  return s.replace(/[{}()[\].*+?^$|\\]/g, '\\$&');
}
