// One informer per collection, watched cluster-wide or in each of a list of namespaces (the API
// server refuses a cluster-wide watch to a namespaced Role), with managedFields dropped.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Informer } from './informer.ts';
import { InformerGroup } from './informer-group.ts';
import type { GroupMember } from './informer-group.ts';
import type { Log } from './logger.ts';
import { aborted } from './abort.ts';
import type { Runnable, SyncedCache } from './manager.ts';
import { rawLister } from './raw-list.ts';
import type { KubeAccess } from './kube-access.ts';

/** Where a collection lives and what of it to watch. */
export interface CollectionOptions {
  kubeConfig: KubeAccess;
  /** Names the informer in logs. */
  name: string;
  /** "/api/v1" or "/apis/<group>/<version>". */
  prefix: string;
  /** The plural resource name, e.g. "pods". */
  resource: string;
  labelSelector?: string;
  /** Watch only these namespaces; empty: all namespaces. */
  namespaces: readonly string[];
  log: Log;
}

/** managedFields are most of an applied object's size, and nothing here reads them. */
export function withoutManagedFields<T extends KubernetesObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

/** An informer (or a group of one per namespace) for the collection. */
export function watchCollection<T extends KubernetesObject>(o: CollectionOptions): GroupMember<T> {
  const one = (name: string, path: string): Informer<T> =>
    new Informer<T>({
      kubeConfig: o.kubeConfig,
      path,
      list: rawLister<T>(o.kubeConfig, path),
      name,
      log: o.log,
      transform: withoutManagedFields,
      ...(o.labelSelector ? { labelSelector: o.labelSelector } : {}),
    });
  if (o.namespaces.length === 0) return one(o.name, `${o.prefix}/${o.resource}`);
  return new InformerGroup<T>(
    o.name,
    o.namespaces.map((ns) => one(`${o.name}@${ns}`, `${o.prefix}/namespaces/${ns}/${o.resource}`)),
  );
}

/** Informers as one part of a {@link Manager}: they run on every replica, and the leader waits for them. */
export function cachesRunnable(
  name: string,
  informers: readonly GroupMember<KubernetesObject>[],
): Runnable & SyncedCache {
  return {
    name,
    needsLeadership: false,
    async run({ signal }) {
      for (const i of informers) i.start();
      await aborted(signal);
      await Promise.all(informers.map((i) => i.stop()));
    },
    hasSynced: () => informers.every((i) => i.hasSynced()),
    waitForSync: async (signal) => (await Promise.all(informers.map((i) => i.waitForSync(signal)))).every(Boolean),
  };
}
