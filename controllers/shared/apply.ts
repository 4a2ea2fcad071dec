// Writing children, never unconditionally: an absent child is created (which fails if it exists
// after all), a drifted one is server-side applied with the resourceVersion seen, an adopted one
// is restamped with this leader's epoch by a metadata-only patch, and a delete is preceded by a
// stamp so that it carries this leader's epoch to the API server's fence too. Every write goes
// through the write guard (lease check, deadline, leadership signal) and carries the epoch, which
// the admission policy compares with the stored object's and with the tenant's fence.
import type { KubernetesObject, V1OwnerReference } from '@kubernetes/client-node';
import { EPOCH_LABEL, FIELD_MANAGER, epochOf } from '../../api/labels.ts';
import { PATCH, KubeApiError } from '../../runtime/kube-client.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import { sendGuarded } from '../../runtime/write-guard.ts';
import type { WriteGuard } from '../../runtime/write-guard.ts';
import { collectionPath, objectPath } from './resource-paths.ts';

/**
 * What ensuring a child did. `replaced`: the child under that name was left by a deleted CR of
 * the same name (another uid), and was deleted so that this CR's can be created; `waiting`: such
 * a child is being deleted already.
 */
export type EnsureOutcome = 'created' | 'updated' | 'adopted' | 'unchanged' | 'fenced' | 'replaced' | 'waiting';

/** An object under a child's name that another controller owns: it is not ours to change or delete. */
export class NameTaken extends Error {
  override readonly name = 'NameTaken';
  /** `what` (e.g. "pod ns/x") is held by the object `by` controls; `noun` names it in the advice. */
  constructor(what: string, by: V1OwnerReference | undefined, noun = 'object') {
    super(
      `${what} exists and is controlled by ${by?.kind} ${by?.name}; rename the workload, or delete that ${noun} if it is not needed`,
    );
  }
}

/**
 * Who controls `existing`, judged against the controller reference `desired` carries: `ours` (the
 * same owner, no controller, or no owner wanted), a `namesake` (a CR of the same kind and name but
 * another uid: deleted, and its children not yet collected) or `other` (anyone else).
 */
export function controlOf(
  existing: Readonly<KubernetesObject>,
  desired: Readonly<KubernetesObject>,
): { by: 'ours' | 'namesake' | 'other'; ref?: V1OwnerReference } {
  const controllerOf = (o: Readonly<KubernetesObject>) => o.metadata?.ownerReferences?.find((r) => r.controller);
  const want = controllerOf(desired);
  const ref = controllerOf(existing);
  if (!want || !ref || ref.uid === want.uid) return { by: 'ours' };
  const namesake = ref.apiVersion === want.apiVersion && ref.kind === want.kind && ref.name === want.name;
  return { by: namesake ? 'namesake' : 'other', ref };
}

/** The writes the controllers make; an interface so reconcile logic can be tested without a cluster. */
export interface ChildWriter {
  /** Creates `obj`; a 409 means the cache was behind (the pass is retried). */
  create<T extends KubernetesObject>(obj: T, guard: WriteGuard): Promise<T>;
  /** Server-side apply (field manager `highlander`), conditional on `obj.metadata.resourceVersion`. */
  apply<T extends KubernetesObject>(obj: T, guard: WriteGuard): Promise<T>;
  /** A JSON merge patch of `existing`, conditional on its resourceVersion. */
  patch(
    existing: Readonly<KubernetesObject>,
    patch: Record<string, unknown>,
    guard: WriteGuard,
  ): Promise<KubernetesObject>;
  /** Deletes the version given (resourceVersion and uid preconditions); gone already is done. */
  delete(obj: Readonly<KubernetesObject>, guard: WriteGuard): Promise<void>;
}

