// deploy/argocd/health.lua on hand-written edge cases, run by real Lua interpreters: lua5.4,
// and lua5.1, the dialect of gopher-lua in which Argo CD runs health scripts. Also: the
// argocd-cm snippet is generated from the script and in sync with it. (Real statuses from the
// cluster go through the same script in health.test.ts.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import YAML from 'yaml';
import { ARGO_HEALTH_STATUSES, HEALTH_SCRIPT, runHealthScript } from '../../testkit/argocd-health.ts';
import { repoRoot } from '../../testkit/kube.ts';

const KINDS = ['WorkloadProcess', 'WorkloadCronJob', 'WorkloadService', 'WorkloadPersistent'];

interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}
const cond = (type: string, status: string, extra: Partial<Cond> = {}): Cond => ({
  type,
  status,
  reason: `${type}Reason`,
  message: '',
  ...extra,
});
/** A CR at `generation`; `status` is left out when undefined. */
const cr = (
  kind: string,
  generation: number,
  status?: object,
  extra: { spec?: object; deletionTimestamp?: string } = {},
) => ({
  apiVersion: 'highlander.plexobject.io/v1',
  kind,
  metadata: {
    name: 'w',
    namespace: 'ns',
    generation,
    ...(extra.deletionTimestamp ? { deletionTimestamp: extra.deletionTimestamp } : {}),
  },
  spec: extra.spec ?? { image: 'busybox' },
  ...(status ? { status } : {}),
});
/** The conditions our controllers write for a healthy workload at generation `g`. */
const healthy = (g: number) => [
  cond('Ready', 'True', { observedGeneration: g, reason: 'Running', message: 'the pod is running and ready' }),
  cond('Reconciling', 'False', { observedGeneration: g, reason: 'Reconciled' }),
  cond('Stalled', 'False', { observedGeneration: g, reason: 'Progressing' }),
];

const cases: { name: string; obj: object; status: string; message?: RegExp }[] = [
  {
    name: 'no status yet',
    obj: cr('WorkloadService', 1),
    status: 'Progressing',
    message: /waiting for the Highlander leader to report status/,
  },
  {
    name: 'an empty status',
    obj: cr('WorkloadService', 1, {}),
    status: 'Progressing',
    message: /observe generation 1 \(status describes generation none\)/,
  },
  {
    name: 'observedGeneration current but no conditions',
    obj: cr('WorkloadProcess', 1, { observedGeneration: 1 }),
    status: 'Progressing',
    message: /waiting for the Ready condition/,
  },
  {
    name: 'conditions without Ready',
    obj: cr('WorkloadProcess', 1, {
      observedGeneration: 1,
      conditions: [cond('Reconciling', 'False', { observedGeneration: 1 })],
    }),
    status: 'Progressing',
    message: /waiting for the Ready condition/,
  },
  {
    name: 'Ready=True at the current generation',
    obj: cr('WorkloadProcess', 4, { observedGeneration: 4, conditions: healthy(4) }),
    status: 'Healthy',
    message: /^the pod is running and ready$/,
  },
  {
    name: 'conditions without observedGeneration (an older writer) count as current',
    obj: cr('WorkloadProcess', 2, { observedGeneration: 2, conditions: [cond('Ready', 'True', { message: '' })] }),
    status: 'Healthy',
    message: /^ReadyReason$/,
  },
  {
    name: 'status for an older generation',
    obj: cr('WorkloadService', 5, { observedGeneration: 4, conditions: healthy(4) }),
    status: 'Progressing',
    message: /observe generation 5 \(status describes generation 4\)/,
  },
  {
    name: 'Ready=True about an older generation',
    obj: cr('WorkloadService', 5, {
      observedGeneration: 5,
      conditions: [cond('Ready', 'True', { observedGeneration: 4 })],
    }),
    status: 'Progressing',
    message: /Ready condition describes generation 4, not 5/,
  },
  {
    name: 'Reconciling=True',
    obj: cr('WorkloadPersistent', 1, {
      observedGeneration: 1,
      conditions: [
        cond('Ready', 'False', { observedGeneration: 1 }),
        cond('Reconciling', 'True', { observedGeneration: 1, message: '0/1 replicas ready' }),
      ],
    }),
    status: 'Progressing',
    message: /^0\/1 replicas ready$/,
  },
  {
    name: 'Ready=False with nothing reconciling or stalled',
    obj: cr('WorkloadProcess', 1, {
      observedGeneration: 1,
      conditions: [cond('Ready', 'False', { observedGeneration: 1, message: 'the process failed' })],
    }),
    status: 'Progressing',
    message: /^the process failed$/,
  },
  {
    name: 'Stalled=True at the current generation, message with quotes and a newline',
    obj: cr('WorkloadPersistent', 3, {
      observedGeneration: 3,
      conditions: [
        cond('Ready', 'False', { observedGeneration: 3 }),
        cond('Stalled', 'True', { observedGeneration: 3, message: 'StatefulSet "mq" is invalid:\nspec: Forbidden' }),
      ],
    }),
    status: 'Degraded',
    message: /^StatefulSet "mq" is invalid:\nspec: Forbidden$/,
  },
  {
    name: 'Stalled=True without a message gives its reason',
    obj: cr('WorkloadService', 1, {
      observedGeneration: 1,
      conditions: [cond('Stalled', 'True', { observedGeneration: 1, reason: 'Invalid' })],
    }),
    status: 'Degraded',
    message: /^Invalid$/,
  },
  {
    name: 'Stalled=True about the previous spec (the fix is not yet observed)',
    obj: cr('WorkloadService', 4, {
      observedGeneration: 3,
      conditions: [cond('Stalled', 'True', { observedGeneration: 3, message: 'refused' })],
    }),
    status: 'Progressing',
    message: /observe generation 4/,
  },
  {
    name: 'a suspended cron job',
    obj: cr(
      'WorkloadCronJob',
      2,
      { observedGeneration: 2, conditions: healthy(2) },
      { spec: { schedule: '* * * * *', suspend: true } },
    ),
    status: 'Suspended',
    message: /suspended/,
  },
  {
    name: 'a cron job just suspended, before the leader noticed',
    obj: cr(
      'WorkloadCronJob',
      3,
      { observedGeneration: 2, conditions: healthy(2) },
      { spec: { schedule: '* * * * *', suspend: true } },
    ),
    status: 'Suspended',
  },
  {
    name: 'a suspended cron job that is also Stalled',
    obj: cr(
      'WorkloadCronJob',
      2,
      { observedGeneration: 2, conditions: [cond('Stalled', 'True', { observedGeneration: 2, message: 'refused' })] },
      { spec: { suspend: true } },
    ),
    status: 'Degraded',
    message: /^refused$/,
  },
  {
    name: 'suspend: false is not suspended',
    obj: cr('WorkloadCronJob', 1, { observedGeneration: 1, conditions: healthy(1) }, { spec: { suspend: false } }),
    status: 'Healthy',
  },
  {
    name: 'suspend on another kind means nothing',
    obj: cr('WorkloadProcess', 1, { observedGeneration: 1, conditions: healthy(1) }, { spec: { suspend: true } }),
    status: 'Healthy',
  },
  {
    name: 'being deleted',
    obj: cr(
      'WorkloadService',
      1,
      { observedGeneration: 1, conditions: healthy(1) },
      { deletionTimestamp: '2024-01-01T00:00:00Z' },
    ),
    status: 'Progressing',
    message: /being deleted/,
  },
];

