// Cardinality guard: however many Services are annotated and nodes exist, the exporter's own series
// (prom-client's process_* / nodejs_* defaults excluded) stay under a bound derived from the family
// table and --max-probe-targets:
//
//   P (probe targets) ≤ |BUILTIN_PROBES| × 2 paths + maxProbeTargets × 3 paths   (= 4×2 + 20×3 = 68)
//   S (sources)       = the exporter's fixed list of list/watch sources: detection sources,
//                       services, endpointslices, events (= 15 today; a constant, not per object)
//   series ≤ |PROVIDER_TYPES| + 1 (info) + 1 (conflict) + |CONFIG_CHECKS| + |AGENT_STATES| + 1 (functional)
//            + 1 (build_info) + S + P × (1 success + 1 probes_total + |FAILURE_REASONS| + (buckets + 3) histogram)
//          = 8 + 1 + 1 + 9 + 3 + 1 + 1 + 15 + 68 × (1 + 1 + 8 + 16) = 1807 with the defaults.
// Nothing scales with nodes, pods or Services beyond --max-probe-targets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FAMILIES, FAILURE_REASONS, CANARY_WRITE_ERROR_REASONS, CANARY_WRITE_RESOURCES, IP_FAMILIES } from '../../src/metrics/families.js';
import { MISMATCH_KINDS } from '../../src/healthcheck/compare.js';
import { AGENT_STATES, CONFIG_CHECKS } from '../../src/detect/types.js';
import { PROVIDER_TYPES, detectionSources } from '../../src/components/registry.js';
import { BUILTIN_PROBES, PROBE_PATHS } from '../../src/probe/types.js';
import { VERDICTS } from '../../src/probe/differential.js';
import { ciliumConfig, ciliumDs, ciliumPod, node } from '../../testkit/objects/minimal.js';
import { freePort } from '../probe/servers.js';
import { observedProbers, probesEnded } from './helpers.js';
import { startHarness } from '../helpers/exporter.js';
import { HEALTH_STATES } from '../../src/agenthealth/types.js';
import { BEHAVIOUR_CHECKS } from '../../src/state/checks.js';

const MAX_TARGETS = 20;
const NODES = 300;
const ANNOTATED = 200;

/** Upper bound of series per family, from the closed sets it draws label values from. */
function familyBounds(maxTargets: number, S: number): Record<string, number> {
  // every probe path once per IP family (a dual-stack Service is probed on each ClusterIP)
  const F = IP_FAMILIES.length;
  const P = (BUILTIN_PROBES.length * 2 + maxTargets * PROBE_PATHS.length) * F;
  const bounds: Record<string, number> = {};
  for (const f of FAMILIES) {
    switch (f.name) {
      case 'proxy_provider':
        bounds[f.name] = PROVIDER_TYPES.length;
        break;
      case 'proxy_provider_config_issue':
        bounds[f.name] = CONFIG_CHECKS.length;
        break;
      case 'proxy_provider_agents':
        bounds[f.name] = AGENT_STATES.length;
        break;
      case 'proxy_provider_agent_health':
        bounds[f.name] = HEALTH_STATES.length;
        break;
      case 'proxy_provider_agent_sync_age_seconds':
        bounds[f.name] = 1;
        break;
      case 'proxy_provider_info':
      case 'proxy_provider_conflict':
      case 'service_lb_functional':
      case 'service_proxy_exporter_build_info':
      case 'service_proxy_exporter_probe_crashes_total':
        bounds[f.name] = 1;
        break;
      case 'service_proxy_exporter_source_up':
        bounds[f.name] = S;
        break;
      case 'service_lb_probe_success':
      case 'service_lb_probes_total':
        bounds[f.name] = P;
        break;
      case 'service_lb_probe_verdict':
        // one series per known verdict for every probe (built-in or opted-in), whatever its paths
        bounds[f.name] = (BUILTIN_PROBES.length + maxTargets) * F * VERDICTS.length;
        break;
      case 'service_lb_probe_failures_total':
        bounds[f.name] = P * FAILURE_REASONS.length;
        break;
      case 'service_lb_probe_duration_seconds':
        // one _bucket per bound plus +Inf, then _sum and _count
        bounds[f.name] = P * ((f.kind === 'event' ? (f.buckets?.length ?? 0) : 0) + 3);
        break;
      // the canary: label-less, or a closed resource × reason set
      case 'service_lb_programming_pending_seconds':
      case 'service_lb_programming_changes_total':
      case 'service_proxy_exporter_canary_writer':
        bounds[f.name] = 1;
        break;
      case 'service_lb_programming_duration_seconds':
        bounds[f.name] = (f.kind === 'event' ? (f.buckets?.length ?? 0) : 0) + 3;
        break;
      case 'service_proxy_exporter_canary_write_errors_total':
        bounds[f.name] = CANARY_WRITE_RESOURCES.length * CANARY_WRITE_ERROR_REASONS.length;
        break;
      // health-check node ports: at most maxTargets Local LoadBalancer Services
      case 'service_lb_health_check_consistent':
        bounds[f.name] = maxTargets;
        break;
      case 'service_lb_health_check_mismatches_total':
        bounds[f.name] = maxTargets * MISMATCH_KINDS.length;
        break;
      // behaviour checks: one series per check (src/state/checks.ts), whatever the families
      case 'service_lb_check_success':
      case 'service_lb_check_failures_total':
        bounds[f.name] = BEHAVIOUR_CHECKS.length;
        break;
      default:
        throw new Error(`family ${f.name} has no stated bound: add it to the cardinality guard`);
    }
  }
  return bounds;
}

