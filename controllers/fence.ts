// The fence: per tenant, a Lease in the lease namespace that says the newest epoch, which the
// API server's admission policy compares every managed write with. With the Lease lock store the
// lock itself is the fence (its leaseTransitions are the epoch, raised atomically with each
// grant); with Redis, PostgreSQL or Spanner this Lease is raised to the next epoch before that
// epoch is granted (by the leader as it steps aside, by a follower once the holder is past its
// renew deadline, or by the candidate that finds the lock free). It only ever goes up.
import { FENCE_LABEL, TENANT_LABEL } from '../api/labels.ts';
import { KubeApiError } from '../runtime/kube-client.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import { watchStream } from '../runtime/watch-stream.ts';
import { sendGuarded } from '../runtime/write-guard.ts';
import type { WriteGuard } from '../runtime/write-guard.ts';
import type { KubeAccess } from '../runtime/kube-access.ts';

/** The fence Lease's name for a tenant (stores other than the Lease). */
export const fenceName = (tenant: string): string => `highlander-fence-${tenant}`;

/** Labels that make a Lease the fence of `tenant` for the admission policy. */
export const fenceLabels = (tenant: string): Record<string, string> => ({
  [FENCE_LABEL]: 'true',
  [TENANT_LABEL]: tenant,
});

interface FenceLease {
  metadata?: { resourceVersion?: string; labels?: Record<string, string> };
  spec?: { leaseTransitions?: number; holderIdentity?: string };
}

/** The fence of a tenant, read and raised through one client. */
export function fence(client: KubeClient, o: { namespace: string; tenant: string }) {
  const path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(o.namespace)}/leases`;
  const name = fenceName(o.tenant);
  // The fence as last read or written here. It only ever goes up, so a value seen is a lower bound
  // of the fence now: a raise to no more than it needs no request at all.
  let known: FenceLease | undefined;
  const read = async (): Promise<FenceLease | undefined> => {
    try {
      known = await client.send<FenceLease>({ method: 'GET', path: `${path}/${name}` });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 404)) throw err;
      known = undefined;
    }
    return known;
  };
  const epochOf = (l: FenceLease | undefined): number => l?.spec?.leaseTransitions ?? 0;
  return {
    /**
     * Keeps the fence as last seen up to date from a watch of it, so a raise to an epoch someone
     * else has already reached (a leader fences itself before it releases) sends no request.
     * What the watch shows has been written, so the fence was that high before it was seen.
     * Resolves once watching; the returned function stops it.
     */
    follow: (kc: KubeAccess) =>
      followFence(kc, path, name, (l) => {
        if (!l || epochOf(l) >= epochOf(known)) known = l; // never back to an older version
      }),
    /** The highest epoch of the fence seen here (read, written or watched), without a request. */
    seenEpoch: (): number => epochOf(known),
    /** The epoch the fence holds now (0 when there is none). */
    epoch: async (): Promise<number> => epochOf(await read()),
    /**
     * Raises the fence to the guard's epoch (a compare-and-swap; never lowers it). The first try
     * writes over the version last seen (kept current by the watch) without reading it; when
     * that version is stale, the API server answers 409 and the next try reads.
     */
    async raise(guard: WriteGuard, holder: string): Promise<void> {
      if (epochOf(known) >= guard.epoch) return;
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const current = attempt === 0 && known ? known : await read();
        if (epochOf(current) >= guard.epoch) return;
        const body = {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name,
            namespace: o.namespace,
            labels: { ...current?.metadata?.labels, ...fenceLabels(o.tenant) },
            ...(current ? { resourceVersion: current.metadata?.resourceVersion } : {}),
          },
          spec: { ...current?.spec, holderIdentity: holder, leaseTransitions: guard.epoch },
        };
        try {
          known = current
            ? await sendGuarded<FenceLease>(client, guard, { method: 'PUT', path: `${path}/${name}`, body })
            : await sendGuarded<FenceLease>(client, guard, { method: 'POST', path, body });
          return;
        } catch (err) {
          // Raced (409), or the version we wrote over was deleted since (404): read again.
          if (!(err instanceof KubeApiError && (err.code === 409 || (err.code === 404 && current)))) throw err;
        }
      }
      throw new Error(`fence ${o.namespace}/${name}: could not raise it to epoch ${guard.epoch}`);
    },
  };
}

/** Watches one fence Lease for ever (restarted with backoff when the watch ends), telling `seen` each version. */
async function followFence(
  kc: KubeAccess,
  path: string,
  name: string,
  seen: (lease: FenceLease | undefined) => void,
): Promise<() => Promise<void>> {
  let stopped = false;
  let controller: { abort(): void } | undefined;
  let retryMs = 100;
  const start = async (): Promise<void> => {
    if (stopped) return;
    try {
      controller = await watchStream(
        kc,
        path,
        { fieldSelector: `metadata.name=${name}`, allowWatchBookmarks: false },
        (phase, obj) => {
          retryMs = 100;
          if (phase === 'ADDED' || phase === 'MODIFIED') seen(obj as FenceLease);
          else if (phase === 'DELETED') seen(undefined);
        },
        // The watch ends on server timeouts and errors alike: start another.
        () => void restart(),
      );
    } catch {
      void restart();
    }
  };
  const restart = async (): Promise<void> => {
    if (stopped) return;
    await new Promise((r) => setTimeout(r, retryMs));
    retryMs = Math.min(retryMs * 2, 5000);
    await start();
  };
  await start();
  return async () => {
    stopped = true;
    controller?.abort();
    await Promise.resolve();
  };
}
