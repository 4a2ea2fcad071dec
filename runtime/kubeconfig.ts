// Where the operator's Kubernetes credentials come from.
import type { KubeAccess } from './kube-access.ts';
import { StaticAccess, inClusterAccess } from './kube-access.ts';
import { readKubeconfig } from './kubeconfig-file.ts';

/**
 * A kubeconfig file when one is named (--kubeconfig, cluster.kubeconfig, HIGHLANDER_KUBECONFIG);
 * otherwise the in-cluster service account, as K8 Highlander does with an empty kubeconfig.
 * A kubeconfig whose user runs a program for its credentials (exec, auth-provider) or whose
 * cluster is reached through a proxy is read by client-node, loaded only then.
 */
export async function loadKubeConfig(path: string | undefined): Promise<KubeAccess> {
  if (!path) return inClusterAccess();
  const read = readKubeconfig(path);
  if ('settings' in read) return new StaticAccess(read.settings);
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}
