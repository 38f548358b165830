// Per-node agent states for the effective provider (docs/detection.md "Agents").
import type { ClusterSnapshot, SlimDaemonSet, SlimNode } from '../cluster/types.js';
import type { AgentCounts, Finding, NodeAgentState } from './types.js';
import { hasLabels, matchesNodeSelector, matchesNodeSelectorTerms, nodeReady, untoleratedTaints } from './scheduling.js';

export interface AgentReport {
  nodes: NodeAgentState[];
  counts: AgentCounts;
}

export function emptyAgents(): AgentReport {
  return { nodes: [], counts: { ready: 0, unready: 0, missing: 0 } };
}

function findDaemonSet(snap: ClusterSnapshot, ref: string | undefined): SlimDaemonSet | undefined {
  if (!ref) return undefined;
  return (snap.daemonSets ?? []).find((d) => `${d.namespace}/${d.name}` === ref);
}

/** Why `node` is not expected to run an agent, or undefined when it is. */
function notExpected(node: SlimNode, ds: SlimDaemonSet | undefined): string | undefined {
  if (!nodeReady(node)) return 'node not Ready';
  if (node.unschedulable) return 'node cordoned';
  if (!ds) return undefined;
  if (!matchesNodeSelector(node, ds.nodeSelector)) return 'outside the DaemonSet nodeSelector';
  if (ds.requiredNodeAffinity) {
    if (!matchesNodeSelectorTerms(node, ds.requiredNodeAffinity)) return 'outside the DaemonSet required node affinity';
  } else if (ds.hasRequiredNodeAffinity) {
    // An affinity we cannot evaluate: rather than guess, such nodes are not called missing.
    return 'DaemonSet has required node affinity (not evaluated)';
  }
  const blocking = untoleratedTaints(node, ds.tolerations);
  if (blocking.length) return `untolerated taint ${blocking[0]!.key}:${blocking[0]!.effect}`;
  return undefined;
}

export function agentStates(snap: ClusterSnapshot, finding: Finding | undefined): AgentReport {
  if (!finding) return emptyAgents();
  const nodes = (snap.nodes ?? []).filter((n) => !snap.nodeName || n.name === snap.nodeName);
  const out: NodeAgentState[] = [];
  if (finding.agents.embeddedInNode) {
    for (const n of nodes) {
      out.push(nodeReady(n) ? { node: n.name, state: 'ready' } : { node: n.name, state: 'unready', reason: 'node not Ready' });
    }
  } else {
    const ds = findDaemonSet(snap, finding.agents.daemonSet);
    // A pod is an agent by its labels, or by being owned by the agent DaemonSet: AKS labels its
    // kube-proxy pods component=kube-proxy,tier=node rather than k8s-app=kube-proxy.
    const ownedBy = ds ? { namespace: ds.namespace, owner: `DaemonSet/${ds.name}` } : undefined;
    const agents = (snap.agentPods ?? []).filter(
      (p) =>
        !p.deleting &&
        (finding.agents.podLabels.some((l) => hasLabels(p.labels, l)) ||
          (ownedBy !== undefined && p.namespace === ownedBy.namespace && p.owner === ownedBy.owner)),
    );
    // Grouped once: a filter per node was nodes × pods (25 M calls at 5,000 nodes, on every recompute).
    const byNode = new Map<string, typeof agents>();
    for (const p of agents) {
      const list = byNode.get(p.nodeName);
      if (list) list.push(p);
      else byNode.set(p.nodeName, [p]);
    }
    for (const n of nodes) {
      const mine = byNode.get(n.name) ?? [];
      const ready = mine.find((p) => p.ready);
      if (ready) {
        out.push({ node: n.name, state: 'ready', pod: `${ready.namespace}/${ready.name}` });
      } else if (mine.length) {
        const p = mine[0]!;
        const waiting = p.containerStatuses.find((s) => s.waitingReason)?.waitingReason;
        out.push({ node: n.name, state: 'unready', pod: `${p.namespace}/${p.name}`, reason: waiting ?? (p.phase || 'not Ready') });
      } else if (notExpected(n, ds) === undefined) {
        out.push({ node: n.name, state: 'missing', reason: 'no agent pod on a node that should run one' });
      }
    }
  }
  const counts: AgentCounts = { ready: 0, unready: 0, missing: 0 };
  for (const s of out) counts[s.state]++;
  return { nodes: out, counts };
}
