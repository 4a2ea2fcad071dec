// The pod template every kind shares, from the workload spec alone. Nothing that changes on
// failover (leader identity, epoch) goes in here, so a new leader never rolls a workload.
import type {
  V1Container,
  V1EnvVar,
  V1PodSpec,
  V1PodTemplateSpec,
  V1Probe,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { SINGLETON_GATE, TENANT_LABEL, childLabels } from '../../api/labels.ts';
import type { CommonWorkloadSpec, WorkloadServiceSpec } from '../../api/types.ts';

/**
 * The spec fields that shape a workload's pods: every kind's common fields, plus the ports and
 * health check of services and persistent sets.
 */
export type PodSpecFields = CommonWorkloadSpec &
  Partial<Pick<WorkloadServiceSpec, 'ports' | 'healthCheckPath' | 'healthCheckPort' | 'readinessTimeout'>>;

/** The name of the workload's own container. */
export const MAIN_CONTAINER = 'main';

/** `command`/`args` when given; else K8 Highlander's script: `shell -c "<commands, one per line>"`. */
export function entrypoint(spec: PodSpecFields): Pick<V1Container, 'command' | 'args'> {
  if (spec.command?.length) return { command: spec.command, ...(spec.args ? { args: spec.args } : {}) };
  if (spec.script) return { command: [spec.script.shell || '/bin/sh', '-c', spec.script.commands.join('\n')] };
  return spec.args ? { args: spec.args } : {};
}

/** Env vars sorted by name, so the template is the same whatever the map's order. */
export function envVars(env: Record<string, string> | undefined): V1EnvVar[] | undefined {
  if (!env || Object.keys(env).length === 0) return undefined;
  return Object.keys(env)
    .sort()
    .map((name) => ({ name, value: env[name]! }));
}

function resources(r: PodSpecFields['resources']): V1Container['resources'] | undefined {
  if (!r) return undefined;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (r.cpuRequest) requests.cpu = r.cpuRequest;
  if (r.memoryRequest) requests.memory = r.memoryRequest;
  if (r.cpuLimit) limits.cpu = r.cpuLimit;
  if (r.memoryLimit) limits.memory = r.memoryLimit;
  const out: V1Container['resources'] = {};
  if (Object.keys(requests).length) out.requests = requests;
  if (Object.keys(limits).length) out.limits = limits;
  return Object.keys(out).length ? out : undefined;
}

/** Volumes and mounts for configMaps/secrets (K8 Highlander's lists) and explicit volumes. */
export function volumesOf(spec: PodSpecFields): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const volumes: V1Volume[] = [];
  const mounts: V1VolumeMount[] = [];
  for (const cm of spec.configMaps ?? []) {
    volumes.push({ name: `cm-${cm}`.slice(0, 63), configMap: { name: cm } });
    mounts.push({ name: `cm-${cm}`.slice(0, 63), mountPath: `/etc/config/${cm}`, readOnly: true });
  }
  for (const s of spec.secrets ?? []) {
    volumes.push({ name: `secret-${s}`.slice(0, 63), secret: { secretName: s } });
    mounts.push({ name: `secret-${s}`.slice(0, 63), mountPath: `/etc/secrets/${s}`, readOnly: true });
  }
  for (const v of spec.volumes ?? []) {
    volumes.push(
      v.configMap
        ? { name: v.name, configMap: { name: v.configMap } }
        : { name: v.name, secret: { secretName: v.secret! } },
    );
    mounts.push({ name: v.name, mountPath: v.mountPath, readOnly: v.readOnly ?? true });
  }
  return { volumes, mounts };
}

/** Readiness and liveness probes from healthCheckPath/healthCheckPort (HTTP GET), if set. */
export function probes(spec: PodSpecFields): Pick<V1Container, 'readinessProbe' | 'livenessProbe'> {
  const port = spec.healthCheckPort ?? spec.ports?.[0]?.containerPort;
  if (!spec.healthCheckPath || !port) return {};
  const probe: V1Probe = { httpGet: { path: spec.healthCheckPath, port }, periodSeconds: 10, timeoutSeconds: 2 };
  return {
    readinessProbe: { ...probe, failureThreshold: 3 },
    livenessProbe: { ...probe, failureThreshold: 6, initialDelaySeconds: 10 },
  };
}

/** Options that differ by kind. */
export interface TemplateOptions {
  /** The CR's tenant: the pods carry it (the admission policy finds the tenant's fence by it). */
  tenant?: string;
  /**
   * Create the pods held back by the singleton scheduling gate: the leader releases each only
   * while no other pod of the workload may still run (controllers/shared/singleton-release.ts).
   */
  held?: boolean;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  extraMounts?: V1VolumeMount[];
  terminationGracePeriodSeconds?: number;
}

/** The pod template of workload `name`. */
export function podTemplate(name: string, spec: PodSpecFields, opts: TemplateOptions = {}): V1PodTemplateSpec {
  const { volumes, mounts } = volumesOf(spec);
  const allMounts = [...mounts, ...(opts.extraMounts ?? [])];
  const main: V1Container = {
    name: MAIN_CONTAINER,
    image: spec.image,
    ...entrypoint(spec),
    ...(envVars(spec.env) ? { env: envVars(spec.env) } : {}),
    ...(resources(spec.resources) ? { resources: resources(spec.resources) } : {}),
    ...(spec.ports?.length
      ? {
          ports: spec.ports.map((p) => ({
            containerPort: p.containerPort,
            protocol: p.protocol ?? 'TCP',
            ...(p.name ? { name: p.name } : {}),
          })),
        }
      : {}),
    ...probes(spec),
    ...(allMounts.length ? { volumeMounts: allMounts } : {}),
  };
  const podSpec: V1PodSpec = {
    // A sidecar is a core/v1 Container the CRD passes through unchanged (the API server checks it).
    containers: [main, ...((spec.sidecars ?? []) as V1Container[])],
    ...(opts.restartPolicy ? { restartPolicy: opts.restartPolicy } : {}),
    ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
    ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
    ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
    ...(spec.imagePullSecrets?.length ? { imagePullSecrets: spec.imagePullSecrets } : {}),
    ...(volumes.length ? { volumes } : {}),
    ...(opts.held ? { schedulingGates: [{ name: SINGLETON_GATE }] } : {}),
    ...(opts.terminationGracePeriodSeconds !== undefined
      ? { terminationGracePeriodSeconds: opts.terminationGracePeriodSeconds }
      : {}),
  };
  return {
    metadata: {
      labels: { ...childLabels(name, spec.labels), ...(opts.tenant ? { [TENANT_LABEL]: opts.tenant } : {}) },
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
    },
    spec: podSpec,
  };
}
