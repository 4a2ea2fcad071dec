// The dashboard in a real browser (Debian's chromium, headless, through playwright-core) against
// the demo setup (e2e/demo/demo.sh: two replicas on the Lease, one sample of each kind): it shows
// the leader and the workloads, a failover appears live without a reload, hostile text stays
// text. A screenshot is saved under .cluster/results/artifacts/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { sampleRefs } from '../demo/samples.ts';
import { uniqueTenant } from '../../testkit/backends.ts';
import { loadKubeConfig, repoRoot, waitFor } from '../../testkit/kube.ts';
import { runCommand } from '../../testkit/run-command.ts';
import { readDemoState } from '../demo/state.ts';

const ARTIFACTS = join(repoRoot, '.cluster/results/artifacts');
const SETUP_MS = 300_000;
const kc = loadKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const tenant = uniqueTenant('dash');
const namespace = `dash-e2e-${Date.now().toString(36)}`;
const stateDir = mkdtempSync(join(tmpdir(), 'highlander-dash-'));
const demoEnv = {
  ...process.env,
  DEMO_NO_WAIT: '1',
  DEMO_TENANT: tenant,
  DEMO_NAMESPACE: namespace,
  DEMO_STATE_DIR: stateDir,
  DEMO_PORTS: '0 0',
};
let browser: Browser | undefined;
let demo: Record<string, string> = {};

/** Runs demo.sh with `args`; resolves with its output, rejects on a non-zero exit. */
async function demoSh(args: string[]): Promise<string> {
  const r = await runCommand('bash', [join(repoRoot, 'e2e/demo/demo.sh'), ...args], '', demoEnv);
  const out = r.stdout + r.stderr;
  if (r.code !== 0) throw new Error(`demo.sh ${args.join(' ')} exited ${r.code}:\n${out.slice(-3000)}`);
  return out;
}

// Setting up includes two operator start-ups and the first `kubectl wait` on a busy machine.
before(
  async () => {
    await demoSh([]);
    demo = readDemoState(stateDir);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  },
  { timeout: SETUP_MS },
);
after(async () => {
  await browser?.close();
  await demoSh(['down']).catch((err: unknown) => console.error(String(err)));
  rmSync(stateDir, { recursive: true, force: true });
});

interface Replica {
  key: 'A' | 'B';
  port: string;
  pid: number;
  identity: string;
  isLeader: boolean;
}

async function replicas(): Promise<Replica[]> {
  return Promise.all(
    (['A', 'B'] as const).map(async (key) => {
      const port = demo[`PORT_${key}`]!;
      const res = (await (await fetch(`http://127.0.0.1:${port}/api/status`)).json()) as {
        data: { leaderID: string; isLeader: boolean };
      };
      return { key, port, pid: Number(demo[`PID_${key}`]), identity: res.data.leaderID, isLeader: res.data.isLeader };
    }),
  );
}

/** A page that fails the test on a script error or a dialog (an alert would mean injected script ran). */
async function openDashboard(port: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1100 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(`http://127.0.0.1:${port}/`) && !r.url().startsWith('data:'))
      problems.push(`off-site request: ${r.url()}`);
  });
  await page.goto(`http://127.0.0.1:${port}/`);
  return { page, problems };
}

const text = (page: Page, sel: string): Promise<string> => page.locator(sel).innerText();

test('the dashboard shows the leader and every sample workload, and a failover arrives live', async () => {
  const [leader, follower] = (await replicas()).sort((x, y) => Number(y.isLeader) - Number(x.isLeader));
  assert.ok(leader?.isLeader && follower && !follower.isLeader, 'one demo replica leads');
  // A workload whose Stalled message carries markup: it must show as text.
  await custom.createNamespacedCustomObject({
    group: 'highlander.plexobject.io',
    version: 'v1',
    namespace,
    plural: 'workloadprocesses',
    body: {
      apiVersion: 'highlander.plexobject.io/v1',
      kind: 'WorkloadProcess',
      metadata: { name: 'hostile', namespace, labels: { 'highlander.plexobject.io/tenant': tenant } },
      spec: { image: 'busybox', script: { commands: ['sleep 3600'] }, env: { '<img src=x onerror=alert(1)>': 'v' } },
    },
  });

  const { page, problems } = await openDashboard(follower.port);
  await page.locator('#conn.live').waitFor({ timeout: 15_000 });
  assert.equal(await text(page, '#identity'), follower.identity);
  assert.equal(await text(page, '#role'), 'follower');
  assert.equal(await text(page, '#leader'), leader.identity);
  assert.equal(await text(page, '#store-type'), 'kubernetes');
  assert.equal(await text(page, '#ready'), 'Ready');

  for (const s of sampleRefs()) {
    const row = page.locator(`[data-kind="${s.kind}"] tr[data-workload="${namespace}/${s.name}"]`);
    await row.waitFor({ timeout: 30_000 });
    const cells = await row.locator('td').allInnerTexts();
    assert.deepEqual(cells.slice(2, 4), ['Active', 'Healthy'], `${s.kind} ${s.name}: ${cells.join(' | ')}`);
  }
  const hostile = page.locator(`tr[data-workload="${namespace}/hostile"]`);
  await hostile.filter({ hasText: 'Stalled' }).waitFor({ timeout: 30_000 });
  assert.match(
    await hostile.locator('td.msg').innerText(),
    /<img src=x onerror=alert\(1\)>/,
    'the markup is shown as text',
  );
  assert.equal(await page.locator('main img').count(), 0, 'no element was made from the message');

  // The lease counts down between heartbeats.
  const lease1 = await text(page, '#lease-left');
  await waitFor(async () => ((await text(page, '#lease-left')) !== lease1 ? true : undefined), {
    what: `the lease to move from ${lease1}`,
    timeoutMs: 5_000,
  });

  // Failover: kill the leader; the follower's page turns leader and lists the failover, live.
  await page.evaluate(() => void ((globalThis as { marker?: number }).marker = 42));
  const entriesBefore = await page.locator('#timeline li.failover').count();
  process.kill(leader.pid, 'SIGKILL');
  await page.locator('#role', { hasText: 'leader' }).waitFor({ timeout: 30_000 });
  await page
    .locator('#timeline li.failover', { hasText: `${leader.identity} → ${follower.identity}` })
    .waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#timeline li.failover').count(), entriesBefore + 1);
  assert.equal(await text(page, '#leader'), follower.identity);
  assert.equal(await page.evaluate(() => (globalThis as { marker?: number }).marker), 42, 'updated live, not reloaded');
  // After the takeover the workloads are still shown, adopted by the new leader.
  await page.locator('#events', { hasText: 'now reconciled by' }).waitFor({ timeout: 30_000 });

  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = join(ARTIFACTS, 'dashboard-after-failover.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);
  assert.deepEqual(problems, []);
});
