// Workloads from the config file: applied by the leader as CRs labelled source=config, run
// like any CR, and pruned when removed from the file. A bad file exits with code 2.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig, statusOf, waitFor } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { GROUP } from '../../api/labels.ts';

const kc = loadKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const tenant = uniqueTenant('cfg');
const dir = mkdtempSync(join(tmpdir(), 'hl-config-'));
const seedConfig = fileURLToPath(new URL('../../testkit/fixtures/seed/config-all-kinds.yaml', import.meta.url));
const procs: OperatorProcess[] = [];
let ns: TestNamespace;

before(async () => {
  ns = await createTestNamespace(kc, 'cfg');
});
after(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  await ns?.remove();
});

function writeConfig(withCron: boolean): string {
  const path = join(dir, `config-${withCron ? 'both' : 'one'}.yaml`);
  const cron = withCron
    ? `
  cronJobs:
    - name: "nightly"
      schedule: "0 0 * * *"
      image: "busybox:latest"
      script:
        commands: ["echo report"]
        shell: "/bin/sh"
      restartPolicy: "OnFailure"`
    : '';
  writeFileSync(
    path,
    `id: "controller-1"
tenant: "${tenant}"
namespace: "${ns.name}"
workloads:
  processes:
    - name: "data-processor"
      image: "busybox:latest"
      script:
        commands: ["echo start", "sleep 3600"]
        shell: "/bin/sh"
      env:
        DB_HOST: "postgres.example.com"
      restartPolicy: "OnFailure"${cron}
`,
  );
  return path;
}

const get = (plural: string, name: string) =>
  custom.getNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: ns.name, plural, name }) as Promise<{
    metadata: { labels?: Record<string, string> };
    status?: { conditions?: { type: string; status: string }[] };
  }>;
const ready = (o: Awaited<ReturnType<typeof get>>) =>
  o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

test('config-file workloads become CRs, reach Ready, and are pruned when removed from the file', async () => {
  const env = operatorEnv('kubernetes', tenant);
  const first = new OperatorProcess('a', env, ['--config', writeConfig(true)]);
  procs.push(first);
  await first.becameLeader(STARTUP_MS);
  for (const [plural, name] of [
    ['workloadprocesses', 'data-processor'],
    ['workloadcronjobs', 'nightly'],
  ] as const) {
    const cr = await waitFor(
      async () => {
        const o = await get(plural, name);
        return ready(o) ? o : undefined;
      },
      { what: `${plural}/${name} Ready`, timeoutMs: 30_000 },
    );
    assert.equal(cr.metadata.labels?.['highlander.plexobject.io/source'], 'config');
    assert.equal(cr.metadata.labels?.['highlander.plexobject.io/tenant'], tenant);
  }
  first.signal('SIGTERM');
  await first.exited;

  const second = new OperatorProcess('b', env, ['--config', writeConfig(false)]);
  procs.push(second);
  await second.becameLeader(STARTUP_MS);
  await waitFor(
    async () => {
      try {
        await get('workloadcronjobs', 'nightly');
        return undefined;
      } catch (err) {
        return statusOf(err) === 404 ? true : undefined;
      }
    },
    { what: 'the removed cron job pruned', timeoutMs: 30_000 },
  );
  assert.ok(ready(await get('workloadprocesses', 'data-processor')), 'the kept process is still Ready');
});

test("K8 Highlander's seed config with one workload of each kind runs unchanged: four Ready CRs", async () => {
  // Only the store, tenant and namespace come from the environment, as a user's deployment would set them.
  const seedTenant = uniqueTenant('seed');
  const env = { ...operatorEnv('kubernetes', seedTenant), CONFIG_PATH: seedConfig, HIGHLANDER_NAMESPACE: ns.name };
  const p = new OperatorProcess('seed', env);
  procs.push(p);
  await p.becameLeader(STARTUP_MS);
  const wanted = [
    ['workloadprocesses', 'sequential-id-generator'],
    ['workloadcronjobs', 'daily-report'],
    ['workloadservices', 'admin-api'],
    ['workloadpersistents', 'message-queue'],
  ] as const;
  for (const [plural, name] of wanted) {
    const cr = await waitFor(
      async () => {
        const o = await get(plural, name).catch(() => undefined);
        return o && ready(o) ? o : undefined;
      },
      { what: `seed ${plural}/${name} Ready`, timeoutMs: 60_000 },
    );
    assert.equal(cr.metadata.labels?.['highlander.plexobject.io/tenant'], seedTenant);
  }
  assert.equal(p.logs('config-file workload refused').length, 0);
});

test('a config file with an invalid workload exits with code 2 naming the path', async () => {
  const path = join(dir, 'bad.yaml');
  writeFileSync(
    path,
    'workloads:\n  cronJobs:\n    - name: "x"\n      image: "busybox"\n      script: {commands: ["true"]}\n',
  );
  const p = new OperatorProcess('bad', operatorEnv('kubernetes', tenant), ['--config', path]);
  procs.push(p);
  const exit = await p.exited;
  assert.equal(exit.code, 2);
  assert.match(p.stderr.join('\n'), /workloads\.cronJobs\[0\]\.schedule: is required/);
});
