// Service routing to the leader: at every grant, the new leader points the EndpointSlice of a
// selector-less Service at its own pod, so that only the leader gets the Service's traffic. The
// slice carries the writer's epoch; the leader never overwrites a slice of a newer epoch, and
// the admission policy highlander-epoch-monotonic (crds/highlander-fencing.yaml) refuses such a
// write from anyone, so a leader that was paused or partitioned cannot point it back at itself.
// Every write is conditional: create when absent, else replace the version read.
import { setTimeout as sleep } from 'node:timers/promises';
import { EPOCH_LABEL, FENCE_POLICY, GROUP, MANAGED_BY, epochOf } from '../api/labels.ts';
import { KubeApiError } from '../runtime/kube-client.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import { LeadershipLost, sendGuarded } from '../runtime/write-guard.ts';
import type { WriteGuard } from '../runtime/write-guard.ts';
import type { ServiceRouting } from './await-settings.ts';
import type { TermHooks } from './await.ts';

/** The label that ties a slice to its Service, and the one that says which controller writes it. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const SLICE_MANAGER_LABEL = 'endpointslice.kubernetes.io/managed-by';
/** Our value of SLICE_MANAGER_LABEL (a label value: no slash), so Kubernetes' controllers leave it alone. */
export const SLICE_MANAGER = 'await.highlander.plexobject.io';
/** Annotation: the identity of the leader the slice points at (for people; the epoch label fences). */
export const LEADER_ANNOTATION = `${GROUP}/leader`;

/** What one attempt at routing did; `fenced`: a newer leader wrote the slice, nothing was sent. */
export type RouteOutcome = 'created' | 'updated' | 'unchanged' | 'fenced';

/** The EndpointSlice as the API server takes it (only the fields written here). */
export interface EndpointSlice {
  apiVersion: 'discovery.k8s.io/v1';
  kind: 'EndpointSlice';
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  addressType: 'IPv4' | 'IPv6';
  endpoints: {
    addresses: string[];
    conditions: { ready: boolean; serving: boolean; terminating: boolean };
    nodeName?: string;
  }[];
  ports: ServiceRouting['ports'];
}

const slicePath = (ns: string, name?: string): string =>
  `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/endpointslices${name ? `/${encodeURIComponent(name)}` : ''}`;

/** The slice that sends the Service's traffic to `route.podIP` alone, stamped with `epoch`. */
export function leaderSlice(route: ServiceRouting, epoch: number, identity: string): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      // Named after the Service, so that RBAC can limit the writes to this one slice by name.
      name: route.name,
      namespace: route.namespace,
      labels: {
        [SERVICE_NAME_LABEL]: route.name,
        [SLICE_MANAGER_LABEL]: SLICE_MANAGER,
        // The admission policy's objectSelector: without it the epoch would not be checked.
        [MANAGED_BY]: 'highlander',
        [EPOCH_LABEL]: String(epoch),
      },
      annotations: { [LEADER_ANNOTATION]: identity },
    },
    addressType: route.podIP.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [
      {
        addresses: [route.podIP],
        conditions: { ready: true, serving: true, terminating: false },
        ...(route.nodeName ? { nodeName: route.nodeName } : {}),
      },
    ],
    ports: route.ports,
  };
}

/** Whether the stored slice already routes as `desired` does, at the same epoch. */
function routesAs(stored: EndpointSlice, desired: EndpointSlice): boolean {
  const pick = (s: EndpointSlice) =>
    JSON.stringify([
      s.metadata.labels?.[EPOCH_LABEL],
      s.metadata.annotations?.[LEADER_ANNOTATION],
      s.addressType,
      s.endpoints?.map((e) => [e.addresses, e.nodeName ?? null, e.conditions?.ready ?? null]),
      (s.ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? null]),
    ]);
  return pick(stored) === pick(desired);
}

/** A refusal by the epoch admission policy (a newer leader's epoch is stored). */
export function isFenceRefusal(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 403 && err.message.includes(FENCE_POLICY);
}

