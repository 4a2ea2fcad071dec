// The Helm chart: helm lint; helm template with the default values, each lock store and both
// RBAC modes; the operator accepts every rendered config file; the API server accepts every
// rendered object (server-side dry run); the values schema rejects typos; the chart's copies and
// deploy/ are in sync with their sources. The objects themselves: chart-objects.test.ts.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import YAML from 'yaml';
import { createTestNamespace, loadKubeConfig, repoRoot } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { chartDir, helm, only, render, runCommand } from './helm.ts';
import { STORES, SECRET_ENV, scopes, dryRun, operatorConfig } from './rendered.ts';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);

let release: TestNamespace;
let watchA: TestNamespace;
let watchB: TestNamespace;
let restricted: TestNamespace;

before(async () => {
  release = await createTestNamespace(kc, 'chart');
  watchA = await createTestNamespace(kc, 'chart-wa');
  watchB = await createTestNamespace(kc, 'chart-wb');
  restricted = await createTestNamespace(kc, 'chart-pss');
  await core.patchNamespace({
    name: restricted.name,
    body: [{ op: 'add', path: '/metadata/labels/pod-security.kubernetes.io~1enforce', value: 'restricted' }],
  });
});
after(async () => {
  await Promise.all([release, watchA, watchB, restricted].map((n) => n?.remove()));
});

describe('helm lint', () => {
  for (const [store, values] of Object.entries(STORES)) {
    test(`passes (--strict) with the ${store} lock store`, async () => {
      const r = await helm(['lint', '--strict', chartDir], values);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }
});

describe('every lock store in both RBAC modes', () => {
  for (const store of Object.keys(STORES)) {
    for (const scope of ['cluster', 'namespaced']) {
      test(`${store}, ${scope} RBAC: the operator accepts the config and the API server every object`, async () => {
        const values = { ...STORES[store], ...scopes(watchA.name, watchB.name)[scope] };
        const { yaml, objects } = await render({ namespace: release.name, values, includeCrds: true });
        const kinds = new Set(objects.map((o) => o.kind));
        for (const k of [
          'CustomResourceDefinition',
          'ServiceAccount',
          'ConfigMap',
          'Deployment',
          'Service',
          'PodDisruptionBudget',
        ]) {
          assert.ok(kinds.has(k), `no ${k} rendered`);
        }
        assert.equal(objects.filter((o) => o.kind === 'CustomResourceDefinition').length, 4);
        assert.equal(kinds.has('ClusterRole'), scope === 'cluster');
        assert.equal(kinds.has('Secret'), false, 'the chart never renders a Secret');

        const cfg = operatorConfig(objects);
        assert.equal(cfg.storageType, store);
        assert.equal(cfg.leaderElection.leaseNamespace, release.name);
        assert.deepEqual(cfg.watchNamespaces, scope === 'namespaced' ? [watchA.name, watchB.name] : []);
        if (store === 'redis')
          assert.deepEqual(
            [cfg.redis?.addr, cfg.redis?.db, cfg.redis?.password],
            ['redis.example.internal:6379', 2, 'secret'],
          );
        if (store === 'db') assert.equal(cfg.databaseURL, SECRET_ENV.HIGHLANDER_DATABASE_URL);
        if (store === 'spanner')
          assert.deepEqual(cfg.spanner, { projectID: 'proj', instanceID: 'inst', databaseID: 'locks' });

        const r = await dryRun(yaml);
        assert.equal(r.code, 0, `dry run refused:\n${r.stderr}`);
        assert.equal((r.stdout.match(/serverside-applied \(server dry run\)/g) ?? []).length, objects.length, r.stdout);
      });
    }
  }
});

describe('values schema', () => {
  const refused: [string, object, RegExp][] = [
    ['an unknown top-level key', { replicas: 3 }, /additional properties 'replicas' not allowed/],
    [
      'a misspelt nested key',
      { image: { pullpolicy: 'Always' } },
      /at '\/image': additional properties 'pullpolicy' not allowed/,
    ],
    [
      'a misspelt security setting',
      { containerSecurityContext: { readOnlyRootFilesytem: true } },
      /readOnlyRootFilesytem/,
    ],
    ['a wrong type', { replicaCount: 'two' }, /at '\/replicaCount'/],
    ['an unknown lock store', { lockStore: { type: 'etcd' } }, /at '\/lockStore\/type'/],
    [
      'a grace period too short for a handover',
      { terminationGracePeriodSeconds: 5 },
      /at '\/terminationGracePeriodSeconds'/,
    ],
    [
      'a misspelt field of a config-file workload',
      {
        config: {
          workloads: {
            processes: [{ name: 'p', image: 'busybox', script: { commands: ['true'] }, restartPolcy: 'Never' }],
          },
        },
      },
      /restartPolcy/,
    ],
    ['namespaced RBAC without namespaces', { rbac: { scope: 'namespaced' } }, /watchNamespaces: list the namespaces/],
    ['Redis without an address', { lockStore: { type: 'redis' } }, /lockStore\.redis\.addr: required/],
    ['PostgreSQL without its Secret', { lockStore: { type: 'db' } }, /lockStore\.db\.existingSecret: required/],
    [
      'a config-file workload outside the watched namespaces',
      {
        watchNamespaces: ['team-a'],
        config: {
          namespace: 'team-a',
          workloads: {
            cronJobs: [
              { name: 'c', namespace: 'team-b', image: 'busybox', schedule: '@daily', script: { commands: ['true'] } },
            ],
          },
        },
      },
      /config\.workloads\.cronJobs: c is in namespace team-b, which is not in watchNamespaces/,
    ],
  ];
  for (const [what, values, message] of refused) {
    test(`helm template refuses ${what}, naming it`, async () => {
      const r = await helm(['template', 'highlander', chartDir, '--namespace', 'ns'], values);
      assert.notEqual(r.code, 0, 'helm template accepted it');
      assert.match(r.stderr, message);
    });
  }

  test('the default values and a full example are accepted', async () => {
    const example = {
      commonLabels: { team: 'platform' },
      image: { digest: `sha256:${'a'.repeat(64)}` },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: 1, memory: '1Gi' } },
      config: {
        logLevel: 'debug',
        leaderElection: { leaseDuration: '20s', renewDeadline: '12s', retryPeriod: '3s' },
        workloads: { processes: [{ name: 'idgen', image: 'busybox', script: { commands: ['sleep 3600'] } }] },
      },
      podDisruptionBudget: { minAvailable: '50%' },
      handover: { existingSecret: 'handover' },
    };
    const { objects } = await render({ namespace: 'ns', values: example });
    const d = only<V1Deployment>(objects, 'Deployment');
    assert.equal(d.spec?.template.spec?.containers[0]?.image, `ghcr.io/plexobject/highlander@sha256:${'a'.repeat(64)}`);
    assert.equal(d.metadata?.labels?.team, 'platform');
    const cfg = operatorConfig(objects);
    assert.equal(cfg.workloads.processes?.[0]?.name, 'idgen');
    assert.equal(cfg.handoverToken, SECRET_ENV.HIGHLANDER_HANDOVER_TOKEN);
    assert.equal(cfg.leaderElection.leaseDurationMs, 20_000);
  });
});

