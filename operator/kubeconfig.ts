// Where the operator's Kubernetes credentials come from.
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A kubeconfig file when one is named (--kubeconfig, cluster.kubeconfig, HIGHLANDER_KUBECONFIG);
 * otherwise the in-cluster service account, as K8 Highlander does with an empty kubeconfig.
 */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromCluster();
  return kc;
}
