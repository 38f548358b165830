// Dashboards: fixed uids and tags, both template variables, sane layout, and the ConfigMap the
// Grafana sidecar picks up carries exactly the generated JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { DASHBOARDS, DASHBOARD_TAGS } from '../../src/artifacts/dashboards.js';
import { COMMON_LABELS, DASHBOARDS_CONFIGMAP_FILE, NAMESPACE, dashboardFile, renderDashboard } from '../../src/artifacts/render.js';
import { ROOT } from './helpers.js';

test('fixed uids, titles and tags', () => {
  assert.deepEqual(
    DASHBOARDS.map((d) => d.uid),
    ['service-proxy-overview', 'service-proxy-nodes'],
  );
  for (const d of DASHBOARDS) {
    assert.deepEqual(d.tags, DASHBOARD_TAGS);
    assert.ok(d.tags.includes('service-proxy-exporter'));
    assert.ok(d.uid.length <= 40, 'Grafana uid length limit');
  }
});

test('datasource and cluster template variables (node on the per-node view)', () => {
  for (const d of DASHBOARDS) {
    const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
    assert.equal(vars.datasource?.type, 'datasource');
    assert.equal(vars.datasource?.query, 'prometheus');
    const cluster = vars.cluster!;
    assert.equal(cluster.type, 'query');
    assert.equal(cluster.definition, 'label_values(proxy_provider, cluster)');
    assert.equal(cluster.includeAll, true);
    assert.equal(cluster.allValue, '.*', '"All" must also match series without a cluster label');
    assert.deepEqual(cluster.datasource, { type: 'prometheus', uid: '${datasource}' });
  }
  const nodes = DASHBOARDS.find((d) => d.uid === 'service-proxy-nodes')!;
  const node = nodes.templating.list.find((v) => v.name === 'node');
  assert.ok(node);
  assert.equal(node.allValue, '.*');
});

test('panels: unique ids, inside the 24-column grid, no overlaps, every query on the datasource variable', () => {
  for (const d of DASHBOARDS) {
    const ids = d.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${d.uid} panel ids unique`);
    const cells = new Set<string>();
    for (const p of d.panels) {
      const { x, y, w, h } = p.gridPos;
      assert.ok(x >= 0 && w > 0 && x + w <= 24, `${d.uid} "${p.title}" within grid`);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          const k = `${i},${j}`;
          assert.ok(!cells.has(k), `${d.uid} "${p.title}" overlaps another panel`);
          cells.add(k);
        }
      if (p.type === 'row') continue;
      assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${datasource}' });
      assert.ok((p.targets ?? []).length > 0, `${d.uid} "${p.title}" has queries`);
      for (const t of p.targets ?? []) assert.deepEqual(t.datasource, p.datasource);
    }
  }
});

test('the overview covers what the issue lists', () => {
  const overview = DASHBOARDS.find((d) => d.uid === 'service-proxy-overview')!;
  const all = overview.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
  for (const needle of [
    'proxy_provider_info', // provider, mode, version, flavor
    'proxy_provider_conflict',
    'proxy_provider_config_issue',
    'proxy_provider_agents',
    'service_lb_functional',
    'service_lb_probe_success',
    'service_lb_probe_verdict',
    'service_lb_probe_duration_seconds_bucket',
    'service_lb_probe_failures_total',
  ]) {
    assert.ok(all.includes(needle), needle);
  }
  assert.match(all, /by \(probe, path, family, reason\)/, 'failure reasons by probe, path and IP family');
  assert.match(all, /max by \(probe, family, verdict\)/, 'a verdict per probe and IP family');
});

test('the Behaviour row holds the health-check node ports and the behaviour checks', () => {
  const overview = DASHBOARDS.find((d) => d.uid === 'service-proxy-overview')!;
  const start = overview.panels.findIndex((p) => p.type === 'row' && p.title === 'Behaviour');
  assert.ok(start >= 0, 'a row named Behaviour');
  const next = overview.panels.findIndex((p, i) => i > start && p.type === 'row');
  const exprs = overview.panels
    .slice(start + 1, next < 0 ? undefined : next)
    .flatMap((p) => (p.targets ?? []).map((t) => t.expr))
    .join('\n');
  for (const needle of [
    'service_lb_health_check_consistent',
    'service_lb_health_check_mismatches_total',
    'service_lb_check_success',
    'service_lb_check_failures_total',
  ]) {
    assert.ok(exprs.includes(needle), needle);
  }
  assert.match(exprs, /min by \(check\) \(service_lb_check_success\{/, 'success by check, worst replica');
});

test('dashboard files and the ConfigMap hold the generated JSON', () => {
  for (const d of DASHBOARDS) {
    const onDisk = JSON.parse(readFileSync(resolve(ROOT, dashboardFile(d)), 'utf8'));
    assert.equal(onDisk.uid, d.uid);
  }
  const docs = parseAllDocuments(readFileSync(resolve(ROOT, DASHBOARDS_CONFIGMAP_FILE), 'utf8')).map((x) => x.toJSON());
  assert.equal(docs.length, 1);
  const cm = docs[0];
  new ConfigMap(cm).validate();
  assert.equal(cm.metadata.namespace, NAMESPACE);
  assert.equal(cm.metadata.labels.grafana_dashboard, '1');
  for (const [k, v] of Object.entries(COMMON_LABELS)) assert.equal(cm.metadata.labels[k], v);
  assert.deepEqual(Object.keys(cm.data).sort(), DASHBOARDS.map((d) => `${d.uid}.json`).sort());
  for (const d of DASHBOARDS) assert.equal(cm.data[`${d.uid}.json`], renderDashboard(d));
  // a ConfigMap may hold at most 1 MiB; stay well below (kubectl apply's annotation limit is 256 KiB)
  assert.ok(JSON.stringify(cm).length < 200_000, 'ConfigMap fits kubectl apply last-applied annotation');
});