describe('copies and plain manifests', () => {
  test('the chart’s CRDs and schema $defs match their sources, and deploy/ matches the chart (render-deploy.sh --check)', async () => {
    const r = await runCommand('bash', [`${repoRoot}scripts/render-deploy.sh`, '--check']);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['workloadcronjobs', 'workloadpersistents', 'workloadprocesses', 'workloadservices']) {
      assert.equal(
        readFileSync(`${chartDir}/crds/${f}.yaml`, 'utf8'),
        readFileSync(`${repoRoot}crds/${f}.yaml`, 'utf8'),
        f,
      );
    }
  });

  test('the check names each stale file: a changed chart, alert rule, CRD copy and schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'highlander-chart-'));
    try {
      cpSync(chartDir, `${dir}/chart`, { recursive: true });
      cpSync(`${repoRoot}deploy`, `${dir}/deploy`, { recursive: true });
      const crd = `${dir}/chart/crds/workloadprocesses.yaml`;
      writeFileSync(crd, readFileSync(crd, 'utf8').replace('shortNames:', 'shortNames:\n      - stale'));
      const schema = JSON.parse(readFileSync(`${dir}/chart/values.schema.json`, 'utf8')) as {
        $defs: Record<string, unknown>;
      };
      delete schema.$defs.cronJob;
      writeFileSync(`${dir}/chart/values.schema.json`, JSON.stringify(schema, null, 2) + '\n');
      const values = `${dir}/chart/values.yaml`;
      writeFileSync(values, readFileSync(values, 'utf8').replace('replicaCount: 2', 'replicaCount: 3'));
      const alerts = `${dir}/chart/templates/_alerts.tpl`;
      writeFileSync(alerts, readFileSync(alerts, 'utf8').replace('for: 1m', 'for: 3m'));
      const r = await runCommand('bash', [`${repoRoot}scripts/render-deploy.sh`, '--check'], '', {
        ...process.env,
        CHART_DIR: `${dir}/chart`,
        DEPLOY_DIR: `${dir}/deploy`,
      });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      for (const f of [
        'charts/highlander/crds/workloadprocesses.yaml',
        'charts/highlander/values.schema.json',
        'deploy/highlander.yaml',
        'deploy/prometheus-rules.yaml',
      ]) {
        assert.ok(r.stderr.includes(f), `not named: ${f}\n${r.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('deploy/highlander.yaml is accepted by the API server (dry run, in a test namespace)', async () => {
    const text = readFileSync(`${repoRoot}deploy/highlander.yaml`, 'utf8');
    const docs = YAML.parseAllDocuments(text)
      .map((d) => d.toJS() as KubernetesObject | null)
      .filter((o): o is KubernetesObject => o !== null);
    assert.equal(docs[0]?.kind, 'Namespace');
    assert.equal(docs[0]?.metadata?.name, 'highlander-system');
    assert.equal(docs.filter((o) => o.kind === 'CustomResourceDefinition').length, 4);
    // A dry run cannot create the namespace its other objects go into: use an existing one.
    const moved = docs
      .slice(1)
      .map((o) => YAML.stringify(o).replaceAll('highlander-system', release.name))
      .join('---\n');
    const r = await dryRun(moved);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stdout.match(/serverside-applied \(server dry run\)/g) ?? []).length, docs.length - 1, r.stdout);
  });
});
