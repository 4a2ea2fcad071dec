// Argo CD's and Flux's view of real statuses: a real operator reconciles CRs of every kind on
// the local cluster; the test captures them with no status yet, Healthy, just edited,
// converging, Stalled, suspended and being deleted, runs deploy/argocd/health.lua on each
// (lua5.4) and checks each against kstatus's rules.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import YAML from 'yaml';
import { HEALTH_SCRIPT, runHealthScript } from '../../testkit/argocd-health.ts';
import { FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import {
  createTestNamespace,
  loadKubeConfig,
  mergePatch,
  PLURAL,
  repoRoot,
  statusOf,
  waitFor,
} from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { kubectlOk } from '../../testkit/run-command.ts';
import { kstatus } from '../../testkit/kstatus.ts';
import type { KStatus, KStatusRule } from '../../testkit/kstatus.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { GROUP } from '../../api/labels.ts';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const tenant = uniqueTenant('gitops');
const labels = { [`${GROUP}/tenant`]: tenant };
/** A finalizer of this test's own, to hold a CR in deletion long enough to look at it. */
const HOLD = 'e2e.highlander.plexobject.io/hold';

type Kind = 'WorkloadProcess' | 'WorkloadCronJob' | 'WorkloadService' | 'WorkloadPersistent';
const script = { commands: ['sleep 3600'] };
const SPEC: Record<Kind, object> = {
  WorkloadProcess: { image: 'busybox', script },
  WorkloadCronJob: { image: 'busybox', script, schedule: '*/5 * * * *' },
  WorkloadService: {
    image: 'nginx',
    script,
    replicas: 1,
    ports: [{ name: 'http', containerPort: 8080, servicePort: 80 }],
  },
  WorkloadPersistent: {
    image: 'mq',
    script,
    replicas: 1,
    ports: [{ name: 'mq', containerPort: 1414 }],
    persistentVolumes: [{ name: 'data', mountPath: '/data', size: '1Gi' }],
  },
};
/** One CR of each kind, named after it. */
const MAIN: [Kind, string][] = [
  ['WorkloadProcess', 'proc'],
  ['WorkloadCronJob', 'cron'],
  ['WorkloadService', 'svc'],
  ['WorkloadPersistent', 'pers'],
];
/** No node carries this label, so pods that ask for it stay Pending. */
const NOWHERE = { [`${GROUP}/e2e-no-such-node`]: 'true' };

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}
interface CR {
  kind: Kind;
  metadata: { name: string; generation: number; deletionTimestamp?: string; finalizers?: string[] };
  spec: Record<string, unknown>;
  status?: { observedGeneration?: number; conditions?: Cond[] };
}

let ns: TestNamespace;
const procs: OperatorProcess[] = [];
let captured = 0;

before(async () => {
  ns = await createTestNamespace(kc, 'gitops');
});
after(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  await ns?.remove();
});

const ref = (kind: Kind) => ({ group: GROUP, version: 'v1', namespace: ns.name, plural: PLURAL[kind] });
const getCR = async (kind: Kind, name: string): Promise<CR> =>
  (await custom.getNamespacedCustomObject({ ...ref(kind), name })) as CR;
const createCR = async (kind: Kind, name: string, spec: object): Promise<CR> =>
  (await custom.createNamespacedCustomObject({
    ...ref(kind),
    body: { apiVersion: `${GROUP}/v1`, kind, metadata: { name, labels }, spec },
  })) as CR;
/** A merge patch; the object it returns is the CR right after the edit, before any controller saw it. */
const patchCR = async (kind: Kind, name: string, body: object): Promise<CR> =>
  (await custom.patchNamespacedCustomObject({ ...ref(kind), name, body }, mergePatch)) as CR;

const cond = (cr: CR, type: string) => cr.status?.conditions?.find((c) => c.type === type);
const statusCurrent = (cr: CR) => cr.status?.observedGeneration === cr.metadata.generation;

/** Polls a CR until `pred` holds for it, and returns it. */
async function captureWhen(
  kind: Kind,
  name: string,
  what: string,
  pred: (cr: CR) => boolean,
  timeoutMs = 60_000,
): Promise<CR> {
  return waitFor(
    async () => {
      const cr = await getCR(kind, name);
      return pred(cr) ? cr : undefined;
    },
    { what: `${kind} ${name} ${what}`, timeoutMs },
  );
}
const isReady = (cr: CR) =>
  statusCurrent(cr) &&
  cond(cr, 'Ready')?.status === 'True' &&
  cond(cr, 'Ready')?.observedGeneration === cr.metadata.generation;
const isStalled = (cr: CR) => statusCurrent(cr) && cond(cr, 'Stalled')?.status === 'True';
const isReconciling = (cr: CR) => statusCurrent(cr) && cond(cr, 'Reconciling')?.status === 'True';

