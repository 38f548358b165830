// Every PromQL expression we ship (rules, panel targets, variable queries) parses, and names only
// metrics the exporter exports, documented external ones, or our own recording rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXPORTER_METRICS } from '../../src/artifacts/metrics.js';
import { DASHBOARDS } from '../../src/artifacts/dashboards.js';
import { allQueries, dashboardQueries, exporterFamilies, isKnownMetric, parsePromQL, RECORDED_METRICS } from './helpers.js';

const queries = allQueries();

test('there is something to check', () => {
  assert.ok(queries.filter((q) => q.kind === 'alert').length >= 8);
  assert.ok(queries.filter((q) => q.kind === 'recording').length >= 2);
  assert.ok(queries.filter((q) => q.kind === 'panel').length >= 20);
  assert.ok(queries.filter((q) => q.kind === 'variable').length >= 3);
});

test('every shipped PromQL expression parses with @prometheus-io/lezer-promql', () => {
  const bad = queries
    .map((q) => ({ q, parsed: parsePromQL(q.expr) }))
    .filter(({ parsed }) => parsed.errors.length > 0)
    .map(({ q, parsed }) => `${q.where}: ${q.expr}\n    error near: ${parsed.errors.map((e) => e.text).join(' | ')}`);
  assert.deepEqual(bad, []);
});

test('the parser check really catches errors', () => {
  assert.ok(parsePromQL('sum(rate(x[5m]) by (a)').errors.length > 0);
  assert.ok(parsePromQL('x[$__rate_interval]').errors.length > 0, 'unsubstituted Grafana variables must not parse');
  assert.ok(parsePromQL('').errors.length > 0);
  assert.deepEqual(parsePromQL('sum by (a) (rate(foo_total{x="1"}[5m]))').metrics, ['foo_total']);
  assert.deepEqual(parsePromQL('{__name__="bar", y="2"}').metrics, ['bar']);
});

test('every metric named is exported, external (up, kube_*, kubeproxy_*, cilium_*) or recorded', () => {
  const unknown: string[] = [];
  for (const q of queries) {
    for (const m of parsePromQL(q.expr).metrics) {
      if (m === '') unknown.push(`${q.where}: selector without a metric name`);
      else if (!isKnownMetric(m)) unknown.push(`${q.where}: ${m}`);
    }
  }
  assert.deepEqual(unknown, []);
});

test('recording rule names follow level:metric:operations', () => {
  for (const r of RECORDED_METRICS) assert.match(r, /^[a-z_]+:[a-z_]+:[a-z0-9_]+$/, r);
});

test('the artifact metric list matches the exporter family table', () => {
  assert.deepEqual([...EXPORTER_METRICS].sort(), [...exporterFamilies().names].sort());
});

test('every dashboard selector is scoped by cluster=~"$cluster" (and per-node ones by node)', () => {
  for (const d of DASHBOARDS) {
    const hasNode = d.templating.list.some((v) => v.name === 'node');
    for (const q of dashboardQueries(d)) {
      for (const s of parsePromQL(q.raw).selectors) {
        assert.ok(s.labels.includes('cluster'), `${q.where}: ${s.text} lacks a cluster matcher`);
        if (hasNode && q.kind === 'panel') assert.ok(s.labels.includes('node'), `${q.where}: ${s.text} lacks a node matcher`);
      }
      assert.doesNotMatch(q.raw, /cluster="\$cluster"/, `${q.where}: use =~ so "All" (.*) matches an absent label`);
    }
  }
});
