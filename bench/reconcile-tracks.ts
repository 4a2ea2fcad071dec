// What the reconcile benchmark creates and watches: the four kinds' CRs and the child that counts
// as each one's, and the watches that note when each CR, child and Ready status first appeared.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { GROUP } from '../api/labels.ts';
import { watchCollection } from '../testkit/resumable-watch.ts';
import type { Watching } from '../testkit/resumable-watch.ts';

const script = { commands: ['sleep 3600'] };

/** The four kinds: how a CR is named and specified, and which child counts as "its child". */
export const KINDS = [
  {
    kind: 'WorkloadProcess',
    plural: 'workloadprocesses',
    prefix: 'proc',
    child: 'Pod',
    spec: { image: 'busybox', script },
  },
  {
    kind: 'WorkloadCronJob',
    plural: 'workloadcronjobs',
    prefix: 'cron',
    child: 'CronJob',
    spec: { image: 'busybox', script, schedule: '0 3 1 1 *' },
  },
  {
    kind: 'WorkloadService',
    plural: 'workloadservices',
    prefix: 'svc',
    child: 'Deployment',
    spec: { image: 'busybox', script, replicas: 1, ports: [{ name: 'http', containerPort: 8080, servicePort: 80 }] },
  },
  {
    kind: 'WorkloadPersistent',
    plural: 'workloadpersistents',
    prefix: 'sts',
    child: 'StatefulSet',
    spec: { image: 'busybox', script, replicas: 1, ports: [{ name: 'tcp', containerPort: 9000 }] },
  },
] as const;
export type Kind = (typeof KINDS)[number]['kind'];

/** Child collections the bench watches in its namespace. */
export const CHILD_PATHS = [
  '/api/v1/namespaces/NS/pods',
  '/api/v1/namespaces/NS/services',
  '/apis/apps/v1/namespaces/NS/deployments',
  '/apis/apps/v1/namespaces/NS/statefulsets',
  '/apis/batch/v1/namespaces/NS/cronjobs',
];

/** What the watches saw of one CR; times are performance.now() at the event's arrival. */
export interface CrTrack {
  kind: Kind;
  addedAt?: number;
  childAt?: number;
  /** The Service of a service or persistent workload (a completeness check, not a figure). */
  serviceAt?: number;
  readyAt?: number;
  epoch?: number;
  epochAt?: number;
  leader?: string;
}

export type CR = KubernetesObject & {
  metadata: { name: string; generation?: number };
  status?: {
    epoch?: number;
    leader?: string;
    observedGeneration?: number;
    conditions?: { type: string; status: string }[];
  };
};

/** Watches the namespace's CRs and children, filling `tracks`. */
export function watchNamespace(
  kc: KubeConfig,
  ns: string,
  tracks: Map<string, CrTrack>,
  onCrEvent: () => void,
  log: (msg: string) => void,
): Watching {
  const track = (kind: Kind, name: string): CrTrack => {
    const key = `${kind}/${name}`;
    let t = tracks.get(key);
    if (!t) tracks.set(key, (t = { kind }));
    return t;
  };
  const watches = KINDS.map(({ kind, plural }) =>
    watchCollection(
      kc,
      `/apis/${GROUP}/v1/namespaces/${ns}/${plural}`,
      (type, obj, at) => {
        if (type === 'DELETED') return;
        const cr = obj as CR;
        const t = track(kind, cr.metadata.name);
        t.addedAt ??= at;
        const s = cr.status;
        const ready =
          s?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' &&
          s.observedGeneration === cr.metadata.generation;
        if (ready) t.readyAt ??= at;
        if (s?.epoch !== undefined && s.epoch !== t.epoch) {
          t.epoch = s.epoch;
          t.epochAt = at;
        }
        t.leader = s?.leader;
        onCrEvent();
      },
      log,
    ),
  );
  const children = CHILD_PATHS.map((p) =>
    watchCollection(
      kc,
      p.replace('NS', ns),
      (type, obj, at) => {
        if (type !== 'ADDED') return;
        const owner = obj.metadata?.ownerReferences?.find((r) => r.controller && r.apiVersion === `${GROUP}/v1`);
        const spec = KINDS.find((k) => k.kind === owner?.kind);
        if (!owner || !spec) return;
        const t = track(spec.kind, owner.name);
        if (obj.kind === spec.child) t.childAt ??= at;
        if (obj.kind === 'Service') t.serviceAt ??= at;
      },
      log,
    ),
  );
  const all = [...watches, ...children];
  return {
    opened: Promise.all(all.map((w) => w.opened)).then(() => undefined),
    stop: () => all.forEach((w) => w.stop()),
  };
}
