// Event handlers and predicates, named as controller-runtime names them: which cache changes
// make which keys worth a reconcile.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { EventHandler } from './controller.ts';
import type { ObjectKey } from './types.ts';
import { keyOf } from './types.ts';

/** Decides whether an update is worth a reconcile. */
export type UpdatePredicate<T extends KubernetesObject> = (oldObj: Readonly<T>, newObj: Readonly<T>) => boolean;

/** The spec changed (metadata.generation moved). Status writes leave it as it is. */
export const generationChanged: UpdatePredicate<KubernetesObject> = (a, b) =>
  a.metadata?.generation !== b.metadata?.generation;

/** The labels changed (a tenant label added or moved, for example). */
export const labelsChanged: UpdatePredicate<KubernetesObject> = (a, b) =>
  JSON.stringify(a.metadata?.labels) !== JSON.stringify(b.metadata?.labels);

/** Deletion began (deletionTimestamp appeared) or, in a test's fake, went away. */
export const deletionChanged: UpdatePredicate<KubernetesObject> = (a, b) =>
  !!a.metadata?.deletionTimestamp !== !!b.metadata?.deletionTimestamp;

/** True when any of `predicates` is. */
export function anyOf<T extends KubernetesObject>(...predicates: UpdatePredicate<T>[]): UpdatePredicate<T> {
  return (a, b) => predicates.some((p) => p(a, b));
}

/**
 * Enqueues the object itself: on create and on an update that `changed` accepts (a deleted CR's
 * children go with it by garbage collection); only objects `include` accepts (on an update, when
 * either version is accepted).
 */
export function enqueueObject<T extends KubernetesObject>(
  include: (obj: Readonly<T>) => boolean,
  changed: UpdatePredicate<T>,
): EventHandler<T> {
  const own = (obj: Readonly<T>): ObjectKey[] => (include(obj) ? [keyOf(obj)] : []);
  return {
    create: own,
    update: (a, b) => (changed(a, b) && (include(a) || include(b)) ? [keyOf(b)] : []),
  };
}

/**
 * Enqueues the controlling owner of a child, when it is of one of `kinds` in `apiVersion`: a
 * child's drift is repaired from the watch, not a poll.
 */
export function enqueueOwner<T extends KubernetesObject>(apiVersion: string, kind: string): EventHandler<T> {
  const owner = (obj: Readonly<T>): ObjectKey[] => {
    const ref = obj.metadata?.ownerReferences?.find((r) => r.controller && r.apiVersion === apiVersion);
    return ref && ref.kind === kind ? [`${obj.metadata?.namespace}/${ref.name}`] : [];
  };
  return { create: owner, update: (_a, b) => owner(b), delete: owner };
}

/**
 * Enqueues the key `keyFor` derives from an object (a label naming its owner, say), on every
 * change, when `exists` says that key is one of this controller's objects.
 */
export function enqueueByKey<T extends KubernetesObject>(
  keyFor: (obj: Readonly<T>) => ObjectKey | undefined,
  exists: (key: ObjectKey) => boolean,
): EventHandler<T> {
  const keys = (obj: Readonly<T>): ObjectKey[] => {
    const key = keyFor(obj);
    return key !== undefined && exists(key) ? [key] : [];
  };
  return { create: keys, update: (_a, b) => keys(b), delete: keys };
}
