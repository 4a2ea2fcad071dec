// The chart's PrometheusRule (helm template, no cluster: the Prometheus Operator's CRD is not
// installed here): off by default; when enabled, its spec is exactly the rule file in deploy/;
// its values move what they should and nothing else, and what they render still passes promtool.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import YAML from 'yaml';
import { helm, chartDir, only, render } from '../chart/helm.ts';
import { alertRules, promtool, promtoolPath, readYaml, rulesFile } from './promtool.ts';
import type { AlertRule, RuleFile } from './promtool.ts';

const NAMESPACE = 'hl-alerts';

type PrometheusRule = KubernetesObject & { spec: RuleFile };

/** The chart's PrometheusRule rendered with `prometheusRule` values (enabled unless said). */
async function renderRule(values: Record<string, unknown> = {}): Promise<PrometheusRule> {
  const { objects } = await render({
    namespace: NAMESPACE,
    values: { prometheusRule: { enabled: true, ...values } },
    showOnly: ['templates/prometheusrule.yaml'],
  });
  return only<PrometheusRule>(objects, 'PrometheusRule');
}

const byName = (rules: AlertRule[]): Map<string, AlertRule> => new Map(rules.map((r) => [r.alert, r]));

let work: string;
before(async () => {
  await promtoolPath();
  work = mkdtempSync(join(tmpdir(), 'highlander-chart-rules-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('the PrometheusRule', () => {
  test('is not rendered with the default values', async () => {
    const { objects } = await render({ namespace: NAMESPACE });
    assert.ok(objects.length > 5, 'the chart rendered');
    assert.deepEqual(
      objects.filter((o) => o.kind === 'PrometheusRule'),
      [],
    );
  });

  test('enabled: a monitoring.coreos.com/v1 PrometheusRule whose spec is deploy/prometheus-rules.yaml', async () => {
    const rule = await renderRule();
    assert.equal(rule.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(rule.metadata?.name, 'highlander');
    assert.equal(rule.metadata?.namespace, NAMESPACE);
    assert.equal(rule.metadata?.labels?.['app.kubernetes.io/instance'], 'highlander');
    assert.deepEqual(rule.spec, readYaml<RuleFile>(rulesFile));
  });

  test('namespace and labels: where it goes and what a Prometheus rule selector can match', async () => {
    const rule = await renderRule({ namespace: 'monitoring', labels: { release: 'kube-prometheus-stack' } });
    assert.equal(rule.metadata?.namespace, 'monitoring');
    assert.equal(rule.metadata?.labels?.release, 'kube-prometheus-stack');
    assert.equal(rule.metadata?.labels?.['app.kubernetes.io/part-of'], 'highlander');
  });

  test('failoverThresholdSeconds changes HighlanderFailoverSlowerThanLease only; the result passes promtool', async () => {
    const base = byName(alertRules(readYaml<RuleFile>(rulesFile)));
    const rule = await renderRule({ failoverThresholdSeconds: 60 });
    const changed = byName(alertRules(rule.spec));
    assert.deepEqual([...changed.keys()], [...base.keys()]);
    for (const [name, r] of changed) {
      if (name === 'HighlanderFailoverSlowerThanLease') continue;
      assert.deepEqual(r, base.get(name), name);
    }
    const slow = changed.get('HighlanderFailoverSlowerThanLease')!;
    assert.ok(slow.expr.includes('{le=~"60(\\\\.0)?"}'), slow.expr);
    assert.ok(base.get('HighlanderFailoverSlowerThanLease')!.expr.includes('{le=~"20(\\\\.0)?"}'));
    assert.match(slow.annotations!.summary!, /longer than 60 s/);
    const file = join(work, 'threshold-60.yaml');
    writeFileSync(file, YAML.stringify(rule.spec));
    const r = await promtool(['check', 'rules', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  test('failoverThresholdSeconds must be a bucket bound of the failover histogram', async () => {
    const r = await helm(['template', 'highlander', chartDir, '--namespace', NAMESPACE], {
      prometheusRule: { enabled: true, failoverThresholdSeconds: 17 },
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /failoverThresholdSeconds/);
    // --set turns 2.5 into a string; the schema takes the bound either way.
    const set = await helm([
      'template',
      'highlander',
      chartDir,
      '--namespace',
      NAMESPACE,
      '--set',
      'prometheusRule.enabled=true',
      '--set',
      'prometheusRule.failoverThresholdSeconds=2.5',
      '--show-only',
      'templates/prometheusrule.yaml',
    ]);
    assert.equal(set.code, 0, set.stderr);
    assert.ok(set.stdout.includes('{le=~"2.5(\\\\.0)?"}'), set.stdout);
  });

  test('runbookBaseURL adds a runbook_url to every alert, at its section', async () => {
    const base = 'https://example.com/highlander/docs/operations.md';
    const rules = alertRules((await renderRule({ runbookBaseURL: base })).spec);
    assert.equal(rules.length, 9);
    for (const r of rules) assert.equal(r.annotations?.runbook_url, `${base}#${r.alert.toLowerCase()}`, r.alert);
    const plain = alertRules(readYaml<RuleFile>(rulesFile));
    assert.ok(plain.every((r) => r.annotations?.runbook_url === undefined));
  });

  test('unknown keys under prometheusRule are refused', async () => {
    const r = await helm(['template', 'highlander', chartDir], { prometheusRule: { enabled: true, severity: 'x' } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /prometheusRule.*severity|severity.*not allowed/);
  });
});