for (const interpreter of ['lua5.4', 'lua5.1']) {
  describe(`health.lua edge cases (${interpreter})`, () => {
    for (const c of cases) {
      test(c.name, () => {
        const got = runHealthScript(c.obj, { interpreter });
        assert.ok(
          (ARGO_HEALTH_STATUSES as readonly string[]).includes(got.status),
          `not an Argo CD status: ${got.status}`,
        );
        assert.equal(got.status, c.status, got.message);
        if (c.message) assert.match(got.message, c.message);
      });
    }
  });
}

describe('argocd-cm snippet', () => {
  test('deploy/argocd/argocd-cm.yaml is what generate.sh makes from health.lua', () => {
    const generated = execFileSync('bash', [`${repoRoot}deploy/argocd/generate.sh`, '--stdout'], { encoding: 'utf8' });
    const committed = readFileSync(`${repoRoot}deploy/argocd/argocd-cm.yaml`, 'utf8');
    assert.ok(generated === committed, 'argocd-cm.yaml is out of date: run `bash deploy/argocd/generate.sh`');
  });

  test('it registers the script, byte for byte, for each of the four kinds and nothing else', () => {
    const cm = YAML.parse(readFileSync(`${repoRoot}deploy/argocd/argocd-cm.yaml`, 'utf8')) as {
      kind: string;
      metadata: { name: string };
      data: Record<string, string>;
    };
    const script = readFileSync(HEALTH_SCRIPT, 'utf8');
    assert.deepEqual([cm.kind, cm.metadata.name], ['ConfigMap', 'argocd-cm']);
    assert.deepEqual(
      Object.keys(cm.data).sort(),
      KINDS.map((k) => `resource.customizations.health.highlander.plexobject.io_${k}`).sort(),
    );
    for (const [key, value] of Object.entries(cm.data)) assert.ok(value === script, `${key} differs from health.lua`);
  });
});
