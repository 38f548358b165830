// Fault injection at the exporter level, beyond what test/app/exporter.test.ts and
// test/cluster/reflector.test.ts already cover (500 → unknown → recovery, dropped watch resume,
// 410 relist, 403 on one reflector, CRD 404): a forbidden signal next to working ones, a slow API
// server, a change made while the watches are down.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { sample, startHarness } from '../helpers/exporter.js';
import {
  ciliumConfig,
  ciliumDs,
  ciliumPod,
  customResource,
  kubeadmProxyConfig,
  kubeProxyDs,
  kubeProxyPod,
  twoNodes,
} from '../../testkit/objects/minimal.js';
import { observedProbers, probedService, probesEnded, rulesExcept } from './helpers.js';
import { startHttp } from '../probe/servers.js';

const kubeProxyCluster = () => [
  ...twoNodes(),
  kubeProxyDs({ desired: 2 }),
  kubeProxyPod('node-aaaa1'),
  kubeProxyPod('node-bbbb2'),
  kubeadmProxyConfig('ipvs'),
];
const ciliumCluster = (kpr = 'true') => [
  ...twoNodes(),
  ciliumDs('v1.18.3'),
  ciliumPod('node-aaaa1', 'v1.18.3'),
  ciliumPod('node-bbbb2', 'v1.18.3'),
  ciliumConfig({ 'kube-proxy-replacement': kpr, 'kube-proxy-replacement-healthz-bind-address': '0.0.0.0:10256' }),
];

/** Every source has left `pending` (CRDs answered 404 or 403 too) in the exporter's state. */
const settled = (h: { running: { exporter: { state: { sources: Record<string, string> } } } }) =>
  Object.values(h.running.exporter.state.sources).every((s) => s !== 'pending');

