// /diagnose and the status page on a running exporter (the real one, against the fake API server).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startHarness } from '../helpers/exporter.js';
import { loadScenario } from '../../testkit/scenarios.js';
import { crdResource, loadInto } from '../../testkit/demo/cluster.js';
import type { DiagnoseReport } from '../../src/diagnose/index.js';
import { warningEvent } from './fixtures.js';

function scenarioHarness(name: string, opts: { events?: Record<string, unknown>[]; forbidEvents?: boolean } = {}) {
  const sc = loadScenario(name);
  return startHarness({
    beforeStart: (api) => {
      for (const crd of sc.crds) api.store.install(crdResource(crd));
      loadInto(api, [...sc.objects, ...(opts.events ?? [])]);
      if (opts.forbidEvents) {
        api.setRbac([
          {
            apiGroups: ['', 'apps', 'discovery.k8s.io', 'operator.tigera.io', 'crd.projectcalico.org'],
            resources: ['pods', 'nodes', 'configmaps', 'services', 'daemonsets', 'endpointslices', 'installations', 'felixconfigurations'],
            verbs: ['get', 'list', 'watch'],
          },
        ]);
      }
    },
  });
}

const crashloopPod = () => {
  const pod = loadScenario('kube-proxy-crashloop').objects.find(
    (o) => o.kind === 'Pod' && o.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
  )!;
  return pod.metadata.name as string;
};

describe('/diagnose on a running exporter', () => {
  it('kube-proxy-crashloop: the report from cached state, Warning events included, no API request per call', async () => {
    const pod = crashloopPod();
    const recent = new Date(Date.now() - 60_000).toISOString();
    const h = await scenarioHarness('kube-proxy-crashloop', {
      events: [warningEvent('kube-system', pod, 'BackOff', 'Back-off restarting failed container kube-proxy <in pod>', recent, 42)],
    });
    try {
      await h.ready();
      await h.verdict((v) => v.provider === 'kube-proxy');
      const before = h.api.requests.length;
      const res = await request(h.url).get('/diagnose').expect(200).expect('content-type', /json/);
      const r = res.body as DiagnoseReport;
      assert.equal(r.schemaVersion, 1);
      assert.equal(r.status, 'fail');
      assert.equal(r.provider.type, 'kube-proxy');
      const pods = r.checks.find((c) => c.id === 'agents.pods')!;
      assert.equal(pods.status, 'fail');
      assert.match(pods.summary, new RegExp(pod));
      const events = r.checks.find((c) => c.id === 'agents.events')!;
      assert.equal(events.status, 'warn');
      assert.match(events.details![0]!, /BackOff \(x42\)/);
      assert.equal(r.sources.events!.state, 'synced');
      await request(h.url).get('/diagnose').expect(200);
      // Watches opened in the background may be recorded meanwhile; a request-driven read would be a list or get.
      assert.deepEqual(
        h.api.requests
          .slice(before)
          .filter((q) => q.verb !== 'watch')
          .map((q) => `${q.verb} ${q.path}`),
        [],
        'no API read per /diagnose',
      );
      // The status page shows the same, escaped.
      const page = (await request(h.url).get('/').expect(200).expect('content-type', /html/)).text;
      assert.match(page, /id="provider">kube-proxy</);
      assert.ok(page.includes('&lt;in pod&gt;'), 'event text is escaped');
      assert.ok(!page.includes('<in pod>'));
      assert.match(
        page,
        /href="https:\/\/github\.com\/service-proxy-exporter\/service-proxy-exporter\/blob\/main\/docs\/runbooks\/KubeProxyDown\.md"/,
      );
    } finally {
      await h.close();
    }
  });

  it('events forbidden: /readyz still 200, the events check is skipped and the source shows forbidden', async () => {
    const h = await scenarioHarness('cilium-kpr', { forbidEvents: true });
    try {
      await h.ready();
      await request(h.url).get('/readyz').expect(200);
      const v = await h.verdict((x) => x.provider === 'cilium-kpr');
      assert.deepEqual(v.issues, (await h.verdict(() => true)).issues);
      const r = (await request(h.url).get('/diagnose').expect(200)).body as DiagnoseReport;
      assert.equal(r.sources.events!.state, 'forbidden');
      const ev = r.checks.find((c) => c.id === 'agents.events')!;
      assert.equal(ev.status, 'skipped');
      assert.match(ev.summary, /forbidden/);
      assert.equal(r.checks.find((c) => c.id === 'provider.sources')!.status, 'warn', 'an optional source: warn, not fail');
      assert.equal(r.provider.type, 'cilium-kpr', 'events never change the verdict');
    } finally {
      await h.close();
    }
  });
});
