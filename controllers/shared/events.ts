// Kubernetes Events on a CR for its transitions (child created, repaired, stalled, leader
// changed). The same event for the same object is told once per window, not on every pass.
import type { KubeClient } from '../../runtime/kube-client.ts';
import { sendGuarded } from '../../runtime/write-guard.ts';
import type { WriteGuard } from '../../runtime/write-guard.ts';
import { API_VERSION, EPOCH_LABEL, MANAGED_BY, TENANT_LABEL, tenantOf } from '../../api/labels.ts';
import type { EventReason } from '../../api/reasons.ts';

/** The CR an event is about. */
export type EventSubject = {
  kind: string;
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string> };
};

/**
 * Records an event about a CR, written through the pass's guard like any leader write. Never
 * rejects: an event that cannot be written is reported to the recorder's error hook.
 */
export type EventRecorder = (
  cr: EventSubject,
  type: 'Normal' | 'Warning',
  reason: EventReason,
  message: string,
  guard: WriteGuard,
) => Promise<void>;

/** Remembers which (object, reason, message) was told when, for `windowMs`; bounded in size. */
export class EventDeduper {
  readonly #seen = new Map<string, number>();
  constructor(
    readonly windowMs = 10 * 60_000,
    readonly max = 10_000,
  ) {}

  /** True when this event should be emitted now (and remembers it). */
  shouldEmit(key: string, now: number): boolean {
    const last = this.#seen.get(key);
    if (last !== undefined && now - last < this.windowMs) return false;
    this.#seen.delete(key); // re-insert at the end: the map's order is the eviction order
    this.#seen.set(key, now);
    if (this.#seen.size > this.max) this.#seen.delete(this.#seen.keys().next().value!);
    return true;
  }
}

/** An EventRecorder writing core/v1 Events as `highlander` (instance: this replica). */
export function eventRecorder(client: KubeClient, instance: string, onError: (err: unknown) => void): EventRecorder {
  const dedupe = new EventDeduper();
  return async (cr, type, reason, message, guard) => {
    if (!dedupe.shouldEmit(`${cr.metadata.uid}|${reason}|${message}`, Date.now())) return;
    const now = new Date().toISOString();
    const { name, namespace, uid } = cr.metadata;
    try {
      await sendGuarded(client, guard, {
        method: 'POST',
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          // Labelled like a child: the fence refuses an event from a leader whose epoch is stale.
          metadata: {
            generateName: `${name}.`,
            namespace,
            labels: {
              [MANAGED_BY]: 'highlander',
              [TENANT_LABEL]: tenantOf(cr.metadata.labels),
              [EPOCH_LABEL]: String(guard.epoch),
            },
          },
          involvedObject: { apiVersion: API_VERSION, kind: cr.kind, name, namespace, uid },
          type,
          reason,
          message,
          source: { component: 'highlander' },
          reportingComponent: 'highlander.plexobject.io/operator',
          reportingInstance: instance,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      onError(err);
    }
  };
}
