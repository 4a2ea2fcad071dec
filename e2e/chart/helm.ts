// Helm and kubectl for the chart's tests: Helm built from Go modules into the cache
// (e2e/cluster/build.sh helm), the chart rendered with given values, and what it renders parsed.
import type { KubernetesObject } from '@kubernetes/client-node';
import YAML from 'yaml';
import { repoRoot } from '../../testkit/kube.ts';
import { kubectl, kubectlOk, runCommand } from '../../testkit/run-command.ts';
import type { Run } from '../../testkit/run-command.ts';

export { kubectl, kubectlOk, runCommand };
export type { Run };

/** The chart under test. */
export const chartDir = `${repoRoot}charts/highlander`;

let helmBin: Promise<string> | undefined;

/** Path of the helm binary; builds it into the cache the first time on a machine. */
export function helmPath(): Promise<string> {
  helmBin ??= runCommand('bash', [`${repoRoot}e2e/cluster/build.sh`, 'helm']).then((r) => {
    const path = /^HELM_BIN=(.+)$/m.exec(r.stdout)?.[1];
    if (r.code !== 0 || !path) throw new Error(`building helm failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    return path;
  });
  return helmBin;
}

/** Runs helm with `values` (YAML on stdin, `-f -`); never throws on exit codes. */
export async function helm(args: string[], values?: object): Promise<Run> {
  const withValues = values ? [...args, '-f', '-'] : args;
  return runCommand(await helmPath(), withValues, values ? YAML.stringify(values) : '');
}

/** Options of {@link render}. */
export interface RenderOptions {
  namespace: string;
  release?: string;
  values?: object;
  /** Template paths for --show-only, e.g. templates/rbac.yaml. */
  showOnly?: string[];
  includeCrds?: boolean;
}

/** `helm template` output: the YAML text and its objects. Throws with helm's message on failure. */
export async function render(o: RenderOptions): Promise<{ yaml: string; objects: KubernetesObject[] }> {
  const args = [
    'template',
    o.release ?? 'highlander',
    chartDir,
    '--namespace',
    o.namespace,
    '--kube-version',
    '1.34.0',
  ];
  if (o.includeCrds) args.push('--include-crds');
  for (const t of o.showOnly ?? []) args.push('--show-only', t);
  const r = await helm(args, o.values);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  const objects = YAML.parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
  return { yaml: r.stdout, objects };
}

/** The one rendered object of `kind` (named `name` when given); throws when there is not exactly one. */
export function only<T = KubernetesObject>(objects: KubernetesObject[], kind: string, name?: string): T {
  const hits = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (hits.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, rendered ${hits.length}`);
  return hits[0] as T;
}
