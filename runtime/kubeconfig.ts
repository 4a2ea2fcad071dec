// Where the operator's Kubernetes credentials come from, and one connection pool for them.
import { Agent } from 'node:https';
import type { AgentOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A kubeconfig file when one is named (--kubeconfig, cluster.kubeconfig, HIGHLANDER_KUBECONFIG);
 * otherwise the in-cluster service account, as K8 Highlander does with an empty kubeconfig.
 */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromCluster();
  return shareConnections(kc);
}

/**
 * client-node 1.4 builds a new https.Agent for every request: a TLS handshake and a socket
 * each time, which is slow and piles up memory under load. Here every request made with the
 * same TLS settings shares one keep-alive agent (proxied clusters keep client-node's own).
 */
export function shareConnections(kc: KubeConfig): KubeConfig {
  const inner = kc as unknown as { createAgent(cluster: { proxyUrl?: string } | null, opts: AgentOptions): unknown };
  const original = inner.createAgent.bind(kc);
  const agents = new Map<string, Agent>();
  inner.createAgent = (cluster, opts) => {
    if (cluster?.proxyUrl) return original(cluster, opts);
    const key = JSON.stringify([opts.ca, opts.cert, opts.key, opts.pfx, opts.rejectUnauthorized, opts.servername]);
    let agent = agents.get(key);
    if (!agent) {
      // Credentials that rotate (exec plugins) make new keys: keep the pool small.
      if (agents.size >= 8) agents.clear();
      agent = new Agent({ ...opts, keepAlive: true, maxFreeSockets: 32 });
      agents.set(key, agent);
    }
    return agent;
  };
  return kc;
}
