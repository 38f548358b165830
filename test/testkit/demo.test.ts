// `npm run demo` as a newcomer meets it: Cilium KPR detected, Service load-balancing working, and
// the break/heal control flipping service_lb_functional.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import request from 'supertest';
import { startDemo } from '../../testkit/demo/demo.js';
import { silentLogger } from '../../src/log.js';
import { sample } from '../helpers/exporter.js';
import type { ProbeView } from '../../src/app/probes.js';
import type { HealthCheckView } from '../../src/healthcheck/compare.js';

describe('demo', () => {
  it('serves cilium-kpr and a working data path, which break and heal flip', async () => {
    const demo = await startDemo({ listen: '127.0.0.1:0', probeInterval: '1s', flags: { 'probe-timeout': '500ms' }, log: silentLogger() });
    const engine = demo.running.probes;
    const nextRound = async (pred: (v: ProbeView) => boolean) => {
      const signal = AbortSignal.timeout(15_000);
      for (;;) {
        const [view] = (await once(engine, 'round', { signal })) as [ProbeView];
        if (pred(view)) return view;
      }
    };
    try {
      await nextRound((v) => v.lastRound?.functional === true && v.targets.some((t) => t.probe === 'me_service'));
      let text = (await request(demo.url).get('/metrics').expect(200)).text;
      assert.equal(sample(text, 'proxy_provider{type="cilium-kpr"}'), 1);
      assert.equal(sample(text, 'service_lb_functional'), 1);
      for (const probe of ['apiserver', 'dns_udp', 'dns_tcp', 'me_service', 'demo/echo']) {
        assert.equal(sample(text, `service_lb_probe_success{probe="${probe}",path="vip",family="ipv4"}`), 1, probe);
      }

      const broken = await request(demo.url).post('/demo/break').expect(200);
      assert.equal(broken.body.broken, true);
      const view = await nextRound((v) => v.lastRound?.functional === false);
      assert.equal(view.lastRound!.classifications.apiserver!.ipv4!.verdict, 'proxy_broken');
      text = (await request(demo.url).get('/metrics').expect(200)).text;
      assert.equal(sample(text, 'service_lb_functional'), 0);
      assert.equal(
        sample(text, 'service_lb_probe_success{probe="apiserver",path="endpoint",family="ipv4"}'),
        1,
        'the backend still answers directly',
      );
      assert.ok((sample(text, 'service_lb_probe_failures_total{probe="apiserver",path="vip",family="ipv4",reason="refused"}') ?? 0) >= 1);

      await request(demo.url).post('/demo/heal').expect(200);
      await nextRound((v) => v.lastRound?.functional === true);
      assert.equal(sample((await request(demo.url).get('/metrics')).text, 'service_lb_functional'), 1);
    } finally {
      await demo.close();
    }
  });

  it('its Local LoadBalancer Service: the health-check node port agrees, and answering 200 everywhere is caught', async () => {
    const demo = await startDemo({
      listen: '127.0.0.1:0',
      flags: { 'agent-health-interval': '1s', 'agent-health-timeout': '500ms' },
      log: silentLogger(),
    });
    const hc = demo.running.healthChecks!;
    const nextRound = async (pred: (v: HealthCheckView) => boolean) => {
      const signal = AbortSignal.timeout(15_000);
      for (;;) {
        let off = () => {};
        const view = await new Promise<HealthCheckView>((resolve, reject) => {
          off = hc.onRound(resolve);
          signal.addEventListener('abort', () => reject(new Error('no such health-check round within 15 s')), { once: true });
        }).finally(() => off());
        if (pred(view)) return view;
      }
    };
    const local = (v: HealthCheckView) => v.services.find((s) => s.probe === 'demo/echo-local');
    try {
      const good = await nextRound((v) => local(v)?.consistent !== undefined);
      assert.equal(local(good)!.consistent, true, JSON.stringify(local(good)));
      assert.ok(local(good)!.nodes.length >= 2, 'every Ready node is asked');
      await request(demo.url).post('/demo/health-check?answers=always-ok').expect(200);
      const bad = await nextRound((v) => local(v)?.consistent === false);
      assert.ok(local(bad)!.nodes.some((n) => n.kind === 'serves_without_endpoint'));
      const text = (await request(demo.url).get('/metrics').expect(200)).text;
      assert.equal(sample(text, 'service_lb_health_check_consistent{probe="demo/echo-local"}'), 0);
      assert.ok(
        (sample(text, 'service_lb_health_check_mismatches_total{probe="demo/echo-local",kind="serves_without_endpoint"}') ?? 0) >= 1,
      );
    } finally {
      await demo.close();
    }
  });

  it('refuses an unknown scenario with the list of valid ones', async () => {
    await assert.rejects(
      startDemo({ scenario: 'nope', listen: '127.0.0.1:0', log: silentLogger() }),
      /unknown scenario "nope"; valid: .*cilium-kpr/,
    );
  });
});