/** source_up of every source in the exposition. */
function sourcesUp(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^service_proxy_exporter_source_up\{source="([^"]+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

describe('403 on one signal: that source is down, everything else works', () => {
  it('a forbidden ConfigMap (RBAC without cilium-config) marks only configmap/cilium-config down; the verdict still comes', async () => {
    const h = await startHarness({
      objects: ciliumCluster(),
      // the ClusterRole names the kube-proxy and antrea ConfigMaps but forgot cilium-config
      beforeStart: (api) =>
        api.setRbac(rulesExcept({ group: '', resource: 'configmaps', allowNames: ['kube-proxy', 'kube-proxy-config', 'antrea-config'] })),
    });
    try {
      const v = await h.verdict((x) => x.provider === 'cilium-kpr' && settled(h), 'cilium-kpr without its ConfigMap');
      assert.equal(v.conflict, false);
      assert.deepEqual(v.agents, { ready: 2, unready: 0, missing: 0 });
      const up = sourcesUp(await h.scrape());
      assert.equal(up['configmap/cilium-config'], 0, 'the forbidden signal is marked unavailable');
      for (const [source, value] of Object.entries(up)) {
        if (source !== 'configmap/cilium-config') assert.equal(value, 1, `${source} is up`);
      }
      assert.ok(Object.keys(up).length >= 12, 'every source is exported');
      assert.ok(
        h.api.requests.some((r) => r.resource === 'configmaps' && r.fieldSelector === 'metadata.name=cilium-config' && r.status === 403),
        'the API really refused it',
      );
      await request(h.url).get('/readyz').expect(200);
      assert.equal(h.running.exporter.sources.statuses()['configmap/cilium-config']!.state, 'forbidden');
    } finally {
      await h.close();
    }
  });

  it('a forbidden CRD (FelixConfiguration, installed) marks only felix-configurations down; kube-proxy is still found', async () => {
    const h = await startHarness({
      objects: [...kubeProxyCluster(), customResource('crd.projectcalico.org/v1', 'FelixConfiguration', 'default', { bpfEnabled: false })],
      crds: ['felixconfigurations.crd.projectcalico.org', 'installations.operator.tigera.io'],
      beforeStart: (api) => api.setRbac(rulesExcept({ group: 'crd.projectcalico.org', resource: 'felixconfigurations' })),
    });
    try {
      const v = await h.verdict((x) => x.provider === 'kube-proxy' && settled(h), 'kube-proxy');
      assert.equal(v.mode, 'ipvs');
      const text = await h.scrape();
      const up = sourcesUp(text);
      assert.equal(up['felix-configurations'], 0);
      assert.equal(up['calico-installations'], 1, 'the other, readable CRD is up');
      for (const [source, value] of Object.entries(up)) if (source !== 'felix-configurations') assert.equal(value, 1, `${source} is up`);
      assert.equal(sample(text, 'proxy_provider{type="kube-proxy"}'), 1);
      assert.equal(sample(text, 'proxy_provider{type="unknown"}'), 0, 'an optional signal never makes the verdict unknown');
      await request(h.url).get('/readyz').expect(200);
    } finally {
      await h.close();
    }
  });

  it('a 403 injected on every ConfigMap read leaves the verdict and the other sources alone', async () => {
    const h = await startHarness({
      objects: kubeProxyCluster(),
      beforeStart: (api) => api.faults.set({ resource: 'configmaps' }, { status: 403 }),
    });
    try {
      // the mode comes from the ConfigMap, which cannot be read: the verdict stays kube-proxy
      await h.verdict((x) => x.provider === 'kube-proxy' && settled(h), 'kube-proxy');
      const up = sourcesUp(await h.scrape());
      for (const cm of ['kube-proxy', 'kube-proxy-config', 'cilium-config', 'antrea-config']) assert.equal(up[`configmap/${cm}`], 0, cm);
      assert.equal(up.daemonsets, 1);
      assert.equal(up.nodes, 1);
      assert.equal(up['agent-pods'], 1);
    } finally {
      await h.close();
    }
  });
});

describe('a slow API server', () => {
  it('/metrics answers from cache and probe rounds go on while API responses take seconds', async () => {
    const backend = await startHttp();
    const { probers, events } = observedProbers();
    const h = await startHarness({
      objects: [...ciliumCluster(), ...probedService('apps', 'web', backend.port, { path: '/healthz' })],
      flags: { 'probe-interval': '1s', 'probe-timeout': '500ms' },
      probers,
    });
    try {
      await h.verdict((v) => v.provider === 'cilium-kpr');
      await probesEnded(events, 2);
      // Every request from now on takes 10 s; the dropped watches must reconnect through that.
      // (Long enough that the ordering asserted below holds on a loaded CI machine too.)
      h.api.faults.set({}, { delayMs: 10_000 });
      const before = h.api.requests.length;
      h.api.dropWatches();
      // wait until the API server holds a delayed (pending) request
      for (let i = 0; i < 50 && !h.api.requests.slice(before).some((r) => r.status === 0); i++) await probesEnded(events, 1);
      const pending = h.api.requests.slice(before).filter((r) => r.status === 0);
      // a whole probe round ends while those requests are still pending
      await probesEnded(events, 2);
      const res = await request(h.url).get('/metrics').expect(200);
      assert.ok(
        pending.some((r) => r.status === 0),
        'the probe round and the scrape completed while API requests were still waiting on the slow server',
      );
      assert.equal(sample(res.text, 'proxy_provider{type="cilium-kpr"}'), 1, 'the cached verdict is served');
      assert.equal(sample(res.text, 'service_lb_probe_success{probe="apps/web",path="vip",family="ipv4"}'), 1);
      assert.ok((sample(res.text, 'service_lb_probes_total{probe="apps/web",path="vip",family="ipv4"}') ?? 0) >= 2, 'probes kept counting');
      await request(h.url).get('/readyz').expect(200);
      await request(h.url).get('/healthz').expect(200);
    } finally {
      await h.close();
      await backend.close();
    }
  });
});

describe('watches dropped mid-stream', () => {
  it('a change made while disconnected reaches the verdict, without a re-list', async () => {
    const h = await startHarness({ objects: ciliumCluster() });
    try {
      await h.verdict((v) => v.provider === 'cilium-kpr' && v.agents.ready === 2 && !v.issues.cilium_kpr_legacy_value);
      await h.ready();
      await h.watching();
      const okLists = () =>
        h.api.requests.filter((r) => r.verb === 'list' && r.status === 200 && (r.resource === 'pods' || r.resource === 'configmaps'))
          .length;
      const listsBefore = okLists();
      // the next reconnects fail, so the changes below surely happen while no watch is open
      h.api.faults.once({ verb: 'watch' }, { status: 500 }, 6);
      assert.ok(h.api.dropWatches() > 0);
      h.api.store.apply(
        ciliumConfig({ 'kube-proxy-replacement': 'partial', 'kube-proxy-replacement-healthz-bind-address': '0.0.0.0:10256' }) as never,
      );
      h.api.store.delete('pods', 'kube-system', 'cilium-bbbb2');
      const v = await h.verdict((x) => x.issues.cilium_kpr_legacy_value && x.agents.missing === 1, 'both changes made while disconnected');
      assert.equal(v.provider, 'cilium-kpr');
      assert.equal(okLists(), listsBefore, 'resumed from the last resourceVersion: no re-list of pods or ConfigMaps');
      const text = await h.scrape();
      assert.equal(sample(text, 'proxy_provider_config_issue{check="cilium_kpr_legacy_value"}'), 1);
      assert.equal(sample(text, 'proxy_provider_agents{state="missing"}'), 1);
      const resumed = h.api.requests.filter((r) => r.watch && r.resource === 'configmaps' && r.status === 200).at(-1)!;
      assert.ok(resumed.resourceVersion, 'the resumed watch carried a resourceVersion');
    } finally {
      await h.close();
    }
  });
});
