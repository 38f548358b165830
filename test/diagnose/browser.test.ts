// What a person sees: the status page of the running demo in headless Chromium, JavaScript off.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startDemo } from '../../testkit/demo/demo.js';
import { silentLogger } from '../../src/log.js';
import { nextProbeRound } from '../../src/app/diagnose.js';

const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium floods a closed network with requests.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('status page in a browser', () => {
  it('shows the provider, a probes table row and a runbook link, without JavaScript', async (t) => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') assert.fail(`${CHROMIUM} is missing: .ci/run installs the Debian chromium package`);
      t.skip(`${CHROMIUM} not installed (apt-get install chromium); this test is mandatory under CI=true`);
      return;
    }
    // A KPR cluster without the healthz bind: a config issue that links its runbook.
    const demo = await startDemo({ scenario: 'cilium-kpr-no-healthz', listen: '127.0.0.1:0', probeInterval: '30s', log: silentLogger() });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const { exporter, probes } = demo.running;
      assert.ok(await exporter.whenReady(20_000), `ready: waiting for ${exporter.readiness().waitingFor.join(', ')}`);
      if (!probes.state.lastRound) assert.ok(await nextProbeRound(probes, 15_000), 'a probe round completed');
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      const res = await page.goto(`${demo.url}/`);
      assert.equal(res?.status(), 200);
      assert.equal((await page.locator('#provider').innerText()).trim(), 'cilium-kpr');
      assert.match(await page.locator('body').innerText(), /Services are load-balanced by cilium-kpr in ebpf mode/);
      const row = page.locator('#probes tbody tr', { hasText: 'apiserver' }).first();
      const cells = (await row.locator('td').allInnerTexts()).map((s) => s.trim());
      assert.equal(cells[0], 'apiserver');
      assert.ok(['vip', 'endpoint'].includes(cells[1]!), cells.join(' | '));
      assert.ok(['ipv4', 'ipv6'].includes(cells[2]!), `IP family: ${cells.join(' | ')}`);
      assert.match(cells[3]!, /^[\d.:[\]a-f]+:\d+$/, 'target host:port');
      assert.ok(['success', 'failed'].includes(cells[4]!), cells.join(' | '));
      assert.match(cells[6]!, /\d+(\.\d+)? (ms|s)$/, 'latency');
      const link = page.locator('#config-issues a.runbook').first();
      assert.equal(await link.innerText(), 'ServiceProxyConfigInvalid');
      assert.equal(
        await link.getAttribute('href'),
        'https://github.com/service-proxy-exporter/service-proxy-exporter/blob/main/docs/runbooks/ServiceProxyConfigInvalid.md',
      );
      assert.match(await page.locator('#config-issues').innerText(), /kpr_healthz_unset/);
      assert.match(await page.locator('#sources').innerText(), /events\s+synced/);
      await context.close();
    } finally {
      await browser.close();
      await demo.close();
    }
  });
});
