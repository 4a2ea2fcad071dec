// Workloads listed in the config file become CRs (labelled source: config), applied by the
// leader and pruned when removed from the file. From there they take the same path as any
// CR: same informers, same controllers, visible to `kubectl get highlander`.
import { KINDS } from '../../api/types.ts';
import type { Workload, WorkloadKind } from '../../api/types.ts';
import { API_VERSION, EPOCH_LABEL, SOURCE_LABEL, TENANT_LABEL } from '../../api/labels.ts';
import type { HighlanderConfig, WorkloadsConfig } from '../../config/config.ts';
import { KubeApiError, serverMessage } from '../../runtime/kube-client.ts';
import type { ObjectCache } from '../../runtime/types.ts';
import { LeadershipLost } from '../../runtime/write-guard.ts';
import type { WriteGuard } from '../../runtime/write-guard.ts';
import { deleteChild, ensureChild } from '../shared/apply.ts';
import type { ChildWriter } from '../shared/apply.ts';

/** The field manager for CRs made from the config file. */
export const CONFIG_FIELD_MANAGER = 'highlander-config';

/** A CR made from a config-file workload. */
export interface ConfigCR {
  apiVersion: string;
  kind: WorkloadKind;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

const SECTIONS: Record<keyof WorkloadsConfig, WorkloadKind> = {
  processes: 'WorkloadProcess',
  cronJobs: 'WorkloadCronJob',
  services: 'WorkloadService',
  persistentSets: 'WorkloadPersistent',
};

/** The CRs the config file asks for (pure). */
export function configWorkloadCRs(cfg: Pick<HighlanderConfig, 'workloads' | 'namespace' | 'tenant'>): ConfigCR[] {
  const out: ConfigCR[] = [];
  for (const [section, kind] of Object.entries(SECTIONS) as [keyof WorkloadsConfig, WorkloadKind][]) {
    for (const w of cfg.workloads[section] ?? []) {
      const { name, namespace, ...spec } = w as { name: string; namespace?: string } & Record<string, unknown>;
      out.push({
        apiVersion: API_VERSION,
        kind,
        metadata: {
          name,
          namespace: namespace ?? cfg.namespace,
          labels: { [SOURCE_LABEL]: 'config', [TENANT_LABEL]: cfg.tenant },
        },
        spec,
      });
    }
  }
  return out;
}

/** The CRs to prune: made from the config for this tenant, and no longer in it (pure). */
export function prunable<
  T extends { kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } },
>(existing: readonly T[], wanted: readonly ConfigCR[], tenant: string): T[] {
  const keep = new Set(wanted.map((w) => `${w.kind}/${w.metadata.namespace}/${w.metadata.name}`));
  return existing.filter(
    (o) =>
      o.metadata?.labels?.[SOURCE_LABEL] === 'config' &&
      o.metadata.labels[TENANT_LABEL] === tenant &&
      !keep.has(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`),
  );
}

/**
 * Applies the config's CRs and deletes the ones removed from it, under the same rules as any
 * child: an absent CR is created, a drifted one applied at the version seen, an unchanged one
 * restamped with this leader's epoch, a removed one stamped and then deleted at that version.
 * Returns one problem per CR the API server refused (an invalid workload never stops the others),
 * and whether some write may succeed if tried again (a conflict with a newer version than the
 * cache held, a busy or unreachable API server).
 */
export async function syncConfigWorkloads(
  writer: ChildWriter,
  guard: WriteGuard,
  cfg: Pick<HighlanderConfig, 'workloads' | 'namespace' | 'tenant'>,
  caches: Record<WorkloadKind, ObjectCache<Workload>>,
): Promise<{ problems: string[]; retry: boolean }> {
  const wanted = configWorkloadCRs(cfg);
  const problems: string[] = [];
  let retry = false;
  const refused = (what: string, err: unknown): void => {
    if (err instanceof LeadershipLost) throw err;
    const code = err instanceof KubeApiError ? err.code : 0;
    if (code === 0 || code === 409 || code === 429 || code >= 500) {
      retry = true; // the next attempt reads the cache again
      return;
    }
    problems.push(`${what}: ${serverMessage((err as KubeApiError).body) ?? (err as Error).message}`);
  };
  for (const cr of wanted) {
    const desired = {
      ...cr,
      metadata: { ...cr.metadata, labels: { ...cr.metadata.labels, [EPOCH_LABEL]: String(guard.epoch) } },
    };
    const key = `${cr.metadata.namespace}/${cr.metadata.name}`;
    try {
      await ensureChild(writer, desired, caches[cr.kind].get(key), guard);
    } catch (err) {
      refused(`${cr.kind} ${key}`, err);
    }
  }
  const existing = KINDS.flatMap((kind) => caches[kind].list().map((o) => ({ ...o, kind })));
  for (const old of prunable(existing, wanted, cfg.tenant)) {
    try {
      await deleteChild(writer, old, guard);
    } catch (err) {
      refused(`pruning ${old.kind} ${old.metadata.name}`, err);
    }
  }
  return { problems, retry };
}
