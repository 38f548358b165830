// Shared helpers for the artifact tests: every PromQL expression we ship, parsing, metric extraction,
// and the skip-locally / fail-in-CI rule for tests that need Debian's prometheus/promtool.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { parser } from '@prometheus-io/lezer-promql';
import { DASHBOARDS, type Dashboard, type Panel } from '../../src/artifacts/dashboards.js';
import { EXTERNAL_METRIC_PATTERNS, HISTOGRAM_SUFFIXES } from '../../src/artifacts/metrics.js';
import { FAMILIES } from '../../src/metrics/families.js';
import { RULE_GROUPS, isAlertingRule } from '../../src/artifacts/rules.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
export const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';

/** true when `bin` exists; otherwise skips the test locally and fails it under CI=true. */
export function requireBinary(t: TestContext, bin: string): boolean {
  if (existsSync(bin)) return true;
  const msg = `${bin} not found: install the Debian package "prometheus" (apt-get install prometheus) to run this test`;
  if (process.env.CI === 'true') assert.fail(`${msg} (required under CI=true)`);
  t.skip(msg);
  return false;
}

export interface ShippedQuery {
  /** where it comes from, for messages */
  where: string;
  kind: 'recording' | 'alert' | 'panel' | 'variable';
  /** the expression as shipped (Grafana variables still in it) */
  raw: string;
  /** with Grafana variables substituted: what Prometheus would receive */
  expr: string;
}

/** Grafana's variables as Prometheus sees them with "All" selected. */
export function substituteGrafanaVariables(expr: string, rateInterval = '5m'): string {
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?(\w+)\}?/g, '.*');
}

/** label_values(selector, label) → selector (a Grafana variable query is not PromQL itself). */
export function variableQueryExpr(query: string): string {
  const m = /^label_values\(\s*(.*?)\s*,\s*(\w+)\s*\)$/s.exec(query.trim());
  if (m) return m[1]!;
  const q = /^query_result\((.*)\)$/s.exec(query.trim());
  return q ? q[1]! : query;
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

export function dashboardQueries(d: Dashboard, rateInterval = '5m'): ShippedQuery[] {
  const out: ShippedQuery[] = [];
  for (const p of allPanels(d.panels)) {
    for (const t of p.targets ?? []) {
      out.push({
        where: `${d.uid} panel "${p.title}" ${t.refId}`,
        kind: 'panel',
        raw: t.expr,
        expr: substituteGrafanaVariables(t.expr, rateInterval),
      });
    }
  }
  for (const v of d.templating.list) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
    out.push({
      where: `${d.uid} variable $${v.name}`,
      kind: 'variable',
      raw: q,
      expr: substituteGrafanaVariables(variableQueryExpr(q), rateInterval),
    });
  }
  return out;
}

export function ruleQueries(): ShippedQuery[] {
  return RULE_GROUPS.flatMap((g) =>
    g.rules.map((r) => ({
      where: isAlertingRule(r) ? `alert ${r.alert}` : `record ${r.record}`,
      kind: isAlertingRule(r) ? ('alert' as const) : ('recording' as const),
      raw: r.expr,
      expr: r.expr,
    })),
  );
}

export function allQueries(rateInterval = '5m'): ShippedQuery[] {
  return [...ruleQueries(), ...DASHBOARDS.flatMap((d) => dashboardQueries(d, rateInterval))];
}

export const RECORDED_METRICS: string[] = RULE_GROUPS.flatMap((g) => g.rules.flatMap((r) => ('record' in r ? [r.record] : [])));

export interface ParsedQuery {
  errors: { from: number; to: number; text: string }[];
  /** metric names of every vector selector */
  metrics: string[];
  /** every vector selector: its metric name and the label names it matches on */
  selectors: { metric: string; labels: string[]; text: string }[];
}

export function parsePromQL(expr: string): ParsedQuery {
  const tree = parser.parse(expr);
  const errors: ParsedQuery['errors'] = [];
  const selectors: ParsedQuery['selectors'] = [];
  tree.iterate({
    enter(n) {
      if (n.type.isError) errors.push({ from: n.from, to: n.to, text: expr.slice(Math.max(0, n.from - 20), n.to + 20) });
      if (n.name === 'VectorSelector') {
        const node = n.node;
        const ident = node.getChild('Identifier');
        let metric = ident ? expr.slice(ident.from, ident.to) : '';
        const labels: string[] = [];
        const matchers = node.getChild('LabelMatchers');
        if (matchers) {
          for (let c = matchers.firstChild; c; c = c.nextSibling) {
            const ln = c.getChild('LabelName');
            if (!ln) continue;
            const name = expr.slice(ln.from, ln.to);
            labels.push(name);
            const sl = c.getChild('StringLiteral');
            if (name === '__name__' && sl) metric = JSON.parse(expr.slice(sl.from, sl.to)) as string;
          }
        }
        selectors.push({ metric, labels, text: expr.slice(n.from, n.to) });
      }
    },
  });
  // an empty tree (nothing parsed) is an error too
  if (expr.trim() === '') errors.push({ from: 0, to: 0, text: '(empty expression)' });
  return { errors, metrics: selectors.map((s) => s.metric), selectors };
}

/** Names of the exporter's series, from the family table (the one place metric names are declared). */
export function exporterFamilies(): { names: string[]; histograms: string[] } {
  return {
    names: FAMILIES.map((f) => f.name),
    histograms: FAMILIES.filter((f) => f.type === 'histogram').map((f) => f.name),
  };
}

export function isKnownMetric(name: string): boolean {
  const { names, histograms } = exporterFamilies();
  if (names.includes(name)) return true;
  if (histograms.some((h) => HISTOGRAM_SUFFIXES.some((s) => name === h + s))) return true;
  if (RECORDED_METRICS.includes(name)) return true;
  return EXTERNAL_METRIC_PATTERNS.some((re) => re.test(name));
}
