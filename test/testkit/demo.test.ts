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
        assert.equal(sample(text, `service_lb_probe_success{probe="${probe}",path="vip"}`), 1, probe);
      }

      const broken = await request(demo.url).post('/demo/break').expect(200);
      assert.equal(broken.body.broken, true);
      const view = await nextRound((v) => v.lastRound?.functional === false);
      assert.equal(view.lastRound!.classifications.apiserver!.verdict, 'proxy_broken');
      text = (await request(demo.url).get('/metrics').expect(200)).text;
      assert.equal(sample(text, 'service_lb_functional'), 0);
      assert.equal(sample(text, 'service_lb_probe_success{probe="apiserver",path="endpoint"}'), 1, 'the backend still answers directly');
      assert.ok((sample(text, 'service_lb_probe_failures_total{probe="apiserver",path="vip",reason="refused"}') ?? 0) >= 1);

      await request(demo.url).post('/demo/heal').expect(200);
      await nextRound((v) => v.lastRound?.functional === true);
      assert.equal(sample((await request(demo.url).get('/metrics')).text, 'service_lb_functional'), 1);
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
