// Workloads listed in the config file become CRs (labelled source: config), applied by the
// leader and pruned when removed from the file. From there they take the same path as any
// CR: same informers, same controllers, visible to `kubectl get highlander`.
import { ApiException, CustomObjectsApi, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { KINDS, WORKLOAD_KINDS } from '../../api/types.ts';
import type { WorkloadKind } from '../../api/types.ts';
import { API_VERSION, GROUP, SOURCE_LABEL, TENANT_LABEL, VERSION } from '../../api/labels.ts';
import type { HighlanderConfig, WorkloadsConfig } from '../../config/config.ts';
import type { ObjectCache } from '../../runtime/types.ts';

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
 * Applies the config's CRs and deletes the ones removed from it. Returns one problem per CR
 * the API server refused (an invalid workload never stops the others).
 */
export async function syncConfigWorkloads(
  kc: KubeConfig,
  cfg: Pick<HighlanderConfig, 'workloads' | 'namespace' | 'tenant'>,
  caches: Record<
    WorkloadKind,
    ObjectCache<{ kind?: string; metadata: { name: string; namespace: string; labels?: Record<string, string> } }>
  >,
): Promise<string[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const wanted = configWorkloadCRs(cfg);
  const problems: string[] = [];
  for (const cr of wanted) {
    try {
      await api.patch(cr, undefined, undefined, CONFIG_FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (err) {
      const msg =
        err instanceof ApiException
          ? ((err.body as { message?: string } | undefined)?.message ?? err.message)
          : String(err);
      problems.push(`${cr.kind} ${cr.metadata.namespace}/${cr.metadata.name}: ${msg}`);
    }
  }
  const existing = KINDS.flatMap((kind) => caches[kind].list().map((o) => ({ ...o, kind })));
  for (const old of prunable(existing, wanted, cfg.tenant)) {
    try {
      await custom.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: old.metadata.namespace,
        plural: WORKLOAD_KINDS[old.kind].plural,
        name: old.metadata.name,
      });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404))
        problems.push(`pruning ${old.kind} ${old.metadata.name}: ${String(err)}`);
    }
  }
  return problems;
}
