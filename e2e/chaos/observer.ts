// What the chaos suite watches the whole time, from outside the operators: every pod of the run's
// namespace (how long two pods of one singleton could run at once), and every CR (is it Ready).
// A pod counts as running from the moment it is bound to a node until its phase is final or its
// object is gone: a terminating pod, or one on a node that stopped answering, may still run.
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { GROUP, WORKLOAD_LABEL } from '../../api/labels.ts';
import { WORKLOAD_KINDS } from '../../api/types.ts';
import { watchCollection } from '../../testkit/resumable-watch.ts';
import type { Watching } from '../../testkit/resumable-watch.ts';
import type { CR } from '../../testkit/workloads.ts';
import { isReady } from '../../testkit/workloads.ts';

/** A moment two pods of one singleton could run at once. */
export interface Overlap {
  workload: string;
  pods: string[];
  from: number;
  to?: number;
}

/** The observer of one namespace. */
export class Observer {
  readonly pods = new Map<string, V1Pod>();
  readonly crs = new Map<string, CR>();
  readonly overlaps: Overlap[] = [];
  readonly #open = new Map<string, Overlap>();
  readonly #watches: Watching[];

  constructor(kc: KubeConfig, namespace: string) {
    const podWatch = watchCollection(kc, `/api/v1/namespaces/${namespace}/pods`, (type, obj) => {
      const p = obj as V1Pod;
      if (type === 'DELETED') this.pods.delete(p.metadata!.name!);
      else this.pods.set(p.metadata!.name!, p);
      this.#check(singletonOf(p));
    });
    const crWatches = Object.values(WORKLOAD_KINDS).map((k) =>
      watchCollection(kc, `/apis/${GROUP}/v1/namespaces/${namespace}/${k.plural}`, (type, obj) => {
        const cr = obj as CR;
        const key = `${k.kind}/${cr.metadata.name}`;
        if (type === 'DELETED') this.crs.delete(key);
        else this.crs.set(key, cr);
      }),
    );
    this.#watches = [podWatch, ...crWatches];
  }

  /** Resolves once every watch has been answered. */
  opened(): Promise<void> {
    return Promise.all(this.#watches.map((w) => w.opened)).then(() => undefined);
  }

  /** Total time two pods of one singleton could run at once, in ms (open overlaps count to now). */
  doubleRunningMs(now = Date.now()): number {
    return this.overlaps.reduce((ms, o) => ms + ((o.to ?? now) - o.from), 0);
  }

  /** Of `singletons`, those that have not exactly one pod Running and released. */
  notRunningOnce(singletons: readonly string[]): string[] {
    return singletons.filter((s) => {
      const pods = [...this.pods.values()].filter((p) => singletonOf(p) === s && runs(p));
      return pods.length !== 1 || pods[0]!.status?.phase !== 'Running';
    });
  }

  /** The CRs not Ready for their generation. */
  notReady(): string[] {
    return [...this.crs.entries()].filter(([, cr]) => !isReady(cr)).map(([key]) => key);
  }

  stop(): void {
    for (const w of this.#watches) w.stop();
  }

  /** Opens or closes the overlap of one singleton after a change of its pods. */
  #check(singleton: string | undefined): void {
    if (!singleton) return;
    const running = [...this.pods.values()].filter((p) => singletonOf(p) === singleton && runs(p));
    const open = this.#open.get(singleton);
    if (running.length > 1 && !open) {
      const o = { workload: singleton, pods: running.map((p) => p.metadata!.name!), from: Date.now() };
      this.overlaps.push(o);
      this.#open.set(singleton, o);
    } else if (running.length <= 1 && open) {
      open.to = Date.now();
      this.#open.delete(singleton);
    }
  }
}

// The observer judges pods by what Kubernetes says, not by the operator's own helpers, so it can
// judge an operator without the singleton gate too: a pod held by a scheduling gate is never
// bound to a node.
/** A pod that runs or could at any moment: bound to a node, not in a final phase. */
const runs = (p: V1Pod): boolean =>
  (p.status?.phase === 'Running' || p.status?.phase === 'Pending') && !!p.spec?.nodeName;

/**
 * Which singleton a pod is one of: its workload, and for a StatefulSet's pods its ordinal (each
 * replica of a StatefulSet is a singleton of its own).
 */
function singletonOf(p: V1Pod): string | undefined {
  const workload = p.metadata?.labels?.[WORKLOAD_LABEL];
  if (!workload) return undefined;
  const ordinal = p.metadata?.labels?.['apps.kubernetes.io/pod-index'];
  return ordinal === undefined ? workload : `${workload}#${ordinal}`;
}
