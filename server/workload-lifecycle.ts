// How long workloads take to start and to stop, for K8 Highlander's start-up and shut-down
// histograms. K8 Highlander timed its own API calls (create the pod; delete it and poll until it
// was gone). Highlander reconciles from watches, so it times what a user waits for instead:
//   start-up:  from the leader creating a workload's first child to its Ready condition turning true;
//   shut-down: from the CR's deletion to the last child labelled with it leaving the caches.
// Only the leader times (it made the children); when leadership ends the open timers are dropped.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { GateObserver } from '../election/leader-gate.ts';
import { WORKLOAD_LABEL } from '../api/labels.ts';
import { WORKLOAD_KINDS, isWorkloadKind } from '../api/types.ts';

/** The parts of a CR the timers read. */
export interface LifecycleSubject {
  kind?: string;
  metadata: { name: string; namespace: string };
  status?: unknown;
}

/** Where the durations go (the histograms), labelled as K8 Highlander's: type and name. */
export interface LifecycleSink {
  startup(labels: { type: string; name: string }, seconds: number): void;
  shutdown(labels: { type: string; name: string }, seconds: number): void;
}

/** Settings of a {@link WorkloadLifecycle}. */
export interface LifecycleOptions {
  sink: LifecycleSink;
  /** How many children labelled with workload `name` in `namespace` the caches still hold. */
  remaining: (namespace: string, name: string) => number;
  /** A monotonic clock in ms. */
  now?: () => number;
}

interface Timer {
  type: string;
  namespace: string;
  name: string;
  since: number;
}

/** Times start-ups and shut-downs from the leader's events and the caches' changes. */
export class WorkloadLifecycle {
  readonly #o: LifecycleOptions;
  readonly #now: () => number;
  readonly #starting = new Map<string, Timer>();
  readonly #stopping = new Map<string, Timer>();
  #leading = false;

  constructor(o: LifecycleOptions) {
    this.#o = o;
    this.#now = o.now ?? (() => performance.now());
  }

  /** Gate hooks: timing runs while this replica leads; the open timers are dropped when it stops. */
  observer(): GateObserver {
    return {
      acquired: () => (this.#leading = true),
      stopped: () => {
        this.#leading = false;
        this.#starting.clear();
        this.#stopping.clear();
      },
    };
  }

  /** The leader created a child of `cr`: a start-up begins unless one runs or it is already Ready. */
  created(cr: Readonly<LifecycleSubject>): void {
    const t = this.#timer(cr);
    if (!t || !this.#leading || this.#starting.has(keyOf(t)) || isReady(cr)) return;
    this.#starting.set(keyOf(t), t);
  }

  /** A CR changed in the cache: a running start-up ends when it is Ready. */
  updated(cr: Readonly<LifecycleSubject>): void {
    const t = this.#timer(cr);
    const open = t && this.#starting.get(keyOf(t));
    if (!open || !isReady(cr)) return;
    this.#starting.delete(keyOf(open));
    this.#o.sink.startup({ type: open.type, name: open.name }, this.#secondsSince(open));
  }

  /** A CR left the cache: its shut-down runs until its last child is gone. */
  deleted(cr: Readonly<LifecycleSubject>): void {
    const t = this.#timer(cr);
    if (!t) return;
    this.#starting.delete(keyOf(t));
    if (!this.#leading) return;
    this.#stopping.set(keyOf(t), t);
    this.#checkGone(t.namespace, t.name);
  }

  /** A child left the cache: the shut-down of its workload may be over. */
  childGone(obj: Readonly<KubernetesObject>): void {
    const name = obj.metadata?.labels?.[WORKLOAD_LABEL];
    const namespace = obj.metadata?.namespace;
    if (name && namespace) this.#checkGone(namespace, name);
  }

  #checkGone(namespace: string, name: string): void {
    if (this.#o.remaining(namespace, name) > 0) return;
    for (const [key, t] of this.#stopping) {
      if (t.namespace !== namespace || t.name !== name) continue;
      this.#stopping.delete(key);
      this.#o.sink.shutdown({ type: t.type, name: t.name }, this.#secondsSince(t));
    }
  }

  #timer(cr: Readonly<LifecycleSubject>): Timer | undefined {
    if (!isWorkloadKind(cr.kind)) return undefined;
    const { namespace, name } = cr.metadata;
    return { type: WORKLOAD_KINDS[cr.kind].type, namespace, name, since: this.#now() };
  }

  #secondsSince(t: Timer): number {
    return Math.max(0, this.#now() - t.since) / 1000;
  }
}

const keyOf = (t: Timer): string => `${t.type}/${t.namespace}/${t.name}`;
const isReady = (cr: Readonly<LifecycleSubject>): boolean =>
  (cr.status as { healthy?: unknown } | undefined)?.healthy === true;
