// A reconcile step that ensures one child, reporting what it did.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ObjectCache } from '../../runtime/types.ts';
import type { ChildWriter } from './apply.ts';
import { ensureChild } from './apply.ts';
import type { Step } from './workload-reconciler.ts';
import type { WriteGuard } from '../../runtime/write-guard.ts';

/** A step that creates or repairs `desired` from what `cache` holds under the same name. */
export function ensureStep(
  writer: ChildWriter,
  cache: ObjectCache<KubernetesObject>,
  desired: KubernetesObject,
  guard: WriteGuard,
): Step {
  return async () => {
    const key = `${desired.metadata?.namespace}/${desired.metadata?.name}`;
    const outcome = await ensureChild(writer, desired, cache.get(key), guard);
    const what = `${desired.kind} ${desired.metadata?.name}`;
    if (outcome === 'created') return { reason: 'Created', message: what };
    if (outcome === 'updated') return { reason: 'Repaired', message: `${what} brought back to its spec` };
    if (outcome === 'replaced') {
      return {
        reason: 'Replacing',
        message: `${what} was left by a deleted ${desired.metadata?.ownerReferences?.[0]?.kind} of this name; deleted, to be created anew`,
      };
    }
    return undefined;
  };
}
