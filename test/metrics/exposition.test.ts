// /metrics formats a family again only when it changed (src/metrics/exposition.ts): whatever
// happens between two scrapes, the body must be what prom-client would format from scratch.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createMetrics } from '../../src/metrics/registry.js';
import type { ExporterState } from '../../src/metrics/families.js';
import { FAILURE_REASONS, PROBE_PATHS } from '../../src/probe/types.js';
import { VERDICTS } from '../../src/probe/differential.js';
import { noIssues, type Verdict } from '../../src/detect/types.js';
import { zeroCounts } from '../../src/agenthealth/types.js';
import { CANARY_WRITE_ERROR_REASONS, CANARY_WRITE_RESOURCES } from '../../src/metrics/families.js';

const build = { version: '1.2.3', revision: 'abc', nodejsVersion: 'v20.0.0' };
const verdictOf = (provider: string, ready: number): Verdict => ({
  provider: provider as Verdict['provider'],
  mode: 'iptables',
  version: 'v1.31.0',
  flavor: 'kubeadm',
  conflict: false,
  issues: noIssues(),
  agents: { ready, unready: 0, missing: 0 },
  agentNodes: [],
  findings: [],
  reasons: [],
});

const probeName = fc.constantFrom('apiserver', 'dns', 'annotated/team-a/web:80');
const path = fc.constantFrom(...PROBE_PATHS);
type Op =
  | {
      kind: 'observe';
      probe: string;
      path: (typeof PROBE_PATHS)[number];
      success: boolean;
      reason: (typeof FAILURE_REASONS)[number];
      d: number;
    }
  | { kind: 'forget'; probe: string; path: (typeof PROBE_PATHS)[number] }
  | { kind: 'crash' }
  | { kind: 'canary'; what: 'init' | 'change' | 'programmed' | 'error'; seconds: number }
  | { kind: 'verdict'; provider: string; ready: number }
  | { kind: 'round'; functional: boolean; success: boolean; verdict: (typeof VERDICTS)[number] }
  | { kind: 'source'; state: 'synced' | 'error' }
  | { kind: 'health'; healthy: number; unhealthy: number }
  | { kind: 'scrape' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('observe' as const),
    probe: probeName,
    path,
    success: fc.boolean(),
    reason: fc.constantFrom(...FAILURE_REASONS),
    d: fc.double({ min: 0, max: 3, noNaN: true }),
  }),
  fc.record({ kind: fc.constant('forget' as const), probe: probeName, path }),
  fc.record({ kind: fc.constant('crash' as const) }),
  fc.record({
    kind: fc.constant('canary' as const),
    what: fc.constantFrom('init' as const, 'change' as const, 'programmed' as const, 'error' as const),
    seconds: fc.double({ min: 0, max: 400, noNaN: true }),
  }),
  fc.record({ kind: fc.constant('verdict' as const), provider: fc.constantFrom('kube-proxy', 'cilium-kpr', 'none'), ready: fc.nat(5) }),
  fc.record({
    kind: fc.constant('round' as const),
    functional: fc.boolean(),
    success: fc.boolean(),
    verdict: fc.constantFrom(...VERDICTS),
  }),
  fc.record({ kind: fc.constant('source' as const), state: fc.constantFrom('synced' as const, 'error' as const) }),
  fc.record({ kind: fc.constant('health' as const), healthy: fc.nat(3), unhealthy: fc.nat(3) }),
  fc.record({ kind: fc.constant('scrape' as const) }),
);

describe('/metrics exposition', () => {
  it('after any sequence of probe results, state changes and canary events, equals what prom-client formats from scratch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const s: ExporterState = { verdict: undefined, sources: {}, probes: undefined, build };
        const m = createMetrics(() => s, { defaultMetrics: false });
        for (const o of ops) {
          if (o.kind === 'observe')
            m.probes.observe({ probe: o.probe, path: o.path, family: 'ipv4', success: o.success, durationSeconds: o.d, reason: o.reason });
          else if (o.kind === 'forget') m.probes.forget(o.probe, o.path, 'ipv4');
          else if (o.kind === 'crash') m.probes.crashed();
          else if (o.kind === 'canary') {
            if (o.what === 'init') {
              m.canary.init();
              s.canary = {
                namespace: 'ns',
                identity: 'a',
                writer: true,
                holder: 'a',
                writesForbidden: false,
                ports: [9810, 9811],
                listening: true,
                changes: 0,
              };
            } else if (o.what === 'change') m.canary.change();
            else if (o.what === 'programmed') m.canary.programmed(o.seconds, 'tcp', 'ipv4');
            else m.canary.writeError(CANARY_WRITE_RESOURCES[0], CANARY_WRITE_ERROR_REASONS[1]);
          } else if (o.kind === 'verdict') s.verdict = verdictOf(o.provider, o.ready);
          else if (o.kind === 'round')
            s.probes = {
              functional: o.functional,
              results: [{ probe: 'apiserver', path: 'vip', family: 'ipv4', success: o.success }],
              verdicts: [{ probe: 'apiserver', family: 'ipv4', verdict: o.verdict }],
            };
          else if (o.kind === 'source') s.sources = { ...s.sources, nodes: o.state };
          else if (o.kind === 'health')
            s.agentHealth = {
              provider: 'kube-proxy',
              counts: { ...zeroCounts(), healthy: o.healthy, unhealthy: o.unhealthy },
              nodes: [],
              intervalMs: 30_000,
            };
          // a scrape in between fills the cache that later scrapes must not serve stale
          if (o.kind === 'scrape') await m.exposition.render();
        }
        assert.equal(await m.exposition.render(), await m.registry.metrics());
      }),
      { numRuns: 300 },
    );
  });

  it('a scrape right after a probe shows the new count, and one after nothing changed shows the same body', async () => {
    const s: ExporterState = { verdict: undefined, sources: {}, probes: undefined, build };
    const m = createMetrics(() => s, { defaultMetrics: false });
    m.probes.observe({ probe: 'dns', path: 'vip', family: 'ipv4', success: true, durationSeconds: 0.01 });
    assert.match(await m.exposition.render(), /^service_lb_probes_total\{probe="dns",path="vip",family="ipv4"\} 1$/m);
    m.probes.observe({ probe: 'dns', path: 'vip', family: 'ipv4', success: false, durationSeconds: 0.01, reason: 'timeout' });
    const body = await m.exposition.render();
    assert.match(body, /^service_lb_probes_total\{probe="dns",path="vip",family="ipv4"\} 2$/m);
    assert.match(body, /^service_lb_probe_failures_total\{probe="dns",path="vip",family="ipv4",reason="timeout"\} 1$/m);
    assert.equal(await m.exposition.render(), body);
  });

  it('the process metrics are read afresh on every scrape', async () => {
    const s: ExporterState = { verdict: undefined, sources: {}, probes: undefined, build };
    const m = createMetrics(() => s);
    const cpu = async () => Number(/^process_cpu_seconds_total (\S+)$/m.exec(await m.exposition.render())?.[1]);
    const first = await cpu();
    // burn some CPU: the counter must move
    const until = process.cpuUsage().user + 30_000;
    while (process.cpuUsage().user < until);
    assert.ok((await cpu()) > first);
  });
});
