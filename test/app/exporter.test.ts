// The whole exporter against the fake API server: what an SRE would see on /metrics and /readyz
// as the cluster changes under it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startHarness, sample } from '../helpers/exporter.js';
import { ciliumConfig, ciliumDs, ciliumPod, kubeadmProxyConfig, kubeProxyDs, kubeProxyPod, twoNodes } from '../detect/fixtures.js';
import { FAMILIES } from '../../src/metrics/families.js';

const kubeProxyCluster = () => [...twoNodes(), kubeProxyDs({ desired: 2 }), kubeProxyPod('node-aaaa1'), kubeProxyPod('node-bbbb2'), kubeadmProxyConfig('ipvs')];
const cilium = (version = 'v1.18.3') => [
  ciliumDs(version),
  ciliumPod('node-aaaa1', version),
  ciliumPod('node-bbbb2', version),
  ciliumConfig({ 'kube-proxy-replacement': 'true', 'kube-proxy-replacement-healthz-bind-address': '0.0.0.0:10256' }),
];

describe('exporter end to end', () => {
  it('reports kube-proxy in ipvs mode with every contract family present', async () => {
    const h = await startHarness({ objects: kubeProxyCluster() });
    try {
      await h.verdict((v) => v.provider === 'kube-proxy', 'kube-proxy');
      await h.ready();
      const text = await h.scrape();
      assert.equal(sample(text, 'proxy_provider{type="kube-proxy"}'), 1);
      assert.equal(sample(text, 'proxy_provider{type="cilium-kpr"}'), 0);
      assert.equal(sample(text, 'proxy_provider{type="none"}'), 0);
      assert.match(text, /proxy_provider_info\{type="kube-proxy",mode="ipvs",version="v1\.31\.2",flavor="kubeadm"\} 1/);
      assert.equal(sample(text, 'proxy_provider_conflict'), 0);
      assert.equal(sample(text, 'proxy_provider_agents{state="ready"}'), 2);
      assert.equal(sample(text, 'proxy_provider_agents{state="missing"}'), 0);
      assert.equal(sample(text, 'service_proxy_exporter_source_up{source="daemonsets"}'), 1);
      assert.equal(sample(text, 'service_proxy_exporter_source_up{source="calico-installations"}'), 1, 'a CRD that is not installed is healthy');
      for (const f of FAMILIES.filter((x) => x.kind === 'state' && !x.name.startsWith('service_lb_'))) {
        assert.match(text, new RegExp(`^# TYPE ${f.name} gauge$`, 'm'), `${f.name} is exported`);
      }
      assert.match(text, /^service_proxy_exporter_build_info\{version="[^"]+",revision="[^"]+",nodejs_version="v20/m);
      await request(h.url).get('/readyz').expect(200);
      await request(h.url).get('/healthz').expect(200);
    } finally {
      await h.close();
    }
  });

  it('follows a migration from kube-proxy to Cilium KPR: conflict while both run, clean once kube-proxy is deleted', async () => {
    const h = await startHarness({ objects: kubeProxyCluster() });
    try {
      await h.verdict((v) => v.provider === 'kube-proxy');
      for (const o of cilium()) h.api.store.apply(o as never);
      await h.verdict((v) => v.provider === 'cilium-kpr' && v.conflict, 'conflict');
      let text = await h.scrape();
      assert.equal(sample(text, 'proxy_provider{type="cilium-kpr"}'), 1);
      assert.equal(sample(text, 'proxy_provider_conflict'), 1);
      assert.equal(sample(text, 'proxy_provider_config_issue{check="kpr_with_kube_proxy"}'), 1);
      h.api.store.delete('daemonsets', 'kube-system', 'kube-proxy');
      for (const p of h.api.store.list('pods', 'kube-system')) {
        if ((p.metadata?.labels as Record<string, string>)?.['k8s-app'] === 'kube-proxy') h.api.store.delete('pods', 'kube-system', p.metadata!.name!);
      }
      await h.verdict((v) => v.provider === 'cilium-kpr' && !v.conflict, 'conflict resolved');
      text = await h.scrape();
      assert.equal(sample(text, 'proxy_provider_conflict'), 0);
      assert.equal(sample(text, 'proxy_provider_config_issue{check="kpr_with_kube_proxy"}'), 0);
      assert.equal(sample(text, 'proxy_provider{type="kube-proxy"}'), 0);
      assert.match(text, /proxy_provider_info\{type="cilium-kpr",mode="ebpf",version="v1\.18\.3",flavor="daemonset"\} 1/);
    } finally {
      await h.close();
    }
  });

  it('says unknown — not a wrong verdict — once the API has failed past the grace period, and recovers without a restart', async () => {
    const h = await startHarness({ objects: [...twoNodes(), ...cilium()] });
    try {
      await h.verdict((v) => v.provider === 'cilium-kpr');
      h.api.faults.set({ resource: 'daemonsets' }, { status: 500 });
      h.api.dropWatches();
      await h.verdict((v) => v.provider === 'unknown', 'unknown after the grace period');
      const text = await h.scrape();
      assert.equal(sample(text, 'service_proxy_exporter_source_up{source="daemonsets"}'), 0);
      assert.equal(sample(text, 'proxy_provider{type="unknown"}'), 1);
      assert.equal(sample(text, 'proxy_provider{type="none"}'), 0);
      h.api.faults.clear();
      await h.verdict((v) => v.provider === 'cilium-kpr', 'recovery');
      assert.equal(sample(await h.scrape(), 'service_proxy_exporter_source_up{source="daemonsets"}'), 1);
    } finally {
      await h.close();
    }
  });

  it('is not ready until every source has synced, and says which it waits for', async () => {
    const h = await startHarness({ objects: twoNodes(), beforeStart: (api) => api.faults.set({ resource: 'nodes' }, { status: 500 }) });
    try {
      const res = await request(h.url).get('/readyz').expect(503);
      assert.match(res.text, /waiting for .*nodes/);
      assert.equal((await h.verdict(() => true)).provider, 'unknown', 'never "none" while nodes cannot be read');
      h.api.faults.clear();
      await h.verdict((v) => v.provider === 'none', 'none once nodes are readable');
      await request(h.url).get('/readyz').expect(200);
    } finally {
      await h.close();
    }
  });
});
