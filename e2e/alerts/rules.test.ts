// The alert rules (deploy/prometheus-rules.yaml, rendered from the chart) checked by promtool,
// Prometheus's own rule checker: they load, every alert fires in the synthetic cases of
// alerts.test.yaml and stays quiet in others, each has its runbook in docs/operations.md, and
// every query of the Grafana dashboard parses. Needs promtool (built into the cache once), no
// cluster.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import YAML from 'yaml';
import { dashboardQueries, recordingRuleFile, substituteVariables } from './dashboard-queries.ts';
import { alertRules, alertTestsFile, operationsDoc, promtool, promtoolPath, readYaml, rulesFile } from './promtool.ts';
import type { RuleFile } from './promtool.ts';

/** The shipped alerts: renaming or dropping one breaks this list on purpose. */
const ALERTS = [
  'HighlanderNoLeader',
  'HighlanderMultipleLeaders',
  'HighlanderLeadershipFlapping',
  'HighlanderFailoverSlow',
  'HighlanderFailoverSlowerThanLease',
  'HighlanderWorkloadErrors',
  'HighlanderLockStoreErrors',
  'HighlanderLockStoreUnreachable',
  'HighlanderWorkloadStalled',
];

interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: unknown[];
}
interface TestFile {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: AlertTest[] }[];
}

const rules = readYaml<RuleFile>(rulesFile);
const alerts = alertRules(rules);
let work: string;

