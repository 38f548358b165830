// Daemonset mode: what a replica reads of Services does not grow with the cluster. It watches the
// built-in targets by name and opted-in Services by label, never the whole collection.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from '../helpers/exporter.js';
import { twoNodes } from '../../testkit/objects/minimal.js';
import { serviceSources } from '../../src/app/probes.js';
import { slimService } from '../../src/cluster/slim.js';
import type { SlimService } from '../../src/cluster/types.js';

const service = (
  namespace: string,
  name: string,
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace, name, ...meta },
  spec: {
    type: 'ClusterIP',
    clusterIP: '10.96.0.10',
    clusterIPs: ['10.96.0.10'],
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
  },
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
      await h.ready();
      const held = (name: string) => h.running.exporter.sources.values<SlimService>(name).map((x) => `${x.namespace}/${x.name}`);
      assert.deepEqual(held('services/opted-in'), ['team-a/labelled'], 'the labelled Service, selected by the API server');
      assert.deepEqual(held('services/kube-system/kube-dns'), ['kube-system/kube-dns'], 'the DNS Service, by name');
      assert.deepEqual(held('services/default/kubernetes'), ['default/kubernetes']);
      const svcRequests = h.api.requests.filter((r) => r.resource === 'services');
      assert.ok(svcRequests.length > 0);
      for (const r of svcRequests) {
        assert.ok(r.fieldSelector || r.labelSelector, `every Services request is selected: ${r.verb} ${r.path}`);
      }
      let total = 0;
      for (const [name, r] of h.running.exporter.sources.reflectors) if (name.startsWith('services')) total += r.size;
      assert.equal(total, 3, 'kubernetes, kube-dns and the labelled Service: none of the 30 others');
    } finally {
      await h.close();
    }
  });

  it('the label opts a Service in like the annotation (deployment mode sees both)', () => {
    const labelled = slimService(service('team-a', 'labelled', { labels: OPT_IN }));
    const annotated = slimService(service('team-a', 'annotated', { annotations: OPT_IN }));
    const plain = slimService(service('team-a', 'plain', { labels: { 'service-proxy-exporter.io/probe': 'false' } }));
    assert.equal(labelled.annotations['service-proxy-exporter.io/probe'], 'true');
    assert.equal(annotated.annotations['service-proxy-exporter.io/probe'], 'true');
    assert.equal(plain.annotations['service-proxy-exporter.io/probe'], undefined);
  });

  it('deployment mode keeps one cluster-wide Services source; daemonset mode has none', () => {
    const dep = serviceSources({ mode: 'deployment', serviceNamespace: 'spx', serviceName: 'spx' });
    assert.deepEqual(
      dep.map((x) => [x.name, x.labelSelector, x.fieldSelector]),
      [['services', undefined, undefined]],
    );
    const ds = serviceSources({ mode: 'daemonset', serviceNamespace: 'spx', serviceName: 'spx' });
    for (const x of ds) assert.ok(x.labelSelector || x.fieldSelector, x.name);
    assert.ok(
      ds.some((x) => x.fieldSelector === 'metadata.namespace=spx,metadata.name=spx'),
      'its own Service',
    );
  });
});
