import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { WorkloadKind } from '../api/types.ts';
import { validateManifests } from './manifests.ts';
import { cr, problems, seedCr, spec, v } from './testing.ts';
import type { Spec } from './testing.ts';

describe('CrValidator on the CRDs in crds/', () => {
  test('knows the four kinds and runs every CEL rule of the CRDs', () => {
    assert.deepEqual(v.kinds.sort(), ['WorkloadCronJob', 'WorkloadPersistent', 'WorkloadProcess', 'WorkloadService']);
    assert.deepEqual(v.unchecked, [], 'a CRD rule the interpreter cannot run: extend cr-validate-cel.ts');
  });

  test('the K8 Highlander seed custom resource is valid', () => {
    const results = validateManifests(readFileSync(seedCr, 'utf8'), v);
    assert.equal(results.length, 1);
    assert.deepEqual(results[0], {
      doc: 1,
      kind: 'WorkloadCronJob',
      name: 'sample-cronjob',
      namespace: 'default',
      problems: [],
    });
  });

  test('valid resources of each kind, using the optional fields', () => {
    const extras: Spec = {
      labels: { team: 'a' },
      tolerations: [
        { key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' },
        { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      ],
      volumes: [
        { name: 'c', mountPath: '/c', configMap: 'cm' },
        { name: 's', mountPath: '/s', secret: 'sec' },
      ],
      // Sidecars keep any core/v1 Container field (x-kubernetes-preserve-unknown-fields).
      sidecars: [{ name: 'log', image: 'fluent-bit:3', args: ['-c', 'x'], resources: { limits: { memory: '64Mi' } } }],
      resources: { cpuRequest: '250m', cpuLimit: '1', memoryRequest: '64Mi', memoryLimit: '1Gi' },
    };
    const ok: [WorkloadKind, Spec][] = [
      [
        'WorkloadProcess',
        spec('WorkloadProcess', { ...extras, restartPolicy: 'OnFailure', maxRestarts: 5, gracePeriod: '1m30s' }),
      ],
      [
        'WorkloadCronJob',
        spec('WorkloadCronJob', {
          ...extras,
          schedule: '0 9-17/2 * * MON-FRI',
          timeZone: 'Europe/Berlin',
          concurrencyPolicy: 'Replace',
        }),
      ],
      // The same container port twice is fine under different protocols (TCP is the default).
      [
        'WorkloadService',
        spec('WorkloadService', {
          ...extras,
          ports: [
            { name: 'dns', containerPort: 53, protocol: 'UDP' },
            { name: 'dns-tcp', containerPort: 53 },
          ],
        }),
      ],
      [
        'WorkloadPersistent',
        spec('WorkloadPersistent', { ...extras, ports: [{ name: 'pg', containerPort: 5432 }], serviceName: 'pg' }),
      ],
    ];
    for (const [kind, s] of ok) assert.deepEqual(problems(cr(kind, s)), [], kind);
  });

  test('status is not checked: the status subresource drops it on create', () => {
    assert.deepEqual(
      problems({ ...cr('WorkloadCronJob', spec('WorkloadCronJob')), status: { bogus: 1, active: 'yes' } }),
      [],
    );
  });

  // Invalid specs, and what the problem must say (field path, then reason).
  const INVALID: [string, WorkloadKind, Spec, RegExp][] = [
    [
      'cron with 6 fields',
      'WorkloadCronJob',
      { schedule: '0 0 0 * * *' },
      /^spec\.schedule: must have exactly 5 space-separated fields/m,
    ],
    ['cron day-of-week 7', 'WorkloadCronJob', { schedule: '0 0 * * 7' }, /^spec\.schedule: day-of-week must be 0-6/m],
    ['cron with TZ=', 'WorkloadCronJob', { schedule: 'TZ=UTC 0 * * * *' }, /^spec\.schedule: .*use spec\.timeZone/m],
    [
      'cron minute 61',
      'WorkloadCronJob',
      { schedule: '61 * * * *' },
      /^spec\.schedule: minute \(field 1\) must be 0-59/m,
    ],
    ['cron @every', 'WorkloadCronJob', { schedule: '@every 5m' }, /^spec\.schedule: unknown macro/m],
    ['cron L', 'WorkloadCronJob', { schedule: '0 0 L * *' }, /^spec\.schedule: day-of-month \(field 3\)/m],
    [
      'cron backwards weekday range',
      'WorkloadCronJob',
      { schedule: '0 0 * * FRI-MON' },
      /^spec\.schedule: a day-of-week range must not start after it ends/m,
    ],
    [
      'cron backwards month range',
      'WorkloadCronJob',
      { schedule: '0 0 * nov-feb *' },
      /^spec\.schedule: a month range must not start after it ends/m,
    ],
    [
      'cron backwards numeric range',
      'WorkloadCronJob',
      { schedule: '5-1 * * * *' },
      /^spec\.schedule: a range a-b must not start after it ends/m,
    ],
    ['empty schedule', 'WorkloadCronJob', { schedule: '' }, /^spec\.schedule: must be at least 1 characters long/m],
    ['timeZone Local', 'WorkloadCronJob', { timeZone: 'local' }, /^spec\.timeZone: Local is not allowed/m],
    [
      'cpuRequest not a quantity',
      'WorkloadCronJob',
      { resources: { cpuRequest: 'lots' } },
      /^spec\.resources\.cpuRequest: resources\.cpuRequest must be a Kubernetes quantity/m,
    ],
    [
      'cpu request above limit',
      'WorkloadProcess',
      { resources: { cpuRequest: '2', cpuLimit: '500m' } },
      /^spec\.resources\.cpuRequest: resources\.cpuRequest must not exceed resources\.cpuLimit/m,
    ],
    [
      'memory request above limit',
      'WorkloadService',
      { resources: { memoryRequest: '2Gi', memoryLimit: '1Gi' } },
      /^spec\.resources\.memoryRequest: .*must not exceed/m,
    ],
    [
      'bad concurrencyPolicy',
      'WorkloadCronJob',
      { concurrencyPolicy: 'Sometimes' },
      /^spec\.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"/m,
    ],
    [
      'containerPort 70000',
      'WorkloadService',
      { ports: [{ containerPort: 70000 }] },
      /^spec\.ports\[0\]\.containerPort: must be <= 65535 \(got 70000\)/m,
    ],
    [
      'duplicate containerPort',
      'WorkloadService',
      {
        ports: [
          { name: 'a', containerPort: 80 },
          { name: 'b', containerPort: 80, servicePort: 81 },
        ],
      },
      /^spec\.ports: containerPort values must be unique/m,
    ],
    [
      'duplicate servicePort',
      'WorkloadService',
      {
        ports: [
          { name: 'a', containerPort: 80 },
          { name: 'b', containerPort: 81, servicePort: 80 },
        ],
      },
      /^spec\.ports: servicePort values .* must be unique/m,
    ],
    [
      'duplicate port name',
      'WorkloadPersistent',
      {
        ports: [
          { name: 'a', containerPort: 1 },
          { name: 'a', containerPort: 2 },
        ],
      },
      /^spec\.ports: port names must be unique/m,
    ],
    [
      'port name without a letter',
      'WorkloadService',
      { ports: [{ name: '80', containerPort: 80 }] },
      /^spec\.ports\[0\]\.name: ports\[\]\.name must contain a letter/m,
    ],
    [
      'volume with configMap and secret',
      'WorkloadProcess',
      { volumes: [{ name: 'v', mountPath: '/v', configMap: 'c', secret: 's' }] },
      /^spec\.volumes\[0\]: volumes: exactly one of configMap or secret/m,
    ],
    [
      'duplicate volume names',
      'WorkloadProcess',
      {
        volumes: [
          { name: 'v', mountPath: '/a', configMap: 'c' },
          { name: 'v', mountPath: '/b', secret: 's' },
        ],
      },
      /^spec\.volumes: volume names must be unique/m,
    ],
    [
      'relative mountPath',
      'WorkloadProcess',
      { volumes: [{ name: 'v', mountPath: 'v', configMap: 'c' }] },
      /^spec\.volumes\[0\]\.mountPath: must match \^\//m,
    ],
    ['missing image', 'WorkloadProcess', { image: undefined }, /^spec\.image: Required value$/m],
    ['missing replicas', 'WorkloadService', { replicas: undefined }, /^spec\.replicas: Required value$/m],
    ['negative replicas', 'WorkloadPersistent', { replicas: -1 }, /^spec\.replicas: must be >= 0 \(got -1\)/m],
    ['replicas as a string', 'WorkloadService', { replicas: '1' }, /^spec\.replicas: must be integer, not string/m],
    [
      'empty commands',
      'WorkloadCronJob',
      { script: { commands: [] } },
      /^spec\.script\.commands: must have at least 1 items/m,
    ],
    [
      'neither script nor command',
      'WorkloadProcess',
      { command: undefined },
      /^spec: one of script or command is required$/m,
    ],
    ['gracePeriod not a duration', 'WorkloadProcess', { gracePeriod: '10 seconds' }, /^spec\.gracePeriod: must match/m],
    [
      'volume size zero',
      'WorkloadPersistent',
      { persistentVolumes: [{ name: 'd', mountPath: '/d', size: '0' }] },
      /^spec\.persistentVolumes\[0\]\.size: .*positive Kubernetes quantity/m,
    ],
    [
      'duplicate persistent volumes',
      'WorkloadPersistent',
      {
        persistentVolumes: [
          { name: 'd', mountPath: '/d', size: '1Gi' },
          { name: 'd', mountPath: '/e', size: '1Gi' },
        ],
      },
      /^spec\.persistentVolumes: /m,
    ],
    [
      'sidecar without image',
      'WorkloadProcess',
      { sidecars: [{ name: 'x' }] },
      /^spec\.sidecars\[0\]\.image: Required value/m,
    ],
    [
      'duplicate sidecars',
      'WorkloadProcess',
      {
        sidecars: [
          { name: 'x', image: 'a' },
          { name: 'x', image: 'b' },
        ],
      },
      /^spec\.sidecars: sidecar names must be unique/m,
    ],
    [
      'toleration Exists with a value',
      'WorkloadService',
      { tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] },
      /^spec\.tolerations\[0\]\.value: tolerations: value must be empty/m,
    ],
    [
      'toleration without key',
      'WorkloadService',
      { tolerations: [{ value: 'v' }] },
      /^spec\.tolerations\[0\]\.operator: tolerations: operator must be Exists/m,
    ],
    [
      'tolerationSeconds without NoExecute',
      'WorkloadService',
      { tolerations: [{ key: 'k', tolerationSeconds: 5 }] },
      /^spec\.tolerations\[0\]\.tolerationSeconds: /m,
    ],
    ['unknown spec field', 'WorkloadCronJob', { scheduel: '* * * * *' }, /^spec\.scheduel: unknown field/m],
    [
      'unknown nested field',
      'WorkloadCronJob',
      { script: { commands: ['x'], shel: 'bash' } },
      /^spec\.script\.shel: unknown field/m,
    ],
  ];

  for (const [name, kind, changes, expected] of INVALID) {
    test(`refuses ${name}, naming the field`, () => {
      const got = problems(cr(kind, spec(kind, changes)));
      assert.match(got.join('\n'), expected, `got:\n${got.join('\n')}`);
    });
  }

  test('valid cron schedules pass', () => {
    for (const schedule of [
      '*/5 * * * *',
      '0 0 * * SUN',
      '@daily',
      '@hourly',
      '0 9-17/2 * * MON-FRI',
      '30 6 1,15 * ?',
      '0 0 1 JAN,Jul *',
      '59 23 31 12 6',
      '0 0 * * sun-sat/2',
    ]) {
      assert.deepEqual(problems(cr('WorkloadCronJob', spec('WorkloadCronJob', { schedule }))), [], schedule);
    }
  });

  test('env values are never shown in problems', () => {
    const got = problems(cr('WorkloadProcess', spec('WorkloadProcess', { env: { TOKEN: ['s3cret-value'] } }))).join(
      '\n',
    );
    assert.match(got, /^spec\.env\.TOKEN: must be string, not array/m);
    assert.doesNotMatch(got, /s3cret/);
  });

  test('rules are not run after a type error, and say so', () => {
    const got = problems(
      cr('WorkloadService', spec('WorkloadService', { ports: 'http', resources: { cpuRequest: '2', cpuLimit: '1' } })),
    );
    assert.match(got.join('\n'), /^spec\.ports: must be array, not string/m);
    assert.match(got.join('\n'), /validation rules were not checked because of the type errors above/);
    assert.doesNotMatch(got.join('\n'), /must not exceed/);
  });

  test('apiVersion and kind must be ours', () => {
    assert.deepEqual(problems({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }), [
      'apiVersion: must be highlander.plexobject.io/v1 (got "v1")',
      'kind: must be one of WorkloadCronJob, WorkloadPersistent, WorkloadProcess, WorkloadService (got "ConfigMap")',
    ]);
    assert.match(problems('text').join(), /must be a mapping/);
  });
});
