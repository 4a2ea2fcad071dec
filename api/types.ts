// TypeScript shapes of Highlander's four custom resources (crds/*.yaml), as they come back from
// the API server as JSON: timestamps are RFC 3339 strings, not Dates. K8 Highlander's fields keep
// their names and meaning; api-types.test.ts checks these types and the CRDs stay in step.
import type { V1Container, V1ListMeta, V1ObjectMeta } from '@kubernetes/client-node';
import type { Condition } from '../controllers/shared/conditions.ts';
import { GROUP, VERSION } from './labels.ts';

/** apiVersion of every Highlander custom resource. */
export type WorkloadApiVersion = `${typeof GROUP}/${typeof VERSION}`;

/** The four kinds of workload Highlander runs. */
export type WorkloadKind = 'WorkloadProcess' | 'WorkloadCronJob' | 'WorkloadService' | 'WorkloadPersistent';

/** Names under which a kind is served: what a client needs to address it. */
export interface WorkloadKindInfo {
  kind: WorkloadKind;
  listKind: `${WorkloadKind}List`;
  plural: string;
  singular: string;
  shortName: string;
  group: typeof GROUP;
  version: typeof VERSION;
}

/** Every kind with its plural, singular and short name (K8 Highlander's), keyed by kind. */
export const WORKLOAD_KINDS: Readonly<Record<WorkloadKind, Readonly<WorkloadKindInfo>>> = Object.freeze({
  WorkloadProcess: kindInfo('WorkloadProcess', 'workloadprocesses', 'workloadprocess', 'wlp'),
  WorkloadCronJob: kindInfo('WorkloadCronJob', 'workloadcronjobs', 'workloadcronjob', 'wlc'),
  WorkloadService: kindInfo('WorkloadService', 'workloadservices', 'workloadservice', 'wls'),
  WorkloadPersistent: kindInfo('WorkloadPersistent', 'workloadpersistents', 'workloadpersistent', 'wlper'),
});

/** The category `kubectl get highlander` lists all four kinds by. */
export const WORKLOAD_CATEGORY = 'highlander';

function kindInfo(kind: WorkloadKind, plural: string, singular: string, shortName: string): Readonly<WorkloadKindInfo> {
  return Object.freeze({
    kind,
    listKind: `${kind}List` as const,
    plural,
    singular,
    shortName,
    group: GROUP,
    version: VERSION,
  });
}

// ---- enumerations (the CRDs' `enum` lists; the test compares them) ----

/** spec.restartPolicy of a WorkloadProcess. */
export const PROCESS_RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
/** spec.restartPolicy of a WorkloadCronJob (a Job's pod cannot use Always). */
export const CRON_RESTART_POLICIES = ['OnFailure', 'Never'] as const;
/** spec.concurrencyPolicy of a WorkloadCronJob. */
export const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'] as const;
/** spec.ports[].protocol. */
export const PORT_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
/** spec.tolerations[].operator. */
export const TOLERATION_OPERATORS = ['Exists', 'Equal'] as const;
/** spec.tolerations[].effect. */
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
/** status.conditions[].status. */
export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

/** What a WorkloadProcess does when its process exits. */
export type ProcessRestartPolicy = (typeof PROCESS_RESTART_POLICIES)[number];
/** Restart policy of a WorkloadCronJob run's pod. */
export type CronRestartPolicy = (typeof CRON_RESTART_POLICIES)[number];
/** What a WorkloadCronJob does when a run is due while the last one still runs. */
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];
/** Protocol of a workload port. */
export type PortProtocol = (typeof PORT_PROTOCOLS)[number];

// ---- spec ----

/** K8 Highlander's script: the container runs `shell -c "<commands joined by newlines>"`. */
export interface WorkloadScript {
  commands: string[];
  /** Defaults to /bin/sh. */
  shell?: string;
}

/** CPU and memory as Kubernetes quantity strings (50m, 64Mi); a request never exceeds its limit. */
export interface WorkloadResources {
  cpuRequest?: string;
  memoryRequest?: string;
  cpuLimit?: string;
  memoryLimit?: string;
}

/** A pod toleration (a subset of core/v1 Toleration, assignable to it). */
export interface WorkloadToleration {
  key?: string;
  operator?: (typeof TOLERATION_OPERATORS)[number];
  value?: string;
  effect?: (typeof TAINT_EFFECTS)[number];
  tolerationSeconds?: number;
}

