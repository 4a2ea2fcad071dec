// The Helm chart: helm lint; helm template with the default values, each lock store and both
// RBAC modes; the operator accepts every rendered config file; the API server accepts every
// rendered object (server-side dry run); the values schema rejects typos; the Deployment is
// restricted (the API server's Pod Security admission agrees); the RBAC grants nothing it must
// not; the chart's copies and deploy/ are in sync with their sources.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import type {
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1PodDisruptionBudget,
  V1PolicyRule,
  V1Role,
  V1Service,
} from '@kubernetes/client-node';
import YAML from 'yaml';
import { parseConfig } from '../../config/config.ts';
import { createTestNamespace, loadKubeConfig, repoRoot } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { chartDir, helm, kubectl, only, render, runCommand } from './helm.ts';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);

// The lock stores with the values each needs (credentials from Secrets that need not exist
// for a dry run: secretKeyRef is resolved when a pod starts).
const STORES: Record<string, object> = {
  kubernetes: {},
  redis: {
    lockStore: { type: 'redis', redis: { addr: 'redis.example.internal:6379', db: 2, existingSecret: 'redis-auth' } },
  },
  db: { lockStore: { type: 'db', db: { existingSecret: 'postgres-url', urlKey: 'url' } } },
  spanner: {
    lockStore: {
      type: 'spanner',
      spanner: { projectID: 'proj', instanceID: 'inst', databaseID: 'locks', existingSecret: 'gcp-key' },
    },
  },
};
// Values of the environment variables that come from Secrets, for checking a config offline.
const SECRET_ENV: Record<string, string> = {
  HIGHLANDER_REDIS_PASSWORD: 'secret',
  HIGHLANDER_DATABASE_URL: 'postgres://highlander:secret@postgres.example.internal:5432/locks',
  HIGHLANDER_HANDOVER_TOKEN: 'a-token-of-sixteen-characters',
};

let release: TestNamespace;
let watchA: TestNamespace;
let watchB: TestNamespace;
let restricted: TestNamespace;

const scopes = (): Record<string, object> => ({
  cluster: {},
  namespaced: { rbac: { scope: 'namespaced' }, watchNamespaces: [watchA.name, watchB.name] },
});

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

/** Server-side dry run of YAML documents; returns kubectl's result. */
const dryRun = (yaml: string) =>
  kubectl(
    [
      'apply',
      '--server-side',
      '--dry-run=server',
      '--field-manager=highlander-chart-check',
      '--force-conflicts',
      '-f',
      '-',
    ],
    yaml,
  );

/** The operator's config from the rendered ConfigMap and Deployment, parsed as the operator would. */
function operatorConfig(objects: KubernetesObject[]) {
  const cm = only<V1ConfigMap>(objects, 'ConfigMap');
  const container = only<V1Deployment>(objects, 'Deployment').spec!.template.spec!.containers[0]!;
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = SECRET_ENV[e.name] ?? 'from-a-secret';
    else if (e.valueFrom?.fieldRef) env[e.name] = 'highlander-7d9c-x2z4q';
  }
  const raw = YAML.parse(cm.data!['config.yaml']!) as unknown;
  return parseConfig(raw, env, 'rendered ConfigMap', { id: 'pod' });
}

function rulesOf(objects: KubernetesObject[]): { where: string; rule: V1PolicyRule }[] {
  return objects
    .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
    .flatMap((o) =>
      ((o as V1Role).rules ?? []).map((rule) => ({
        where: `${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`,
        rule,
      })),
    );
}

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
        const values = { ...STORES[store], ...scopes()[scope] };
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

