// Agent health end to end on real sockets between network namespaces: three "nodes", each its own
// namespace joined to the test's by a veth pair (198.18.2.0/24, /30 links), run kube-proxy's
// health server shapes — healthy, 503 with a stale lastUpdated, and one whose port drops every
// packet. The real exporter (startHarness: sources, detection, agent health engine, metrics)
// against the fake API server must, within one --agent-health-interval of being ready, scrape
//   proxy_provider_agent_health{healthy 1, unhealthy 1, unreachable 1, not_served 0}
//   proxy_provider_agent_sync_age_seconds ≈ 600
//   proxy_provider_agents{ready 2, unready 1}  (Ready pod, unhealthy endpoint)
// Needs root and a network namespace of its own (the isolation wrapper): veths are added to the
// current namespace, so it refuses to run in one that has other interfaces than lo.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { kubeadmProxyConfig, kubeProxyDs, kubeProxyPod, node } from '../../testkit/objects/minimal.js';
import { sample, startHarness, type Harness } from '../helpers/exporter.js';
import { dataplaneSkip, spawnInNamespace, type NetnsPair } from './netns.js';
import type { AgentHealthView } from '../../src/agenthealth/types.js';

const execFileP = promisify(execFile);
const run = async (argv: string[]) => (await execFileP(argv[0]!, argv.slice(1), { timeout: 30_000 })).stdout;

async function isolatedNamespace(): Promise<string | undefined> {
  const links = (await run(['ip', '-o', 'link', 'show']))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(':')[1]!.trim().split('@')[0]!);
  const foreign = links.filter((l) => l !== 'lo' && !l.startsWith('spa'));
  return foreign.length
    ? `the current network namespace has interfaces ${foreign.join(', ')}: run through the isolation wrapper`
    : undefined;
}

let skip = await dataplaneSkip();
if (!skip) {
  const why = await isolatedNamespace();
  if (why && process.env.CI === 'true') throw new Error(`agent health data-plane test cannot run under CI=true: ${why}`);
  if (why) skip = `agent health data-plane test skipped: ${why}`;
}

const INTERVAL_MS = 2000;
const TIMEOUT_MS = 500;
const PORT = 10256;
const NODES = [
  { name: 'node-healthy', mode: 'healthy' },
  { name: 'node-stale', mode: 'stale' },
  { name: 'node-silent', mode: 'silent' },
] as const;

describe('agent health over network namespaces', { skip }, () => {
  const id = randomBytes(3).toString('hex');
  // Only its process set is used: spawnInNamespace owns the agent servers through it.
  const pair: NetnsPair = {
    id,
    client: '',
    server: '',
    clientIP: '',
    serverIP: '',
    processes: new Set(),
    async destroy() {
      for (const c of pair.processes) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await Promise.all([...pair.processes].map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
      pair.processes.clear();
    },
  };
  const namespaces: string[] = [];
  const links: string[] = [];
  let h: Harness | undefined;

  before(async () => {
    for (const [i, n] of NODES.entries()) {
      const ns = `spe-n${i}-${id}`;
      const host = `spa${i}${id}`;
      const peer = `spb${i}${id}`;
      const hostIP = `198.18.2.${4 * i + 1}`;
      const nodeIP = `198.18.2.${4 * i + 2}`;
      await run(['ip', 'netns', 'add', ns]);
      namespaces.push(ns);
      await run(['ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', peer, 'netns', ns]);
      links.push(host);
      await run(['ip', 'addr', 'add', `${hostIP}/30`, 'dev', host]);
      await run(['ip', 'link', 'set', host, 'up']);
      await run(['ip', '-n', ns, 'addr', 'add', `${nodeIP}/30`, 'dev', peer]);
      await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      await run(['ip', '-n', ns, 'link', 'set', peer, 'up']);
      if (n.mode === 'silent')
        await run(['ip', 'netns', 'exec', ns, 'iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', String(PORT), '-j', 'DROP']);
      else await spawnInNamespace(pair, ns, 'test/dataplane/agent-server.ts', [nodeIP, String(PORT), n.mode]);
    }
    const objects = [
      ...NODES.map((n, i) => {
        const o = node(n.name) as any;
        o.status.addresses = [
          { type: 'InternalIP', address: `198.18.2.${4 * i + 2}` },
          { type: 'Hostname', address: n.name },
        ];
        return o;
      }),
      kubeProxyDs({ desired: 3 }),
      ...NODES.map((n) => kubeProxyPod(n.name)),
      kubeadmProxyConfig(''),
    ];
    h = await startHarness({
      objects,
      flags: { 'agent-health-interval': `${INTERVAL_MS}ms`, 'agent-health-timeout': `${TIMEOUT_MS}ms`, 'probe-interval': '30s' },
    });
  });

  after(async () => {
    await h?.close();
    await pair.destroy();
    for (const ns of namespaces) await run(['ip', 'netns', 'del', ns]).catch(() => undefined);
    for (const l of links) await run(['ip', 'link', 'del', l]).catch(() => undefined);
  });

  it('counts healthy, unhealthy (503, stale) and unreachable nodes, with the sync age, within one interval', async () => {
    const engine = h!.running.agentHealth!;
    await h!.ready();
    const readyAt = Date.now();
    const want = (v: AgentHealthView) => v.counts.healthy === 1 && v.counts.unhealthy === 1 && v.counts.unreachable === 1;
    let view = engine.view;
    const deadline = AbortSignal.timeout(INTERVAL_MS * 3);
    while (!(view.lastRound && want(view))) [view] = (await once(engine, 'round', { signal: deadline })) as [AgentHealthView];
    const seenAfter = Date.now() - readyAt;
    assert.ok(seenAfter <= INTERVAL_MS, `first complete answer ${seenAfter}ms after ready; bound one interval (${INTERVAL_MS}ms)`);
    assert.ok(view.lastRound!.durationSeconds * 1000 <= INTERVAL_MS, `round took ${view.lastRound!.durationSeconds}s`);

    const byNode = Object.fromEntries(view.nodes.map((n) => [n.node, n]));
    assert.deepEqual([byNode['node-healthy']!.state, byNode['node-healthy']!.status], ['healthy', 200]);
    assert.deepEqual([byNode['node-stale']!.state, byNode['node-stale']!.status], ['unhealthy', 503]);
    assert.deepEqual([byNode['node-silent']!.state, byNode['node-silent']!.reason], ['unreachable', 'timeout']);

    const text = await h!.scrape();
    assert.equal(sample(text, 'proxy_provider_agent_health{state="healthy"}'), 1);
    assert.equal(sample(text, 'proxy_provider_agent_health{state="unhealthy"}'), 1);
    assert.equal(sample(text, 'proxy_provider_agent_health{state="unreachable"}'), 1);
    assert.equal(sample(text, 'proxy_provider_agent_health{state="not_served"}'), 0);
    const age = sample(text, 'proxy_provider_agent_sync_age_seconds')!;
    assert.ok(Math.abs(age - 600) < 2, `sync age ${age}`);
    // The Ready pod on node-stale counts as unready; the silent node's does not change.
    assert.equal(sample(text, 'proxy_provider_agents{state="ready"}'), 2);
    assert.equal(sample(text, 'proxy_provider_agents{state="unready"}'), 1);
  });
});