/** A ConfigMap or Secret (exactly one) mounted at a chosen path. */
export interface WorkloadVolume {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  configMap?: string;
  secret?: string;
}

/** An extra container in the workload's pod: a core/v1 Container whose image is required. */
export type WorkloadSidecar = V1Container & { name: string; image: string };

/**
 * Spec fields every kind has. Processes and cron jobs need a script or a command (the CRD
 * enforces it); services and persistent sets may run the image's own entrypoint, as K8 Highlander's
 * examples do.
 */
export interface CommonWorkloadSpec {
  image: string;
  script?: WorkloadScript;
  env?: Record<string, string>;
  resources?: WorkloadResources;
  /** Used instead of script when set. */
  command?: string[];
  /** Arguments to command. */
  args?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  tolerations?: WorkloadToleration[];
  serviceAccountName?: string;
  imagePullSecrets?: { name: string }[];
  /** ConfigMap names, each mounted read-only at /etc/config/<name>. */
  configMaps?: string[];
  /** Secret names, each mounted read-only at /etc/secrets/<name>. */
  secrets?: string[];
  volumes?: WorkloadVolume[];
  sidecars?: WorkloadSidecar[];
}

/** Spec of a WorkloadProcess: one long-lived pod. */
export interface WorkloadProcessSpec extends CommonWorkloadSpec {
  /** Defaults to Always. */
  restartPolicy?: ProcessRestartPolicy;
  maxRestarts?: number;
  /** Go duration (30s, 1m30s): time between SIGTERM and SIGKILL. */
  gracePeriod?: string;
}

/** Spec of a WorkloadCronJob: a command on a Kubernetes cron schedule. */
export interface WorkloadCronJobSpec extends CommonWorkloadSpec {
  /** 5-field cron or a macro (@daily…), as Kubernetes CronJobs accept it, without @every or TZ=. */
  schedule: string;
  /** Defaults to OnFailure. */
  restartPolicy?: CronRestartPolicy;
  /** IANA zone name such as Europe/Berlin. */
  timeZone?: string;
  /** Defaults to false. */
  suspend?: boolean;
  /** Defaults to Forbid (K8 Highlander left Kubernetes' Allow). */
  concurrencyPolicy?: ConcurrencyPolicy;
  startingDeadlineSeconds?: number;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
}

/** A port of the workload container and of its Service. */
export interface WorkloadPort {
  name?: string;
  containerPort: number;
  /** Defaults to containerPort. */
  servicePort?: number;
  /** Defaults to TCP. */
  protocol?: PortProtocol;
}

/** Spec of a WorkloadService: a Deployment and a Service. */
export interface WorkloadServiceSpec extends CommonWorkloadSpec {
  replicas: number;
  ports?: WorkloadPort[];
  healthCheckPath?: string;
  healthCheckPort?: number;
  /** Go duration (30s, 5m). */
  readinessTimeout?: string;
}

/** A volume claim template of a WorkloadPersistent. */
export interface WorkloadPersistentVolume {
  name: string;
  mountPath: string;
  storageClassName?: string;
  /** Quantity such as 1Gi. */
  size: string;
}

/** Spec of a WorkloadPersistent: a StatefulSet with volumes and a headless Service. */
export interface WorkloadPersistentSpec extends WorkloadServiceSpec {
  persistentVolumes?: WorkloadPersistentVolume[];
  /** Headless Service name; defaults to the resource's name. */
  serviceName?: string;
}

// ---- status ----

/** Status fields every kind has; only the leading controller writes them. */
export interface CommonWorkloadStatus {
  observedGeneration?: number;
  active?: boolean;
  healthy?: boolean;
  /** Identity of the controller that wrote this status. */
  leader?: string;
  /** Fencing token of that controller's leadership. */
  epoch?: number;
  phase?: string;
  message?: string;
  /** Ready, Reconciling, Stalled (kstatus); one per type. */
  conditions?: Condition[];
}

/** Status of a WorkloadProcess. */
export interface WorkloadProcessStatus extends CommonWorkloadStatus {
  podName?: string;
  restarts?: number;
}

