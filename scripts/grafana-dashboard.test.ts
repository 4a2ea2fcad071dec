// The Grafana dashboard in the chart (charts/highlander/dashboards/highlander.json): valid
// Grafana JSON, and every metric its queries name is one the operator exports. The list below is
// the contract: renaming a metric, here or in the dashboard, breaks this test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

/** Counters and gauges, used by their exact names. */
const SERIES = [
  'k8_highlander_is_leader',
  'k8_highlander_leadership_transitions_total',
  'k8_highlander_leadership_acquisitions_total',
  'k8_highlander_leadership_losses_total',
  'k8_highlander_leadership_failed_attempts_total',
  'k8_highlander_last_leader_transition_timestamp_seconds',
  'k8_highlander_failover_total',
  'k8_highlander_failover_errors_total',
  'k8_highlander_db_operations_total',
  'k8_highlander_db_errors_total',
  'k8_highlander_workload_status',
  'k8_highlander_workload_healthy',
  'k8_highlander_workload_operations_total',
  'k8_highlander_workload_errors_total',
  'k8_highlander_cluster_health',
  'controller_runtime_reconcile_total',
  'controller_runtime_reconcile_errors_total',
  'controller_runtime_active_workers',
  'workqueue_depth',
  'workqueue_adds_total',
  'workqueue_retries_total',
  'process_resident_memory_bytes',
  'process_cpu_seconds_total',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_heap_size_used_bytes',
];

/** Histograms: queried through their _bucket, _sum and _count series. */
const HISTOGRAMS = [
  'k8_highlander_leadership_duration_seconds',
  'k8_highlander_failover_duration_seconds',
  'k8_highlander_db_latency_seconds',
  'controller_runtime_reconcile_time_seconds',
  'workqueue_queue_duration_seconds',
  'workqueue_work_duration_seconds',
];

const ALLOWED = new Map<string, string>([
  ...SERIES.map((m) => [m, m] as [string, string]),
  ...HISTOGRAMS.flatMap((h) => ['_bucket', '_sum', '_count'].map((s) => [`${h}${s}`, h] as [string, string])),
]);

const ROWS = ['Leadership', 'Workloads', 'Lock store', 'Reconcile', 'Process'];
const PANEL_TYPES = new Set(['row', 'stat', 'timeseries', 'table', 'state-timeline', 'gauge', 'bargauge', 'text']);
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
/** Variables the dashboard defines, and Grafana's own that queries may use. */
const VARIABLES = new Set(['datasource', 'namespace', 'job', '__rate_interval', '__range', '__interval']);

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names in a PromQL expression: identifiers left once label matchers, ranges,
 * groupings and strings are removed, that are not function calls or keywords.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const m of bare.matchAll(/(?<![\w:$.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)) {
    const name = m[1]!;
    if (!KEYWORDS.has(name.toLowerCase())) names.push(name);
  }
  return names;
}

interface Target {
  expr?: unknown;
  refId?: unknown;
  datasource?: unknown;
}
interface Panel {
  id?: unknown;
  type?: unknown;
  title?: unknown;
  gridPos?: { x?: unknown; y?: unknown; w?: unknown; h?: unknown };
  datasource?: unknown;
  targets?: Target[];
  panels?: unknown[];
}
interface Variable {
  name: string;
  type: string;
  query?: unknown;
  datasource?: unknown;
  definition?: unknown;
}
interface Dashboard {
  title?: unknown;
  uid?: unknown;
  schemaVersion?: unknown;
  panels: Panel[];
  templating: { list: Variable[] };
  annotations?: { list: { expr?: string; datasource?: unknown }[] };
  __inputs?: { name: string; type: string; pluginId: string }[];
}

const dashboard = JSON.parse(
  readFileSync(new URL('../charts/highlander/dashboards/highlander.json', import.meta.url), 'utf8'),
) as Dashboard;
const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');

/** Every PromQL expression in the dashboard, with where it is. */
function expressions(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const p of queryPanels)
    for (const t of p.targets ?? []) out.push({ where: `panel "${String(p.title)}"`, expr: String(t.expr) });
  for (const a of dashboard.annotations?.list ?? []) if (a.expr) out.push({ where: 'annotation', expr: a.expr });
  for (const v of dashboard.templating.list) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
    const m = /^label_values\((.*),\s*\w+\)$/.exec(q);
    assert.ok(m?.[1], `variable ${v.name}: label_values(metric, label) expected, got ${q}`);
    out.push({ where: `variable ${v.name}`, expr: m[1] });
  }
  return out;
}

