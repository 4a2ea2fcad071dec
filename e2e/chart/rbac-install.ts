// The chart's ServiceAccount, RBAC and config installed for one release, an operator started with
// only that account's token, and the checks the RBAC tests make of it.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import YAML from 'yaml';
import { STARTUP_MS } from '../../testkit/backends.ts';
import { loadKubeConfig, PLURAL, waitFor } from '../../testkit/kube.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { kubectl, kubectlOk, only, render } from './helm.ts';
import { GROUP, TENANT_LABEL } from '../../api/labels.ts';

export const kc = loadKubeConfig();
export const core = kc.makeApiClient(CoreV1Api);
export const apps = kc.makeApiClient(AppsV1Api);
export const batch = kc.makeApiClient(BatchV1Api);
export const custom = kc.makeApiClient(CustomObjectsApi);
export const script = { commands: ['sleep 3600'] };
// Short election timings: nothing here measures them.
export const TIMINGS = { leaseDuration: '3s', renewDeadline: '2s', retryPeriod: '500ms' };

/** The chart's ServiceAccount, RBAC and config installed for one release, and an operator running with its token. */
export interface Install {
  release: string;
  namespace: string;
  serviceAccount: string;
  tenant: string;
  operator: OperatorProcess;
  remove(): Promise<void>;
}

/**
 * Renders the chart's ServiceAccount, RBAC and ConfigMap with `values`, applies them as the
 * admin, mints a ServiceAccount token and starts an operator that has only that token.
 */
export async function install(namespace: string, tenant: string, values: Record<string, unknown>): Promise<Install> {
  const release = `hl-${randomUUID().slice(0, 6)}`;
  const { yaml, objects } = await render({
    release,
    namespace,
    values: { ...values, config: { ...(values.config as object), tenant, leaderElection: TIMINGS } },
    showOnly: ['templates/serviceaccount.yaml', 'templates/rbac.yaml', 'templates/configmap.yaml'],
  });
  const clusterScoped = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding');
  const dir = mkdtempSync(join(tmpdir(), 'highlander-rbac-'));
  const remove = async (): Promise<void> => {
    for (const o of clusterScoped)
      await kubectl(['delete', o.kind!.toLowerCase(), o.metadata!.name!, '--ignore-not-found', '--wait=false']);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await kubectlOk(['apply', '-f', '-'], yaml);
    const serviceAccount = only(objects, 'ServiceAccount').metadata!.name!;
    const minted = await core.createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const cluster = kc.getCurrentCluster()!;
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'local', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } },
        ],
        users: [{ name: serviceAccount, user: { token: minted.status?.token } }],
        contexts: [{ name: 'chart', context: { cluster: 'local', user: serviceAccount } }],
        'current-context': 'chart',
      }),
      { mode: 0o600 },
    );
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, only<V1ConfigMap>(objects, 'ConfigMap').data!['config.yaml']!);
    // The chart's config file as rendered; only what a pod gets from its surroundings differs
    // (listening on loopback, any free port, the token instead of the in-cluster account).
    const operator = new OperatorProcess(release, {
      CONFIG_PATH: configFile,
      HIGHLANDER_KUBECONFIG: kubeconfig,
      HIGHLANDER_PORT: '0',
      HIGHLANDER_HTTP_HOST: '127.0.0.1',
    });
    const stop = async (): Promise<void> => {
      await operator.kill();
      await remove();
    };
    try {
      await operator.becameLeader(STARTUP_MS);
    } catch (err) {
      await stop();
      throw err;
    }
    return { release, namespace, serviceAccount, tenant, operator, remove: stop };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** Creates a CR of our tenant. */
export async function createCR(ns: string, tenant: string, kind: string, name: string, spec: object): Promise<void> {
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: 'v1',
    namespace: ns,
    plural: PLURAL[kind]!,
    body: { apiVersion: `${GROUP}/v1`, kind, metadata: { name, labels: { [TENANT_LABEL]: tenant } }, spec },
  });
}

export interface Status {
  active?: boolean;
  leader?: string;
  observedGeneration?: number;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}
export type CR = KubernetesObject & { metadata: { generation: number; uid: string }; status?: Status };

export const getCR = async (ns: string, kind: string, name: string): Promise<CR> =>
  (await custom.getNamespacedCustomObject({
    group: GROUP,
    version: 'v1',
    namespace: ns,
    plural: PLURAL[kind]!,
    name,
  })) as CR;

/** Waits for Ready=True at the current generation, active, written by `leader`. */
export function readyCR(ns: string, kind: string, name: string, leader: string): Promise<CR> {
  return waitFor(
    async () => {
      const cr = await getCR(ns, kind, name);
      const ready = cr.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      return ready &&
        cr.status?.observedGeneration === cr.metadata.generation &&
        cr.status.active &&
        cr.status.leader?.startsWith(`${leader}_`)
        ? cr
        : undefined;
    },
    { what: `${kind} ${ns}/${name} Ready=True`, timeoutMs: 60_000 },
  );
}

/** `kubectl auth can-i` as the ServiceAccount: true for yes. */
export async function canI(inst: Install, args: string[]): Promise<boolean> {
  const r = await kubectl([
    'auth',
    'can-i',
    ...args,
    `--as=system:serviceaccount:${inst.namespace}:${inst.serviceAccount}`,
  ]);
  if (r.code > 1 || !/^(yes|no)/.test(r.stdout.trim()))
    throw new Error(`kubectl auth can-i ${args.join(' ')}: ${r.stderr}`);
  return r.code === 0;
}

/**
 * Every refusal the operator met: in its log and stderr, and in what it reports a refused
 * write with (a Warning event with reason Forbidden, a Stalled condition on the CR).
 */
export async function refusals(inst: Install, namespaces: string[]): Promise<string[]> {
  const refused = (text: string) => /forbidden|\b403\b/i.test(text);
  const found = [...inst.operator.lines.map((l) => JSON.stringify(l)), ...inst.operator.stderr].filter(refused);
  for (const namespace of namespaces) {
    for (const e of (await core.listNamespacedEvent({ namespace })).items) {
      if (e.reportingInstance?.startsWith(`${inst.release}_`) && refused(`${e.reason} ${e.message}`))
        found.push(`event: ${e.reason}: ${e.message}`);
    }
    for (const plural of Object.values(PLURAL)) {
      const list = (await custom.listNamespacedCustomObject({ group: GROUP, version: 'v1', namespace, plural })) as {
        items: CR[];
      };
      for (const cr of list.items) {
        for (const c of cr.status?.conditions ?? []) {
          if (refused(`${c.reason} ${c.message}`))
            found.push(`${cr.kind} ${cr.metadata.name}: ${c.type} ${c.reason}: ${c.message}`);
        }
      }
    }
  }
  return found;
}
