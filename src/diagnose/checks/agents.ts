// docs/runbooks/KubeProxyDown.md steps 1-6, for whichever component programs Services: its DaemonSet desired vs ready,
// pods that are not Ready and why, their Warning events, nodes that lack an agent, and the
// condition of the nodes the agents run on.
import type { SlimNode, SlimPod } from '../../cluster/types.js';
import type { Finding } from '../../detect/types.js';
import { recentEventsOf } from '../events.js';
import type { Check, CheckFn, DiagnoseInput } from '../types.js';
import { activeFindings, agentPods, daemonSetOf, label, logPattern, mainContainer, namespaceOf, plural, sh } from '../facts.js';

/** How far back a Warning event still counts as recent (the API server's default event TTL). */
export const EVENT_WINDOW_MS = 60 * 60 * 1000;
/** A Ready agent restarted at least this often is worth a look. */
export const RESTART_WARN = 5;

const runbookFor = (input: DiagnoseInput, f: Finding): string =>
  f.type === 'kube-proxy' && input.verdict?.provider === 'kube-proxy' ? 'KubeProxyDown' : 'ServiceProxyAgentsUnavailable';

function noAgents(id: string, input: DiagnoseInput): Check[] | undefined {
  if (activeFindings(input).length > 0) return undefined;
  const p = input.verdict?.provider;
  return [
    {
      id,
      group: 'agents',
      status: 'skipped',
      summary:
        p === 'unknown' || !p ? 'No verdict: agents cannot be judged.' : 'No component programs Services, so there are no agents to check.',
      evidence: {},
    },
  ];
}

export const agentsDaemonSet: CheckFn = (input) => {
  const id = 'agents.daemonset';
  const skip = noAgents(id, input);
  if (skip) return skip;
  const out: Check[] = [];
  for (const f of activeFindings(input)) {
    const ds = daemonSetOf(input, f);
    if (!ds) {
      const why = f.agents.embeddedInNode
        ? `${label(f)} runs inside the k3s process: no DaemonSet, the nodes are the agents`
        : `${label(f)} runs as ${f.flavor === 'static-pod' ? 'static pods' : 'pods'} without a DaemonSet`;
      out.push({ id, group: 'agents', status: 'skipped', summary: `${why}.`, evidence: { component: f.type } });
      continue;
    }
    const ref = `${ds.namespace}/${ds.name}`;
    const counts = {
      desired: ds.desired,
      current: ds.current,
      ready: ds.ready,
      available: ds.available,
      updated: ds.updated,
      misscheduled: ds.misscheduled,
    };
    const evidence = { component: f.type, daemonSet: ref, ...counts };
    const line = `desired ${ds.desired}, current ${ds.current}, ready ${ds.ready}, available ${ds.available}, up-to-date ${ds.updated}`;
    const describe = `kubectl -n ${sh(ds.namespace)} describe ds ${sh(ds.name)}`;
    const pods = `kubectl -n ${sh(ds.namespace)} get pods -l ${sh(
      Object.entries(f.agents.podLabels[0] ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    )} -o wide`;
    if (ds.ready < ds.desired || ds.available < ds.desired || ds.current < ds.desired) {
      out.push({
        id,
        group: 'agents',
        status: 'fail',
        summary: `DaemonSet ${ref}: only ${ds.ready} of ${ds.desired} pods Ready (${line}).`,
        evidence,
        next: pods,
        more: [describe],
        runbook: runbookFor(input, f),
      });
    } else if (ds.updated < ds.desired) {
      out.push({
        id,
        group: 'agents',
        status: 'warn',
        summary: `DaemonSet ${ref}: all ${ds.desired} pods Ready but only ${ds.updated} run the current template: a rollout is unfinished (${line}).`,
        evidence,
        next: `kubectl -n ${sh(ds.namespace)} rollout status ds/${sh(ds.name)} --timeout=10s`,
      });
    } else {
      out.push({
        id,
        group: 'agents',
        status: 'ok',
        summary: `DaemonSet ${ref}: ${ds.ready} of ${ds.desired} pods Ready and available.`,
        evidence,
      });
    }
  }
  return out;
};

function containerLine(p: SlimPod): string {
  const parts = p.containerStatuses
    .filter((s) => !s.ready || s.restartCount > 0)
    .map((s) => {
      const bits = [s.waitingReason, `${plural(s.restartCount, 'restart')}`];
      if (s.lastTerminationReason)
        bits.push(
          `last exit ${s.lastTerminationReason}${s.lastTerminationExitCode !== undefined ? ` (code ${s.lastTerminationExitCode})` : ''}`,
        );
      return `${s.name}: ${bits.filter(Boolean).join(', ')}`;
    });
  return parts.length ? parts.join('; ') : p.phase || 'not Ready';
}