before(async () => {
  await promtoolPath();
  work = mkdtempSync(join(tmpdir(), 'highlander-alerts-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** The `### Name` headings of the "## Alerts" section of docs/operations.md. */
function runbookHeadings(md: string): string[] {
  const section = /^## Alerts\n([\s\S]*?)(?=^## )/m.exec(md)?.[1] ?? '';
  return [...section.matchAll(/^### (\S+)$/gm)].map((m) => m[1]!);
}

/** The rows `| \`Name\` | severity | for | … |` of that section's table. */
function alertTable(md: string): Map<string, { severity: string; for: string }> {
  const rows = new Map<string, { severity: string; for: string }>();
  for (const m of md.matchAll(/^\| `(Highlander\w+)` \| (\w+) \| *(\w*) *\|/gm))
    rows.set(m[1]!, { severity: m[2]!, for: m[3]! });
  return rows;
}

describe('the rule file', () => {
  test('promtool check rules loads it: the nine alerts, in order', async () => {
    const r = await promtool(['check', 'rules', rulesFile]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${ALERTS.length} rules found`));
    assert.deepEqual(
      alerts.map((a) => a.alert),
      ALERTS,
    );
  });

  test('every aggregation keeps namespace and job, so releases alert apart', () => {
    for (const a of alerts) {
      const groupings = [...a.expr.matchAll(/\b(?:sum|max|min|count) by \(([^)]*)\)/g)].map((m) =>
        m[1]!.split(',').map((l) => l.trim()),
      );
      assert.ok(groupings.length > 0, `${a.alert} aggregates nothing: ${a.expr}`);
      for (const g of groupings)
        assert.ok(g.includes('namespace') && g.includes('job'), `${a.alert}: by (${g.join(', ')})`);
    }
  });

  test('every alert has a severity, summary, description and a runbook line naming its section', () => {
    const md = readFileSync(operationsDoc, 'utf8');
    const headings = runbookHeadings(md);
    const table = alertTable(md);
    for (const a of alerts) {
      assert.ok(['critical', 'warning'].includes(a.labels?.severity ?? ''), `${a.alert} severity`);
      for (const k of ['summary', 'description', 'runbook'])
        assert.ok((a.annotations?.[k] ?? '').length > 20, `${a.alert}: annotation ${k}`);
      assert.ok(a.annotations!.runbook!.startsWith(`docs/operations.md#${a.alert.toLowerCase()}: `), a.alert);
      assert.ok(headings.includes(a.alert), `docs/operations.md has no "### ${a.alert}" under Alerts`);
      assert.deepEqual(table.get(a.alert), { severity: a.labels!.severity, for: a.for ?? '' }, `table row ${a.alert}`);
    }
    assert.deepEqual(headings, ALERTS, 'one runbook per alert, in the rules’ order, and no other');
    assert.equal(table.size, ALERTS.length);
  });
});

describe('promtool test rules', () => {
  const tests = readYaml<TestFile>(alertTestsFile);

  test('alerts.test.yaml passes against the rule file', async () => {
    assert.deepEqual(
      tests.rule_files.map((f) => resolve(dirname(alertTestsFile), f)),
      [rulesFile],
    );
    const r = await promtool(['test', 'rules', alertTestsFile]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  });

  test('every alert fires in at least one case and must stay quiet in at least one', () => {
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const name of ALERTS) {
      const mine = cases.filter((c) => c.alertname === name);
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${name} never expected to fire`,
      );
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${name} never expected to stay quiet`,
      );
    }
    assert.deepEqual([...new Set(cases.map((c) => c.alertname).filter((n) => !ALERTS.includes(n)))], []);
  });

  // The same tests against a copy of the rules in which one alert can never fire: each must fail,
  // naming that alert (so no firing expectation passes by accident).
  for (const name of ALERTS) {
    test(`fail when ${name} cannot fire`, async () => {
      const dir = join(work, name);
      mkdirSync(join(dir, 'deploy'), { recursive: true });
      mkdirSync(join(dir, 'e2e', 'alerts'), { recursive: true });
      const broken = structuredClone(rules);
      const rule = alertRules(broken).find((a) => a.alert === name)!;
      rule.expr = 'vector(1) > 1';
      writeFileSync(join(dir, 'deploy', 'prometheus-rules.yaml'), YAML.stringify(broken));
      writeFileSync(join(dir, 'e2e', 'alerts', 'alerts.test.yaml'), readFileSync(alertTestsFile, 'utf8'));
      const r = await promtool(['test', 'rules', join(dir, 'e2e', 'alerts', 'alerts.test.yaml')]);
      assert.notEqual(r.code, 0, r.stdout);
      const failed = [...(r.stdout + r.stderr).matchAll(/alertname: (\w+),/g)].map((m) => m[1]);
      assert.deepEqual([...new Set(failed)], [name], r.stdout + r.stderr);
    });
  }
});

describe('the Grafana dashboard’s queries', () => {
  const queries = dashboardQueries();

  test('substituting the variables leaves label_replace’s $1 and refuses unknown ones', () => {
    assert.equal(
      substituteVariables('rate(x{job=~"$job", namespace=~"${namespace}"}[$__rate_interval])'),
      'rate(x{job=~".*", namespace=~".*"}[1m])',
    );
    assert.equal(
      substituteVariables('label_replace(x, "a", "$1", "b", "(.*)")'),
      'label_replace(x, "a", "$1", "b", "(.*)")',
    );
    assert.throws(() => substituteVariables('x{cluster="$cluster"}'), /unknown dashboard variable \$cluster/);
  });

  test('promtool parses every one (each as a recording rule of a generated rule file)', async () => {
    assert.ok(queries.length >= 30, `only ${queries.length} queries found`);
    assert.ok(queries.some((q) => q.where.startsWith('variable ')));
    const file = join(work, 'dashboard-rules.yaml');
    writeFileSync(file, recordingRuleFile(queries));
    const r = await promtool(['check', 'rules', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${queries.length} rules found`));
  });

  test('the generated check fails on a query that does not parse, naming the rule', async () => {
    const file = join(work, 'dashboard-broken.yaml');
    const broken = { where: 'broken', expr: 'sum(rate(k8_highlander_failover_total[$__rate_interval])' };
    writeFileSync(file, recordingRuleFile([...queries, broken]));
    const r = await promtool(['check', 'rules', file]);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(
      r.stdout + r.stderr,
      new RegExp(`dashboard:query_${queries.length}\\b[\\s\\S]*unclosed left parenthesis`),
    );
  });
});