function clusterObjects(closedPort: number): object[] {
  const objects: object[] = [];
  for (let i = 0; i < NODES; i++) {
    const n = node(`node-${String(i).padStart(5, '0')}`) as any;
    n.status.addresses = [{ type: 'InternalIP', address: '127.0.0.1' }];
    objects.push(n, ciliumPod(n.metadata.name, 'v1.18.3'));
  }
  objects.push(
    ciliumDs('v1.18.3', { desired: NODES }),
    ciliumConfig({ 'kube-proxy-replacement': 'true', 'kube-proxy-replacement-healthz-bind-address': '0.0.0.0:10256' }),
  );
  for (let i = 0; i < ANNOTATED; i++) {
    const name = `svc-${String(i).padStart(4, '0')}`;
    objects.push(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { namespace: `ns-${i % 7}`, name, annotations: { 'service-proxy-exporter.io/probe': 'true' } },
        spec: {
          type: 'NodePort',
          clusterIP: '127.0.0.1',
          clusterIPs: ['127.0.0.1'],
          ports: [{ name: 'http', port: closedPort, protocol: 'TCP', targetPort: closedPort, nodePort: closedPort }],
        },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { namespace: `ns-${i % 7}`, name: `${name}-x`, labels: { 'kubernetes.io/service-name': name } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: closedPort, protocol: 'TCP' }],
        endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      },
    );
  }
  return objects;
}

function seriesByFamily(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
    if (name.startsWith('process_') || name.startsWith('nodejs_')) continue;
    const family =
      FAMILIES.find(
        (f) => name === f.name || (f.kind === 'event' && [`${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`].includes(name)),
      )?.name ?? name;
    out.set(family, [...(out.get(family) ?? []), line]);
  }
  return out;
}

describe('cardinality guard', () => {
  it(`${ANNOTATED} annotated Services and ${NODES} nodes stay under the stated bound`, async () => {
    const closedPort = await freePort();
    const { probers, events } = observedProbers();
    const h = await startHarness({
      objects: clusterObjects(closedPort),
      flags: { 'max-probe-targets': String(MAX_TARGETS), 'probe-interval': '1m', 'probe-timeout': '1s' },
      probers,
    });
    try {
      await h.verdict((v) => v.provider === 'cilium-kpr' && v.agents.ready === NODES, 'all agents ready');
      // S: the sources are a fixed list (the detection catalog plus the probe engine's), whatever the cluster holds
      const S = h.running.exporter.sources.reflectors.size;
      assert.ok(S >= detectionSources({ mode: 'deployment' }).length && S <= 20, `${S} sources`);
      const bounds = familyBounds(MAX_TARGETS, S);
      const total = Object.values(bounds).reduce((a, b) => a + b, 0);
      // One whole round over every target: 20 opted-in Services × (vip, endpoint, nodeport); the
      // built-ins are absent here. A round that started before the EndpointSlices arrived has fewer.
      for (let i = 0; i < 50; i++) {
        const view = await h.running.probes.runNow();
        if (view.lastRound?.results.length === MAX_TARGETS * 3) break;
        // a round is running (runNow was skipped) or the targets are still coming: let a probe end
        await probesEnded(events, 1, AbortSignal.timeout(1000)).catch(() => undefined);
      }
      const text = await h.scrape();
      const families = seriesByFamily(text);
      let count = 0;
      for (const [family, lines] of families) {
        assert.ok(family in bounds, `unexpected series family ${family}`);
        assert.ok(lines.length <= bounds[family]!, `${family}: ${lines.length} series > bound ${bounds[family]}`);
        count += lines.length;
      }
      assert.ok(count <= total, `${count} series > bound ${total}`);
      // the probe label only carries the first MAX_TARGETS opted-in Services
      const probes = new Set([...text.matchAll(/probe="([^"]+)"/g)].map((m) => m[1]!));
      assert.equal(probes.size, MAX_TARGETS);
      assert.equal(
        families.get('service_lb_probe_success')?.length,
        MAX_TARGETS * 3,
        JSON.stringify(h.running.probes.state.skipped.slice(0, 3)),
      );
      // no node, pod or IP in any label value
      assert.doesNotMatch(text, /node-\d{5}|cilium-\d{5}|127\.0\.0\.1/);
      assert.match(text, /^proxy_provider_config_issue\{check="probe_targets_over_limit"\} 1$/m, 'the cut is reported');
    } finally {
      await h.close();
    }
  });
});