function podEvidence(p: SlimPod) {
  return {
    pod: `${p.namespace}/${p.name}`,
    node: p.nodeName,
    phase: p.phase,
    ready: p.ready,
    containers: p.containerStatuses.map((s) => ({
      name: s.name,
      ready: s.ready,
      restartCount: s.restartCount,
      ...(s.waitingReason ? { waitingReason: s.waitingReason } : {}),
      ...(s.lastTerminationReason ? { lastTerminationReason: s.lastTerminationReason } : {}),
      ...(s.lastTerminationExitCode !== undefined ? { lastTerminationExitCode: s.lastTerminationExitCode } : {}),
    })),
  };
}

function logsCommand(f: Finding, p: SlimPod): string {
  const c = mainContainer(p);
  const restarted = p.containerStatuses.some((s) => s.restartCount > 0 || s.lastTerminationReason);
  return `kubectl -n ${sh(p.namespace)} logs ${sh(p.name)}${c ? ` -c ${sh(c)}` : ''}${restarted ? ' --previous' : ''} --tail=500 | grep -Ei ${sh(logPattern(f))}`;
}

export const agentsPods: CheckFn = (input) => {
  const id = 'agents.pods';
  const skip = noAgents(id, input);
  if (skip) return skip;
  const out: Check[] = [];
  for (const f of activeFindings(input)) {
    if (f.agents.embeddedInNode) {
      out.push({
        id,
        group: 'agents',
        status: 'skipped',
        summary: `${label(f)} is embedded in k3s: there are no agent pods (see agents.nodes).`,
        evidence: { component: f.type },
      });
      continue;
    }
    const pods = agentPods(input, f).sort((a, b) => a.name.localeCompare(b.name));
    const notReady = pods.filter((p) => !p.ready);
    const restarting = pods.filter((p) => p.ready && p.containerStatuses.some((s) => s.restartCount >= RESTART_WARN));
    const evidence = {
      component: f.type,
      total: pods.length,
      notReady: notReady.map(podEvidence),
      restarting: restarting.map(podEvidence),
    };
    if (notReady.length) {
      const reasons = [...new Set(notReady.flatMap((p) => p.containerStatuses.map((s) => s.waitingReason).filter(Boolean)))];
      const first = notReady[0]!;
      out.push({
        id,
        group: 'agents',
        status: 'fail',
        summary: `${notReady.length} of ${pods.length} ${label(f)} pods not Ready${reasons.length ? ` (${reasons.join(', ')})` : ''}: ${notReady.map((p) => p.name).join(', ')}.`,
        details: notReady.map((p) => `${p.namespace}/${p.name} on ${p.nodeName || '(unscheduled)'}: ${containerLine(p)}`),
        evidence,
        next: `kubectl -n ${sh(first.namespace)} describe pod ${sh(first.name)}`,
        more: [...notReady.slice(0, 3).map((p) => logsCommand(f, p))],
        runbook: runbookFor(input, f),
      });
    } else if (restarting.length) {
      out.push({
        id,
        group: 'agents',
        status: 'warn',
        summary: `All ${pods.length} ${label(f)} pods are Ready, but ${restarting.map((p) => p.name).join(', ')} restarted ${RESTART_WARN} or more times.`,
        details: restarting.map((p) => `${p.namespace}/${p.name} on ${p.nodeName}: ${containerLine(p)}`),
        evidence,
        next: logsCommand(f, restarting[0]!),
      });
    } else if (pods.length === 0) {
      out.push({
        id,
        group: 'agents',
        status: 'warn',
        summary: `No ${label(f)} agent pod exists.`,
        evidence,
        next: `kubectl get pods -A -l ${sh(
          Object.entries(f.agents.podLabels[0] ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        )} -o wide`,
      });
    } else {
      out.push({ id, group: 'agents', status: 'ok', summary: `All ${pods.length} ${label(f)} pods are Ready.`, evidence });
    }
  }
  return out;
};

export const agentsMissing: CheckFn = (input) => {
  const id = 'agents.missing';
  const skip = noAgents(id, input);
  if (skip) return skip;
  const v = input.verdict!;
  const missing = v.agentNodes.filter((n) => n.state === 'missing');
  const f = activeFindings(input)[0]!;
  const evidence = { component: f.type, agents: v.agents, missing: missing.map((n) => ({ node: n.node, reason: n.reason ?? '' })) };
  if (!missing.length)
    return [
      {
        id,
        group: 'agents',
        status: 'ok',
        summary: `Every Ready, schedulable node that should run a ${label(f)} agent has one (${v.agents.ready} ready, ${v.agents.unready} unready).`,
        evidence,
      },
    ];
  const ds = daemonSetOf(input, f);
  const ns = namespaceOf(input, f);
  return [
    {
      id,
      group: 'agents',
      status: 'fail',
      summary: `${plural(missing.length, 'node')} without a ${label(f)} agent although Ready and schedulable: ${missing.map((n) => n.node).join(', ')}. Services are not programmed there.`,
      details: missing.map((n) => `${n.node}: ${n.reason ?? 'no agent pod'}`),
      evidence,
      next: ds ? `kubectl -n ${sh(ns)} describe ds ${sh(ds.name)}` : `kubectl describe node ${sh(missing[0]!.node)}`,
      more: ds
        ? [
            `kubectl -n ${sh(ns)} get events --field-selector involvedObject.kind=DaemonSet,involvedObject.name=${sh(ds.name)} --sort-by=.lastTimestamp`,
            `kubectl describe node ${sh(missing[0]!.node)}`,
          ]
        : [],
      runbook: 'ServiceProxyAgentsUnavailable',
    },
  ];
};

