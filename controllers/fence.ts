// The fence: per tenant, a Lease in the lease namespace that says the newest epoch, which the
// API server's admission policy compares every managed write with. With the Lease lock store the
// lock itself is the fence (its leaseTransitions are the epoch, raised atomically with each
// grant); with Redis, PostgreSQL or Spanner the new leader raises this Lease right after its
// grant, before any other write. It only ever goes up.
import { FENCE_LABEL, TENANT_LABEL } from '../api/labels.ts';
import { KubeApiError } from '../runtime/kube-client.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import { sendGuarded } from '../runtime/write-guard.ts';
import type { WriteGuard } from '../runtime/write-guard.ts';

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
    /** The epoch the fence holds now (0 when there is none). */
    epoch: async (): Promise<number> => epochOf(await read()),
    /**
     * Raises the fence to the guard's epoch (a compare-and-swap; never lowers it). When this
     * holder wrote the fence last, the first try writes over that version without reading it.
     */
    async raise(guard: WriteGuard, holder: string): Promise<void> {
      if (epochOf(known) >= guard.epoch) return;
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const current = attempt === 0 && known?.spec?.holderIdentity === holder ? known : await read();
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
          if (!(err instanceof KubeApiError && err.code === 409)) throw err; // raced: read again
        }
      }
      throw new Error(`fence ${o.namespace}/${name}: could not raise it to epoch ${guard.epoch}`);
    },
  };
}
