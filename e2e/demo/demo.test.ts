// `make demo` end to end: demo.sh in no-wait mode and `demo.sh down`; then the waiting mode with
// a crash failover it reports, and Ctrl-C. Each run has its own tenant, namespace, state
// directory and free ports, so it can run beside other tests on the shared cluster.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { uniqueTenant } from '../../testkit/backends.ts';
import {
  eventually,
  kubeconfigPath,
  kubectlPath,
  loadKubeConfig,
  repoRoot,
  statusOf,
  waitFor,
} from '../../testkit/kube.ts';
import { DEMO_VOLUME_LABEL, TENANT_LABEL, sampleRefs } from './samples.ts';
import { readDemoState } from './state.ts';
import { GROUP } from '../../api/labels.ts';

const run = promisify(execFile);
const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const coordination = kc.makeApiClient(CoordinationV1Api);
const PLURAL: Record<string, string> = {
  WorkloadProcess: 'workloadprocesses',
  WorkloadCronJob: 'workloadcronjobs',
  WorkloadService: 'workloadservices',
  WorkloadPersistent: 'workloadpersistents',
};
/** Setting up includes the first `kubectl wait` and two operator start-ups on a busy machine. */
const SETUP_MS = 300_000;

/** One demo's settings: everything unique to this run. */
interface DemoEnv {
  tenant: string;
  namespace: string;
  stateDir: string;
  env: Record<string, string>;
}

function demoEnv(): DemoEnv {
  const tenant = uniqueTenant('demo');
  const namespace = `demo-e2e-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4)}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'highlander-demo-'));
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== 'DEMO_NO_WAIT'),
  );
  return {
    tenant,
    namespace,
    stateDir,
    env: { ...inherited, DEMO_TENANT: tenant, DEMO_NAMESPACE: namespace, DEMO_STATE_DIR: stateDir, DEMO_PORTS: '0 0' },
  };
}

/** A run of demo.sh with its output (stdout and stderr interleaved). */
class DemoRun {
  output = '';
  readonly exited: Promise<number | null>;
  readonly child: ChildProcess;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn('bash', [`${repoRoot}e2e/demo/demo.sh`, ...args], {
      env,
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (b: Buffer) => (this.output += b.toString()));
    this.child.stderr!.on('data', (b: Buffer) => (this.output += b.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Waits for the script to end and fails with its output unless it succeeded. */
  async succeeded(): Promise<void> {
    const code = await this.exited;
    assert.equal(code, 0, `demo.sh exited with ${code}:\n${this.output}`);
  }
}

/** True while a process exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

interface Replica {
  name: string;
  port: number;
  pid: number;
}

function replicas(state: Record<string, string>): Replica[] {
  return (['A', 'B'] as const).map((k) => ({
    name: `demo-${k.toLowerCase()}`,
    port: Number(state[`PORT_${k}`]),
    pid: Number(state[`PID_${k}`]),
  }));
}

async function isLeader(r: Replica): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${r.port}/api/status`);
  const body = (await res.json()) as { data: { isLeader: boolean } };
  return body.data.isLeader;
}

/** Checks what a running demo must offer; returns the leader and the follower. */
async function checkRunning(d: DemoEnv, output: string): Promise<[Replica, Replica]> {
  const state = readDemoState(d.stateDir);
  assert.equal(state.STARTED_CLUSTER, '0', 'the control plane was already running: the demo must not own it');
  const rs = replicas(state);
  for (const r of rs) {
    assert.ok(r.port > 0 && r.pid > 0, `${r.name} in demo.env: ${JSON.stringify(state)}`);
    assert.ok(running(r.pid), `${r.name} (pid ${r.pid}) runs`);
    const health = await fetch(`http://127.0.0.1:${r.port}/healthz`);
    assert.equal(health.status, 200, `${r.name} /healthz`);
  }
  const leads = await Promise.all(rs.map(isLeader));
  assert.equal(leads.filter(Boolean).length, 1, `exactly one replica leads: ${JSON.stringify(leads)}`);
  const leader = rs[leads.indexOf(true)]!;
  const follower = rs[leads.indexOf(false)]!;

  const lease = await coordination.readNamespacedLease({
    name: `highlander-leader-${d.tenant}`,
    namespace: d.namespace,
  });
  assert.ok(lease.spec?.holderIdentity?.startsWith(`${leader.name}_`), `Lease held by ${lease.spec?.holderIdentity}`);

  const samples = sampleRefs();
  assert.deepEqual(samples.map((s) => s.kind).sort(), Object.keys(PLURAL).sort(), 'one sample of each kind');
  for (const s of samples) {
    const cr = (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace: d.namespace,
      plural: PLURAL[s.kind]!,
      name: s.name,
    })) as {
      metadata: { labels?: Record<string, string> };
      status?: { active?: boolean; conditions?: { type: string; status: string }[] };
    };
    assert.equal(cr.metadata.labels?.[TENANT_LABEL], d.tenant, `${s.kind} ${s.name} carries the demo's tenant`);
    assert.equal(cr.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', `${s.kind} ${s.name} Ready`);
    assert.equal(cr.status?.active, true, `${s.kind} ${s.name} active`);
  }
  // The StatefulSet's claim is bound to the volume the demo made for it, not one from the pool.
  const claim = await core.readNamespacedPersistentVolumeClaim({
    name: 'data-message-queue-0',
    namespace: d.namespace,
  });
  assert.equal(claim.spec?.volumeName, `${d.namespace}-data-message-queue-0`);

  // The printed kubectl line works as printed (kubectl's default discovery cache, the category).
  const { stdout } = await run(kubectlPath, [
    '--kubeconfig',
    kubeconfigPath,
    'get',
    'highlander',
    '-n',
    d.namespace,
    '-o',
    'name',
  ]);
  assert.deepEqual(
    stdout.trim().split('\n').sort(),
    samples.map((s) => `${s.kind.toLowerCase()}.${GROUP}/${s.name}`).sort(),
  );

  for (const r of rs) assert.ok(output.includes(`http://127.0.0.1:${r.port}/`), `dashboard URL of ${r.name} printed`);
  for (const path of ['/api/status', '/api/workloads', '/api/events', '/metrics']) {
    assert.ok(output.includes(`http://127.0.0.1:${leader.port}${path}`), `${path} printed`);
  }
  assert.ok(
    output.includes(`export KUBECONFIG=${repoRoot}.cluster/kubeconfig; alias kubectl=${repoRoot}.cluster/bin/kubectl`),
    'real kubectl paths printed',
  );
  assert.ok(output.includes('kubectl get highlander -A'));
  assert.ok(output.includes(`kubectl get wlc -n ${d.namespace} -o yaml`));
  assert.ok(output.includes(`kubectl get lease highlander-leader-${d.tenant} -n ${d.namespace}`));
  for (const sig of ['-9', '-TERM', '-STOP'])
    assert.ok(output.includes(`kill ${sig} ${leader.pid}`), `kill ${sig} with the leader's pid printed`);
  return [leader, follower];
}

