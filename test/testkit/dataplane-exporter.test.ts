// The demo data plane under the real exporter, wired as `startDemo` does: the simulated cluster,
// the data plane on its API store, the exporter, then the exporter's own Service. The metric
// service_lb_functional goes 1 → 0 (verdict proxy_broken, endpoints still up) → 1.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openConnection, type ApiConnection } from '../../src/cluster/kubeconfig.js';
import { resolveSettings } from '../../src/config/load.js';
import { runExporter, type RunningExporter } from '../../src/app/run.js';
import type { ProbeView } from '../../src/app/probes.js';
import { eachVerdict } from '../../src/probe/differential.js';
import { silentLogger } from '../../src/log.js';
import { startSimulatedCluster, type SimulatedCluster } from '../../testkit/demo/cluster.js';
import { startDemoDataPlane, type DemoDataPlane } from '../../testkit/dataplane/index.js';

const NS = 'service-proxy-exporter';

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('demo data plane under the real exporter', () => {
  let cluster: SimulatedCluster;
  let dp: DemoDataPlane;
  let running: RunningExporter;
  let conn: ApiConnection | undefined;

  before(async () => {
    cluster = await startSimulatedCluster('cilium-kpr');
    const settings = resolveSettings(
      {
        listen: '127.0.0.1:0',
        kubeconfig: cluster.kubeconfigPath,
        'service-namespace': NS,
        'probe-timeout': '1s',
        'source-grace-period': '1s',
      },
      {},
    );
    dp = await startDemoDataPlane(cluster.api, { clusterDomain: settings.clusterDomain });
    conn = await openConnection(cluster.kubeconfigPath);
    running = await runExporter({ settings, conn, log: silentLogger() });
    const u = new URL(running.url);
    await dp.addSelfService({ namespace: NS, name: settings.serviceName, host: u.hostname, port: Number(u.port) });
  });
  after(async () => {
    await running?.stop();
    conn?.close();
    await dp?.close();
    await cluster?.close();
  });

  const round = (): Promise<ProbeView> => running.probes.runNow();
  const metric = async (): Promise<string | undefined> => {
    const text = await (await fetch(`${running.url}/metrics`)).text();
    return /^service_lb_functional (\S+)$/m.exec(text)?.[1];
  };

  it('is functional with every built-in probe and the opt-in demo Service', async () => {
    await until('all ten targets, all up', async () => {
      const v = await round();
      return v.targets.length === 10 && v.lastRound?.functional === true;
    });
    const probes = new Set(running.probes.state.targets.map((t) => t.probe));
    assert.deepEqual([...probes].sort(), ['apiserver', 'demo/echo', 'dns_tcp', 'dns_udp', 'me_service']);
    assert.equal(await metric(), '1');
  });

  it('break(): service_lb_functional 0, every probe proxy_broken; heal(): 1 again', async () => {
    await dp.break();
    const broken = await round();
    assert.equal(broken.lastRound?.functional, false);
    for (const c of eachVerdict(broken.lastRound!.classifications)) assert.equal(c.verdict, 'proxy_broken', c.probe);
    for (const r of broken.lastRound!.results) {
      if (r.target.path === 'endpoint') assert.equal(r.result.success, true, `${r.target.probe} endpoint`);
      else assert.equal(r.result.reason, 'refused', `${r.target.probe} vip`);
    }
    assert.equal(await metric(), '0');

    await dp.heal();
    const healed = await round();
    assert.equal(healed.lastRound?.functional, true);
    for (const c of eachVerdict(healed.lastRound!.classifications)) assert.equal(c.verdict, 'ok', c.probe);
    assert.equal(await metric(), '1');
  });
});
