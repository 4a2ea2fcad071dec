// scripts/create-cronjob-crd.sh and scripts/delete-workload-crd.sh against the local control
// plane: K8 Highlander's flags and defaults, the resource as the API server stored it, and
// exit code 2 naming the flag for every mistake.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { CustomObjectsApi } from '@kubernetes/client-node';
import {
  createTestNamespace,
  kubeconfigPath,
  kubectlPath,
  loadKubeConfig,
  mergePatch,
  repoRoot,
  statusOf,
} from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { GROUP } from '../../api/labels.ts';

const kc = loadKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const CREATE = `${repoRoot}scripts/create-cronjob-crd.sh`;
const DELETE = `${repoRoot}scripts/delete-workload-crd.sh`;
// A tenant no operator serves, so nothing reconciles these CRs while the test looks at them.
const UNSERVED = { [`${GROUP}/tenant`]: 'helper-scripts-unserved' };

let ns: TestNamespace;
before(async () => {
  ns = await createTestNamespace(kc, 'scripts');
});
after(async () => {
  await ns?.remove();
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}
/** Runs a script with kubectl from $KUBECTL; the kubeconfig comes from `env` or a flag. */
function runScript(script: string, args: string[], env: Record<string, string> = {}): Result {
  const res = spawnSync('bash', [script, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', KUBECTL: kubectlPath, ...env },
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

interface CronCR {
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    image: string;
    schedule: string;
    restartPolicy: string;
    script: { shell: string; commands: string[] };
    resources: { cpuRequest: string; memoryRequest: string; cpuLimit: string; memoryLimit: string };
  };
}
const ref = (plural: string) => ({ group: GROUP, version: 'v1', namespace: ns.name, plural });
const getCron = async (name: string) =>
  (await custom.getNamespacedCustomObject({ ...ref('workloadcronjobs'), name })) as CronCR;
const gone = async (plural: string, name: string): Promise<boolean> => {
  try {
    await custom.getNamespacedCustomObject({ ...ref(plural), name });
    return false;
  } catch (err) {
    if (statusOf(err) === 404) return true;
    throw err;
  }
};
/** Labels the CR as an unserved tenant's, so no operator of the default tenant acts on it. */
async function park(plural: string, name: string): Promise<void> {
  await custom.patchNamespacedCustomObject(
    { ...ref(plural), name, body: { metadata: { labels: UNSERVED } } },
    mergePatch,
  );
}

describe('create-cronjob-crd.sh', () => {
  test("with only --name and --namespace it uses K8 Highlander's documented defaults", async () => {
    const r = runScript(CREATE, ['--name=defaults', `--namespace=${ns.name}`], { KUBECONFIG: kubeconfigPath });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /workloadcronjob\.highlander\.plexobject\.io\/defaults/);
    await park('workloadcronjobs', 'defaults');
    const cr = await getCron('defaults');
    assert.equal(cr.spec.image, 'busybox:latest');
    assert.equal(cr.spec.schedule, '*/1 * * * *');
    assert.equal(cr.spec.restartPolicy, 'OnFailure');
    assert.equal(cr.spec.script.shell, '/bin/sh');
    assert.deepEqual(cr.spec.resources, {
      cpuRequest: '50m',
      memoryRequest: '32Mi',
      cpuLimit: '100m',
      memoryLimit: '64Mi',
    });
    assert.equal(cr.spec.script.commands.length, 1);
    assert.match(cr.spec.script.commands[0]!, /defaults/);
  });

  test('every flag lands in the spec, as --flag=VALUE or --flag VALUE; a second run updates', async () => {
    const args = [
      '--name',
      'nightly',
      '--namespace',
      ns.name,
      '--kubeconfig',
      kubeconfigPath,
      '--image=registry.example.com/team/report:1.2',
      '--shell',
      '/bin/bash',
      '--schedule=0  3 * * MON-FRI',
      '--restart-policy',
      'Never',
      '--cpu-request=100m',
      '--memory-request',
      '64Mi',
      '--cpu-limit=0.5',
      '--memory-limit=1Gi',
    ];
    const r = runScript(CREATE, args);
    assert.equal(r.code, 0, r.stderr);
    await park('workloadcronjobs', 'nightly');
    let cr = await getCron('nightly');
    assert.equal(cr.spec.image, 'registry.example.com/team/report:1.2');
    assert.equal(cr.spec.schedule, '0 3 * * MON-FRI');
    assert.equal(cr.spec.restartPolicy, 'Never');
    assert.equal(cr.spec.script.shell, '/bin/bash');
    assert.deepEqual(cr.spec.resources, {
      cpuRequest: '100m',
      memoryRequest: '64Mi',
      cpuLimit: '0.5',
      memoryLimit: '1Gi',
    });
    assert.equal(
      cr.metadata.labels?.[`${GROUP}/tenant`],
      UNSERVED[`${GROUP}/tenant`],
      'the label set outside the script stays',
    );

    const again = runScript(CREATE, [
      '--name=nightly',
      `--namespace=${ns.name}`,
      `--kubeconfig=${kubeconfigPath}`,
      '--schedule=@daily',
    ]);
    assert.equal(again.code, 0, again.stderr);
    cr = await getCron('nightly');
    assert.equal(cr.spec.schedule, '@daily');
    assert.equal(cr.spec.image, 'busybox:latest', 'flags left out take their defaults again');
  });

  test('the API server has the last word: a request above its limit is refused (kubectl exit 1)', () => {
    const r = runScript(CREATE, [
      '--name=greedy',
      `--namespace=${ns.name}`,
      `--kubeconfig=${kubeconfigPath}`,
      '--cpu-request=2',
      '--cpu-limit=1',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cpuRequest must not exceed/);
  });

  const errors: [string, string[], RegExp][] = [
    ['an unknown flag', ['--name=x', '--colour=blue'], /unknown flag --colour/],
    ['a flag without a value at the end', ['--name'], /--name needs a value/],
    ['a flag followed by another flag', ['--name', '--namespace=x'], /--name needs a value/],
    ['an empty value', ['--name=x', '--image='], /--image needs a value/],
    ['no --name', ['--namespace=x'], /--name is required/],
    ['a stray argument', ['--name=x', 'extra'], /unexpected argument 'extra'/],
    ['a name that is not DNS-1123', ['--name=Nightly_Job'], /--name 'Nightly_Job' is not a valid/],
    ['a name longer than a CronJob allows', [`--name=${'a'.repeat(53)}`], /--name .* at most 52/],
    ['a bad namespace', ['--name=x', '--namespace=Team.A'], /--namespace 'Team.A' is not a valid/],
    [
      'a restart policy Kubernetes jobs do not take',
      ['--name=x', '--restart-policy=Always'],
      /--restart-policy must be OnFailure or Never, not 'Always'/,
    ],
    ['a schedule with 3 fields', ['--name=x', '--schedule=* * *'], /--schedule '\* \* \*' has 3 fields; it needs 5/],
    ['a schedule with 6 fields', ['--name=x', '--schedule=0 * * * * *'], /--schedule .* has 6 fields/],
    ['an unknown macro', ['--name=x', '--schedule=@every'], /--schedule '@every' is not a known macro/],
    ['a schedule field with odd characters', ['--name=x', '--schedule=* * * * $(id)'], /--schedule field '\$\(id\)'/],
    [
      'a cpu request that is not a quantity',
      ['--name=x', '--cpu-request=fast'],
      /--cpu-request 'fast' is not a Kubernetes quantity/,
    ],
    [
      'a memory limit that is not a quantity',
      ['--name=x', '--memory-limit=64MB'],
      /--memory-limit '64MB' is not a Kubernetes quantity/,
    ],
    ['an image with a space', ['--name=x', '--image=busy box'], /--image 'busy box'/],
    ['a shell with a quote', ['--name=x', '--shell=/bin/sh"'], /--shell/],
  ];
  for (const [what, args, message] of errors) {
    test(`exit 2 naming the flag: ${what}`, () => {
      // No cluster is reachable through this kubectl: a mistake must stop the script before it.
      const r = runScript(CREATE, args, { KUBECTL: '/nonexistent/kubectl' });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    });
  }

  test('--help describes the flags and exits 0', () => {
    const r = runScript(CREATE, ['--help']);
    assert.equal(r.code, 0);
    for (const flag of [
      '--name',
      '--namespace',
      '--image',
      '--shell',
      '--schedule',
      '--restart-policy',
      '--cpu-request',
      '--memory-request',
      '--cpu-limit',
      '--memory-limit',
    ]) {
      assert.ok(r.stdout.includes(flag), `--help lacks ${flag}`);
    }
  });

  test('a missing kubectl is named', () => {
    const r = runScript(CREATE, ['--name=x'], { KUBECTL: '/nonexistent/kubectl' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /kubectl not found/);
  });
});

describe('delete-workload-crd.sh', () => {
  const created: [string, string, object][] = [
    ['WorkloadProcess', 'workloadprocesses', { image: 'busybox', script: { commands: ['sleep 3600'] } }],
    ['WorkloadService', 'workloadservices', { image: 'nginx', script: { commands: ['nginx'] }, replicas: 1 }],
    ['WorkloadPersistent', 'workloadpersistents', { image: 'mq', script: { commands: ['mq'] }, replicas: 1 }],
  ];

  test("deletes each kind, named in K8 Highlander's spelling or as our Kind", async () => {
    const cases: [string, string, string][] = [
      ['cronjob', 'workloadcronjobs', 'defaults'],
      ['WorkloadCronJob', 'workloadcronjobs', 'nightly'],
    ];
    for (const [kind, plural, spec] of created) {
      for (const spelling of [kind, kind.replace(/^Workload/, '').toLowerCase()]) {
        const name = `del-${spelling.toLowerCase()}`;
        await custom.createNamespacedCustomObject({
          ...ref(plural),
          body: { apiVersion: `${GROUP}/v1`, kind, metadata: { name, labels: UNSERVED }, spec },
        });
        cases.push([spelling, plural, name]);
      }
    }
    for (const [spelling, plural, name] of cases) {
      assert.equal(await gone(plural, name), false, `${plural}/${name} should exist before the delete`);
      const r = runScript(DELETE, [
        `--name=${name}`,
        '--namespace',
        ns.name,
        `--kind=${spelling}`,
        `--kubeconfig=${kubeconfigPath}`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await gone(plural, name), true, `${plural}/${name} is still there after --kind=${spelling}`);
    }
  });

  test('deleting what is not there fails with kubectl NotFound (exit 1)', () => {
    const r = runScript(DELETE, ['--name=nothing-here', `--namespace=${ns.name}`, '--kind=process'], {
      KUBECONFIG: kubeconfigPath,
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /NotFound|not found/);
  });

  const errors: [string, string[], RegExp][] = [
    ['an unknown flag', ['--name=x', '--kind=process', '--force'], /unknown flag --force/],
    ['no --name', ['--kind=process'], /--name is required/],
    ['no --kind', ['--name=x'], /--kind is required/],
    ['a kind that is not ours', ['--name=x', '--kind=Deployment'], /--kind 'Deployment' is not one of/],
    ['a kind in the wrong case', ['--name=x', '--kind=CronJob'], /--kind 'CronJob'/],
    ['a missing value', ['--name=x', '--kind'], /--kind needs a value/],
    ['a bad name', ['--name=Not_Valid', '--kind=process'], /--name 'Not_Valid' is not a valid/],
    ['a bad namespace', ['--name=x', '--kind=process', '--namespace=-x'], /--namespace '-x' is not a valid/],
  ];
  for (const [what, args, message] of errors) {
    test(`exit 2 naming the flag: ${what}`, () => {
      const r = runScript(DELETE, args, { KUBECTL: '/nonexistent/kubectl' });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    });
  }
});
