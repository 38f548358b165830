// Pure parts around a round: which nodes to ask, what the answers add up to, and the detection
// rule that a Ready agent whose own endpoint answers unhealthy counts as unready.
import type { ClusterSnapshot } from '../cluster/types.js';
import type { AgentCounts, Verdict } from '../detect/types.js';
import type { Target } from './prober.js';
import { zeroCounts, type AgentHealthView, type HealthCounts, type NodeHealth } from './types.js';

/**
 * Nodes that should run an agent and have one (ready or unready in the verdict): a `missing` node
 * has no agent to ask and is already counted as missing. Daemonset mode: the verdict holds only
 * this replica's node. Address: the node's InternalIP.
 */
export function targetsFor(verdict: Verdict | undefined, snap: ClusterSnapshot | undefined): Target[] {
  if (!verdict || !snap) return [];
  const ips = new Map((snap.nodes ?? []).map((n) => [n.name, n.internalIP]));
  return verdict.agentNodes
    .filter((a) => a.state !== 'missing' && (!snap.nodeName || a.node === snap.nodeName))
    .map((a) => ({ node: a.node, address: ips.get(a.node) ?? '' }));
}

export function summarize(nodes: NodeHealth[]): { counts: HealthCounts; maxSyncAgeSeconds?: number } {
  const counts = zeroCounts();
  let max: number | undefined;
  for (const n of nodes) {
    counts[n.state]++;
    if (n.syncAgeSeconds !== undefined && (max === undefined || n.syncAgeSeconds > max)) max = n.syncAgeSeconds;
  }
  return max === undefined ? { counts } : { counts, maxSyncAgeSeconds: max };
}

/** Nodes `not_served` with one reason (the provider/version/config has no endpoint). */
export function notServed(targets: Target[], reason: string, at: string): NodeHealth[] {
  return targets.map((t) => ({ node: t.node, address: t.address, state: 'not_served', reason, at }));
}

/**
 * The rule (docs/detection.md "Agent health endpoints"): a node whose agent pod is Ready but whose
 * health endpoint answered non-200 in the last round counts as `unready`. Unreachable endpoints do
 * not change the count: from the exporter's pod that is as likely a NetworkPolicy or firewall as
 * the agent. Results for another provider than the verdict's are ignored.
 */
export function applyAgentHealth(verdict: Verdict, view: AgentHealthView | undefined): Verdict {
  if (!view || view.provider !== verdict.provider || !view.lastRound) return verdict;
  const bad = new Map(view.nodes.filter((n) => n.state === 'unhealthy').map((n) => [n.node, n]));
  if (bad.size === 0) return verdict;
  let changed = false;
  const agentNodes = verdict.agentNodes.map((a) => {
    const h = bad.get(a.node);
    if (a.state !== 'ready' || !h) return a;
    changed = true;
    const age = h.syncAgeSeconds !== undefined ? `, last sync ${Math.round(h.syncAgeSeconds)}s ago` : '';
    return { ...a, state: 'unready' as const, reason: `Ready, but its health endpoint answered ${h.status ?? 'non-200'}${age}` };
  });
  if (!changed) return verdict;
  const agents: AgentCounts = { ready: 0, unready: 0, missing: 0 };
  for (const a of agentNodes) agents[a.state]++;
  return { ...verdict, agentNodes, agents };
}