describe('metricNames', () => {
  test('finds metrics and skips functions, labels, ranges, groupings and keywords', () => {
    assert.deepEqual(
      metricNames(
        'histogram_quantile(0.99, sum by (le, operation) (rate(a_bucket{job=~"$job", x="y{z}"}[$__rate_interval]))) / on (instance) group_left b_total > bool 0 or time() - c',
      ),
      ['a_bucket', 'b_total', 'c'],
    );
    assert.deepEqual(metricNames('max by (instance) (k8_highlander_is_leader{namespace=~"$namespace"}) == 1'), [
      'k8_highlander_is_leader',
    ]);
  });
});

describe('Grafana dashboard', () => {
  test('is a Grafana dashboard with a Prometheus datasource input', () => {
    assert.equal(typeof dashboard.title, 'string');
    assert.match(String(dashboard.uid), /^[\w-]{1,40}$/);
    assert.ok(
      typeof dashboard.schemaVersion === 'number' && dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41,
      `schemaVersion ${String(dashboard.schemaVersion)}`,
    );
    assert.ok(Array.isArray(dashboard.panels) && queryPanels.length > 0);
    assert.ok(
      dashboard.__inputs?.some(
        (i) => i.name === 'DS_PROMETHEUS' && i.type === 'datasource' && i.pluginId === 'prometheus',
      ),
    );
  });

  test('has the datasource, namespace and job variables', () => {
    const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    assert.equal(vars.get('datasource')?.type, 'datasource');
    assert.equal(vars.get('datasource')?.query, 'prometheus');
    for (const name of ['namespace', 'job']) {
      assert.equal(vars.get(name)?.type, 'query', name);
      assert.deepEqual(vars.get(name)?.datasource, DATASOURCE, name);
    }
  });

  test('panels have unique ids and non-overlapping positions on the 24-column grid', () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.ok(
      ids.every((id) => Number.isInteger(id) && (id as number) > 0),
      'integer ids',
    );
    assert.equal(new Set(ids).size, ids.length, 'unique ids');
    const boxes = dashboard.panels.map((p) => {
      const g = p.gridPos ?? {};
      const [x, y, w, h] = [g.x, g.y, g.w, g.h];
      assert.ok([x, y, w, h].every(Number.isInteger), `gridPos of "${String(p.title)}"`);
      const b = { x: x as number, y: y as number, w: w as number, h: h as number, title: String(p.title) };
      assert.ok(
        b.x >= 0 && b.y >= 0 && b.w > 0 && b.h > 0 && b.x + b.w <= 24,
        `"${b.title}" fits the grid: ${JSON.stringify(g)}`,
      );
      return b;
    });
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        assert.ok(!overlap, `"${a.title}" and "${b.title}" overlap`);
      }
    }
  });

  test('rows are Leadership, Workloads, Lock store, Reconcile, Process', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row');
    assert.deepEqual(
      rows.map((r) => r.title),
      ROWS,
    );
    assert.ok(
      rows.every((r) => Array.isArray(r.panels) && r.panels.length === 0),
      'rows are expanded (their panels follow them)',
    );
    assert.equal(dashboard.panels[0]?.type, 'row', 'the dashboard starts with a row');
  });

  test('every query panel uses the datasource variable and has targets with an expr and a unique refId', () => {
    for (const p of queryPanels) {
      const title = String(p.title);
      assert.ok(PANEL_TYPES.has(String(p.type)), `"${title}": panel type ${String(p.type)}`);
      assert.deepEqual(p.datasource, DATASOURCE, `"${title}" datasource`);
      assert.ok(p.targets && p.targets.length > 0, `"${title}" has targets`);
      const refIds = p.targets.map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `"${title}" refIds unique`);
      for (const t of p.targets) {
        assert.ok(
          typeof t.expr === 'string' && t.expr.trim() !== '',
          `"${title}" target ${String(t.refId)} has an expr`,
        );
        assert.deepEqual(t.datasource, DATASOURCE, `"${title}" target ${String(t.refId)} datasource`);
      }
    }
  });

  test('queries name only the operator’s metrics and only defined variables', () => {
    for (const { where, expr } of expressions()) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `${where}: no metric in ${expr}`);
      for (const n of names) assert.ok(ALLOWED.has(n), `${where}: unknown metric ${n} in ${expr}`);
      // ($1 in label_replace is a regex group: Grafana leaves names it does not know alone.)
      for (const m of expr.matchAll(/\$\{?([A-Za-z_]\w*)/g))
        assert.ok(VARIABLES.has(m[1]!), `${where}: undefined variable $${m[1]} in ${expr}`);
    }
  });

  test('every metric in the list appears on the dashboard', () => {
    const used = new Set(expressions().flatMap(({ expr }) => metricNames(expr).map((n) => ALLOWED.get(n))));
    const unused = [...SERIES, ...HISTOGRAMS].filter((m) => !used.has(m));
    assert.deepEqual(unused, []);
  });
});
