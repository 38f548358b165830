// What /metrics shows for each state of the exporter, straight from the family table.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../../src/metrics/registry.js';
import type { ExporterState } from '../../src/metrics/families.js';
import { noIssues } from '../../src/detect/types.js';
import { VERDICTS } from '../../src/probe/differential.js';

const build = { version: '1.2.3', revision: 'abc', nodejsVersion: 'v20.0.0' };

function state(over: Partial<ExporterState> = {}): ExporterState {
  return { verdict: undefined, sources: {}, probes: undefined, build, ...over };
}

describe('metrics registry', () => {
  it('reports unknown, not none, before the first verdict, and no service_lb_functional before the first round', async () => {
    const { registry } = createMetrics(() => state(), { defaultMetrics: false });
    const text = await registry.metrics();
    assert.match(text, /^proxy_provider\{type="unknown"\} 1$/m);
    assert.match(text, /^proxy_provider\{type="none"\} 0$/m);
    assert.doesNotMatch(text, /^service_lb_functional /m, 'absent, not 0: an alert on == 0 must not fire at start-up');
  });

  it('exports the probe crash counter at 0 from the start, and counts each crash', async () => {
    const { registry, probes } = createMetrics(() => state(), { defaultMetrics: false });
    assert.match(await registry.metrics(), /^service_proxy_exporter_probe_crashes_total 0$/m);
    probes.crashed();
    assert.match(await registry.metrics(), /^service_proxy_exporter_probe_crashes_total 1$/m);
  });

  it('exports the last round, and counts failures per reason with every reason present from the first probe', async () => {
    let s = state({
      verdict: {
        provider: 'kube-proxy',
        mode: 'iptables',
        version: 'v1.31.0',
        flavor: 'kubeadm',
        conflict: false,
        issues: noIssues(),
        agents: { ready: 3, unready: 0, missing: 0 },
        agentNodes: [],
        findings: [],
        reasons: [],
      },
      probes: {
        functional: false,
        results: [{ probe: 'apiserver', path: 'vip', family: 'ipv4', success: false }],
        verdicts: [{ probe: 'apiserver', family: 'ipv4', verdict: 'no_endpoint' }],
      },
    });
    const { registry, probes } = createMetrics(() => s, { defaultMetrics: false });
    probes.observe({ probe: 'apiserver', path: 'vip', family: 'ipv4', success: false, durationSeconds: 0.5, reason: 'timeout' });
    let text = await registry.metrics();
    assert.match(text, /^service_lb_functional 0$/m);
    assert.match(text, /^service_lb_probe_success\{probe="apiserver",path="vip",family="ipv4"\} 0$/m);
    assert.match(text, /^service_lb_probe_failures_total\{probe="apiserver",path="vip",family="ipv4",reason="timeout"\} 1$/m);
    assert.match(text, /^service_lb_probe_failures_total\{probe="apiserver",path="vip",family="ipv4",reason="refused"\} 0$/m);
    assert.match(text, /^service_lb_probes_total\{probe="apiserver",path="vip",family="ipv4"\} 1$/m);
    // the target goes away: its series go with it
    probes.forget('apiserver', 'vip', 'ipv4');
    s = { ...s, probes: { functional: true, results: [], verdicts: [] } };
    text = await registry.metrics();
    assert.doesNotMatch(text, /probe="apiserver"/);
  });

  it('exports one verdict series per probe and known verdict, exactly one of them 1, and drops a probe that goes away', async () => {
    let s = state({
      probes: {
        functional: true,
        results: [],
        verdicts: [
          { probe: 'apiserver', family: 'ipv4', verdict: 'ok' },
          { probe: 'apps/web', family: 'ipv4', verdict: 'backend_error' },
          { probe: 'apps/web', family: 'ipv6', verdict: 'proxy_broken' },
        ],
      },
    });
    const { registry } = createMetrics(() => s, { defaultMetrics: false });
    let text = await registry.metrics();
    for (const [probe, family, current] of [
      ['apiserver', 'ipv4', 'ok'],
      ['apps/web', 'ipv4', 'backend_error'],
      ['apps/web', 'ipv6', 'proxy_broken'],
    ] as const) {
      for (const verdict of VERDICTS) {
        assert.match(
          text,
          new RegExp(
            `^service_lb_probe_verdict\\{probe="${probe}",family="${family}",verdict="${verdict}"\\} ${verdict === current ? 1 : 0}$`,
            'm',
          ),
          `${probe} ${family} ${verdict}`,
        );
      }
    }
    assert.equal(text.match(/^service_lb_probe_verdict\{[^}]*\} 1$/gm)?.length, 3, 'one-hot per probe and family');
    assert.doesNotMatch(text, /probe="apiserver",family="ipv6"/, 'a single-stack probe shows its one family only');
    s = { ...s, probes: { functional: true, results: [], verdicts: [{ probe: 'apiserver', family: 'ipv4', verdict: 'proxy_broken' }] } };
    text = await registry.metrics();
    assert.doesNotMatch(text, /service_lb_probe_verdict\{probe="apps\/web"/, 'the opted-out Service leaves no series behind');
    assert.match(text, /^service_lb_probe_verdict\{probe="apiserver",family="ipv4",verdict="proxy_broken"\} 1$/m);
  });

  it('exports no verdict series before the first round', async () => {
    const { registry } = createMetrics(() => state(), { defaultMetrics: false });
    assert.doesNotMatch(await registry.metrics(), /^service_lb_probe_verdict\{/m);
  });
  it("health-check mismatches: every kind at 0 from a Service's first round, counted per kind, gone with the Service", async () => {
    const s = state({});
    const { registry, healthChecks } = createMetrics(() => s, { defaultMetrics: false });
    healthChecks.seen('apps/lb');
    let text = await registry.metrics();
    assert.match(text, /^service_lb_health_check_mismatches_total\{probe="apps\/lb",kind="serves_without_endpoint"\} 0$/m);
    assert.match(text, /^service_lb_health_check_mismatches_total\{probe="apps\/lb",kind="refuses_with_endpoint"\} 0$/m);
    healthChecks.mismatch('apps/lb', 'serves_without_endpoint');
    healthChecks.mismatch('apps/lb', 'serves_without_endpoint');
    text = await registry.metrics();
    assert.match(text, /^service_lb_health_check_mismatches_total\{probe="apps\/lb",kind="serves_without_endpoint"\} 2$/m);
    healthChecks.forget('apps/lb');
    assert.doesNotMatch(await registry.metrics(), /probe="apps\/lb"/);
  });
});
