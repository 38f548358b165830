// Daemonset mode: what a replica reads of Services does not grow with the cluster. It watches the
// built-in targets by name and opted-in Services by label, never the whole collection.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { startHarness } from '../helpers/exporter.js';
import { twoNodes } from '../detect/fixtures.js';
import type { ProbeView } from '../../src/app/probes.js';

const service = (namespace: string, name: string, meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace, name, ...meta },
  spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
});

const OPT_IN = { 'service-proxy-exporter.io/probe': 'true' };

describe('daemonset mode Services', () => {
  it('watches the built-in Services by name and opted-in ones by label; an annotation alone is left to the deployment', async () => {
    const apps = Array.from({ length: 30 }, (_, i) => service('team-a', `app-${i}`));
    const h = await startHarness({
      objects: [
        ...twoNodes(),
        service('default', 'kubernetes'),
        service('kube-system', 'kube-dns'),
        service('team-a', 'labelled', { labels: OPT_IN }),
        service('team-a', 'annotated-only', { annotations: OPT_IN }),
        ...apps,
      ],
      flags: { mode: 'daemonset', 'node-name': 'node-aaaa1', 'probe-interval': '1h', 'service-namespace': 'spx' },
    });
    try {
      const round = h.running.probes.state.lastRound ? undefined : once(h.running.probes, 'round', { signal: AbortSignal.timeout(20_000) });
      await h.ready();
      await round;
      const view: ProbeView = h.running.probes.state;
      const probes = new Set([...view.targets.map((t) => t.probe), ...view.skipped.map((s) => s.probe)]);
      assert.ok(probes.has('team-a/labelled'), 'the labelled Service is probed');
      assert.ok(!probes.has('team-a/annotated-only'), 'an annotation cannot be selected server-side: not in daemonset mode');
      assert.ok(probes.has('dns_udp') || view.targets.some((t) => t.probe.startsWith('dns')), 'the DNS Service was found by name');
      const svcRequests = h.api.requests.filter((r) => r.resource === 'services');
      assert.ok(svcRequests.length > 0);
      for (const r of svcRequests) {
        assert.ok(r.fieldSelector || r.labelSelector, `every Services request is selected: ${r.verb} ${r.path}`);
      }
      let held = 0;
      for (const [name, r] of h.running.exporter.sources.reflectors) if (name.startsWith('services')) held += r.size;
      assert.equal(held, 3, 'kubernetes, kube-dns and the labelled Service: none of the 30 others');
    } finally {
      await h.close();
    }
  });

  it('deployment mode takes the label as an opt-in too', async () => {
    const h = await startHarness({
      objects: [...twoNodes(), service('default', 'kubernetes'), service('team-a', 'labelled', { labels: OPT_IN }), service('team-a', 'annotated', { annotations: OPT_IN })],
      flags: { 'probe-interval': '1h' },
    });
    try {
      const round = h.running.probes.state.lastRound ? undefined : once(h.running.probes, 'round', { signal: AbortSignal.timeout(20_000) });
      await h.ready();
      await round;
      const v = h.running.probes.state;
      const probes = new Set([...v.targets.map((t) => t.probe), ...v.skipped.map((s) => s.probe)]);
      assert.ok(probes.has('team-a/labelled'));
      assert.ok(probes.has('team-a/annotated'));
    } finally {
      await h.close();
    }
  });
});
