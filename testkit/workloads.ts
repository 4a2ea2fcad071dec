// Highlander CRs in e2e tests: read, create or merge, and wait until Ready, in one namespace.
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { GROUP } from '../api/labels.ts';
import { PLURAL, mergePatch, statusOf, waitFor } from './kube.ts';

/** The status fields the tests read. */
export interface WorkloadStatus {
  active?: boolean;
  healthy?: boolean;
  leader?: string;
  epoch?: number;
  phase?: string;
  message?: string;
  observedGeneration?: number;
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

/** A CR as the API server returns it. */
export type CR = KubernetesObject & {
  metadata: { name: string; namespace: string; generation: number; uid: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: WorkloadStatus;
};

/** The condition of `type` in a status. */
export const condition = (s: WorkloadStatus | undefined, type: string) => s?.conditions?.find((c) => c.type === type);

/** Ready=True for the CR's current generation. */
export const isReady = (cr: CR): boolean =>
  condition(cr.status, 'Ready')?.status === 'True' && cr.status?.observedGeneration === cr.metadata.generation;

/** CR calls in the namespace `namespace()` names (read when called, so a test may set it in `before`). */
export function workloadClient(kc: KubeConfig, namespace: () => string) {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const ref = (kind: string) => ({ group: GROUP, version: 'v1', namespace: namespace(), plural: PLURAL[kind]! });
  const get = async (kind: string, name: string): Promise<CR> =>
    (await custom.getNamespacedCustomObject({ ...ref(kind), name })) as CR;
  return {
    get,
    /** Creates the CR. */
    create: async (kind: string, name: string, spec: object, labels: Record<string, string> = {}): Promise<void> => {
      const body = { apiVersion: `${GROUP}/v1`, kind, metadata: { name, labels }, spec };
      await custom.createNamespacedCustomObject({ ...ref(kind), body });
    },
    /** Creates the CR, or merges `spec` into the existing one. */
    apply: async (kind: string, name: string, spec: object, labels: Record<string, string> = {}): Promise<void> => {
      try {
        const body = { apiVersion: `${GROUP}/v1`, kind, metadata: { name, labels }, spec };
        await custom.createNamespacedCustomObject({ ...ref(kind), body });
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
        await custom.patchNamespacedCustomObject({ ...ref(kind), name, body: { spec } }, mergePatch);
      }
    },
    /** Merges `spec` into the existing CR. */
    patchSpec: async (kind: string, name: string, spec: object): Promise<void> => {
      await custom.patchNamespacedCustomObject({ ...ref(kind), name, body: { spec } }, mergePatch);
    },
    /** Deletes the CR if it exists and waits until it is gone (its finalizer run). */
    remove: async (kind: string, name: string, timeoutMs = 30_000): Promise<void> => {
      try {
        await custom.deleteNamespacedCustomObject({ ...ref(kind), name });
      } catch (err) {
        if (statusOf(err) === 404) return;
        throw err;
      }
      await waitFor(
        async () => (await get(kind, name).catch((err: unknown) => statusOf(err) === 404)) === true || undefined,
        {
          what: `${kind} ${namespace()}/${name} gone`,
          timeoutMs,
        },
      );
    },
    /** Waits for Ready=True at the current generation (and `extra`, when given). */
    ready: (kind: string, name: string, opts: { extra?: (cr: CR) => boolean; timeoutMs?: number } = {}): Promise<CR> =>
      waitFor(
        async () => {
          const cr = await get(kind, name);
          return isReady(cr) && (!opts.extra || opts.extra(cr)) ? cr : undefined;
        },
        { what: `${kind} ${namespace()}/${name} Ready=True`, timeoutMs: opts.timeoutMs ?? 30_000 },
      ),
  };
}
