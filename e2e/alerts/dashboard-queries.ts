// The PromQL of the chart's Grafana dashboard, made parseable by promtool: promtool has no command
// that parses a bare query, so each query becomes the expression of a recording rule in a
// generated rule file, which `promtool check rules` parses with Prometheus's own parser.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { repoRoot } from '../../testkit/kube.ts';
import type { RuleFile } from './promtool.ts';

export const dashboardFile = `${repoRoot}charts/highlander/dashboards/highlander.json`;

/** A query of the dashboard and where it is. */
export interface DashboardQuery {
  where: string;
  expr: string;
}

interface Dashboard {
  panels: { id: number; title?: string; targets?: { refId?: string; expr?: string }[] }[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
  annotations?: { list: { name?: string; expr?: string }[] };
}

/**
 * Every PromQL expression of the dashboard: panel targets, annotation queries, and the metric
 * selector inside each query variable's label_values(selector, label).
 */
export function dashboardQueries(path = dashboardFile): DashboardQuery[] {
  const d = JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
  const out: DashboardQuery[] = [];
  for (const p of d.panels)
    for (const t of p.targets ?? [])
      if (t.expr !== undefined) out.push({ where: `panel ${p.id} "${p.title ?? ''}" ${t.refId ?? ''}`, expr: t.expr });
  for (const a of d.annotations?.list ?? [])
    if (a.expr !== undefined) out.push({ where: `annotation "${a.name ?? ''}"`, expr: a.expr });
  for (const v of d.templating.list) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    const inner = /^label_values\((.*),\s*\w+\)$/.exec(q)?.[1];
    if (inner === undefined) throw new Error(`variable ${v.name}: expected label_values(selector, label), got ${q}`);
    out.push({ where: `variable ${v.name}`, expr: inner });
  }
  return out;
}

/**
 * Values Grafana would put in for its variables: the dashboard's multi-value variables are used
 * with =~ and take ".*" for All; the interval variables become Prometheus durations.
 */
const VARIABLE_VALUES: Record<string, string> = {
  namespace: '.*',
  job: '.*',
  __rate_interval: '1m',
  __interval: '30s',
  __range: '1h',
};

/**
 * `expr` with Grafana's variables ($name, ${name}) replaced. Throws on a variable it does not
 * know, except label_replace's "$1" group references, which are Prometheus's own.
 */
export function substituteVariables(expr: string): string {
  return expr.replace(/\$\{(\w+)\}|\$([A-Za-z_]\w*)/g, (whole: string, braced?: string, bare?: string) => {
    const value = VARIABLE_VALUES[braced ?? bare ?? ''];
    if (value === undefined) throw new Error(`unknown dashboard variable ${whole} in ${expr}`);
    return value;
  });
}

/** A rule file with one recording rule per query, named after its position. */
export function recordingRuleFile(queries: DashboardQuery[]): string {
  const file: RuleFile = {
    groups: [
      {
        name: 'dashboard-queries',
        rules: queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: substituteVariables(q.expr) })),
      },
    ],
  };
  return YAML.stringify(file, { lineWidth: 0 });
}
