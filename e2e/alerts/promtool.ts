// promtool (Prometheus's rule checker and tester) for the alert tests: built from Go modules into
// the cache by `e2e/cluster/build.sh promtool` the first time on a machine, then reused. Also the
// rule files the tests read, and what they hold.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { repoRoot } from '../../testkit/kube.ts';
import { runCommand } from '../../testkit/run-command.ts';
import type { Run } from '../../testkit/run-command.ts';

/** The plain rule file rendered from the chart, and the promtool unit tests of its alerts. */
export const rulesFile = `${repoRoot}deploy/prometheus-rules.yaml`;
export const alertTestsFile = `${repoRoot}e2e/alerts/alerts.test.yaml`;
export const operationsDoc = `${repoRoot}docs/operations.md`;

let promtoolBin: Promise<string> | undefined;

/** Path of the promtool binary; builds it the first time (about five minutes cold). */
export function promtoolPath(): Promise<string> {
  promtoolBin ??= runCommand('bash', [`${repoRoot}e2e/cluster/build.sh`, 'promtool']).then((r) => {
    const path = /^PROMTOOL_BIN=(.+)$/m.exec(r.stdout)?.[1];
    if (r.code !== 0 || !path) throw new Error(`building promtool failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    return path;
  });
  return promtoolBin;
}

/** Runs promtool in the repository root; never throws on exit codes. */
export async function promtool(args: string[]): Promise<Run> {
  return runCommand(await promtoolPath(), args);
}

/** One alerting rule of a rule file. */
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Prometheus rule file (or a PrometheusRule's spec). */
export interface RuleFile {
  groups: { name: string; interval?: string; rules: (AlertRule | { record: string; expr: string })[] }[];
}

/** The alerting rules of `file`, in order. */
export function alertRules(file: RuleFile): AlertRule[] {
  return file.groups.flatMap((g) => g.rules.filter((r): r is AlertRule => 'alert' in r));
}

/** Reads a YAML file. */
export function readYaml<T>(path: string): T {
  return YAML.parse(readFileSync(path, 'utf8')) as T;
}
