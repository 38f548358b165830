// The agents' own health endpoints, as the KubeProxyDown runbook's "verify network connectivity
// between monitoring system and kube-proxy pod endpoints" step: every node by state, with the
// answer seen (status code, sync age) or why there was none, and the endpoint that was asked.
import type { NodeHealth } from '../../agenthealth/types.js';
import type { Check, CheckFn } from '../types.js';
import { plural, sh } from '../facts.js';

/** Nodes listed in evidence (and details) at most; the counts cover all. */
export const MAX_LISTED_NODES = 50;

function answer(n: NodeHealth): string {
  if (n.state === 'unreachable') return `unreachable (${n.reason ?? 'no answer'})`;
  if (n.state === 'not_served') return 'not served';
  const age = n.syncAgeSeconds !== undefined ? `, last sync ${Math.round(n.syncAgeSeconds)}s ago` : '';
  const eligible = n.nodeEligible === false ? ', node being deleted (nodeEligible false)' : '';
  return `HTTP ${n.status}${age}${eligible}${n.reason ? ` (${n.reason})` : ''}`;
}

export const agentsHealth: CheckFn = (input) => {
  const id = 'agents.health';
  const v = input.agentHealth;
  if (!v)
    return [
      {
        id,
        group: 'agents',
        status: 'skipped',
        summary: "The agents' own health endpoints were not asked (--agent-health off, or diagnose outside the cluster).",
        evidence: {},
      },
    ];
  if (!v.lastRound) return [{ id, group: 'agents', status: 'skipped', summary: 'No agent health round has completed yet.', evidence: {} }];
  if (!v.location)
    return [
      {
        id,
        group: 'agents',
        status: 'skipped',
        summary: `No service proxy to ask (provider ${v.provider}).`,
        evidence: { provider: v.provider },
      },
    ];
  const byState = (s: NodeHealth['state']) => v.nodes.filter((n) => n.state === s);
  const listed = (ns: NodeHealth[]) =>
    ns.slice(0, MAX_LISTED_NODES).map((n) => ({
      node: n.node,
      address: n.address,
      state: n.state,
      ...(n.status !== undefined ? { status: n.status } : {}),
      ...(n.syncAgeSeconds !== undefined ? { syncAgeSeconds: n.syncAgeSeconds } : {}),
      ...(n.reason ? { reason: n.reason } : {}),
    }));
  const bad = [...byState('unhealthy'), ...byState('unreachable')];
  const evidence: Record<string, unknown> = {
    provider: v.provider,
    endpoint: v.location.served
      ? { port: v.location.port, path: v.location.path, source: v.location.source }
      : { notServed: v.location.reason },
    counts: v.counts,
    ...(v.maxSyncAgeSeconds !== undefined ? { maxSyncAgeSeconds: v.maxSyncAgeSeconds } : {}),
    roundAt: v.lastRound.at,
    nodes: listed([...bad, ...byState('healthy')]),
  };
  if (!v.location.served) {
    return [
      {
        id,
        group: 'agents',
        status: 'skipped',
        summary: `${v.provider} serves no health endpoint here: ${v.location.reason} (${plural(v.counts.not_served, 'node')} not_served).`,
        evidence,
      },
    ];
  }
  const where = `:${v.location.port}${v.location.path}`;
  const c = v.counts;
  const age = v.maxSyncAgeSeconds !== undefined ? `; largest sync age ${Math.round(v.maxSyncAgeSeconds)}s` : '';
  const line = `${c.healthy} healthy, ${c.unhealthy} unhealthy, ${c.unreachable} unreachable of ${plural(v.nodes.length, 'node')} asked on ${where}${age}`;
  if (!bad.length) return [{ id, group: 'agents', status: 'ok', summary: `Agent health endpoints: ${line}.`, evidence }];
  const first = bad[0]!;
  const check: Check = {
    id,
    group: 'agents',
    status: c.unhealthy ? 'fail' : 'warn',
    summary: `Agent health endpoints: ${line} (${v.location.source}).`,
    details: bad.slice(0, MAX_LISTED_NODES).map((n) => `${n.node} (${n.address || 'no InternalIP'}): ${answer(n)}`),
    evidence,
    ...(first.address
      ? {
          next: `curl -sv ${sh(`http://${first.address.includes(':') ? `[${first.address}]` : first.address}:${v.location.port}${v.location.path}`)}`,
        }
      : {}),
    runbook: 'ServiceProxyAgentUnhealthy',
  };
  return [check];
};

export const agentHealthChecks: CheckFn[] = [agentsHealth];