describe('the Deployment', () => {
  test('runs restricted: non-root, read-only root, no escalation, no capabilities, RuntimeDefault seccomp, /tmp an emptyDir', async () => {
    const { objects } = await render({ namespace: release.name });
    const pod = only<V1Deployment>(objects, 'Deployment').spec!.template.spec!;
    const c = pod.containers[0]!;
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(c.securityContext?.runAsNonRoot, true);
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL']);
    assert.equal(c.securityContext?.capabilities?.add, undefined);
    const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
    assert.ok(tmp, 'no /tmp mount');
    assert.ok(pod.volumes?.find((v) => v.name === tmp.name)?.emptyDir, '/tmp is not an emptyDir');
    assert.ok(
      c.volumeMounts?.filter((m) => m.mountPath !== '/tmp').every((m) => m.readOnly),
      'a writable mount besides /tmp',
    );
  });

  test("the API server's Pod Security admission (restricted) admits its pod and refuses a weakened one", async () => {
    const { objects } = await render({ namespace: restricted.name });
    const spec = only<V1Deployment>(objects, 'Deployment').spec!.template.spec!;
    // Only the pod's security matters here; the release's ServiceAccount does not exist in this namespace.
    spec.serviceAccountName = 'default';
    const pod = (s: object) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'highlander-pss', namespace: restricted.name },
        spec: s,
      });
    const ok = await kubectl(['create', '--dry-run=server', '-f', '-'], pod(spec));
    assert.equal(ok.code, 0, ok.stderr);
    // The control: the same pod allowed to escalate privileges is refused, so the namespace enforces.
    const weak = structuredClone(spec);
    weak.containers[0]!.securityContext!.allowPrivilegeEscalation = true;
    const refused = await kubectl(['create', '--dry-run=server', '-f', '-'], pod(weak));
    assert.notEqual(refused.code, 0, 'a pod allowed to escalate privileges was admitted');
    assert.match(refused.stderr, /violates PodSecurity "restricted/);
  });

  test('is highly available: 2 replicas on different nodes, a PDB, probes, a grace period longer than the handover', async () => {
    const { objects } = await render({ namespace: release.name });
    const d = only<V1Deployment>(objects, 'Deployment');
    const pod = d.spec!.template.spec!;
    const c = pod.containers[0]!;
    assert.equal(d.spec?.replicas, 2);
    const anti = pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0];
    assert.equal(anti?.podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
    assert.deepEqual(anti?.podAffinityTerm.labelSelector?.matchLabels, d.spec?.selector.matchLabels);
    const pdb = only<V1PodDisruptionBudget>(objects, 'PodDisruptionBudget');
    assert.equal(pdb.spec?.minAvailable, 1);
    assert.deepEqual(pdb.spec?.selector?.matchLabels, d.spec?.selector.matchLabels);
    assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
    assert.equal(c.ports?.[0]?.name, 'http');
    assert.equal(c.livenessProbe?.httpGet?.port, 'http');
    const cfg = operatorConfig(objects);
    assert.equal(cfg.port, c.ports?.[0]?.containerPort);
    // The operator gives up on its own before the kubelet's SIGKILL, and both leave time for
    // the handover: stopping work, then one release call (at most 5 s).
    assert.ok(
      pod.terminationGracePeriodSeconds! * 1000 > cfg.terminationGracePeriodMs,
      'the kubelet would kill before the operator gives up',
    );
    assert.ok(cfg.terminationGracePeriodMs >= 10_000, `operator grace ${cfg.terminationGracePeriodMs} ms`);
    const id = c.env?.find((e) => e.name === 'HIGHLANDER_ID');
    assert.equal(id?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
    const svc = only<V1Service>(objects, 'Service');
    assert.deepEqual(svc.spec?.selector, d.spec?.selector.matchLabels);
    assert.equal(svc.spec?.ports?.[0]?.targetPort, 'http');
  });

  test('takes lock-store credentials from existing Secrets, never from the ConfigMap', async () => {
    const env = async (values: object) => {
      const { objects } = await render({ namespace: 'ns', values });
      const c = only<V1Deployment>(objects, 'Deployment').spec!.template.spec!.containers[0]!;
      return {
        c,
        cm: only<V1ConfigMap>(objects, 'ConfigMap').data!['config.yaml']!,
        pod: only<V1Deployment>(objects, 'Deployment').spec!.template.spec!,
      };
    };
    const redis = await env(STORES.redis!);
    assert.deepEqual(redis.c.env?.find((e) => e.name === 'HIGHLANDER_REDIS_PASSWORD')?.valueFrom?.secretKeyRef, {
      name: 'redis-auth',
      key: 'password',
    });
    assert.doesNotMatch(redis.cm, /password/);
    const db = await env(STORES.db!);
    assert.deepEqual(db.c.env?.find((e) => e.name === 'HIGHLANDER_DATABASE_URL')?.valueFrom?.secretKeyRef, {
      name: 'postgres-url',
      key: 'url',
    });
    assert.doesNotMatch(db.cm, /databaseURL|postgres:/);
    const handover = await env({ handover: { existingSecret: 'handover' } });
    assert.deepEqual(handover.c.env?.find((e) => e.name === 'HIGHLANDER_HANDOVER_TOKEN')?.valueFrom?.secretKeyRef, {
      name: 'handover',
      key: 'token',
    });
    assert.equal(
      (await env({})).c.env?.some((e) => e.name === 'HIGHLANDER_HANDOVER_TOKEN'),
      false,
    );
    const spanner = await env(STORES.spanner!);
    const path = spanner.c.env?.find((e) => e.name === 'GOOGLE_APPLICATION_CREDENTIALS')?.value;
    assert.equal(path, '/var/run/secrets/highlander/spanner/credentials.json');
    const mount = spanner.c.volumeMounts?.find((m) => path?.startsWith(`${m.mountPath}/`));
    assert.equal(mount?.readOnly, true);
    assert.equal(spanner.pod.volumes?.find((v) => v.name === mount?.name)?.secret?.secretName, 'gcp-key');
  });
});