/** After teardown: no replica runs and the namespace is gone. */
async function checkTornDown(d: DemoEnv, rs: Replica[]): Promise<void> {
  for (const r of rs) assert.ok(await eventually(() => !running(r.pid), 10_000), `${r.name} (pid ${r.pid}) stopped`);
  await assert.rejects(
    core.readNamespace({ name: d.namespace }),
    (err: unknown) => statusOf(err) === 404,
    `namespace ${d.namespace} removed`,
  );
  assert.equal(existsSync(join(d.stateDir, 'demo.env')), false, 'demo.env removed');
  await waitFor(
    async () =>
      (await core.listPersistentVolume({ labelSelector: `${DEMO_VOLUME_LABEL}=${d.namespace}` })).items.length === 0
        ? true
        : undefined,
    { what: `the demo's PersistentVolumes to be deleted`, timeoutMs: 30_000 },
  );
}

const used: DemoEnv[] = [];
after(async () => {
  // Whatever a failed test left behind: `down` is idempotent.
  for (const d of used) {
    await new DemoRun(['down'], d.env).exited;
    rmSync(d.stateDir, { recursive: true, force: true });
  }
});

describe('make demo', () => {
  test(
    'DEMO_NO_WAIT=1 sets it all up and leaves it running; demo.sh down removes it',
    { timeout: SETUP_MS + 120_000 },
    async () => {
      const d = demoEnv();
      used.push(d);
      const up = new DemoRun([], { ...d.env, DEMO_NO_WAIT: '1' });
      await up.succeeded();
      assert.match(up.output, /Left running\. Stop it with: make demo-down/);
      const rs = await checkRunning(d, up.output);

      // The printed planned-handover command works: the follower leads at once.
      const [leader, follower] = rs;
      const cmd =
        /curl -X POST -H 'Authorization: Bearer ([a-z0-9-]+)' (http:\/\/127\.0\.0\.1:(\d+)\/api\/leader\/handover)/.exec(
          up.output,
        );
      assert.ok(cmd, 'the handover command is printed');
      assert.equal(Number(cmd[3]), leader.port, 'it names the leader');
      const res = await fetch(cmd[2]!, { method: 'POST', headers: { Authorization: `Bearer ${cmd[1]}` } });
      assert.equal(res.status, 200, await res.text());
      await waitFor(async () => ((await isLeader(follower)) ? true : undefined), {
        what: `${follower.name} leads after the handover`,
        timeoutMs: 10_000,
      });

      const down = new DemoRun(['down'], d.env);
      await down.succeeded();
      assert.match(down.output, /demo stopped/);
      await checkTornDown(d, rs);
    },
  );

  test(
    'the waiting demo reports a crash failover and Ctrl-C tears it down',
    { timeout: SETUP_MS + 180_000 },
    async () => {
      const d = demoEnv();
      used.push(d);
      const demo = new DemoRun([], d.env);
      let up = false;
      await Promise.race([
        waitFor(() => Promise.resolve(demo.output.includes('Press Ctrl-C') || undefined), {
          what: 'the demo to be up',
          timeoutMs: SETUP_MS,
          intervalMs: 500,
        }),
        demo.exited.then((code) => {
          if (!up) assert.fail(`demo.sh exited before it was up (${code}):\n${demo.output}`);
        }),
      ]);
      up = true;
      const [leader, follower] = await checkRunning(d, demo.output);

      process.kill(leader.pid, 'SIGKILL');
      await waitFor(() => Promise.resolve(demo.output.includes(`leader is now ${follower.name}`) || undefined), {
        what: `demo.sh to report ${follower.name} as the new leader`,
        timeoutMs: 60_000,
      });
      assert.ok(await isLeader(follower), `${follower.name} says it leads`);
      assert.ok(
        demo.output.includes(`${leader.name} is not running (bash e2e/demo/demo.sh restart ${leader.name})`),
        'the dead replica is reported',
      );

      demo.child.kill('SIGINT');
      await demo.succeeded();
      assert.match(demo.output, /demo stopped/);
      await checkTornDown(d, [leader, follower]);
    },
  );
});
