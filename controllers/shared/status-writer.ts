// Writing a CR's status: a merge patch on the /status subresource.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { WORKLOAD_KINDS } from '../../api/types.ts';
import type { WorkloadKind } from '../../api/types.ts';
import { GROUP, VERSION } from '../../api/labels.ts';

/** Writes status; an interface so reconcile logic can be tested without a cluster. */
export interface StatusWriter {
  patchStatus(cr: { kind: string; metadata: { name: string; namespace: string } }, status: object): Promise<void>;
}

/** A StatusWriter on a real API server. The header name's case matters to client-node. */
export function statusWriter(kc: KubeConfig): StatusWriter {
  const api = kc.makeApiClient(CustomObjectsApi);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  return {
    async patchStatus(cr, status) {
      const plural = WORKLOAD_KINDS[cr.kind as WorkloadKind].plural;
      await api.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace: cr.metadata.namespace,
          plural,
          name: cr.metadata.name,
          body: { status },
        },
        mergePatch,
      );
    },
  };
}
