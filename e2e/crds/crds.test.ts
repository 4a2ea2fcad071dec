// The four CRDs on a real API server: they install, K8 Highlander's resources apply unchanged,
// the new fields apply, kubectl shows the categories, columns and field docs, the validation
// rules reject what they should (naming the field) and agree with Kubernetes' own CronJob
// validation, and the status subresource works. The CRDs stay installed; the namespace goes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  ApiextensionsV1Api,
  BatchV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import { WORKLOAD_KINDS } from '../../api/types.ts';
import type { WorkloadKind } from '../../api/types.ts';
import { createTestNamespace, loadKubeConfig, repoRoot, statusOf, waitFor } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { kubectl, kubectlOk } from '../../testkit/run-command.ts';
import type { Run } from '../../testkit/run-command.ts';
import { GROUP } from '../../api/labels.ts';

const kc = loadKubeConfig();
const ext = kc.makeApiClient(ApiextensionsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const batch = kc.makeApiClient(BatchV1Api);
const SEED = `${repoRoot}testkit/fixtures/seed/cr-sample-cronjob.yaml`;
let ns: TestNamespace;

type Spec = Record<string, unknown>;

/** A manifest of `kind` named `name`, as JSON for kubectl's stdin. */
function manifest(kind: WorkloadKind, name: string, spec: Spec): string {
  return JSON.stringify({ apiVersion: `${GROUP}/v1`, kind, metadata: { name }, spec });
}

/** `kubectl apply -n <test namespace> -f -` of one manifest. */
function apply(kind: WorkloadKind, name: string, spec: Spec): Promise<Run> {
  return kubectl(['apply', '-n', ns.name, '-f', '-'], manifest(kind, name, spec));
}

/** The resource as stored, through the API (defaults applied, unknown fields pruned). */
async function read(kind: WorkloadKind, name: string): Promise<{ spec: Spec; status?: Spec }> {
  const { plural } = WORKLOAD_KINDS[kind];
  return (await custom.getNamespacedCustomObject({
    group: GROUP,
    version: 'v1',
    namespace: ns.name,
    plural,
    name,
  })) as {
    spec: Spec;
    status?: Spec;
  };
}

const without = (spec: Spec, key: string): Spec => Object.fromEntries(Object.entries(spec).filter(([k]) => k !== key));

// K8 Highlander-style resources: only the fields it knew, written as its users wrote them.
const legacy: Record<Exclude<WorkloadKind, 'WorkloadCronJob'>, Spec> = {
  WorkloadProcess: {
    image: 'busybox:latest',
    script: { commands: ["echo 'worker up'", 'while true; do date; sleep 10; done'], shell: '/bin/sh' },
    env: { MODE: 'legacy' },
    resources: { cpuRequest: '50m', memoryRequest: '32Mi', cpuLimit: '100m', memoryLimit: '64Mi' },
    restartPolicy: 'Never',
    maxRestarts: 3,
    gracePeriod: '15s',
  },
  WorkloadService: {
    replicas: 2,
    image: 'nginx:alpine',
    script: { commands: ["nginx -g 'daemon off;'"], shell: '/bin/sh' },
    ports: [{ name: 'http', containerPort: 80, servicePort: 80 }],
    healthCheckPath: '/health',
    healthCheckPort: 80,
    readinessTimeout: '30s',
    env: { SOURCE: 'legacy' },
  },
  WorkloadPersistent: {
    replicas: 1,
    image: 'redis:alpine',
    script: { commands: ['redis-server --appendonly yes'] },
    ports: [{ name: 'redis', containerPort: 6379, servicePort: 6379 }],
    persistentVolumes: [{ name: 'data', mountPath: '/data', size: '2Gi', storageClassName: 'standard' }],
    resources: { cpuRequest: '50m', memoryLimit: '128Mi' },
    serviceName: 'redis-persistent',
  },
};

// Resources that use the fields K8 Highlander did not have.
const podExtras: Spec = {
  labels: { team: 'payments' },
  annotations: { 'example.com/owner': 'payments@example.com' },
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [
    { key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' },
    { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
  ],
  serviceAccountName: 'default',
  imagePullSecrets: [{ name: 'regcred' }],
  configMaps: ['app-config'],
  secrets: ['app-secret'],
  volumes: [
    { name: 'extra', mountPath: '/opt/extra', configMap: 'extra-config', readOnly: true },
    { name: 'certs', mountPath: '/etc/certs', secret: 'tls' },
  ],
  sidecars: [
    {
      name: 'log-shipper',
      image: 'fluent/fluent-bit:3.0',
      args: ['-c', '/etc/fb.conf'],
      resources: { limits: { memory: '64Mi' } },
    },
  ],
};
const full: Record<WorkloadKind, Spec> = {
  WorkloadProcess: {
    image: 'busybox:1.36',
    command: ['/bin/sh', '-c'],
    args: ['exec sleep 3600'],
    env: { MODE: 'full' },
    resources: { cpuRequest: '250m', cpuLimit: '1', memoryRequest: '64Mi', memoryLimit: '1Gi' },
    ...podExtras,
    restartPolicy: 'OnFailure',
    maxRestarts: 5,
    gracePeriod: '1m30s',
  },
  WorkloadCronJob: {
    image: 'busybox:1.36',
    script: { commands: ['date', 'echo done'] },
    schedule: '0 9-17/2 * * MON-FRI',
    timeZone: 'Europe/Berlin',
    suspend: true,
    concurrencyPolicy: 'Replace',
    startingDeadlineSeconds: 120,
    successfulJobsHistoryLimit: 5,
    failedJobsHistoryLimit: 2,
    restartPolicy: 'Never',
    ...podExtras,
  },
  WorkloadService: {
    image: 'nginx:1.27',
    command: ['nginx', '-g', 'daemon off;'],
    replicas: 2,
    ports: [
      { name: 'http', containerPort: 8080, servicePort: 80 },
      { name: 'metrics', containerPort: 9090 },
      // The same number twice is fine under different protocols.
      { name: 'dns', containerPort: 5353, protocol: 'UDP' },
      { name: 'dns-tcp', containerPort: 5353, protocol: 'TCP' },
    ],
    healthCheckPath: '/healthz',
    healthCheckPort: 8080,
    readinessTimeout: '2m',
    ...podExtras,
  },
  WorkloadPersistent: {
    image: 'postgres:16',
    script: { commands: ['exec postgres'] },
    replicas: 1,
    ports: [{ name: 'pg', containerPort: 5432 }],
    persistentVolumes: [
      { name: 'data', mountPath: '/var/lib/postgresql/data', size: '10Gi', storageClassName: 'standard' },
      { name: 'wal', mountPath: '/var/lib/wal', size: '500Mi' },
    ],
    serviceName: 'pg-headless',
    ...podExtras,
  },
};

/** A spec of `kind` with `changes` merged in; a key set to undefined is removed. */
function bad(kind: WorkloadKind, changes: Spec): Spec {
  const base: Record<WorkloadKind, Spec> = {
    WorkloadProcess: { image: 'busybox:1.36', command: ['sleep', '3600'] },
    WorkloadCronJob: { image: 'busybox:1.36', script: { commands: ['date'] }, schedule: '*/5 * * * *' },
    WorkloadService: { image: 'busybox:1.36', script: { commands: ['httpd -f'] }, replicas: 1 },
    WorkloadPersistent: {
      image: 'busybox:1.36',
      script: { commands: ['sleep 3600'] },
      replicas: 1,
      persistentVolumes: [{ name: 'data', mountPath: '/data', size: '1Gi' }],
    },
  };
  let spec: Spec = { ...base[kind], ...changes };
  for (const [k, v] of Object.entries(changes)) if (v === undefined) spec = without(spec, k);
  return spec;
}

/** Specs the API server must refuse, and what its message must say (field path, then reason). */
const INVALID: { name: string; kind: WorkloadKind; spec: Spec; error: RegExp }[] = [
  {
    name: 'cron with 6 fields',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { schedule: '0 0 0 * * *' }),
    error: /spec\.schedule: .*exactly 5 space-separated fields/,
  },
  {
    name: 'cron day-of-week 7',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { schedule: '0 0 * * 7' }),
    error: /spec\.schedule: .*day-of-week must be 0-6 or SUN-SAT \(7 is not allowed\)/,
  },
  {
    name: 'cron with TZ= prefix',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { schedule: 'TZ=UTC 0 * * * *' }),
    error: /spec\.schedule: .*use spec\.timeZone/,
  },
  {
    name: 'cron minute 61',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { schedule: '61 * * * *' }),
    error: /spec\.schedule: .*minute \(field 1\) must be 0-59/,
  },
  {
    name: 'cron @every',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { schedule: '@every 5m' }),
    error: /spec\.schedule: .*@every is not supported/,
  },
  {
    name: 'cron L in day-of-month',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { schedule: '0 0 L * *' }),
    error: /spec\.schedule: .*day-of-month \(field 3\).*L, W, # and H are not supported/,
  },
  {
    name: 'cron backwards range',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { schedule: '0 0 * * FRI-MON' }),
    error: /spec\.schedule: .*day-of-week range must not start after it ends/,
  },
  {
    name: 'empty schedule',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { schedule: '' }),
    error: /spec\.schedule: /,
  },
  {
    name: 'timeZone Local',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { timeZone: 'Local' }),
    error: /spec\.timeZone: .*Local is not allowed/,
  },
  {
    name: 'cpuRequest not a quantity',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { resources: { cpuRequest: 'lots' } }),
    error: /spec\.resources\.cpuRequest: .*must be a Kubernetes quantity/,
  },
  {
    name: 'memoryLimit not a quantity',
    kind: 'WorkloadProcess',
    spec: bad('WorkloadProcess', { resources: { memoryLimit: '64 MB' } }),
    error: /spec\.resources\.memoryLimit: .*must be a Kubernetes quantity/,
  },
  {
    name: 'cpu request above limit',
    kind: 'WorkloadProcess',
    spec: bad('WorkloadProcess', { resources: { cpuRequest: '2', cpuLimit: '500m' } }),
    error: /spec\.resources\.cpuRequest: .*resources\.cpuRequest must not exceed resources\.cpuLimit/,
  },
  {
    name: 'memory request above limit',
    kind: 'WorkloadService',
    spec: bad('WorkloadService', { resources: { memoryRequest: '2Gi', memoryLimit: '1Gi' } }),
    error: /spec\.resources\.memoryRequest: .*must not exceed resources\.memoryLimit/,
  },
  {
    name: 'invalid concurrencyPolicy',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { concurrencyPolicy: 'Sometimes' }),
    error: /spec\.concurrencyPolicy: Unsupported value: "Sometimes"/,
  },
  {
    name: 'cron restartPolicy Always',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { restartPolicy: 'Always' }),
    error: /spec\.restartPolicy: Unsupported value: "Always"/,
  },
  {
    name: 'containerPort 70000',
    kind: 'WorkloadService',
    spec: bad('WorkloadService', { ports: [{ containerPort: 70000 }] }),
    error: /spec\.ports\[0\]\.containerPort: .*less than or equal to 65535/,
  },
  {
    name: 'duplicate containerPort',
    kind: 'WorkloadService',
    spec: bad('WorkloadService', {
      ports: [
        { name: 'a', containerPort: 8080 },
        { name: 'b', containerPort: 8080, servicePort: 81 },
      ],
    }),
    error: /spec\.ports: .*containerPort values must be unique/,
  },
  {
    name: 'duplicate port name',
    kind: 'WorkloadPersistent',
    spec: bad('WorkloadPersistent', {
      ports: [
        { name: 'a', containerPort: 1 },
        { name: 'a', containerPort: 2 },
      ],
    }),
    error: /spec\.ports: .*port names must be unique/,
  },
  {
    name: 'port name too long',
    kind: 'WorkloadService',
    spec: bad('WorkloadService', { ports: [{ name: 'a-very-long-port-name', containerPort: 80 }] }),
    error: /spec\.ports\[0\]\.name: /,
  },
  {
    name: 'volume with configMap and secret',
    kind: 'WorkloadProcess',
    spec: bad('WorkloadProcess', { volumes: [{ name: 'v', mountPath: '/v', configMap: 'c', secret: 's' }] }),
    error: /spec\.volumes\[0\]: .*exactly one of configMap or secret/,
  },
  {
    name: 'volume with a relative mountPath',
    kind: 'WorkloadProcess',
    spec: bad('WorkloadProcess', { volumes: [{ name: 'v', mountPath: 'v', configMap: 'c' }] }),
    error: /spec\.volumes\[0\]\.mountPath: /,
  },
  {
    name: 'missing image',
    kind: 'WorkloadProcess',
    spec: bad('WorkloadProcess', { image: undefined }),
    error: /spec\.image: Required value/,
  },
  {
    name: 'missing schedule',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { schedule: undefined }),
    error: /spec\.schedule: Required value/,
  },
  {
    name: 'missing replicas',
    kind: 'WorkloadService',
    spec: bad('WorkloadService', { replicas: undefined }),
    error: /spec\.replicas: Required value/,
  },
  {
    name: 'negative replicas',
    kind: 'WorkloadPersistent',
    spec: bad('WorkloadPersistent', { replicas: -1 }),
    error: /spec\.replicas: .*greater than or equal to 0/,
  },
  {
    name: 'script with empty commands',
    kind: 'WorkloadCronJob',
    spec: bad('WorkloadCronJob', { script: { commands: [] } }),
    error: /spec\.script\.commands: .*at least 1 items/,
  },
  {
    name: 'neither script nor command',
    kind: 'WorkloadProcess',
    spec: bad('WorkloadProcess', { command: undefined }),
    error: /spec: .*spec: one of script or command is required/,
  },
  {
    name: 'gracePeriod not a duration',
    kind: 'WorkloadProcess',
    spec: bad('WorkloadProcess', { gracePeriod: '10 seconds' }),
    error: /spec\.gracePeriod: /,
  },
  {
    name: 'healthCheckPath without leading slash',
    kind: 'WorkloadService',
    spec: bad('WorkloadService', { healthCheckPath: 'healthz' }),
    error: /spec\.healthCheckPath: /,
  },
  {
    name: 'persistent volume size not a quantity',
    kind: 'WorkloadPersistent',
    spec: bad('WorkloadPersistent', { persistentVolumes: [{ name: 'd', mountPath: '/d', size: 'big' }] }),
    error: /spec\.persistentVolumes\[0\]\.size: .*positive Kubernetes quantity/,
  },
  {
    name: 'sidecar without image',
    kind: 'WorkloadProcess',
    spec: bad('WorkloadProcess', { sidecars: [{ name: 'x' }] }),
    error: /spec\.sidecars\[0\]\.image: Required value/,
  },
  {
    name: 'toleration Exists with a value',
    kind: 'WorkloadService',
    spec: bad('WorkloadService', { tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] }),
    error: /spec\.tolerations\[0\]\.value: .*must be empty when operator is Exists/,
  },
];

