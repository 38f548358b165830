// The whole exporter against the fake API server: what an SRE would see on /metrics and /readyz
// as the cluster changes under it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startHarness, sample } from '../helpers/exporter.js';
import {
  ciliumConfig,
  ciliumDs,
  ciliumPod,
  kubeadmProxyConfig,
  kubeProxyDs,
  kubeProxyPod,
  twoNodes,
} from '../../testkit/objects/minimal.js';
import { FAMILIES, family, type StateFamily } from '../../src/metrics/families.js';

const kubeProxyCluster = () => [
  ...twoNodes(),
  kubeProxyDs({ desired: 2 }),
  kubeProxyPod('node-aaaa1'),
  kubeProxyPod('node-bbbb2'),
  kubeadmProxyConfig('ipvs'),
];
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
      assert.equal(
        sample(text, 'service_proxy_exporter_source_up{source="calico-installations"}'),
        1,
        'a CRD that is not installed is healthy',
      );
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
        if ((p.metadata?.labels as Record<string, string>)?.['k8s-app'] === 'kube-proxy')
          h.api.store.delete('pods', 'kube-system', p.metadata!.name!);
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

  it('never answers /readyz 200 while /metrics still says proxy_provider{type="unknown"} 1 (start-up, healthy API)', async () => {
    // Nodes list last, as on a large cluster where that list takes longest: detection can only decide once they are in.
    const h = await startHarness({
      objects: kubeProxyCluster(),
      beforeStart: (api) => api.faults.set({ resource: 'nodes', verb: 'list' }, { delayMs: 300 }),
    });
    const ex = h.running.exporter;
    const unknownNow = () =>
      (family('proxy_provider') as StateFamily).collect(ex.state).some((x) => x.labels.type === 'unknown' && x.value === 1);
    // 1. in-process, at every moment readiness can change (a source's state, a published verdict)
    const violations: string[] = [];
    const check = (what: string) => () => {
      if (ex.readiness().ready && unknownNow()) violations.push(what);
    };
    ex.sources.on('state', check('source state change'));
    ex.onVerdict(check('verdict published'));
    // 2. over HTTP, polling from the start: a 200 followed by a scrape still saying unknown is the bug
    let stop = false;
    let polls = 0;
    const poller = (async () => {
      while (!stop) {
        const ready = (await fetch(`${h.url}/readyz`)).status === 200;
        const text = await (await fetch(`${h.url}/metrics`)).text();
        polls++;
        if (ready && sample(text, 'proxy_provider{type="unknown"}') === 1) violations.push('HTTP: /readyz 200 then /metrics unknown 1');
        if (ready) return;
      }
    })();
    try {
      const first = await request(h.url).get('/readyz');
      assert.equal(first.status, 503, 'not ready right after start');
      await h.ready();
      await poller;
      assert.deepEqual(violations, []);
      assert.ok(polls > 0);
      const text = await h.scrape();
      assert.equal(sample(text, 'proxy_provider{type="unknown"}'), 0);
      assert.equal(sample(text, 'proxy_provider{type="kube-proxy"}'), 1);
    } finally {
      stop = true;
      await poller.catch(() => undefined);
      await h.close();
    }
  });

  it('says it waits for the first verdict once the sources have synced but no verdict from them is out yet', async () => {
    const h = await startHarness({
      objects: kubeProxyCluster(),
      beforeStart: (api) => api.faults.set({ resource: 'nodes', verb: 'list' }, { delayMs: 300 }),
    });
    const ex = h.running.exporter;
    try {
      const seen: string[] = [];
      const off = () => ex.sources.off('state', onState);
      const onState = () => {
        const r = ex.readiness();
        if (!r.ready) seen.push(r.waitingFor.join(', '));
      };
      ex.sources.on('state', onState);
      await h.ready();
      off();
      assert.ok(
        seen.some((w) => w === 'the first verdict from the synced sources'),
        `waiting reasons seen: ${JSON.stringify(seen)}`,
      );
    } finally {
      await h.close();
    }
  });
});
