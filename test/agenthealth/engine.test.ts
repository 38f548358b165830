// The agent health engine inside the real exporter against the fake API server, over loopback:
// deployment mode asks every node, daemonset mode only its own, --agent-health off exports nothing,
// and the flags are checked.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { configMap, kubeProxyDs, kubeProxyPod, node } from '../../testkit/objects/minimal.js';
import { sample, startHarness } from '../helpers/exporter.js';
import { resolveSettings } from '../../src/config/load.js';
import { kubeProxyBody } from '../../testkit/dataplane/agents.js';
import type { AgentHealthView } from '../../src/agenthealth/types.js';

const ADDRS = { 'node-aaaa1': '127.0.5.1', 'node-bbbb2': '127.0.5.2' } as const;

describe('agent health engine', () => {
  const servers: http.Server[] = [];
  const asked: Record<string, number> = {};
  let port = 0;
  before(async () => {
    for (const [name, addr] of Object.entries(ADDRS)) {
      const s = http.createServer((req, res) => {
        asked[name] = (asked[name] ?? 0) + 1;
        const now = Date.now();
        res.writeHead(req.url === '/livez' ? 200 : 404, { 'content-type': 'application/json' }).end(kubeProxyBody(now, now, true));
      });
      await new Promise<void>((r) => s.listen(port, addr, r));
      port = (s.address() as AddressInfo).port;
      servers.push(s);
    }
  });
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  const objects = () => [
    ...Object.entries(ADDRS).map(([name, addr]) => {
      const n = node(name) as any;
      n.status.addresses = [{ type: 'InternalIP', address: addr }];
      return n;
    }),
    kubeProxyDs(),
    kubeProxyPod('node-aaaa1'),
    kubeProxyPod('node-bbbb2'),
    configMap('kube-system', 'kube-proxy', {
      'config.conf': `kind: KubeProxyConfiguration\nmode: ""\nhealthzBindAddress: 0.0.0.0:${port}\n`,
    }),
  ];

  async function firstRound(flags: Record<string, string>): Promise<{ view: AgentHealthView; text: string }> {
    const h = await startHarness({
      objects: objects(),
      flags: { 'agent-health-interval': '1s', 'agent-health-timeout': '500ms', 'probe-interval': '30s', ...flags },
    });
    try {
      const engine = h.running.agentHealth!;
      let view = engine.view;
      const signal = AbortSignal.timeout(10_000);
      // A round may start on a snapshot where the kube-proxy ConfigMap has not been read yet (then the
      // default port is asked); the next round uses the located port.
      const located = (v: AgentHealthView) => v.lastRound && v.provider === 'kube-proxy' && v.location?.served && v.location.port === port;
      while (!located(view)) [view] = (await once(engine, 'round', { signal })) as [AgentHealthView];
      return { view, text: await h.scrape() };
    } finally {
      await h.close();
    }
  }

  it('deployment mode asks every node at its InternalIP on the located port and path', async () => {
    for (const k of Object.keys(asked)) delete asked[k];
    const { view, text } = await firstRound({});
    assert.deepEqual(view.location && view.location.served && [view.location.port, view.location.path], [port, '/livez']);
    assert.deepEqual(view.nodes.map((n) => [n.node, n.address, n.state]).sort(), [
      ['node-aaaa1', '127.0.5.1', 'healthy'],
      ['node-bbbb2', '127.0.5.2', 'healthy'],
    ]);
    assert.equal(sample(text, 'proxy_provider_agent_health{state="healthy"}'), 2);
    assert.equal(sample(text, 'proxy_provider_agent_sync_age_seconds'), 0);
    assert.ok(asked['node-aaaa1']! >= 1 && asked['node-bbbb2']! >= 1);
  });

  it('daemonset mode asks only its own node', async () => {
    for (const k of Object.keys(asked)) delete asked[k];
    const { view, text } = await firstRound({ mode: 'daemonset', 'node-name': 'node-bbbb2' });
    assert.deepEqual(
      view.nodes.map((n) => n.node),
      ['node-bbbb2'],
    );
    assert.equal(sample(text, 'proxy_provider_agent_health{state="healthy"}'), 1);
    assert.equal(asked['node-aaaa1'], undefined, 'the other node is never asked');
  });

  it('--agent-health off: no engine, no agent health series', async () => {
    const h = await startHarness({ objects: objects(), flags: { 'agent-health': 'off' } });
    try {
      await h.verdict((v) => v.provider === 'kube-proxy');
      assert.equal(h.running.agentHealth, undefined);
      const text = await h.scrape();
      assert.doesNotMatch(text, /^proxy_provider_agent_health/m);
      assert.doesNotMatch(text, /^proxy_provider_agent_sync_age_seconds/m);
    } finally {
      await h.close();
    }
  });

  it('flags: a timeout longer than the interval is a one-line error naming both', () => {
    assert.throws(
      () => resolveSettings({ 'agent-health-interval': '1s', 'agent-health-timeout': '2s' }, {}),
      /--agent-health-timeout: 2s is longer than --agent-health-interval 1s/,
    );
    assert.throws(() => resolveSettings({ 'agent-health': 'maybe' }, {}), /--agent-health.*on, off/);
    assert.equal(resolveSettings({}, { SERVICE_PROXY_EXPORTER_AGENT_HEALTH_CONCURRENCY: '64' }).agentHealthConcurrency, 64);
  });
});
