// The chart's objects: the Deployment is restricted (the API server's Pod Security admission
// agrees) and highly available, takes credentials from Secrets; the RBAC grants nothing it must
// not; the optional ServiceMonitor and NetworkPolicy are right.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import type {
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1PodDisruptionBudget,
  V1Service,
} from '@kubernetes/client-node';
import { createTestNamespace, loadKubeConfig } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { kubectl, only, render } from './helm.ts';
import { STORES, scopes, dryRun, operatorConfig, rulesOf } from './rendered.ts';

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
      test(`${store}, ${scope}: no wildcard, no Secrets, no CRDs, nothing on nodes or exec; the Lease (lock or fence) by name`, async () => {
        const tenant = 'blue';
        const values = { ...STORES[store], ...scopes(watchA.name, watchB.name)[scope], config: { tenant } };
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
        // One Lease by name: the lock with the Lease store, the fence (the newest epoch) with the others.
        const lease = rules.filter(({ rule }) => rule.resources?.includes('leases'));
        const byName = lease.filter(({ rule }) => rule.resourceNames);
        const create = lease.filter(({ rule }) => !rule.resourceNames);
        const leaseName = store === 'kubernetes' ? `highlander-leader-${tenant}` : `highlander-fence-${tenant}`;
        assert.deepEqual(
          byName.map(({ rule }) => rule.resourceNames),
          [[leaseName]],
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
