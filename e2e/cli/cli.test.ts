// The `highlander` command as users run it (bin/highlander.js in a subprocess): `validate` on the
// seed files and on broken ones, its verdicts compared with the real API server's on the same
// resources, and `status` against real operator processes and against a closed port.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CustomObjectsApi } from '@kubernetes/client-node';
import YAML from 'yaml';
import { WORKLOAD_KINDS } from '../../api/types.ts';
import type { WorkloadKind } from '../../api/types.ts';
import { GROUP, TENANT_LABEL } from '../../api/labels.ts';
import { STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import { createTestNamespace, loadKubeConfig, repoRoot, statusOf, waitFor } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { leaderAndFollower } from '../../testkit/operator-process.ts';
import type { OperatorProcess } from '../../testkit/operator-process.ts';

const SEED = `${repoRoot}testkit/fixtures/seed/`;
const seedCr = readFileSync(`${SEED}cr-sample-cronjob.yaml`, 'utf8');

/** What a run of the command printed, and its exit code. */
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `highlander ARGS` (the sources) with only `env` (and PATH, HOME) set, feeding `input` on stdin. */
function highlander(args: string[], env: Record<string, string> = {}, input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${repoRoot}bin/highlander.js`, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HIGHLANDER_DEV: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('highlander validate', () => {
  test('every seed config and the seed custom resource are valid', async () => {
    const configs = readdirSync(SEED).filter((f) => f.startsWith('config-') && f.endsWith('.yaml'));
    assert.ok(configs.length >= 6, `no seed configs in ${SEED}`);
    for (const f of configs) {
      const r = await highlander(['validate', '--config', `${SEED}${f}`]);
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^${SEED}${f}: config ok: id \\S+, tenant \\S+, storage \\w+`, 'm'));
    }
    const cr = await highlander(['validate', '-f', `${SEED}cr-sample-cronjob.yaml`]);
    assert.equal(cr.code, 0, cr.stderr);
    assert.equal(cr.stdout, `${SEED}cr-sample-cronjob.yaml: WorkloadCronJob default/sample-cronjob ok\n`);
  });

  test('a broken config exits 2 and names the setting', async () => {
    const r = await highlander(['validate', '--config', `${SEED}config-basic.yaml`], {
      HIGHLANDER_REDIS_DB: 'zero',
      HIGHLANDER_LEASE_DURATION: '5s',
    });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^.*config-basic\.yaml: redis\.db \(from HIGHLANDER_REDIS_DB\): must be integer/m);
  });

  test('every problem in one pass: validate and run both name the storageType and the schedule, exit 2', async () => {
    const dir = mkdtempSync(`${tmpdir()}/highlander-cfg-`);
    const path = `${dir}/config.yaml`;
    writeFileSync(
      path,
      [
        'storageType: carrier-pigeon',
        'workloads:',
        '  cronJobs:',
        '    - name: report',
        '      image: busybox',
        '      schedule: "61 * * * *"',
        '      script: {commands: [date]}',
        '',
      ].join('\n'),
    );
    try {
      const v = await highlander(['validate', '--config', path]);
      assert.equal(v.code, 2, v.stderr);
      assert.match(v.stderr, /config\.yaml:1: storageType: must be one of kubernetes, redis, db, spanner/);
      assert.match(v.stderr, /config\.yaml:6: workloads\.cronJobs\[0\]\.schedule: minute \(field 1\) must be 0-59/);
      const r = await highlander(['run', '--config', path]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^ {2}- storageType: must be one of/m);
      assert.match(r.stderr, /^ {2}- workloads\.cronJobs\[0\]\.schedule: minute \(field 1\)/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a broken custom resource on stdin exits 2 and names the document and field', async () => {
    const broken = seedCr
      .replace('cpuLimit: "100m"', 'cpuLimit: "10m"')
      .replace('restartPolicy: "OnFailure"', 'restartPolicy: "Always"');
    const r = await highlander(['validate', '-f', '-'], {}, broken);
    assert.equal(r.code, 2);
    const lines = r.stderr.trimEnd().split('\n');
    const lineOf = (needle: string): number => broken.split('\n').findIndex((l) => l.includes(needle)) + 1;
    assert.deepEqual(
      lines.sort(),
      [
        `<stdin>:${lineOf('restartPolicy')}: WorkloadCronJob default/sample-cronjob: spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"`,
        `<stdin>:${lineOf('cpuRequest')}: WorkloadCronJob default/sample-cronjob: spec.resources.cpuRequest: resources.cpuRequest must not exceed resources.cpuLimit`,
      ].sort(),
    );
  });

  describe('agrees with the API server', () => {
    const kc = loadKubeConfig();
    const custom = kc.makeApiClient(CustomObjectsApi);
    let ns: TestNamespace;
    before(async () => {
      ns = await createTestNamespace(kc, 'cli');
    });
    after(async () => {
      await ns?.remove();
    });

    type Spec = Record<string, unknown>;
    const base: Record<WorkloadKind, Spec> = {
      WorkloadProcess: { image: 'busybox:1.36', command: ['sleep', '3600'] },
      WorkloadCronJob: { image: 'busybox:1.36', script: { commands: ['date'] }, schedule: '*/5 * * * *' },
      WorkloadService: { image: 'busybox:1.36', script: { commands: ['httpd -f'] }, replicas: 1 },
      WorkloadPersistent: {
        image: 'busybox:1.36',
        script: { commands: ['sleep 1d'] },
        replicas: 1,
        persistentVolumes: [{ name: 'd', mountPath: '/d', size: '1Gi' }],
      },
    };
    // Valid and invalid resources, touching every kind of check: schema, unknown fields, CEL rules, metadata.
    const cases: [WorkloadKind, Spec, Spec?][] = [
      ...Object.keys(base).map((k) => [k as WorkloadKind, {}] as [WorkloadKind, Spec]),
      ...[
        '0 0 * * 7',
        '0 0 * * 0-6',
        '61 * * * *',
        '0 24 * * *',
        '0 0 32 * *',
        '0 0 * 13 *',
        '5-1 * * * *',
        '0 0 * * FRI-MON',
        '0 0 * NOV-FEB *',
      ]
        .concat([
          '@weekly',
          '@every 5m',
          'TZ=UTC 0 * * * *',
          '0 0 L * *',
          '*/0 * * * *',
          '0 0 1 JAN,Jul *',
          '0 0 * * sun-sat/2',
          '30 6 1,15 * ?',
          '0 0 0 * * *',
        ])
        .map((schedule) => ['WorkloadCronJob', { schedule }] as [WorkloadKind, Spec]),
      ['WorkloadCronJob', { timeZone: 'LOCAL' }],
      ['WorkloadCronJob', { timeZone: 'Europe/Berlin', concurrencyPolicy: 'Replace', suspend: true }],
      ['WorkloadCronJob', { concurrencyPolicy: 'Sometimes' }],
      ['WorkloadCronJob', { scheduel: '* * * * *' }],
      ['WorkloadProcess', { resources: { cpuRequest: '2', cpuLimit: '500m' } }],
      [
        'WorkloadProcess',
        { resources: { cpuRequest: '1', cpuLimit: '1000m', memoryRequest: '1Gi', memoryLimit: '1024Mi' } },
      ],
      ['WorkloadProcess', { resources: { memoryLimit: '64 MB' } }],
      ['WorkloadProcess', { command: undefined }],
      ['WorkloadProcess', { gracePeriod: '10 seconds' }],
      ['WorkloadProcess', { volumes: [{ name: 'v', mountPath: '/v', configMap: 'c', secret: 's' }] }],
      [
        'WorkloadProcess',
        {
          volumes: [
            { name: 'v', mountPath: '/a', configMap: 'c' },
            { name: 'v', mountPath: '/b', secret: 's' },
          ],
        },
      ],
      ['WorkloadProcess', { sidecars: [{ name: 'x', image: 'a', ports: [{ containerPort: 1 }] }] }],
      ['WorkloadProcess', { sidecars: [{ name: 'x' }] }],
      ['WorkloadProcess', { env: { A: 1 } }],
      ['WorkloadService', { replicas: -1 }],
      ['WorkloadService', { ports: [{ containerPort: 70000 }] }],
      [
        'WorkloadService',
        {
          ports: [
            { name: 'a', containerPort: 80 },
            { name: 'b', containerPort: 80, servicePort: 81 },
          ],
        },
      ],
      [
        'WorkloadService',
        {
          ports: [
            { name: 'a', containerPort: 53, protocol: 'UDP' },
            { name: 'b', containerPort: 53 },
          ],
        },
      ],
      ['WorkloadService', { ports: [{ name: '80', containerPort: 80 }] }],
      ['WorkloadService', { tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] }],
      ['WorkloadService', { tolerations: [{ operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] }],
      ['WorkloadService', { tolerations: [{ key: 'k', tolerationSeconds: 5 }] }],
      ['WorkloadPersistent', { persistentVolumes: [{ name: 'd', mountPath: '/d', size: '0' }] }],
      ['WorkloadPersistent', { persistentVolumes: [{ name: 'd', mountPath: '/d', size: 'big' }] }],
      [
        'WorkloadPersistent',
        {
          ports: [
            { name: 'a', containerPort: 1 },
            { name: 'a', containerPort: 2 },
          ],
        },
      ],
      ['WorkloadCronJob', {}, { labels: { 'bad key!': 'x' } }],
      ['WorkloadCronJob', {}, { labels: { team: 'has spaces' } }],
      ['WorkloadCronJob', {}, { annotations: { 'example.com/x': 'anything goes: here' } }],
    ];
    const manifests = () =>
      cases.map(([kind, changes, meta], i) => {
        const spec: Spec = { ...base[kind], ...changes };
        for (const [k, x] of Object.entries(changes)) if (x === undefined) delete spec[k];
        return { apiVersion: `${GROUP}/v1`, kind, metadata: { name: `agree-${i}`, namespace: ns.name, ...meta }, spec };
      });

    test('on which resources to refuse', async (t) => {
      const docs = manifests();
      const r = await highlander(['validate', '-f', '-'], {}, docs.map((d) => YAML.stringify(d)).join('---\n'));
      const refusedByUs = new Set([...r.stderr.matchAll(/^<stdin>:\d+: doc (\d+) /gm)].map((m) => Number(m[1]) - 1));
      const acceptedByUs = new Set([...r.stdout.matchAll(/^<stdin>: doc (\d+) .* ok$/gm)].map((m) => Number(m[1]) - 1));
      assert.equal(
        refusedByUs.size + acceptedByUs.size,
        docs.length,
        `every document has a verdict:\n${r.stdout}${r.stderr}`,
      );
      const disagreements: string[] = [];
      for (const [i, d] of docs.entries()) {
        let server: string | undefined;
        try {
          await custom.createNamespacedCustomObject({
            group: GROUP,
            version: 'v1',
            namespace: ns.name,
            plural: WORKLOAD_KINDS[d.kind].plural,
            body: d,
            dryRun: 'All',
            fieldValidation: 'Strict',
          });
        } catch (err) {
          if (statusOf(err) !== 422 && statusOf(err) !== 400) throw err;
          server = String((err as { body?: unknown }).body);
        }
        if ((server !== undefined) !== refusedByUs.has(i)) {
          disagreements.push(
            `doc ${i + 1} ${JSON.stringify(d.spec)} ${JSON.stringify(d.metadata)}: server ${server ?? 'accepts'}; highlander ${refusedByUs.has(i) ? 'refuses' : 'accepts'}`,
          );
        }
      }
      assert.deepEqual(disagreements, []);
      assert.ok(
        refusedByUs.size >= 25 && acceptedByUs.size >= 10,
        `a corpus of both: ${refusedByUs.size} refused, ${acceptedByUs.size} accepted`,
      );
      assert.equal(r.code, 2);
      t.diagnostic(
        `${docs.length} resources: ${refusedByUs.size} refused and ${acceptedByUs.size} accepted, as the API server does`,
      );
    });
  });
});

