// deploy/await as shipped — a Deployment configured only with k8s-await-election's variables, on
// the Lease store, its RBAC and its selector-less Service — applied to the local control plane
// with nothing changed but the image and the server's arguments. kwok makes the five pods (fake:
// no container runs, and their IPs are never connected to), and this test stands in for the
// kubelet: for each pod it runs the pod's container with podman, from the image, with the pod's
// command, its env resolved from the pod object (fieldRefs), the ServiceAccount token of the pod
// mounted where Kubernetes mounts it, and KUBERNETES_SERVICE_HOST/PORT pointing at the API server.
// Each pod gets its own network namespace (a `--network none` container that the app container
// joins), so five status endpoints on :9999 do not collide; the API server, which listens on the
// host's 127.0.0.1, is reached through a Unix socket that a bridge in that namespace forwards to.
// Checked: exactly one server runs; the Service's EndpointSlice names the leader pod within 1 s
// of each grant (the first, then after each of two `podman stop`s of the leader).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import YAML from 'yaml';
import type { EndpointSlice } from '../../cli/await-routing.ts';
import { KubeApiError, KubeClient } from '../../runtime/kube-client.ts';
import { STARTUP_MS } from '../../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig, repoRoot } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { BUILD_MS, podmanWithImage } from '../../testkit/podman.ts';
import type { Podman } from '../../testkit/podman.ts';
import { kubectlOk } from '../../testkit/run-command.ts';

const kc = loadKubeConfig();
const admin = new KubeClient(kc);
const core = kc.makeApiClient(CoreV1Api);
/** Where the bridge in each pod's network namespace listens for the API server. */
const API_PORT_IN_POD = 6443;
/** The server the Deployment runs: says when it starts, then serves until SIGTERM. */
const SERVER =
  "console.log(JSON.stringify({ msg: 'server started', time: Date.now() })); " +
  "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)";
let pm: Podman;
let ns: TestNamespace;
let dir: string;
let bridge: Server | undefined;
const pods = new Map<string, { pod: V1Pod; app: OperatorProcess; exited: boolean }>();

/** deploy/await's manifests in `ns`, with our image and the server above as the only changes. */
function manifests(ns: string, image: string): { docs: Record<string, unknown>[]; env: string[] } {
  const text = ['rbac.yaml', 'service-routing.yaml', 'deployment.yaml']
    .map((f) => readFileSync(`${repoRoot}deploy/await/${f}`, 'utf8'))
    .join('\n---\n')
    .replaceAll('my-namespace', ns);
  const docs = YAML.parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
  const deploy = docs.find((d) => d.kind === 'Deployment') as {
    spec: { template: { spec: { containers: { image: string; args: string[]; env: { name: string }[] }[] } } };
  };
  const c = deploy.spec.template.spec.containers[0]!;
  c.image = image;
  c.args = ['node', '-e', SERVER];
  return { docs, env: c.env.map((e) => e.name) };
}

/** The value of an env entry for `pod`, as the kubelet resolves it (the fieldRefs the manifest uses). */
function resolveEnv(pod: V1Pod, e: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }) {
  if (e.value !== undefined) return e.value;
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'status.podIP': pod.status?.podIP,
    'spec.nodeName': pod.spec?.nodeName,
  };
  const path = e.valueFrom?.fieldRef?.fieldPath ?? '';
  const v = fields[path];
  if (v === undefined) throw new Error(`env ${e.name}: cannot resolve fieldRef ${path} of pod ${pod.metadata?.name}`);
  return v;
}

