// diagnose and the status page list the nodes by their agent's health answer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport, renderText } from '../../src/diagnose/index.js';
import { renderStatusPage } from '../../src/http/status-page.js';
import type { AgentHealthView, NodeHealth } from '../../src/agenthealth/types.js';
import type { DiagnoseInput } from '../../src/diagnose/types.js';

const at = '2026-12-01T10:00:00.000Z';
const nodes: NodeHealth[] = [
  { node: 'node-a', address: '198.18.0.10', state: 'healthy', status: 200, syncAgeSeconds: 0, at },
  { node: 'node-b', address: '198.18.0.11', state: 'unhealthy', status: 503, syncAgeSeconds: 612.4, at },
  { node: 'node-c', address: '198.18.0.12', state: 'unreachable', reason: 'timeout', at },
];
const view = (o: Partial<AgentHealthView> = {}): AgentHealthView => ({
  provider: 'kube-proxy',
  location: { served: true, port: 10256, path: '/livez', bodyFormat: 'kube-proxy-json', source: "kube-proxy's default" },
  counts: { healthy: 1, unhealthy: 1, unreachable: 1, not_served: 0 },
  maxSyncAgeSeconds: 612.4,
  nodes,
  lastRound: { at, durationSeconds: 0.5 },
  intervalMs: 30_000,
  ...o,
});
const input = (agentHealth?: AgentHealthView): DiagnoseInput => ({
  verdict: undefined,
  snapshot: undefined,
  sources: {},
  events: undefined,
  probes: undefined,
  now: Date.parse(at),
  ...(agentHealth ? { agentHealth } : {}),
});
const check = (agentHealth?: AgentHealthView) => buildReport(input(agentHealth)).checks.find((c) => c.id === 'agents.health')!;

describe('agents.health', () => {
  it('fails on an unhealthy node, listing each bad node with the answer seen and a curl to run', () => {
    const c = check(view());
    assert.equal(c.status, 'fail');
    assert.match(c.summary, /1 healthy, 1 unhealthy, 1 unreachable of 3 nodes asked on :10256\/livez; largest sync age 612s/);
    assert.deepEqual(c.details, ['node-b (198.18.0.11): HTTP 503, last sync 612s ago', 'node-c (198.18.0.12): unreachable (timeout)']);
    assert.equal(c.next, 'curl -sv http://198.18.0.11:10256/livez');
    assert.equal(c.runbook, 'ServiceProxyAgentUnhealthy');
    assert.match(renderText(buildReport(input(view())), { color: false }), /node-b \(198\.18\.0\.11\): HTTP 503/);
  });

  it('only unreachable nodes warn; all healthy is ok; not served is skipped with the reason', () => {
    assert.equal(
      check(view({ counts: { healthy: 1, unhealthy: 0, unreachable: 1, not_served: 0 }, nodes: [nodes[0]!, nodes[2]!] })).status,
      'warn',
    );
    assert.equal(check(view({ counts: { healthy: 1, unhealthy: 0, unreachable: 0, not_served: 0 }, nodes: [nodes[0]!] })).status, 'ok');
    const ns = check(
      view({
        location: { served: false, reason: 'k3s binds it to 127.0.0.1.' },
        counts: { healthy: 0, unhealthy: 0, unreachable: 0, not_served: 2 },
        nodes: [],
      }),
    );
    assert.equal(ns.status, 'skipped');
    assert.match(ns.summary, /127\.0\.0\.1.*2 nodes not_served/);
    assert.equal(check(undefined).status, 'skipped');
  });

  it('the status page shows the counts and the failing nodes', () => {
    const page = renderStatusPage({
      report: buildReport(input(view())),
      probes: undefined,
      sources: {},
      readiness: { ready: true, waitingFor: [] },
    });
    assert.match(page, /id="agent-health"/);
    assert.match(page, /1 unhealthy/);
    assert.match(page, /<td>node-b<\/td><td><code>198\.18\.0\.11<\/code><\/td>.*HTTP 503.*612 s/);
    assert.doesNotMatch(page, /<td>node-a<\/td>/);
  });
});