/**
 * Runs health.lua and kstatus on a captured CR and checks both verdicts. A CR whose status
 * describes its current generation must be decided by one of kstatus's rules, never by its
 * fallback (which calls anything Current): that is what makes our statuses kstatus-friendly.
 */
function judge(
  cr: CR,
  want: { argo: string; argoMessage?: RegExp | string; kstatus: KStatus; rule?: KStatusRule },
): void {
  captured++;
  const label = `${cr.kind} ${cr.metadata.name} (generation ${cr.metadata.generation}, status ${JSON.stringify(cr.status ?? null)})`;
  const argo = runHealthScript(cr);
  assert.equal(argo.status, want.argo, `Argo CD health of ${label}: ${argo.message}`);
  if (typeof want.argoMessage === 'string') assert.equal(argo.message, want.argoMessage, label);
  else if (want.argoMessage) assert.match(argo.message, want.argoMessage, label);
  const k = kstatus(cr);
  assert.equal(k.status, want.kstatus, `kstatus of ${label}: ${k.message}`);
  if (want.rule) assert.equal(k.rule, want.rule, `kstatus rule for ${label}`);
  if (cr.status && statusCurrent(cr) && !cr.metadata.deletionTimestamp)
    assert.notEqual(k.rule, 'fallback', `kstatus could not decide ${label}`);
}