const VALID_SCHEDULES = ['*/5 * * * *', '0 0 * * SUN', '@daily', '0 9-17/2 * * MON-FRI', '30 6 1,15 * ?'];

// Our verdicts must equal those of batch/v1 CronJob validation (robfig/cron) for all of these…
const COMPARED_SCHEDULES = [
  ...VALID_SCHEDULES,
  ...['@yearly', '@annually', '@monthly', '@weekly', '@midnight', '@hourly', '@reboot'],
  ...[
    '0 0 0 * * *',
    '0 0 * * 7',
    'TZ=UTC 0 * * * *',
    'CRON_TZ=UTC 0 * * * *',
    '61 * * * *',
    '0 0 L * *',
    '0 0 15W * *',
  ],
  ...['0 0 * * MON#2', '0 0 * * 5L', 'H * * * *', '0 24 * * *', '0 0 0 * *', '0 0 32 * *', '0 0 * 0 *', '0 0 * 13 *'],
  ...['5-1 * * * *', '0 0 * * FRI-MON', '0 0 * NOV-FEB *', '*/0 * * * *', '0 0 1-31/0 * *', '0 0 ? * 1-7', '0 0 1 1'],
  ...['0  0 * * *', ' 0 0 * * *', '0 0 * * * ', '\t0 0 * * *', '5/15 * * * *', '0 0 ?/2 * *', '00 00 01 01 00'],
  ...['0 0 * * 1-FRI', '0 0 * * sun-sat/2', '0 0 31 2 *', '*/60 * * * *', '0 0 * * */7', '1,2,3-5,*/10 * * * *'],
  ...['0 0 1 JAN,Jul *', '59 23 31 12 6', '-1 * * * *', '1- * * * *', '0 0 * * Monday', '0 0 * * 0-6'],
];
// …except these, which Kubernetes accepts and we refuse on purpose: no @every, ? only in the day
// fields, no empty items in a comma list (robfig/cron drops them silently; they are typos).
const STRICTER_THAN_KUBERNETES = ['@every 5m', '? * * * *', '0 ? * * *', ',1 * * * *', '1,,2 * * * *', '0 0 1, * *'];