/** Status of a WorkloadCronJob. */
export interface WorkloadCronJobStatus extends CommonWorkloadStatus {
  /** RFC 3339. */
  lastScheduleTime?: string;
  /** RFC 3339. */
  lastSuccessfulTime?: string;
  activeJobs?: number;
}

/** Status of a WorkloadService. */
export interface WorkloadServiceStatus extends CommonWorkloadStatus {
  readyReplicas?: number;
  replicas?: number;
}

/** Status of a WorkloadPersistent. */
export type WorkloadPersistentStatus = WorkloadServiceStatus;

// ---- resources ----

/** The envelope every Highlander custom resource shares. */
export interface WorkloadObject<K extends WorkloadKind, Spec, Status> {
  apiVersion: WorkloadApiVersion;
  kind: K;
  metadata: V1ObjectMeta;
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

// ---- field lists (checked against the CRDs by api-types.test.ts) ----

// `Record<keyof T, true>` makes the compiler reject a list that misses or invents a field of T.
function fieldsOf<T>(keys: Record<keyof T, true>): readonly string[] {
  return Object.freeze(Object.keys(keys));
}

const commonSpec: Record<keyof CommonWorkloadSpec, true> = {
  image: true,
  script: true,
  env: true,
  resources: true,
  command: true,
  args: true,
  labels: true,
  annotations: true,
  nodeSelector: true,
  tolerations: true,
  serviceAccountName: true,
  imagePullSecrets: true,
  configMaps: true,
  secrets: true,
  volumes: true,
  sidecars: true,
};
const serviceSpec: Record<keyof WorkloadServiceSpec, true> = {
  ...commonSpec,
  replicas: true,
  ports: true,
  healthCheckPath: true,
  healthCheckPort: true,
  readinessTimeout: true,
};
const commonStatus: Record<keyof CommonWorkloadStatus, true> = {
  observedGeneration: true,
  active: true,
  healthy: true,
  leader: true,
  epoch: true,
  phase: true,
  message: true,
  conditions: true,
};
const serviceStatus: Record<keyof WorkloadServiceStatus, true> = {
  ...commonStatus,
  readyReplicas: true,
  replicas: true,
};

/** Top-level spec field names of each kind, as the TypeScript types declare them. */
export const SPEC_FIELDS: Readonly<Record<WorkloadKind, readonly string[]>> = Object.freeze({
  WorkloadProcess: fieldsOf<WorkloadProcessSpec>({
    ...commonSpec,
    restartPolicy: true,
    maxRestarts: true,
    gracePeriod: true,
  }),
  WorkloadCronJob: fieldsOf<WorkloadCronJobSpec>({
    ...commonSpec,
    schedule: true,
    restartPolicy: true,
    timeZone: true,
    suspend: true,
    concurrencyPolicy: true,
    startingDeadlineSeconds: true,
    successfulJobsHistoryLimit: true,
    failedJobsHistoryLimit: true,
  }),
  WorkloadService: fieldsOf<WorkloadServiceSpec>(serviceSpec),
  WorkloadPersistent: fieldsOf<WorkloadPersistentSpec>({ ...serviceSpec, persistentVolumes: true, serviceName: true }),
});

/** Top-level status field names of each kind, as the TypeScript types declare them. */
export const STATUS_FIELDS: Readonly<Record<WorkloadKind, readonly string[]>> = Object.freeze({
  WorkloadProcess: fieldsOf<WorkloadProcessStatus>({ ...commonStatus, podName: true, restarts: true }),
  WorkloadCronJob: fieldsOf<WorkloadCronJobStatus>({
    ...commonStatus,
    lastScheduleTime: true,
    lastSuccessfulTime: true,
    activeJobs: true,
  }),
  WorkloadService: fieldsOf<WorkloadServiceStatus>(serviceStatus),
  WorkloadPersistent: fieldsOf<WorkloadPersistentStatus>(serviceStatus),
});

/** Spec fields each kind requires (besides one of script or command). */
export const REQUIRED_SPEC_FIELDS: Readonly<Record<WorkloadKind, readonly string[]>> = Object.freeze({
  WorkloadProcess: ['image'],
  WorkloadCronJob: ['image', 'schedule'],
  WorkloadService: ['image', 'replicas'],
  WorkloadPersistent: ['image', 'replicas'],
});