describe('RBAC', () => {
  for (const store of Object.keys(STORES)) {
    for (const scope of ['cluster', 'namespaced']) {
      test(`${store}, ${scope}: no wildcard, no Secrets, no CRDs, nothing on nodes or exec; the Lease by name`, async () => {
        const tenant = 'blue';
        const values = { ...STORES[store], ...scopes()[scope], config: { tenant } };
        const { objects } = await render({ namespace: release.name, values, showOnly: ['templates/rbac.yaml'] });
        const rules = rulesOf(objects);
        assert.ok(rules.length > 0);
        for (const { where, rule } of rules) {
          const all = [
            ...(rule.apiGroups ?? []),
            ...(rule.resources ?? []),
            ...rule.verbs,
            ...(rule.resourceNames ?? []),
          ];
          assert.ok(!all.some((x) => x.includes('*')), `${where}: wildcard in ${JSON.stringify(rule)}`);
          assert.equal(rule.nonResourceURLs, undefined, where);
          assert.ok(
            !rule.resources?.some((r) =>
              [
                'secrets',
                'customresourcedefinitions',
                'nodes',
                'pods/exec',
                'pods/attach',
                'serviceaccounts/token',
              ].includes(r),
            ),
            `${where}: ${JSON.stringify(rule)}`,
          );
          assert.ok(!rule.apiGroups?.includes('apiextensions.k8s.io'), where);
          assert.ok(
            !rule.verbs.some((v) => ['escalate', 'bind', 'impersonate', 'deletecollection'].includes(v)),
            `${where}: ${rule.verbs.join(',')}`,
          );
        }
        const lease = rules.filter(({ rule }) => rule.resources?.includes('leases'));
        if (store !== 'kubernetes') {
          assert.equal(lease.length, 0, 'Lease rights without a Lease lock store');
        } else {
          const byName = lease.filter(({ rule }) => rule.resourceNames);
          const create = lease.filter(({ rule }) => !rule.resourceNames);
          assert.deepEqual(
            byName.map(({ rule }) => rule.resourceNames),
            [[`highlander-leader-${tenant}`]],
          );
          assert.deepEqual(byName[0]?.rule.verbs, ['get', 'update', 'watch']);
          assert.deepEqual(
            create.map(({ rule }) => rule.verbs),
            [['create']],
          );
          assert.ok(
            lease.every(({ where }) => where.startsWith(`Role ${release.name}/`)),
            'Lease rights outside the lease namespace',
          );
        }
        const workloadRoles = objects.filter(
          (o) => (o.kind === 'Role' || o.kind === 'ClusterRole') && !o.metadata?.name?.endsWith('-leader-election'),
        );
        if (scope === 'cluster') {
          assert.deepEqual(
            workloadRoles.map((o) => o.kind),
            ['ClusterRole'],
          );
        } else {
          assert.deepEqual(
            workloadRoles.map((o) => `${o.kind} ${o.metadata?.namespace}`),
            [`Role ${watchA.name}`, `Role ${watchB.name}`],
          );
          const bindings = objects.filter((o) => o.kind === 'RoleBinding' && o.metadata?.namespace !== release.name);
          assert.deepEqual(
            bindings.map((o) => o.metadata?.namespace),
            [watchA.name, watchB.name],
          );
        }
      });
    }
  }
});

describe('optional objects', () => {
  test('the ServiceMonitor scrapes the Service’s http port at /metrics (its CRD is not installed here: checked by shape)', async () => {
    const { objects } = await render({
      namespace: release.name,
      values: { serviceMonitor: { enabled: true, labels: { release: 'prom' } } },
    });
    const sm = only<
      KubernetesObject & { spec: { selector: { matchLabels: object }; endpoints: { port: string; path: string }[] } }
    >(objects, 'ServiceMonitor');
    assert.equal(sm.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(sm.metadata?.labels?.release, 'prom');
    const svc = only<V1Service>(objects, 'Service');
    assert.deepEqual(sm.spec.selector.matchLabels, svc.spec?.selector);
    assert.deepEqual(
      sm.spec.endpoints.map((e) => [e.port, e.path]),
      [[svc.spec?.ports?.[0]?.name, '/metrics']],
    );
    const rest = await render({ namespace: release.name, values: { serviceMonitor: { enabled: false } } });
    assert.equal(rest.objects.filter((o) => o.kind === 'ServiceMonitor').length, 0);
  });

  test('the NetworkPolicy opens only the http port and the API server accepts it', async () => {
    const values = {
      networkPolicy: {
        enabled: true,
        ingressFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      },
    };
    const { yaml, objects } = await render({ namespace: release.name, values });
    // As YAML (client-node's model calls `from` `_from`).
    const np = only<{ spec: { policyTypes: string[]; ingress: { ports: object[]; from?: object[] }[] } }>(
      objects,
      'NetworkPolicy',
    );
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(np.spec.ingress[0]?.ports, [{ port: 'http', protocol: 'TCP' }]);
    assert.equal(np.spec.ingress[0]?.from?.length, 1);
    const r = await dryRun(yaml);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /networkpolicy\.networking\.k8s\.io\/highlander serverside-applied \(server dry run\)/);
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

  test('the check names each stale file: a changed chart, CRD copy and schema', async () => {
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