describe('highlander status', () => {
  const procs: OperatorProcess[] = [];
  const kc = loadKubeConfig();
  const custom = kc.makeApiClient(CustomObjectsApi);
  let ns: TestNamespace;
  before(async () => {
    ns = await createTestNamespace(kc, 'cli-status');
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await ns?.remove();
  });

  const portOf = async (p: OperatorProcess): Promise<number> =>
    Number((await p.waitForLog((l) => l.msg === 'campaigning for leadership', STARTUP_MS)).port);

  test("shows a leader and a follower, the lock store, readiness and the tenant's workloads", async () => {
    const tenant = uniqueTenant('cli');
    const [a, b] = await leaderAndFollower(operatorEnv('kubernetes', tenant), procs, STARTUP_MS);
    const [aPort, bPort] = [await portOf(a), await portOf(b)];
    const aId = String(a.logs('campaigning for leadership')[0]?.identity);
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace: ns.name,
      plural: 'workloadcronjobs',
      body: {
        ...(YAML.parse(seedCr) as object),
        metadata: { name: 'sample-cronjob', namespace: ns.name, labels: { [TENANT_LABEL]: tenant } },
      },
    });
    // Wait for the leader to report the workload active before asking the command.
    await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${aPort}/api/workloads/${ns.name}/sample-cronjob`);
        const body = (await res.json()) as { data?: { active?: boolean } };
        return body.data?.active ? true : undefined;
      },
      { what: 'the workload to be active', timeoutMs: 60_000 },
    );

    const leader = await highlander(['status', '--url', `http://127.0.0.1:${aPort}`]);
    assert.equal(leader.code, 0, leader.stderr);
    assert.match(leader.stdout, new RegExp(`^Highlander at http://127\\.0\\.0\\.1:${aPort}$`, 'm'));
    assert.match(leader.stdout, new RegExp(`^ {2}replica {5}${aId} \\(LEADER\\), up \\S+$`, 'm'));
    assert.match(
      leader.stdout,
      new RegExp(`^ {2}leader {6}${aId} \\(this replica\\), epoch \\d+, since \\S+ \\(\\S+ ago\\)$`, 'm'),
    );
    assert.match(leader.stdout, new RegExp(`^ {2}tenant {6}${tenant}, cluster \\S+$`, 'm'));
    assert.match(leader.stdout, /^ {2}lock store {2}kubernetes lock \S+, reachable$/m);
    assert.match(leader.stdout, /^ {2}ready {7}yes$/m);
    assert.match(
      leader.stdout,
      new RegExp(`^ {2}WorkloadCronJob +${ns.name}/sample-cronjob +yes +(yes|no) +\\S+$`, 'm'),
    );

    // The follower's view, through HIGHLANDER_PORT instead of --url.
    const follower = await highlander(['status'], { HIGHLANDER_PORT: String(bPort) });
    assert.equal(follower.code, 0, follower.stderr);
    assert.match(follower.stdout, / \(follower\), up /);
    assert.match(follower.stdout, new RegExp(`^ {2}leader {6}${aId}, epoch \\d+`, 'm'));

    const json = await highlander(['status', '--json', '--url', `http://127.0.0.1:${aPort}/`]);
    assert.equal(json.code, 0, json.stderr);
    const raw = JSON.parse(json.stdout) as Record<string, { data?: Record<string, unknown> } | null>;
    assert.equal(raw['/api/v1/status']?.data?.isLeader, true);
    assert.equal(raw['/api/v1/status']?.data?.tenant, tenant);
    assert.equal(raw['/api/v1/dbinfo']?.data?.reachable, true);
  });

  test('a closed port exits 1 naming the URL', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const r = await highlander(['status', '--url', `http://127.0.0.1:${port}`, '--timeout', '3000']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `highlander status: cannot reach the operator at http://127.0.0.1:${port}: connection refused (is the operator running, and on this port?)\n`,
    );
  });
});
