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
import {
  COMPARED_SCHEDULES,
  INVALID,
  STRICTER_THAN_KUBERNETES,
  VALID_SCHEDULES,
  bad,
  full,
  legacy,
  podExtras,
} from './specs.ts';
import type { Spec } from './specs.ts';

const kc = loadKubeConfig();
const ext = kc.makeApiClient(ApiextensionsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const batch = kc.makeApiClient(BatchV1Api);
const SEED = `${repoRoot}testkit/fixtures/seed/cr-sample-cronjob.yaml`;
let ns: TestNamespace;

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
