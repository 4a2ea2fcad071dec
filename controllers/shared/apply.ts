// Writing children: server-side apply as field manager `highlander`, adopting what already
// matches (no write, no restart), and fenced by the epoch annotation and resourceVersion.
import { ApiException, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { EPOCH_ANNOTATION, FIELD_MANAGER, epochOf } from '../../api/labels.ts';

/** What ensuring a child did. */
export type EnsureOutcome = 'created' | 'updated' | 'unchanged' | 'fenced';

/** The writes the controllers make; an interface so reconcile logic can be tested without a cluster. */
export interface ChildWriter {
  /** Server-side apply; `resourceVersion` in the object makes it conditional. */
  apply<T extends KubernetesObject>(obj: T): Promise<T>;
  /** Deletes only the version we saw (resourceVersion precondition). */
  delete(obj: KubernetesObject): Promise<void>;
}

/** A ChildWriter on a real API server. */
export function childWriter(kc: KubeConfig): ChildWriter {
  const api = KubernetesObjectApi.makeApiClient(kc);
  return {
    apply: (obj) => api.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
    async delete(obj) {
      try {
        await api.delete(obj, undefined, undefined, undefined, undefined, 'Background', {
          preconditions: { resourceVersion: obj.metadata?.resourceVersion, uid: obj.metadata?.uid },
        });
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 404)) throw err;
      }
    },
  };
}

/**
 * Whether `actual` already has every value of `desired` (the API server adds defaults and
 * other managers' fields, which are allowed). The epoch stamp is ignored: a new leader adopts
 * a matching child without writing to it.
 */
export function contains(actual: unknown, desired: unknown, path = ''): boolean {
  if (path === `.metadata.annotations.${EPOCH_ANNOTATION}`) return true;
  if (Array.isArray(desired)) {
    return (
      Array.isArray(actual) &&
      actual.length === desired.length &&
      desired.every((d, i) => contains(actual[i], d, `${path}[]`))
    );
  }
  if (desired !== null && typeof desired === 'object') {
    if (desired instanceof Date)
      return actual instanceof Date ? +actual === +desired : String(actual) === desired.toISOString();
    if (actual === null || typeof actual !== 'object') return false;
    return Object.entries(desired).every(
      ([k, v]) => v === undefined || contains((actual as Record<string, unknown>)[k], v, `${path}.${k}`),
    );
  }
  return actual === desired;
}

/**
 * Makes the child `desired` exist as specified: creates it when missing, updates it when one
 * of our fields drifted, leaves it alone when it matches, and never touches a child written
 * by a newer leader (fenced). The update carries the resourceVersion we saw, so a write by
 * someone else in between fails with 409 instead of being overwritten.
 */
export async function ensureChild<T extends KubernetesObject>(
  writer: ChildWriter,
  desired: T,
  existing: Readonly<KubernetesObject> | undefined,
  epoch: number,
): Promise<EnsureOutcome> {
  if (!existing) {
    await writer.apply(desired);
    return 'created';
  }
  if (epochOf(existing.metadata?.annotations) > epoch) return 'fenced';
  if (contains(existing, desired)) return 'unchanged';
  await writer.apply({
    ...desired,
    metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion },
  });
  return 'updated';
}

/** Deletes a child unless a newer leader wrote it; true when deleted. */
export async function deleteChild(
  writer: ChildWriter,
  existing: Readonly<KubernetesObject>,
  epoch: number,
): Promise<boolean> {
  if (epochOf(existing.metadata?.annotations) > epoch) return false;
  await writer.delete(existing);
  return true;
}