/** Forwards connections on a Unix socket in `dir` to the API server on the host's loopback. */
function apiBridge(socketPath: string): Promise<Server> {
  const api = new URL(kc.getCurrentCluster()!.server);
  const server = createServer((c) => {
    const up = createConnection(Number(api.port), api.hostname);
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  return new Promise((resolve) =>
    server.listen(socketPath, () => {
      chmodSync(socketPath, 0o777); // the containers run as uid 1000
      resolve(server);
    }),
  );
}

/** The bridge's side inside a pod: 127.0.0.1:API_PORT_IN_POD → the socket mounted at /bridge. */
const POD_BRIDGE =
  "const net = require('node:net'); net.createServer((c) => { const u = net.connect('/bridge/api.sock'); " +
  "c.pipe(u).pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); })" +
  `.listen(${API_PORT_IN_POD}, '127.0.0.1')`;

/** Runs `pod` as the kubelet would: its network namespace, its token, its container. */
async function runPod(pod: V1Pod): Promise<OperatorProcess> {
  const name = pod.metadata!.name!;
  const spec = pod.spec!;
  const c = spec.containers[0]!;
  const secrets = join(dir, name);
  mkdirSync(secrets);
  const token = await core.createNamespacedServiceAccountToken({
    name: spec.serviceAccountName!,
    namespace: ns.name,
    body: {
      spec: {
        audiences: [],
        expirationSeconds: 3600,
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name, uid: pod.metadata!.uid! },
      },
    },
  });
  writeFileSync(join(secrets, 'token'), token.status!.token);
  writeFileSync(join(secrets, 'ca.crt'), Buffer.from(kc.getCurrentCluster()!.caData!, 'base64'));
  writeFileSync(join(secrets, 'namespace'), ns.name);
  const net = `${name}-net`;
  await pm.run([
    'run',
    '--detach',
    '--rm',
    '--name',
    net,
    '--hostname',
    name,
    '--network',
    'none',
    '--volume',
    `${dir}/bridge:/bridge`,
    '--entrypoint',
    'node',
    pm.image,
    '-e',
    POD_BRIDGE,
  ]);
  const env = (c.env ?? []).map((e) => `${e.name}=${resolveEnv(pod, e)}`);
  const run = [
    'podman',
    'run',
    '--rm',
    '--name',
    `${name}-app`,
    '--network',
    `container:${net}`,
    '--env',
    `KUBERNETES_SERVICE_HOST=127.0.0.1`,
    '--env',
    `KUBERNETES_SERVICE_PORT=${API_PORT_IN_POD}`,
    ...env.flatMap((e) => ['--env', e]),
    '--volume',
    `${secrets}:/var/run/secrets/kubernetes.io/serviceaccount:ro`,
    '--entrypoint',
    JSON.stringify(c.command),
    c.image!,
    ...(c.args ?? []),
  ];
  return new OperatorProcess(name, { CONTAINERS_CONF: pm.env.CONTAINERS_CONF! }, [], run);
}

/** The pods whose server has started and whose container has not exited. */
function runningServers(): string[] {
  return [...pods].filter(([, p]) => p.app.logs('server started').length > 0 && !p.exited).map(([n]) => n);
}

/** Waits for a grant after line `from` of each candidate; returns the pod and the grant's time. */
async function nextGrant(from: Map<string, number>): Promise<{ pod: string; at: number }> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(50)) {
    for (const [name, p] of pods) {
      const g = p.app.lines.slice(from.get(name) ?? 0).find((l) => l.msg === 'became leader');
      if (g) return { pod: name, at: Number(g.time) };
    }
  }
  throw new Error('no grant within 60 s');
}

/** Polls the slice until it names `pod`; returns when that was first seen (epoch ms). */
async function sliceNames(pod: V1Pod): Promise<number> {
  const path = `/apis/discovery.k8s.io/v1/namespaces/${ns.name}/endpointslices/my-service`;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(20)) {
    const slice = await admin.send<EndpointSlice>({ method: 'GET', path }).catch((err: unknown) => {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw err;
    });
    const e = slice?.endpoints?.[0];
    if (slice?.endpoints.length === 1 && e?.addresses[0] === pod.status?.podIP && e?.nodeName === pod.spec?.nodeName) {
      return Date.now();
    }
  }
  throw new Error(`the slice never named ${pod.metadata?.name}`);
}

const marks = () => new Map([...pods].map(([n, p]) => [n, p.app.lines.length]));

