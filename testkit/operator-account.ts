// The operators' identity in tests that read the API server's audit log: a ServiceAccount token.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import { GROUP } from '../api/labels.ts';
import { loadKubeConfig, statusOf } from './kube.ts';

/** The ServiceAccount operators run as in such tests, and its user name in audit events. */
export const SA = { namespace: 'highlander-system', name: 'highlander' };
export const SA_USER = `system:serviceaccount:${SA.namespace}:${SA.name}`;

/** A kubeconfig for the operator ServiceAccount, and the token's id (to pick our requests out of the audit log). */
export interface OperatorIdentity {
  kubeconfig: string;
  credentialId: string;
  remove(): Promise<void>;
}

const ignoreConflict = (err: unknown): void => {
  if (statusOf(err) !== 409) throw err;
};

/**
 * Mints a TokenRequest token for the operator ServiceAccount (highlander-system/highlander, which
 * the local cluster's audit policy logs), bound to cluster-admin by `binding` until `remove()`,
 * and writes a kubeconfig for it: operators run with it so their requests can be told apart.
 */
export async function operatorIdentity(
  kc: KubeConfig,
  binding: string,
  /** The API server address the kubeconfig names (default: the admin kubeconfig's; a proxy's, say). */
  server?: string,
): Promise<OperatorIdentity> {
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  // Shared with other tests that run the operator as this ServiceAccount: create, never delete.
  await core.createNamespace({ body: { metadata: { name: SA.namespace } } }).catch(ignoreConflict);
  await core
    .createNamespacedServiceAccount({ namespace: SA.namespace, body: { metadata: { name: SA.name } } })
    .catch(ignoreConflict);
  await rbac
    .createClusterRoleBinding({
      body: {
        metadata: { name: binding },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: SA.name, namespace: SA.namespace }],
      },
    })
    .catch(ignoreConflict);
  const tr = await core.createNamespacedServiceAccountToken({
    name: SA.name,
    namespace: SA.namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error(`testkit: TokenRequest for ${SA_USER} returned no token`);
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti?: string };
  if (!claims.jti)
    throw new Error(
      'testkit: the ServiceAccount token has no jti claim; cannot tell our requests apart in the audit log',
    );

  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('testkit: the admin kubeconfig has no current cluster');
  const caData = cluster.caData ?? (cluster.caFile ? (await readFile(cluster.caFile)).toString('base64') : undefined);
  if (!caData) throw new Error('testkit: the admin kubeconfig has no certificate authority');
  const dir = await mkdtemp(join(tmpdir(), 'highlander-operator-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server: server ?? cluster.server, 'certificate-authority-data': caData } }],
    users: [{ name: SA.name, user: { token } }],
    contexts: [{ name: 'operator', context: { cluster: 'local', user: SA.name } }],
    'current-context': 'operator',
  };
  await writeFile(kubeconfig, YAML.stringify(doc), { mode: 0o600 });

  // The binding reaches the authorizer through its informer: wait until it lets us list CRs.
  const asOperator = loadKubeConfig(kubeconfig).makeApiClient(CustomObjectsApi);
  const deadline = performance.now() + 30_000;
  for (;;) {
    try {
      await asOperator.listClusterCustomObject({ group: GROUP, version: 'v1', plural: 'workloadprocesses', limit: 1 });
      break;
    } catch (err) {
      if (performance.now() > deadline)
        throw new Error(`testkit: ${SA_USER} still cannot list CRs after 30 s: ${String(err)}`, { cause: err });
      await sleep(250);
    }
  }
  return {
    kubeconfig,
    credentialId: `JTI=${claims.jti}`,
    async remove() {
      await rm(dir, { recursive: true, force: true });
      // cluster-admin must not outlive its user: RBAC tests use the same ServiceAccount.
      await rbac.deleteClusterRoleBinding({ name: binding }).catch((err: unknown) => {
        if (statusOf(err) !== 404) throw err;
      });
    },
  };
}
