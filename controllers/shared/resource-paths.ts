// Where the objects Highlander writes live in the API: the collection and object paths of each
// kind it creates (its children, Events, Leases) and of its own custom resources.
import type { KubernetesObject } from '@kubernetes/client-node';
import { WORKLOAD_KINDS, isWorkloadKind } from '../../api/types.ts';

/** Plural resource names of the built-in kinds Highlander writes, by apiVersion/kind. */
const BUILT_IN: Readonly<Record<string, string>> = {
  'v1/Pod': 'pods',
  'v1/Service': 'services',
  'v1/Event': 'events',
  'apps/v1/Deployment': 'deployments',
  'apps/v1/StatefulSet': 'statefulsets',
  'batch/v1/CronJob': 'cronjobs',
  'coordination.k8s.io/v1/Lease': 'leases',
};

/** The collection path of `obj`'s kind in its namespace, e.g. /apis/apps/v1/namespaces/ns/deployments. */
export function collectionPath(obj: Pick<KubernetesObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const apiVersion = obj.apiVersion ?? '';
  const kind = obj.kind ?? '';
  const plural = isWorkloadKind(kind) ? WORKLOAD_KINDS[kind].plural : BUILT_IN[`${apiVersion}/${kind}`];
  const ns = obj.metadata?.namespace;
  if (!plural || !ns) throw new Error(`no API path for ${apiVersion} ${kind} ${ns ?? '(no namespace)'}`);
  const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${prefix}/namespaces/${encodeURIComponent(ns)}/${plural}`;
}

/** The path of `obj` itself. */
export function objectPath(obj: Pick<KubernetesObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`no API path for an unnamed ${obj.kind ?? 'object'}`);
  return `${collectionPath(obj)}/${encodeURIComponent(name)}`;
}