describe('GitOps health of real statuses', () => {
  test('created before any leader runs: no status yet', async () => {
    for (const [kind, name] of MAIN) await createCR(kind, name, SPEC[kind]);
    for (const [kind, name] of MAIN) {
      const cr = await getCR(kind, name);
      assert.equal(cr.status, undefined);
      // Argo CD waits; kstatus, finding nothing to go by, calls it Current (its documented default).
      judge(cr, { argo: 'Progressing', argoMessage: /report status/, kstatus: 'Current', rule: 'fallback' });
    }
  });

  test('Healthy once the leader has them running', async () => {
    const op = new OperatorProcess('gitops', operatorEnv('kubernetes', tenant, FAST_TIMINGS));
    procs.push(op);
    await op.becameLeader(STARTUP_MS);
    for (const [kind, name] of MAIN) {
      const cr = await captureWhen(kind, name, 'Ready', isReady);
      judge(cr, {
        argo: 'Healthy',
        argoMessage: cond(cr, 'Ready')!.message || cond(cr, 'Ready')!.reason,
        kstatus: 'Current',
        rule: 'ready',
      });
    }
  });

  test('just edited: Progressing until the leader observes the new generation, then Healthy', async () => {
    for (const [kind, name] of MAIN) {
      const edited = await patchCR(kind, name, { spec: { env: { EDITED: 'yes' } } });
      assert.equal(edited.metadata.generation, 2);
      assert.equal(edited.status?.observedGeneration, 1);
      judge(edited, {
        argo: 'Progressing',
        argoMessage: /observe generation 2 \(status describes generation 1\)/,
        kstatus: 'InProgress',
        rule: 'generation',
      });
    }
    // The process too: its edit replaces the pod, and the status follows the new one to Ready.
    for (const [kind, name] of MAIN) {
      judge(
        await captureWhen(kind, name, 'Ready at generation 2', (cr) => cr.metadata.generation === 2 && isReady(cr)),
        {
          argo: 'Healthy',
          kstatus: 'Current',
          rule: 'ready',
        },
      );
    }
  });

  test('converging: pods that cannot be scheduled keep Reconciling=True', async () => {
    const pending: [Kind, string][] = [
      ['WorkloadProcess', 'proc-pending'],
      ['WorkloadService', 'svc-pending'],
      ['WorkloadPersistent', 'pers-pending'],
    ];
    for (const [kind, name] of pending) await createCR(kind, name, { ...SPEC[kind], nodeSelector: NOWHERE });
    for (const [kind, name] of pending) {
      const cr = await captureWhen(
        kind,
        name,
        'Reconciling',
        (c) => isReconciling(c) && cond(c, 'Reconciling')?.reason !== 'Creating',
      );
      assert.equal(cond(cr, 'Ready')?.status, 'False');
      judge(cr, {
        argo: 'Progressing',
        argoMessage: cond(cr, 'Reconciling')!.message,
        kstatus: 'InProgress',
        rule: 'reconciling',
      });
    }
  });

  test('a suspended cron job is Suspended, at once and once the leader has suspended it', async () => {
    const edited = await patchCR('WorkloadCronJob', 'cron', { spec: { suspend: true } });
    judge(edited, { argo: 'Suspended', kstatus: 'InProgress', rule: 'generation' });
    const cr = await captureWhen(
      'WorkloadCronJob',
      'cron',
      'Ready and suspended',
      (c) => isReady(c) && cond(c, 'Ready')?.reason === 'Suspended',
    );
    judge(cr, { argo: 'Suspended', argoMessage: /suspended/, kstatus: 'Current', rule: 'ready' });
  });

  test('Stalled when the API server refuses the child: Degraded with the server message', async () => {
    // The CRDs accept any environment variable name; the API server refuses one with '=' in
    // pods, Deployments and CronJobs. A StatefulSet's volume claim templates cannot change.
    const badEnv = { spec: { env: { 'BAD=NAME': 'x' } } };
    const stalls: [Kind, string, object, RegExp][] = [
      ['WorkloadProcess', 'proc', badEnv, /BAD=NAME/],
      ['WorkloadCronJob', 'cron', badEnv, /BAD=NAME/], // suspended, and stalled: Degraded wins
      ['WorkloadService', 'svc', badEnv, /BAD=NAME/],
      [
        'WorkloadPersistent',
        'pers',
        { spec: { persistentVolumes: [{ name: 'data', mountPath: '/data', size: '2Gi' }] } },
        /StatefulSet|Forbidden/i,
      ],
    ];
    for (const [kind, name, body] of stalls) await patchCR(kind, name, body);
    for (const [kind, name, , message] of stalls) {
      const cr = await captureWhen(kind, name, 'Stalled', isStalled);
      const stalled = cond(cr, 'Stalled')!;
      assert.match(stalled.message, message);
      judge(cr, { argo: 'Degraded', argoMessage: stalled.message, kstatus: 'Failed', rule: 'stalled' });
    }
  });

  test('a fixed spec is Progressing, not Degraded, until the leader has acted on it', async () => {
    const fixed = await patchCR('WorkloadService', 'svc', { spec: { env: { 'BAD=NAME': null } } });
    assert.equal(cond(fixed, 'Stalled')?.status, 'True', 'the stall is still on record');
    judge(fixed, { argo: 'Progressing', argoMessage: /observe generation/, kstatus: 'InProgress', rule: 'generation' });
    judge(await captureWhen('WorkloadService', 'svc', 'Ready after the fix', isReady), {
      argo: 'Healthy',
      kstatus: 'Current',
      rule: 'ready',
    });
  });

  test('being deleted: Terminating for kstatus, Progressing for Argo CD', async () => {
    await patchCR('WorkloadProcess', 'proc-pending', { metadata: { finalizers: [HOLD] } });
    await custom.deleteNamespacedCustomObject({ ...ref('WorkloadProcess'), name: 'proc-pending' });
    const cr = await captureWhen('WorkloadProcess', 'proc-pending', 'being deleted', (c) =>
      Boolean(c.metadata.deletionTimestamp),
    );
    assert.deepEqual(cr.metadata.finalizers, [HOLD], 'a finalizer other than the test’s holds the CR');
    judge(cr, { argo: 'Progressing', argoMessage: /being deleted/, kstatus: 'Terminating', rule: 'deletion' });
    await patchCR('WorkloadProcess', 'proc-pending', { metadata: { finalizers: null } });
    await waitFor(
      async () => {
        try {
          await getCR('WorkloadProcess', 'proc-pending');
          return undefined;
        } catch (err) {
          return statusOf(err) === 404 ? true : undefined;
        }
      },
      { what: 'WorkloadProcess proc-pending gone once the finalizer is removed' },
    );
  });

  test('every capture was judged', () => {
    // 4 no-status + 4 healthy + 8 edit + 3 converging + 2 suspended + 4 stalled + 2 fixed + 1 deleting
    assert.equal(captured, 28);
  });
});

describe('the argocd-cm snippet on a real API server', () => {
  test('the documented merge patch adds the four health checks and keeps the other keys', async () => {
    const name = 'argocd-cm';
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name }, data: { url: 'https://argocd.example.com' } },
    });
    const snippet = YAML.parse(readFileSync(`${repoRoot}deploy/argocd/argocd-cm.yaml`, 'utf8')) as {
      metadata: { namespace: string };
    };
    snippet.metadata.namespace = ns.name; // the snippet names `argocd`; everything else is as shipped
    const file = join(mkdtempSync(join(tmpdir(), 'hl-argocd-')), 'argocd-cm.yaml');
    writeFileSync(file, YAML.stringify(snippet));
    await kubectlOk(['-n', ns.name, 'patch', 'configmap', name, '--type', 'merge', '--patch-file', file]);
    const cm = await core.readNamespacedConfigMap({ name, namespace: ns.name });
    const script = readFileSync(HEALTH_SCRIPT, 'utf8');
    assert.equal(cm.data?.url, 'https://argocd.example.com');
    for (const [kind] of MAIN) {
      assert.ok(
        cm.data?.[`resource.customizations.health.${GROUP}_${kind}`] === script,
        `${kind}'s health check differs from health.lua`,
      );
    }
  });
});
