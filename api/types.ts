// Highlander's four custom resources as TypeScript types. The spec and status of each kind are
// generated from crds/*.yaml (api/generated.ts); this file adds the names every kind is served
// under and the envelope around spec and status. Objects are typed as they come back from the
// API server as JSON: timestamps are RFC 3339 strings, not Dates.
import type { V1ListMeta, V1ObjectMeta } from '@kubernetes/client-node';
import type {
  WorkloadCronJobSpec,
  WorkloadCronJobStatus,
  WorkloadPersistentSpec,
  WorkloadPersistentStatus,
  WorkloadProcessSpec,
  WorkloadProcessStatus,
  WorkloadServiceSpec,
  WorkloadServiceStatus,
} from './generated.ts';
import { GROUP, VERSION } from './labels.ts';

export type {
  WorkloadCronJobSpec,
  WorkloadCronJobStatus,
  WorkloadPersistentSpec,
  WorkloadPersistentStatus,
  WorkloadProcessSpec,
  WorkloadProcessStatus,
  WorkloadServiceSpec,
  WorkloadServiceStatus,
} from './generated.ts';

/** apiVersion of every Highlander custom resource. */
export type WorkloadApiVersion = `${typeof GROUP}/${typeof VERSION}`;

/** The four kinds of workload Highlander runs. */
export type WorkloadKind = 'WorkloadProcess' | 'WorkloadCronJob' | 'WorkloadService' | 'WorkloadPersistent';

/** K8 Highlander's name for each kind (its /status groups workloads by it; metrics label `type`). */
export type WorkloadType = 'process' | 'cronjob' | 'service' | 'persistent';

/** Names under which a kind is served: what a client needs to address it. */
export interface WorkloadKindInfo {
  kind: WorkloadKind;
  listKind: `${WorkloadKind}List`;
  plural: string;
  singular: string;
  shortName: string;
  type: WorkloadType;
  group: typeof GROUP;
  version: typeof VERSION;
}

function kindInfo(
  kind: WorkloadKind,
  plural: string,
  singular: string,
  shortName: string,
  type: WorkloadType,
): Readonly<WorkloadKindInfo> {
  return Object.freeze({
    kind,
    listKind: `${kind}List` as const,
    plural,
    singular,
    shortName,
    type,
    group: GROUP,
    version: VERSION,
  });
}

/** Every kind with its plural, singular and short name (K8 Highlander's), keyed by kind. */
export const WORKLOAD_KINDS: Readonly<Record<WorkloadKind, Readonly<WorkloadKindInfo>>> = Object.freeze({
  WorkloadProcess: kindInfo('WorkloadProcess', 'workloadprocesses', 'workloadprocess', 'wlp', 'process'),
  WorkloadCronJob: kindInfo('WorkloadCronJob', 'workloadcronjobs', 'workloadcronjob', 'wlc', 'cronjob'),
  WorkloadService: kindInfo('WorkloadService', 'workloadservices', 'workloadservice', 'wls', 'service'),
  WorkloadPersistent: kindInfo(
    'WorkloadPersistent',
    'workloadpersistents',
    'workloadpersistent',
    'wlper',
    'persistent',
  ),
});

/** The four kinds, in the order they are listed everywhere. */
export const KINDS = Object.keys(WORKLOAD_KINDS) as readonly WorkloadKind[];

/** Whether `kind` names one of the four kinds. */
export function isWorkloadKind(kind: string | undefined): kind is WorkloadKind {
  return kind !== undefined && Object.hasOwn(WORKLOAD_KINDS, kind);
}

/** The category `kubectl get highlander` lists all four kinds by. */
export const WORKLOAD_CATEGORY = 'highlander';

/** The spec fields every kind has (the image, its entrypoint, env, pod placement, volumes, sidecars). */
export type CommonWorkloadSpec = Pick<
  WorkloadProcessSpec,
  keyof WorkloadProcessSpec & keyof WorkloadCronJobSpec & keyof WorkloadServiceSpec & keyof WorkloadPersistentSpec
>;

/** The status fields every kind has; only the leading controller writes them. */
export type CommonWorkloadStatus = Pick<
  WorkloadProcessStatus,
  keyof WorkloadProcessStatus &
    keyof WorkloadCronJobStatus &
    keyof WorkloadServiceStatus &
    keyof WorkloadPersistentStatus
>;

/** The envelope every Highlander custom resource shares. */
export interface WorkloadObject<K extends WorkloadKind, Spec, Status> {
  apiVersion: WorkloadApiVersion;
  kind: K;
  metadata: V1ObjectMeta & { name: string; namespace: string; uid: string };
  spec: Spec;
  status?: Status;
}

/** A WorkloadProcess custom resource. */
export type WorkloadProcess = WorkloadObject<'WorkloadProcess', WorkloadProcessSpec, WorkloadProcessStatus>;
/** A WorkloadCronJob custom resource. */
export type WorkloadCronJob = WorkloadObject<'WorkloadCronJob', WorkloadCronJobSpec, WorkloadCronJobStatus>;
/** A WorkloadService custom resource. */
export type WorkloadService = WorkloadObject<'WorkloadService', WorkloadServiceSpec, WorkloadServiceStatus>;
/** A WorkloadPersistent custom resource. */
export type WorkloadPersistent = WorkloadObject<'WorkloadPersistent', WorkloadPersistentSpec, WorkloadPersistentStatus>;

/** Any Highlander custom resource, discriminated by `kind`. */
export type Workload = WorkloadProcess | WorkloadCronJob | WorkloadService | WorkloadPersistent;

/** The resource type of each kind. */
export interface WorkloadByKind {
  WorkloadProcess: WorkloadProcess;
  WorkloadCronJob: WorkloadCronJob;
  WorkloadService: WorkloadService;
  WorkloadPersistent: WorkloadPersistent;
}

/** What a list call for one kind returns. */
export interface WorkloadList<T extends Workload = Workload> {
  apiVersion: WorkloadApiVersion;
  kind: `${T['kind']}List`;
  metadata: V1ListMeta;
  items: T[];
}