/** A ChildWriter on a real API server, applying as `fieldManager`. */
export function childWriter(client: KubeClient, fieldManager: string = FIELD_MANAGER): ChildWriter {
  return {
    create: (obj, guard) => sendGuarded(client, guard, { method: 'POST', path: collectionPath(obj), body: obj }),
    apply: (obj, guard) =>
      sendGuarded(client, guard, {
        method: 'PATCH',
        path: objectPath(obj),
        query: { fieldManager, force: 'true' },
        contentType: PATCH.apply,
        body: obj,
      }),
    patch: (existing, patch, guard) =>
      sendGuarded(client, guard, {
        method: 'PATCH',
        path: objectPath(existing),
        contentType: PATCH.merge,
        body: {
          ...patch,
          metadata: { ...(patch.metadata as object), resourceVersion: existing.metadata?.resourceVersion },
        },
      }),
    async delete(obj, guard) {
      try {
        await sendGuarded(client, guard, {
          method: 'DELETE',
          path: objectPath(obj),
          body: {
            kind: 'DeleteOptions',
            apiVersion: 'v1',
            propagationPolicy: 'Background',
            preconditions: { resourceVersion: obj.metadata?.resourceVersion, uid: obj.metadata?.uid },
          },
        });
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 404)) throw err;
      }
    },
  };
}

/**
 * Whether `actual` already has every value of `desired` (the API server adds defaults and
 * other managers' fields, which are allowed). The epoch stamp is ignored: a new leader adopts
 * a matching child by restamping it, without touching anything else.
 */
export function contains(actual: unknown, desired: unknown, path = ''): boolean {
  if (path === `.metadata.labels.${EPOCH_LABEL}`) return true;
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

/** The metadata-only patch that stamps an object with `epoch`. */
export const stampPatch = (epoch: number): Record<string, unknown> => ({
  metadata: { labels: { [EPOCH_LABEL]: String(epoch) } },
});

/**
 * Makes the child `desired` exist as specified: creates it when missing, updates it when one
 * of our fields drifted, restamps it when a newer leader adopts it unchanged, leaves it alone
 * when it matches and is ours, and never touches a child written by a newer leader (fenced).
 * Writes carry the resourceVersion seen, so a write by someone else in between fails with 409.
 */
export async function ensureChild<T extends KubernetesObject>(
  writer: ChildWriter,
  desired: T,
  existing: Readonly<KubernetesObject> | undefined,
  guard: WriteGuard,
): Promise<EnsureOutcome> {
  if (!existing) {
    await writer.create(desired, guard);
    return 'created';
  }
  const stamped = epochOf(existing.metadata);
  if (stamped > guard.epoch) return 'fenced';
  const control = controlOf(existing, desired);
  if (control.by === 'other') {
    const { kind, metadata } = desired;
    throw new NameTaken(`${kind} ${metadata?.namespace}/${metadata?.name}`, control.ref);
  }
  if (control.by === 'namesake') {
    // Its owner is gone (the CR of this name now has another uid), so the garbage collector will
    // delete it; until then it takes the name, and an apply would give it two controllers (the API
    // server refuses that). Deleting it now does not wait on the collector, which may be slow or
    // behind after an API server restart. Its pods still count against the singleton's gate.
    if (existing.metadata?.deletionTimestamp) return 'waiting';
    return (await deleteChild(writer, existing, guard)) ? 'replaced' : 'fenced';
  }
  if (contains(existing, desired)) {
    if (stamped === guard.epoch) return 'unchanged';
    await writer.patch(existing, stampPatch(guard.epoch), guard);
    return 'adopted';
  }
  await writer.apply(
    { ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion } },
    guard,
  );
  return 'updated';
}

/**
 * Deletes a child unless a newer leader wrote it; true when deleted. The child is stamped with
 * this leader's epoch first (a write the fence checks), and the delete is conditional on the
 * version that stamp produced: a leader whose epoch is stale cannot delete.
 */
export async function deleteChild(
  writer: ChildWriter,
  existing: Readonly<KubernetesObject>,
  guard: WriteGuard,
): Promise<boolean> {
  if (epochOf(existing.metadata) > guard.epoch) return false;
  const stamped = await writer.patch(existing, stampPatch(guard.epoch), guard);
  await writer.delete(stamped, guard);
  return true;
}