/**
 * Points the Service's slice at this leader, once: reads it, leaves it when a newer epoch wrote
 * it, creates it when absent, else replaces the version read. A 409 (someone wrote in between)
 * re-reads, a few times; other errors are thrown for the caller to retry.
 */
export async function routeToLeader(
  client: KubeClient,
  route: ServiceRouting,
  guard: WriteGuard,
  identity: string,
): Promise<RouteOutcome> {
  const desired = leaderSlice(route, guard.epoch, identity);
  for (let attempt = 1; ; attempt += 1) {
    const stored = await readSlice(client, route, guard.signal);
    try {
      if (!stored) {
        await sendGuarded(client, guard, { method: 'POST', path: slicePath(route.namespace), body: desired });
        return 'created';
      }
      if (epochOf(stored.metadata) > guard.epoch) return 'fenced';
      if (routesAs(stored, desired)) return 'unchanged';
      const meta = stored.metadata;
      const body: EndpointSlice = {
        ...desired,
        metadata: {
          ...desired.metadata,
          // Others' labels and annotations stay; ours win.
          labels: { ...meta.labels, ...desired.metadata.labels },
          annotations: { ...meta.annotations, ...desired.metadata.annotations },
          resourceVersion: meta.resourceVersion!,
        },
      };
      await sendGuarded(client, guard, { method: 'PUT', path: slicePath(route.namespace, route.name), body });
      return 'updated';
    } catch (err) {
      if (isFenceRefusal(err)) return 'fenced';
      if (err instanceof KubeApiError && err.code === 409 && attempt < 5) continue;
      throw err;
    }
  }
}

async function readSlice(client: KubeClient, route: ServiceRouting, signal: AbortSignal) {
  try {
    return await client.send<EndpointSlice>({
      method: 'GET',
      path: slicePath(route.namespace, route.name),
      signal,
    });
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 404) return undefined;
    throw err;
  }
}

/** Whether an error means the term is over (no point in retrying the write). */
export function termOver(err: unknown, guard: WriteGuard): boolean {
  return err instanceof LeadershipLost || guard.signal.aborted;
}

/** Ways to tell how routing went, for logs. */
const OUTCOME_MSG: Record<RouteOutcome, string> = {
  created: 'service routed to this leader (EndpointSlice created)',
  updated: 'service routed to this leader',
  unchanged: 'service routed to this leader (EndpointSlice was already)',
  fenced: 'service not routed: a newer leader wrote the EndpointSlice',
};

/**
 * Routes the Service to this leader for the term `guard`, retrying failures with a backoff from
 * `retryMs` up to 5 s until it is done or the term ends (undefined then).
 */
export async function routeWithRetries(
  client: KubeClient,
  route: ServiceRouting,
  guard: WriteGuard,
  identity: string,
  log: { info(o: object, m: string): void; warn(o: object, m: string): void },
  retryMs: number,
): Promise<RouteOutcome | undefined> {
  const at = { service: `${route.namespace}/${route.name}`, epoch: guard.epoch };
  for (let delay = retryMs; !guard.signal.aborted; delay = Math.min(delay * 2, 5000)) {
    try {
      const outcome = await routeToLeader(client, route, guard, identity);
      log.info({ ...at, podIP: route.podIP, outcome }, OUTCOME_MSG[outcome]);
      return outcome;
    } catch (err) {
      if (termOver(err, guard)) break;
      log.warn({ ...at, err: (err as Error).message, retryInMs: delay }, 'cannot route the service to this leader');
      await sleep(delay, undefined, { signal: guard.signal }).catch(() => undefined);
    }
  }
  return undefined;
}

/**
 * The hooks of `await` that route the Service to each new leader. The write runs beside the
 * command's start, not before it: with a store other than the Lease, the API server may be
 * unreachable while the store is not, and the command must not wait on it. Followers write nothing.
 */
export function routingHooks(
  client: KubeClient,
  route: ServiceRouting,
  log: Parameters<typeof routeWithRetries>[4],
  retryMs: number,
): TermHooks {
  return {
    elected(term, identity) {
      void routeWithRetries(client, route, term, identity, log, retryMs);
    },
  };
}
