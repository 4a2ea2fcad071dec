// The identity `highlander await` runs with in the routing test: the ServiceAccount and Roles of
// deploy/await/rbac.yaml and service-routing.yaml as shipped (names filled in), and a kubeconfig
// with a token of that ServiceAccount. The test so checks the manifests' RBAC, not an admin's.
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import { KubeApiError, KubeClient } from '../../runtime/kube-client.ts';
import { loadKubeConfig, repoRoot } from '../../testkit/kube.ts';
import { kubectlOk } from '../../testkit/run-command.ts';

/** The ServiceAccount the manifests name. */
const SA = 'my-server-election';

/** The manifests of deploy/await with the Lease, the Service and the namespace named. */
export function awaitManifests(ns: string, lock: string, service: string): string {
  const files = ['rbac.yaml', 'service-routing.yaml'].map((f) => readFileSync(`${repoRoot}deploy/await/${f}`, 'utf8'));
  return files
    .join('\n---\n')
    .replaceAll('my-namespace', ns)
    .replaceAll('resourceNames: [my-server]', `resourceNames: [${lock}]`)
    .replaceAll('my-service', service);
}

/**
 * Applies the manifests in `ns` and writes a kubeconfig for their ServiceAccount into `dir`;
 * resolves once its Roles are in force (the authorizer learns of bindings through an informer).
 */
export async function awaitAccount(
  kc: KubeConfig,
  ns: string,
  names: { lock: string; service: string },
  dir: string,
): Promise<string> {
  await kubectlOk(['apply', '-f', '-'], awaitManifests(ns, names.lock, names.service));
  const core = kc.makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    name: SA,
    namespace: ns,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = kc.getCurrentCluster()!;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } }],
    users: [{ name: SA, user: { token: tr.status!.token } }],
    contexts: [{ name: 'await', context: { cluster: 'local', user: SA } }],
    'current-context': 'await',
  };
  const path = `${dir}/kubeconfig-${ns}`;
  writeFileSync(path, YAML.stringify(doc), { mode: 0o600 });
  const client = new KubeClient(loadKubeConfig(path));
  try {
    const deadline = performance.now() + 30_000;
    for (;;) {
      try {
        await client.send({
          method: 'GET',
          path: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices/${names.service}`,
        });
        return path;
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 404) return path;
        if (performance.now() > deadline) throw err;
        await sleep(200);
      }
    }
  } finally {
    client.close();
  }
}