before(
  async () => {
    pm = await podmanWithImage();
    ns = await createTestNamespace(kc, 'awaitdep');
    dir = mkdtempSync(join(tmpdir(), 'hl-awaitdep-'));
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'bridge'), { mode: 0o777 });
    bridge = await apiBridge(join(dir, 'bridge', 'api.sock'));
    const { docs } = manifests(ns.name, pm.image);
    await kubectlOk(['apply', '-f', '-'], docs.map((d) => YAML.stringify(d)).join('---\n'));
    let list: V1Pod[] = [];
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
      list = (await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=my-server' })).items;
      if (list.length === 5 && list.every((p) => p.status?.podIP && p.spec?.nodeName)) break;
    }
    assert.equal(list.length, 5, 'kwok made the five pods with IPs');
    for (const pod of list) {
      const entry = { pod, app: await runPod(pod), exited: false };
      void entry.app.exited.then(() => (entry.exited = true));
      pods.set(pod.metadata!.name!, entry);
    }
  },
  { timeout: BUILD_MS + STARTUP_MS },
);

after(async () => {
  // The app containers first: a container whose network namespace another one joined cannot go.
  const names = [...pods.keys()];
  if (names.length) await pm.run(['rm', '--force', '--ignore', '--time', '0', ...names.map((n) => `${n}-app`)], false);
  if (names.length) await pm.run(['rm', '--force', '--ignore', '--time', '0', ...names.map((n) => `${n}-net`)], false);
  await Promise.all([...pods.values()].map((p) => p.app.kill()));
  bridge?.close();
  admin.close();
  await ns?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('deploy/await in containers, k8s-await-election variables only', () => {
  test('the Deployment sets no variable but K8S_AWAIT_ELECTION_*', () => {
    const { env } = manifests('x', 'x');
    assert.ok(env.length >= 10, env.join(' '));
    assert.deepEqual(
      env.filter((n) => !n.startsWith('K8S_AWAIT_ELECTION_')),
      [],
    );
  });

  test('one pod leads and runs the server; the slice names it within 1 s of the grant; each status endpoint answers', async (t) => {
    const grant = await nextGrant(new Map());
    const seen = await sliceNames(pods.get(grant.pod)!.pod);
    assert.ok(seen - grant.at < 1000, `the slice named ${grant.pod} ${seen - grant.at} ms after its grant`);
    t.diagnostic(`${grant.pod} granted, named by the slice ${seen - grant.at} ms later`);
    await pods.get(grant.pod)!.app.waitForLog((l) => l.msg === 'server started', 10_000);
    assert.deepEqual(runningServers(), [grant.pod]);
    for (const name of pods.keys()) {
      const r = await pm.run(
        ['exec', `${name}-app`, 'node', '-e', "fetch('http://127.0.0.1:9999/').then((r) => console.log(r.status))"],
        false,
      );
      assert.equal(r.stdout.trim(), '200', `${name}'s status endpoint: ${r.stderr}`);
    }
  });

  for (const round of [1, 2]) {
    test(`podman stop of the leader (${round}): the next pod leads, and the slice names it within 1 s`, async (t) => {
      const [leader] = runningServers();
      assert.ok(leader, 'a server runs');
      const from = marks();
      await pm.run(['stop', '--time', '20', `${leader}-app`]);
      const { code } = await pods.get(leader)!.app.exited;
      assert.equal(code, 0, `the stopped pod exited ${code}`);
      const grant = await nextGrant(from);
      assert.notEqual(grant.pod, leader);
      const seen = await sliceNames(pods.get(grant.pod)!.pod);
      assert.ok(seen - grant.at < 1000, `the slice named ${grant.pod} ${seen - grant.at} ms after its grant`);
      t.diagnostic(`${leader} stopped; ${grant.pod} granted, named by the slice ${seen - grant.at} ms later`);
      await pods.get(grant.pod)!.app.waitForLog((l) => l.msg === 'server started', 10_000);
      assert.deepEqual(runningServers(), [grant.pod]);
    });
  }
});
