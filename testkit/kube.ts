// Access to the local control plane for e2e tests: clients from .cluster/kubeconfig,
// throwaway namespaces, and polling with a deadline.
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ApiException, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { WORKLOAD_KINDS } from '../api/types.ts';
import type { WorkloadKind } from '../api/types.ts';

/** The repository root, found from this file rather than the working directory. */
export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/** Path of the admin kubeconfig that `make cluster-up` writes. */
export const kubeconfigPath = `${repoRoot}.cluster/kubeconfig`;

/** Path of the kubectl built with the control plane (a symlink made by `make cluster-up`). */
export const kubectlPath = `${repoRoot}.cluster/bin/kubectl`;

/** Loads the admin kubeconfig and refuses any API server that is not on 127.0.0.1. */
export function loadKubeConfig(path: string = kubeconfigPath): KubeConfig {
  if (!existsSync(path)) {
    throw new Error(`e2e: no kubeconfig at ${path}; run \`make cluster-up\` first`);
  }
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  const server = kc.getCurrentCluster()?.server ?? '';
  if (!/^https:\/\/127\.0\.0\.1:\d+$/.test(server)) {
    throw new Error(`e2e: kubeconfig ${path} points at ${server || 'nothing'}; tests use 127.0.0.1 only`);
  }
  return kc;
}

/** kubectl's discovery cache for tests, kept inside .cluster (ports change on every cluster-up). */
export const kubeCacheDir = `${repoRoot}.cluster/kube-cache`;

/** Versions the control plane was built at (e2e/cluster/versions.env). */
export function clusterVersions(): Record<string, string> {
  const text = readFileSync(`${repoRoot}e2e/cluster/versions.env`, 'utf8');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

/** The HTTP status of a client-node API error, or undefined for any other error. */
export function statusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** Options for {@link waitFor}. */
export interface WaitOptions {
  /** What is awaited, for the timeout message. */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns a value other than undefined, and returns that value.
 * Throws after the deadline with the last error seen, so a failure says what never happened.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: last error: ${last.message}` : '';
      throw new Error(`timed out after ${opts.timeoutMs ?? 60_000} ms waiting for ${opts.what}${why}`);
    }
    await sleep(opts.intervalMs ?? 200);
  }
}

/** Waits up to `ms` for `pred` to hold; returns whether it does (for conditions a test then asserts). */
export async function eventually(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) await sleep(20);
  return pred();
}

/** A namespace made for one test file, and the way to remove it. */
export interface TestNamespace {
  name: string;
  remove(): Promise<void>;
}

/**
 * Creates a uniquely named namespace and waits for its default ServiceAccount
 * (pods are refused until the controller manager has made it).
 */
export async function createTestNamespace(kc: KubeConfig, prefix: string): Promise<TestNamespace> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4)}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'highlander.plexobject.io/e2e': 'true' } } } });
  await waitFor(() => core.readNamespacedServiceAccount({ name: 'default', namespace: name }), {
    what: `ServiceAccount ${name}/default`,
  });
  return {
    name,
    async remove() {
      try {
        await core.deleteNamespace({ name });
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    },
  };
}

/** The resource (plural) name of each workload kind, for the custom-objects API. */
export const PLURAL = Object.fromEntries(
  Object.entries(WORKLOAD_KINDS).map(([kind, info]) => [kind, info.plural]),
) as Record<WorkloadKind, string> & Readonly<Record<string, string>>;

/** Request options for a JSON merge patch (client-node needs the header's exact case). */
export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
