// Writing a CR's status: a merge patch on the /status subresource, conditional on the version the
// pass saw, carrying this leader's epoch in status.epoch (the fence compares it).
import { PATCH } from '../../runtime/kube-client.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import { sendGuarded } from '../../runtime/write-guard.ts';
import type { WriteGuard } from '../../runtime/write-guard.ts';
import { objectPath } from './resource-paths.ts';

/** The CR whose status is written. */
export type StatusSubject = { apiVersion?: string; kind: string; metadata: { name: string; namespace: string } };

/** Writes status; an interface so reconcile logic can be tested without a cluster. */
export interface StatusWriter {
  /** Patches `status` onto the CR at `resourceVersion`; resolves with the new resourceVersion. */
  patchStatus(
    cr: StatusSubject,
    status: object,
    resourceVersion: string | undefined,
    guard: WriteGuard,
  ): Promise<string | undefined>;
}

/** A StatusWriter on a real API server. */
export function statusWriter(client: KubeClient): StatusWriter {
  return {
    async patchStatus(cr, status, resourceVersion, guard) {
      const updated = await sendGuarded<{ metadata?: { resourceVersion?: string } }>(client, guard, {
        method: 'PATCH',
        path: `${objectPath(cr)}/status`,
        contentType: PATCH.merge,
        body: { metadata: { resourceVersion }, status },
      });
      return updated?.metadata?.resourceVersion;
    },
  };
}
