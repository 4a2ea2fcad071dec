// Service routing to the leader, on every lock store: three real `highlander await` processes,
// each with a made-up pod IP and node name (this control plane's pods are fake: nothing ever
// connects to them; the test only reads the EndpointSlice from the API server), running with
// the ServiceAccount and Roles of deploy/await as shipped. After each grant — the first, after
// SIGTERM, after SIGKILL, after SIGSTOP beyond the lease — the slice names the new leader within
// 1 s; a thawed leader does not point it back; followers never write it. A write that lowers its
// epoch, made with an operator's ServiceAccount token, is refused naming both epochs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { EPOCH_LABEL } from '../../api/labels.ts';
import type { EndpointSlice } from '../../cli/await-routing.ts';
import { KubeApiError, KubeClient, PATCH } from '../../runtime/kube-client.ts';
import { BACKENDS, FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig, repoRoot } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { operatorIdentity } from '../../testkit/operator-account.ts';
import type { OperatorIdentity } from '../../testkit/operator-account.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { awaitAccount } from './routing-account.ts';

const { leaseMs } = FAST_TIMINGS;
const kc = loadKubeConfig();
const admin = new KubeClient(kc);
const CHILD = "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)";
const PORTS = '[{"name":"my-port","port":1024,"protocol":"TCP"}]';
let dir: string;
let id: OperatorIdentity;
let operator: KubeClient;
const namespaces: TestNamespace[] = [];
const running: OperatorProcess[] = [];

before(async () => {
  dir = mkdtempSync(`${tmpdir()}/hl-route-`);
  id = await operatorIdentity(kc, 'highlander-e2e-await-routing');
  operator = new KubeClient(loadKubeConfig(id.kubeconfig));
});
after(async () => {
  await Promise.all(running.splice(0).map((p) => p.kill()));
  operator?.close();
  admin.close();
  await id?.remove();
  await Promise.all(namespaces.map((n) => n.remove()));
  rmSync(dir, { recursive: true, force: true });
});

/** One store's election: its namespace, lock, Service and candidates (by made-up pod IP). */
interface Election {
  backend: (typeof BACKENDS)[number];
  ns: string;
  lock: string;
  service: string;
  kubeconfig: string;
  candidates: { p: OperatorProcess; ip: string }[];
}

const slicePath = (e: Election) => `/apis/discovery.k8s.io/v1/namespaces/${e.ns}/endpointslices/${e.service}`;

/** Starts a candidate with the next made-up pod IP; resolves once it leads or has seen a leader. */
async function start(e: Election): Promise<void> {
  const n = e.candidates.length + 1;
  const name = `${e.backend.slice(0, 4)}-${n}`;
  const ip = `10.250.${BACKENDS.indexOf(e.backend)}.${n}`;
  const env = operatorEnv(e.backend, e.lock, FAST_TIMINGS, {
    HIGHLANDER_KUBECONFIG: e.kubeconfig,
    HIGHLANDER_LEASE_NAMESPACE: e.ns,
    K8S_AWAIT_ELECTION_ENABLED: '1',
    K8S_AWAIT_ELECTION_NAME: 'routing',
    K8S_AWAIT_ELECTION_LOCK_NAME: e.lock,
    K8S_AWAIT_ELECTION_LOCK_NAMESPACE: e.ns,
    K8S_AWAIT_ELECTION_IDENTITY: name,
    K8S_AWAIT_ELECTION_SERVICE_NAME: e.service,
    K8S_AWAIT_ELECTION_SERVICE_NAMESPACE: e.ns,
    K8S_AWAIT_ELECTION_SERVICE_PORTS_JSON: PORTS,
    K8S_AWAIT_ELECTION_POD_IP: ip,
    K8S_AWAIT_ELECTION_NODE_NAME: `fake-node-${name}`,
  });
  const command = [process.execPath, `${repoRoot}bin/highlander.js`, 'await', '--', process.execPath, '-e', CHILD];
  const p = new OperatorProcess(name, env, [], command, { detached: true });
  running.push(p);
  e.candidates.push({ p, ip });
  await p.waitForLog((l) => l.msg === 'command started' || l.msg === 'new leader observed', STARTUP_MS);
}

/** The next grant among `among` (from each one's current line on): the candidate, epoch and time. */
async function nextGrant(among: Election['candidates'], timeoutMs: number) {
  const marks = among.map((c) => c.p.lines.length);
  return Promise.any(
    among.map(async (c, i) => {
      const l = await c.p.becameLeader(timeoutMs, marks[i]);
      return { c, epoch: Number(l.epoch), at: Number(l.leaderAt) };
    }),
  );
}

/** Polls the slice until it names `grant`'s candidate at its epoch; returns how long after the grant. */
async function routedAfter(e: Election, grant: Awaited<ReturnType<typeof nextGrant>>): Promise<number> {
  for (;;) {
    const s = await admin.send<EndpointSlice>({ method: 'GET', path: slicePath(e) }).catch((err: unknown) => {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw err;
    });
    const seenAt = Date.now();
    if (s?.endpoints[0]?.addresses[0] === grant.c.ip && s.metadata.labels?.[EPOCH_LABEL] === String(grant.epoch)) {
      assert.equal(s.endpoints.length, 1);
      assert.equal(s.endpoints[0].nodeName, `fake-node-${grant.c.p.name}`);
      assert.equal(s.endpoints[0].conditions.ready, true);
      assert.equal(s.addressType, 'IPv4');
      assert.deepEqual(s.ports, JSON.parse(PORTS));
      assert.equal(s.metadata.labels['kubernetes.io/service-name'], e.service);
      return seenAt - grant.at;
    }
    if (seenAt - grant.at > 5000) assert.fail(`after 5 s the slice names ${JSON.stringify(s?.endpoints)}`);
    await sleep(20);
  }
}

