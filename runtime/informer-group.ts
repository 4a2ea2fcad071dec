// One collection watched in several namespaces (namespaced RBAC): one informer per namespace,
// read and subscribed to as one cache. Keys are "namespace/name", so they never collide.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { InformerHandlers, ObjectCache, ObjectKey } from './types.ts';

/** What the group needs of each member (an {@link Informer}). */
export interface GroupMember<T extends KubernetesObject> extends ObjectCache<T> {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  on(handlers: InformerHandlers<T>): () => void;
}

/** Several informers of one kind, one per namespace, behaving as one. */
export class InformerGroup<T extends KubernetesObject> implements GroupMember<T> {
  readonly #members: readonly GroupMember<T>[];

  constructor(
    readonly name: string,
    members: readonly GroupMember<T>[],
  ) {
    if (members.length === 0) throw new RangeError(`informer group ${name}: needs at least one member`);
    this.#members = members;
  }

  start(): void {
    for (const m of this.#members) m.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#members.map((m) => m.stop()));
  }

  hasSynced(): boolean {
    return this.#members.every((m) => m.hasSynced());
  }

  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const all = await Promise.all(this.#members.map((m) => m.waitForSync(signal)));
    return all.every(Boolean);
  }

  get(key: ObjectKey): Readonly<T> | undefined {
    for (const m of this.#members) {
      const hit = m.get(key);
      if (hit) return hit;
    }
    return undefined;
  }

  list(): readonly Readonly<T>[] {
    return this.#members.length === 1 ? this.#members[0]!.list() : this.#members.flatMap((m) => m.list());
  }

  on(handlers: InformerHandlers<T>): () => void {
    const offs = this.#members.map((m) => m.on(handlers));
    return () => offs.forEach((off) => off());
  }
}
