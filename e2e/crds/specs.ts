// The resources the CRD tests apply: K8 Highlander-style specs, specs using every new field, and
// invalid specs with the error each must get, plus the cron schedules compared with Kubernetes.
import type { WorkloadKind } from '../../api/types.ts';

/** A spec as written in a manifest. */
export type Spec = Record<string, unknown>;

export const without = (spec: Spec, key: string): Spec =>
  Object.fromEntries(Object.entries(spec).filter(([k]) => k !== key));

// K8 Highlander-style resources: only the fields it knew, written as its users wrote them.
export const legacy: Record<Exclude<WorkloadKind, 'WorkloadCronJob'>, Spec> = {
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
export const podExtras: Spec = {
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
export const full: Record<WorkloadKind, Spec> = {
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
export function bad(kind: WorkloadKind, changes: Spec): Spec {
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
export const INVALID: { name: string; kind: WorkloadKind; spec: Spec; error: RegExp }[] = [
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

export const VALID_SCHEDULES = ['*/5 * * * *', '0 0 * * SUN', '@daily', '0 9-17/2 * * MON-FRI', '30 6 1,15 * ?'];

// Our verdicts must equal those of batch/v1 CronJob validation (robfig/cron) for all of these…
export const COMPARED_SCHEDULES = [
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
export const STRICTER_THAN_KUBERNETES = [
  '@every 5m',
  '? * * * *',
  '0 ? * * *',
  ',1 * * * *',
  '1,,2 * * * *',
  '0 0 1, * *',
];