export const agentsEvents: CheckFn = (input) => {
  const id = 'agents.events';
  const skip = noAgents(id, input);
  if (skip) return skip;
  if (!input.events)
    return [
      {
        id,
        group: 'agents',
        status: 'skipped',
        summary: `Warning events are not collected: ${input.eventsNote ?? 'no events source'}.`,
        evidence: {},
      },
    ];
  const pods = activeFindings(input).flatMap((f) => agentPods(input, f));
  const keys = new Set(pods.map((p) => `${p.namespace}/${p.name}`));
  const recent = recentEventsOf(input.events, keys, input.now, EVENT_WINDOW_MS);
  const evidence = { windowMinutes: EVENT_WINDOW_MS / 60_000, podsWatched: keys.size, events: recent.slice(0, 20) };
  if (!recent.length)
    return [
      { id, group: 'agents', status: 'ok', summary: `No Warning events for the ${keys.size} agent pods in the last hour.`, evidence },
    ];
  const podsWithEvents = [...new Set(recent.map((e) => `${e.namespace}/${e.pod}`))];
  const [ns, name] = podsWithEvents[0]!.split('/') as [string, string];
  return [
    {
      id,
      group: 'agents',
      status: 'warn',
      summary: `${plural(recent.length, 'recent Warning event')} on ${plural(podsWithEvents.length, 'agent pod')}: ${[...new Set(recent.map((e) => e.reason))].join(', ')}.`,
      details: recent.slice(0, 10).map((e) => `${e.lastTimestamp || '?'} ${e.namespace}/${e.pod} ${e.reason} (x${e.count}): ${e.message}`),
      evidence,
      next: `kubectl -n ${sh(ns)} get events --field-selector involvedObject.name=${sh(name)},type=Warning --sort-by=.lastTimestamp`,
    },
  ];
};

const PRESSURES = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'] as const;

function nodeProblems(n: SlimNode): string[] {
  const out: string[] = [];
  const ready = n.conditions.Ready;
  if (ready !== 'True')
    out.push(ready === undefined ? 'Ready not reported' : ready === 'Unknown' ? 'NotReady (kubelet stopped reporting)' : 'NotReady');
  for (const c of PRESSURES) if (n.conditions[c] === 'True') out.push(c);
  return out;
}

export const agentsNodes: CheckFn = (input) => {
  const id = 'agents.nodes';
  const skip = noAgents(id, input);
  if (skip) return skip;
  const findings = activeFindings(input);
  const embedded = findings.some((f) => f.agents.embeddedInNode);
  const hosting = new Set<string>([
    ...findings
      .flatMap((f) => agentPods(input, f))
      .map((p) => p.nodeName)
      .filter(Boolean),
    ...(input.verdict?.agentNodes ?? []).map((n) => n.node),
  ]);
  const nodes = (input.snapshot?.nodes ?? []).filter((n) => embedded || hosting.has(n.name));
  const bad = nodes.map((n) => ({ node: n, problems: nodeProblems(n) })).filter((x) => x.problems.length);
  const evidence = {
    nodesChecked: nodes.length,
    unhealthy: bad.map((b) => ({ node: b.node.name, conditions: b.node.conditions, unschedulable: b.node.unschedulable })),
  };
  if (!bad.length)
    return [
      {
        id,
        group: 'agents',
        status: 'ok',
        summary: `All ${plural(nodes.length, 'node')} hosting agents are Ready without Memory/Disk/PID pressure.`,
        evidence,
      },
    ];
  return [
    {
      id,
      group: 'agents',
      status: 'fail',
      summary: `${plural(bad.length, 'node')} hosting agents ${bad.length === 1 ? 'is' : 'are'} unhealthy: ${bad.map((b) => `${b.node.name} (${b.problems.join(', ')})`).join('; ')}.`,
      details: bad.map((b) => `${b.node.name}: ${b.problems.join(', ')}${b.node.unschedulable ? ', cordoned' : ''}`),
      evidence,
      next: `kubectl describe node ${sh(bad[0]!.node.name)} | sed -n '/Conditions:/,/Addresses:/p'`,
      more: bad.slice(1, 3).map((b) => `kubectl describe node ${sh(b.node.name)}`),
      runbook: 'ServiceProxyAgentsUnavailable',
    },
  ];
};

export const agentChecks: CheckFn[] = [agentsDaemonSet, agentsPods, agentsMissing, agentsEvents, agentsNodes];