for (const backend of BACKENDS) {
  describe(`Service routing with highlander await on ${backend}`, () => {
    test('the EndpointSlice names each new leader within 1 s of its grant; a stale write is refused', async () => {
      const ns = await createTestNamespace(kc, `route-${backend === 'db' ? 'pg' : backend.slice(0, 4)}`);
      namespaces.push(ns);
      const lock = uniqueTenant('route');
      const service = 'my-service';
      const kubeconfig = await awaitAccount(kc, ns.name, { lock, service }, dir);
      const e: Election = { backend, ns: ns.name, lock, service, kubeconfig, candidates: [] };
      const alive = new Set<OperatorProcess>();
      const routedMs: number[] = [];

      await start(e);
      const g0 = e.candidates[0]!;
      const l0 = await g0.p.becameLeader(STARTUP_MS);
      let grant = { c: g0, epoch: Number(l0.epoch), at: Number(l0.leaderAt) };
      routedMs.push(await routedAfter(e, grant));
      await start(e);
      await start(e);
      for (const c of e.candidates) alive.add(c.p);

      for (const fault of ['SIGTERM', 'SIGKILL', 'SIGSTOP', 'SIGTERM'] as const) {
        const old = grant.c;
        const rest = e.candidates.filter((c) => c !== old && alive.has(c.p));
        const next = nextGrant(rest, leaseMs + 10_000);
        // SIGTERM reaches await alone (a pod's PID 1); SIGKILL and SIGSTOP reach the whole container.
        if (fault === 'SIGTERM') old.p.signal(fault);
        else old.p.signalGroup(fault);
        grant = await next;
        routedMs.push(await routedAfter(e, grant));
        if (fault === 'SIGSTOP') {
          // Thawed past its lease, the old leader stops its command and writes nothing.
          const mark = old.p.lines.length;
          old.p.signalGroup('SIGCONT');
          await old.p.waitForLog((l) => l.msg === 'command exited', 5000, mark);
          await sleep(500);
          const s = await admin.send<EndpointSlice>({ method: 'GET', path: slicePath(e) });
          assert.equal(s.endpoints[0]!.addresses[0], grant.c.ip, 'the thawed leader pointed the Service back');
          assert.deepEqual(
            old.p.lines.slice(mark).filter((l) => String(l.msg).startsWith('service ')),
            [],
          );
        } else {
          alive.delete(old.p);
          await old.p.exited;
        }
        await start(e);
        alive.add(e.candidates.at(-1)!.p);
      }
      assert.ok(
        routedMs.every((ms) => ms < 1000),
        `slice named the leader after ${routedMs.join(', ')} ms`,
      );

      // Followers never wrote: every routing line of a process follows a grant of that process.
      for (const { p } of e.candidates) {
        const grants = p.logs('became leader').map((l) => l.epoch);
        const routed = p.lines.filter((l) => String(l.msg).startsWith('service ')).map((l) => l.epoch);
        assert.deepEqual(routed, grants, `${p.name}: routing at epochs ${routed.join()} vs grants ${grants.join()}`);
      }

      // A stale leader's write, made with an operator's token: lower than the stored epoch.
      const stored = await admin.send<EndpointSlice>({ method: 'GET', path: slicePath(e) });
      const epoch = Number(stored.metadata.labels![EPOCH_LABEL]);
      const stale = structuredClone(stored);
      stale.metadata.labels![EPOCH_LABEL] = String(epoch - 1);
      stale.endpoints[0]!.addresses = ['10.250.99.99'];
      const refused = await operator.send({ method: 'PUT', path: slicePath(e), body: stale }).then(
        () => assert.fail('the stale write was accepted'),
        (err: unknown) => err,
      );
      assert.ok(refused instanceof KubeApiError, String(refused));
      assert.equal(refused.code, 403);
      assert.match(refused.message, new RegExp(`epoch ${epoch - 1} is lower than the stored epoch ${epoch}`));
      const patched = await operator
        .send({
          method: 'PATCH',
          path: slicePath(e),
          contentType: PATCH.merge,
          body: { metadata: { labels: { [EPOCH_LABEL]: '1' } } },
        })
        .catch((err: unknown) => err);
      assert.ok(patched instanceof KubeApiError && patched.code === 403, String(patched));
      // A person's edit that keeps the epoch goes through.
      await operator.send({
        method: 'PATCH',
        path: slicePath(e),
        contentType: PATCH.merge,
        body: { metadata: { annotations: { note: 'edited-by-hand' } } },
      });
      const last = await admin.send<EndpointSlice>({ method: 'GET', path: slicePath(e) });
      assert.equal(last.endpoints[0]!.addresses[0], grant.c.ip);
      console.log(JSON.stringify({ backend, routedMs, epochs: epoch }));
      await Promise.all(running.splice(0).map((p) => p.kill()));
    });
  });
}
