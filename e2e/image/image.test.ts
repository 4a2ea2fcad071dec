// The operator image as a cluster would run it: built (or reused) by scripts/image/build.sh
// (`make image`), run by podman with a read-only root filesystem, uid 1000, no capabilities and
// no privilege escalation, against the local API server (host network: it listens on 127.0.0.1).
// It must lead, bring a WorkloadProcess to Ready, write nothing outside /tmp, and stop cleanly
// on SIGTERM. What runs is the image's dist/: the image holds neither tsx nor TypeScript.
import assert from 'node:assert/strict';
import { chownSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TENANT_LABEL } from '../../api/labels.ts';
import { FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import { freePort } from '../../testkit/free-port.ts';
import { createTestNamespace, kubeconfigPath, loadKubeConfig } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { BUILD_MS, podmanWithImage } from '../../testkit/podman.ts';
import type { Podman } from '../../testkit/podman.ts';
import { workloadClient } from '../../testkit/workloads.ts';

/** `podman stop`'s wait between SIGTERM and SIGKILL: a clean stop must fit in it. */
const STOP_GRACE_S = 20;

const kc = loadKubeConfig();
const crs = workloadClient(kc, () => ns.name);
const container = `highlander-image-test-${process.pid}`;
const tenant = uniqueTenant('img');
let ns: TestNamespace;
let pm: Podman;
let kubeDir: string;
let port: number;
let op: OperatorProcess | undefined;

const podman = (args: string[], ok = true) => pm.run(args, ok);

/** Runs `node -e SCRIPT` inside the running container (as its user, 1000). */
const inContainer = (script: string) => podman(['exec', container, 'node', '-e', script], false);

before(
  async () => {
    pm = await podmanWithImage();
    const { image } = pm;

    ns = await createTestNamespace(kc, 'img');
    // The admin kubeconfig is root's and mode 600: the container's uid 1000 reads a copy.
    kubeDir = mkdtempSync(join(tmpdir(), 'hl-image-'));
    copyFileSync(kubeconfigPath, join(kubeDir, 'kubeconfig'));
    chownSync(join(kubeDir, 'kubeconfig'), 1000, 1000);
    port = await freePort();
    const env = operatorEnv('kubernetes', tenant, FAST_TIMINGS, {
      HIGHLANDER_ID: 'image',
      HIGHLANDER_KUBECONFIG: '/etc/highlander/kubeconfig',
      HIGHLANDER_PORT: String(port),
    });
    const run = [
      'podman',
      'run',
      '--rm',
      '--name',
      container,
      '--read-only',
      '--user',
      '1000:1000',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '--network',
      'host',
      '--volume',
      `${kubeDir}/kubeconfig:/etc/highlander/kubeconfig:ro`,
      ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      image,
      'run',
    ];
    // podman's own environment; the operator's is what --env passes.
    op = new OperatorProcess('image', { CONTAINERS_CONF: pm.env.CONTAINERS_CONF! }, [], run);
  },
  { timeout: BUILD_MS + STARTUP_MS },
);

after(async () => {
  if (op) {
    await podman(['rm', '--force', '--time', '0', container], false);
    await op.kill();
  }
  await ns?.remove();
  if (kubeDir) rmSync(kubeDir, { recursive: true, force: true });
});

describe('the image', () => {
  test('becomes leader and serves /healthz on the host network', async () => {
    await op!.becameLeader(STARTUP_MS);
    const campaign = op!.logs('campaigning for leadership')[0];
    assert.equal(campaign?.port, port);
    assert.equal(campaign?.store, 'kubernetes');
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  });

  test('runs the compiled dist/ as uid 1000, without tsx or TypeScript in the image', async () => {
    const r = await inContainer(`
      const { existsSync, readFileSync } = require('node:fs');
      const cmd = readFileSync('/proc/1/cmdline', 'utf8').split('\\0').filter(Boolean);
      const has = (m) => { try { require.resolve(m, { paths: ['/app'] }); return true; } catch { return false; } };
      console.log(JSON.stringify({ uid: process.getuid(), cmd, dist: existsSync('/app/dist/cli/main.js'),
        tsx: has('tsx'), typescript: has('typescript'), sources: existsSync('/app/cli/main.ts') }));`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      uid: 1000,
      cmd: ['node', 'bin/highlander.js', 'run'],
      dist: true,
      tsx: false,
      typescript: false,
      sources: false,
    });
  });

  test('brings a WorkloadProcess of its tenant to Ready', async () => {
    await crs.create(
      'WorkloadProcess',
      'image-idgen',
      { image: 'busybox', script: { commands: ['sleep 3600'] } },
      { [TENANT_LABEL]: tenant },
    );
    const cr = await crs.ready('WorkloadProcess', 'image-idgen', { timeoutMs: 60_000 });
    assert.equal(cr.status?.active, true);
    assert.equal(cr.status?.healthy, true);
    assert.ok(cr.status?.leader?.startsWith('image_'), `leader ${cr.status?.leader}`);
  });

  test('writes nothing outside /tmp: the root is read-only, /tmp is the one writable place', async () => {
    const r = await inContainer(`
      const { writeFileSync } = require('node:fs');
      const tryWrite = (p) => { try { writeFileSync(p, 'x'); return 'ok'; } catch (e) { return e.code; } };
      const paths = ['/tmp/probe', '/app/probe', '/app/dist/probe', '/home/node/probe', '/etc/probe', '/probe'];
      console.log(JSON.stringify(Object.fromEntries(paths.map((p) => [p, tryWrite(p)]))));`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      '/tmp/probe': 'ok',
      '/app/probe': 'EROFS',
      '/app/dist/probe': 'EROFS',
      '/home/node/probe': 'EROFS',
      '/etc/probe': 'EROFS',
      '/probe': 'EROFS',
    });
    // And the container's layer holds no change but the kubeconfig's mount point, which podman
    // made (/tmp is a tmpfs, not part of the layer).
    const diff = await podman(['diff', container]);
    assert.deepEqual(
      diff.stdout.split('\n').filter((l) => l.trim() !== ''),
      ['C /etc', 'A /etc/highlander', 'A /etc/highlander/kubeconfig'],
    );
  });

  test('stops cleanly on SIGTERM: podman stop, exit code 0 within the grace period, lock released', async () => {
    const from = op!.lines.length;
    const started = Date.now();
    await podman(['stop', '--time', String(STOP_GRACE_S), container]);
    const { code } = await op!.exited;
    const took = Date.now() - started;
    assert.equal(code, 0, `exit code ${code}; stderr: ${op!.stderr.slice(-5).join(' | ')}`);
    assert.ok(took < STOP_GRACE_S * 1000, `stopped in ${took} ms`);
    const released = op!.lines.slice(from).find((l) => l.msg === 'lock released');
    assert.ok(released, 'a "lock released" log line');
    assert.equal(released.released, true);
    assert.ok(op!.lines.slice(from).some((l) => l.msg === 'stopped'));
  });
});
