// What the chart's tests share: the values of each lock store, a server-side dry run, and the
// operator's config and RBAC rules read from rendered objects.
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1PolicyRule, V1Role } from '@kubernetes/client-node';
import YAML from 'yaml';
import { parseConfig } from '../../config/config.ts';
import { kubectl, only } from './helm.ts';

// The lock stores with the values each needs (credentials from Secrets that need not exist
// for a dry run: secretKeyRef is resolved when a pod starts).
export const STORES: Record<string, object> = {
  kubernetes: {},
  redis: {
    lockStore: { type: 'redis', redis: { addr: 'redis.example.internal:6379', db: 2, existingSecret: 'redis-auth' } },
  },
  db: { lockStore: { type: 'db', db: { existingSecret: 'postgres-url', urlKey: 'url' } } },
  spanner: {
    lockStore: {
      type: 'spanner',
      spanner: { projectID: 'proj', instanceID: 'inst', databaseID: 'locks', existingSecret: 'gcp-key' },
    },
  },
};
// Values of the environment variables that come from Secrets, for checking a config offline.
export const SECRET_ENV: Record<string, string> = {
  HIGHLANDER_REDIS_PASSWORD: 'secret',
  HIGHLANDER_DATABASE_URL: 'postgres://highlander:secret@postgres.example.internal:5432/locks',
  HIGHLANDER_HANDOVER_TOKEN: 'a-token-of-sixteen-characters',
};

/** Values for both RBAC modes; the namespaced one watches the two given namespaces. */
export const scopes = (watchA: string, watchB: string): Record<string, object> => ({
  cluster: {},
  namespaced: { rbac: { scope: 'namespaced' }, watchNamespaces: [watchA, watchB] },
});

/** Server-side dry run of YAML documents; returns kubectl's result. */
export const dryRun = (yaml: string) =>
  kubectl(
    [
      'apply',
      '--server-side',
      '--dry-run=server',
      '--field-manager=highlander-chart-check',
      '--force-conflicts',
      '-f',
      '-',
    ],
    yaml,
  );

/** The operator's config from the rendered ConfigMap and Deployment, parsed as the operator would. */
export function operatorConfig(objects: KubernetesObject[]) {
  const cm = only<V1ConfigMap>(objects, 'ConfigMap');
  const container = only<V1Deployment>(objects, 'Deployment').spec!.template.spec!.containers[0]!;
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = SECRET_ENV[e.name] ?? 'from-a-secret';
    else if (e.valueFrom?.fieldRef) env[e.name] = 'highlander-7d9c-x2z4q';
  }
  const raw = YAML.parse(cm.data!['config.yaml']!) as unknown;
  return parseConfig(raw, env, 'rendered ConfigMap', { id: 'pod' });
}

/** Every rule of every Role and ClusterRole, with where it is. */
export function rulesOf(objects: KubernetesObject[]): { where: string; rule: V1PolicyRule }[] {
  return objects
    .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
    .flatMap((o) =>
      ((o as V1Role).rules ?? []).map((rule) => ({
        where: `${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`,
        rule,
      })),
    );
}