describe('CRDs', () => {
  before(async () => {
    await kubectlOk(['apply', '-f', `${repoRoot}crds/`]);
    for (const { plural } of Object.values(WORKLOAD_KINDS)) {
      await waitFor(
        async () => {
          const crd = await ext.readCustomResourceDefinition({ name: `${plural}.${GROUP}` });
          return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
            ? true
            : undefined;
        },
        { what: `CRD ${plural}.${GROUP} Established` },
      );
    }
    ns = await createTestNamespace(kc, 'crds');
  });
  after(async () => {
    await ns?.remove();
  });

  test('all four are installed with their short names, in the highlander category, with a status subresource', async () => {
    for (const info of Object.values(WORKLOAD_KINDS)) {
      const crd = await ext.readCustomResourceDefinition({ name: `${info.plural}.${GROUP}` });
      assert.equal(crd.spec.names.kind, info.kind);
      assert.deepEqual(crd.spec.names.shortNames, [info.shortName]);
      assert.deepEqual(crd.spec.names.categories, ['highlander']);
      assert.ok(crd.spec.versions[0]?.subresources?.status, `${info.kind} has no status subresource`);
    }
  });

  test('the K8 Highlander seed applies unchanged', async () => {
    const text = readFileSync(SEED, 'utf8');
    // The file names namespace default: check it there without storing anything…
    assert.match(
      await kubectlOk(['apply', '--dry-run=server', '-f', SEED]),
      /workloadcronjob\.highlander\.plexobject\.io\/sample-cronjob created \(server dry run\)/,
    );
    // …then store it in the test namespace, the namespace line being the only change.
    assert.match(text, /^ {2}namespace: default$/m);
    await kubectlOk(
      ['apply', '-n', ns.name, '-f', '-'],
      text.replace(/^ {2}namespace: default$/m, `  namespace: ${ns.name}`),
    );
    const seed = parse(text) as { spec: Spec };
    const stored = await read('WorkloadCronJob', 'sample-cronjob');
    // Nothing pruned or rewritten; only defaults added.
    for (const [k, v] of Object.entries(seed.spec))
      assert.deepEqual(stored.spec[k], v, `spec.${k} changed on the way in`);
    assert.equal(stored.spec.concurrencyPolicy, 'Forbid');
    assert.equal(stored.spec.suspend, false);
  });

  test('K8 Highlander-style process, service and persistent resources apply unchanged', async () => {
    for (const [kind, spec] of Object.entries(legacy) as [WorkloadKind, Spec][]) {
      await kubectlOk(
        ['apply', '-n', ns.name, '-f', '-'],
        manifest(kind, `legacy-${WORKLOAD_KINDS[kind].shortName}`, spec),
      );
      const stored = await read(kind, `legacy-${WORKLOAD_KINDS[kind].shortName}`);
      for (const [k, v] of Object.entries(spec)) {
        if (k === 'script' || k === 'ports') continue; // defaults (shell, protocol) are added inside
        assert.deepEqual(stored.spec[k], v, `${kind} spec.${k} changed on the way in`);
      }
    }
    const persistent = await read('WorkloadPersistent', 'legacy-wlper');
    assert.equal((persistent.spec.script as { shell?: string }).shell, '/bin/sh');
    assert.equal((persistent.spec.ports as { protocol?: string }[])[0]?.protocol, 'TCP');
  });

  test('a resource of each kind using the new fields applies, sidecars keep their container fields', async () => {
    for (const [kind, spec] of Object.entries(full) as [WorkloadKind, Spec][]) {
      const r = await apply(kind, `full-${WORKLOAD_KINDS[kind].shortName}`, spec);
      assert.equal(r.code, 0, `${kind}: ${r.stderr}`);
    }
    const process = await read('WorkloadProcess', 'full-wlp');
    assert.deepEqual(process.spec.sidecars, podExtras.sidecars);
    assert.deepEqual(process.spec.tolerations, podExtras.tolerations);
    const cron = await read('WorkloadCronJob', 'full-wlc');
    assert.equal(cron.spec.concurrencyPolicy, 'Replace');
    assert.equal(cron.spec.timeZone, 'Europe/Berlin');
  });

  test('kubectl get highlander lists all four kinds', async () => {
    for (const [kind, spec] of Object.entries(full) as [WorkloadKind, Spec][]) {
      await kubectlOk(
        ['apply', '-n', ns.name, '-f', '-'],
        manifest(kind, `full-${WORKLOAD_KINDS[kind].shortName}`, spec),
      );
    }
    // Discovery learns of new CRDs a moment after they are Established: retry as a user would.
    const out = await waitFor(
      async () => {
        const r = await kubectl(['get', 'highlander', '-n', ns.name]);
        const all = Object.values(WORKLOAD_KINDS).every((k) =>
          r.stdout.includes(`${k.singular}.${GROUP}/full-${k.shortName}`),
        );
        return r.code === 0 && all ? r.stdout : undefined;
      },
      { what: 'kubectl get highlander listing all four kinds', timeoutMs: 30_000, intervalMs: 500 },
    );
    assert.match(out, /^NAME\s+ACTIVE\s+HEALTHY\s+SCHEDULE\s+AGE$/m);
    assert.match(out, /^NAME\s+ACTIVE\s+HEALTHY\s+PHASE\s+AGE$/m);
  });

  test("kubectl get shows each kind's columns", async () => {
    const headers: Record<string, RegExp> = {
      wlc: /^NAME\s+ACTIVE\s+HEALTHY\s+SCHEDULE\s+AGE\n/,
      wlp: /^NAME\s+ACTIVE\s+HEALTHY\s+PHASE\s+AGE\n/,
      wls: /^NAME\s+ACTIVE\s+HEALTHY\s+READY\s+REPLICAS\s+AGE\n/,
      wlper: /^NAME\s+ACTIVE\s+HEALTHY\s+READY\s+REPLICAS\s+AGE\n/,
    };
    for (const [short, header] of Object.entries(headers)) {
      const out = await waitFor(
        async () => {
          const r = await kubectl(['get', short, '-n', ns.name]);
          return r.code === 0 ? r.stdout : undefined;
        },
        { what: `kubectl get ${short}`, timeoutMs: 30_000, intervalMs: 500 },
      );
      assert.match(out, header);
    }
    const cron = await kubectlOk(['get', 'wlc', 'full-wlc', '-n', ns.name]);
    assert.match(
      cron,
      /^full-wlc\s+0 9-17\/2 \* \* MON-FRI\s+\S+$/m,
      'SCHEDULE column (status columns empty before a controller writes)',
    );
    const wide = await kubectlOk(['get', 'wlc', 'full-wlc', '-n', ns.name, '-o', 'wide']);
    assert.match(wide, /^NAME\s+ACTIVE\s+HEALTHY\s+SCHEDULE\s+AGE\s+IMAGE\s+LEADER\s+SUSPEND\s+LAST SCHEDULE$/m);
  });

  test('kubectl explain documents nested fields', async () => {
    const cases: [string, RegExp][] = [
      ['wlc.spec.script.commands', /joined with newlines/],
      ['wlc.spec.schedule', /L, W, #, H and @every are not\s+supported/],
      ['wls.spec.ports.containerPort', /Port the workload container listens on/],
      ['wlper.spec.persistentVolumes.size', /positive Kubernetes quantity/],
      ['wlp.spec.configMaps', /\/etc\/config\/<name>/],
      ['wlp.status.conditions', /Ready/],
    ];
    for (const [field, description] of cases) {
      // The OpenAPI document the API server publishes catches up with a new CRD a moment later.
      const out = await waitFor(
        async () => {
          const r = await kubectl(['explain', field]);
          return r.code === 0 && description.test(r.stdout.replace(/\n\s+/g, ' ')) ? r.stdout : undefined;
        },
        { what: `kubectl explain ${field} with its description`, timeoutMs: 30_000, intervalMs: 500 },
      );
      assert.match(out, /DESCRIPTION:/);
    }
  });

  describe('rejects invalid specs at apply, naming the field', () => {
    for (const [i, c] of INVALID.entries()) {
      test(c.name, async () => {
        const r = await apply(c.kind, `bad-${i}`, c.spec);
        assert.notEqual(r.code, 0, `${c.name} was accepted`);
        assert.match(r.stderr, c.error);
      });
    }
  });

  test('accepts the valid cron schedules', async () => {
    for (const [i, schedule] of VALID_SCHEDULES.entries()) {
      const r = await apply('WorkloadCronJob', `ok-${i}`, bad('WorkloadCronJob', { schedule }));
      assert.equal(r.code, 0, `"${schedule}" was refused: ${r.stderr}`);
    }
  });

  test('cron verdicts agree with batch/v1 CronJob validation', async () => {
    const accepts = async (create: () => Promise<unknown>): Promise<boolean> => {
      try {
        await create();
        return true;
      } catch (err) {
        if (statusOf(err) === 422) return false;
        throw err;
      }
    };
    const ours = (schedule: string) =>
      accepts(() =>
        custom.createNamespacedCustomObject({
          group: GROUP,
          version: 'v1',
          namespace: ns.name,
          plural: 'workloadcronjobs',
          dryRun: 'All',
          body: JSON.parse(manifest('WorkloadCronJob', 'verdict', bad('WorkloadCronJob', { schedule }))) as object,
        }),
      );
    const kubernetes = (schedule: string) =>
      accepts(() =>
        batch.createNamespacedCronJob({
          namespace: ns.name,
          dryRun: 'All',
          body: {
            metadata: { name: 'verdict' },
            spec: {
              schedule,
              jobTemplate: {
                spec: {
                  template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'busybox:1.36' }] } },
                },
              },
            },
          },
        }),
      );
    const disagreements: string[] = [];
    for (const schedule of COMPARED_SCHEDULES) {
      const [o, k] = [await ours(schedule), await kubernetes(schedule)];
      if (o !== k)
        disagreements.push(`"${schedule}": ours ${o ? 'accepts' : 'refuses'}, CronJob ${k ? 'accepts' : 'refuses'}`);
    }
    assert.deepEqual(disagreements, []);
    for (const schedule of STRICTER_THAN_KUBERNETES) {
      assert.deepEqual([await ours(schedule), await kubernetes(schedule)], [false, true], `"${schedule}"`);
    }
  });

  test('status subresource: a merge patch lands and kubectl get shows ACTIVE/HEALTHY', async () => {
    await kubectlOk(
      ['apply', '-n', ns.name, '-f', '-'],
      manifest('WorkloadCronJob', 'status-wlc', bad('WorkloadCronJob', {})),
    );
    await kubectlOk(
      ['apply', '-n', ns.name, '-f', '-'],
      manifest('WorkloadService', 'status-wls', bad('WorkloadService', { replicas: 2 })),
    );
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const ref = (plural: string, name: string) => ({ group: GROUP, version: 'v1', namespace: ns.name, plural, name });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await custom.patchNamespacedCustomObjectStatus(
      {
        ...ref('workloadcronjobs', 'status-wlc'),
        body: {
          status: {
            observedGeneration: 1,
            active: true,
            healthy: false,
            leader: 'e2e-leader',
            epoch: 7,
            phase: 'Scheduled',
            lastScheduleTime: now,
            activeJobs: 0,
            conditions: [
              {
                type: 'Ready',
                status: 'False',
                observedGeneration: 1,
                lastTransitionTime: now,
                reason: 'Waiting',
                message: '',
              },
            ],
          },
        },
      },
      merge,
    );
    await custom.patchNamespacedCustomObjectStatus(
      {
        ...ref('workloadservices', 'status-wls'),
        body: { status: { active: true, healthy: true, readyReplicas: 1, replicas: 2 } },
      },
      merge,
    );
    const stored = await read('WorkloadCronJob', 'status-wlc');
    assert.equal(stored.status?.leader, 'e2e-leader');
    assert.equal(stored.status?.epoch, 7);

    assert.match(
      await kubectlOk(['get', 'wlc', 'status-wlc', '-n', ns.name]),
      /^status-wlc\s+true\s+false\s+\*\/5 \* \* \* \*\s+\S+$/m,
    );
    assert.match(await kubectlOk(['get', 'wlc', 'status-wlc', '-n', ns.name, '-o', 'wide']), /\se2e-leader\s/);
    assert.match(
      await kubectlOk(['get', 'wls', 'status-wls', '-n', ns.name]),
      /^status-wls\s+true\s+true\s+1\s+2\s+\S+$/m,
    );

    // The status schema is enforced too.
    await assert.rejects(
      custom.patchNamespacedCustomObjectStatus(
        {
          ...ref('workloadcronjobs', 'status-wlc'),
          body: {
            status: {
              conditions: [{ type: 'Ready', status: 'Maybe', lastTransitionTime: now, reason: 'X', message: '' }],
            },
          },
        },
        merge,
      ),
      (err: unknown) => statusOf(err) === 422 && /status\.conditions\[0\]\.status/.test(String(err)),
    );
    // A spec change through /status is ignored.
    await custom.patchNamespacedCustomObjectStatus(
      { ...ref('workloadcronjobs', 'status-wlc'), body: { spec: { schedule: '@hourly' } } },
      merge,
    );
    assert.equal((await read('WorkloadCronJob', 'status-wlc')).spec.schedule, '*/5 * * * *');
  });
});
