// Small queries over the diagnose input shared by the checks, and the commands they suggest.
import type { SlimConfigMap, SlimDaemonSet, SlimPod } from '../cluster/types.js';
import type { Finding } from '../detect/types.js';
import { atLeast } from '../detect/version.js';
import type { DiagnoseInput } from './types.js';

/** A word safe to paste into a shell as is, else single-quoted. */
export function sh(word: string): string {
  return /^[A-Za-z0-9._/:=,@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const hasLabels = (labels: Record<string, string>, want: Record<string, string>): boolean =>
  Object.entries(want).every(([k, v]) => labels[k] === v);

/** Components programming Services right now: the effective provider first, then the rest (a conflict). */
export function activeFindings(input: DiagnoseInput): Finding[] {
  const v = input.verdict;
  if (!v) return [];
  const active = v.findings.filter((f) => f.active);
  return [...active.filter((f) => f.type === v.provider), ...active.filter((f) => f.type !== v.provider)];
}

export function findingOf(input: DiagnoseInput, type: Finding['type']): Finding | undefined {
  return input.verdict?.findings.find((f) => f.type === type);
}

/** The agent pods of a component (by its labels; pods being deleted are not agents). */
export function agentPods(input: DiagnoseInput, f: Finding): SlimPod[] {
  return (input.snapshot?.agentPods ?? []).filter((p) => !p.deleting && f.agents.podLabels.some((l) => hasLabels(p.labels, l)));
}

export function daemonSetOf(input: DiagnoseInput, f: Finding): SlimDaemonSet | undefined {
  const ref = f.agents.daemonSet;
  return ref ? (input.snapshot?.daemonSets ?? []).find((d) => `${d.namespace}/${d.name}` === ref) : undefined;
}

/** Namespace of a component's agents: its DaemonSet's, else its pods', else kube-system. */
export function namespaceOf(input: DiagnoseInput, f: Finding): string {
  return daemonSetOf(input, f)?.namespace ?? agentPods(input, f)[0]?.namespace ?? 'kube-system';
}

export function configMapIn(input: DiagnoseInput, name: string, namespaces: string[]): SlimConfigMap | undefined {
  const all = (input.snapshot?.configMaps ?? []).filter((c) => c.name === name);
  for (const ns of namespaces) {
    const c = all.find((x) => x.namespace === ns);
    if (c) return c;
  }
  return all[0];
}

/** The name people know a component by, for sentences. */
export function label(f: Finding): string {
  return f.type === 'cilium-kpr' ? 'Cilium' : f.type;
}

/** Cilium 1.15 renamed the in-pod debug CLI to `cilium-dbg` (the `cilium` name is the separate cilium-cli). */
export function ciliumDbg(version: string): string {
  return atLeast(version, 1, 15) === false ? 'cilium' : 'cilium-dbg';
}

/** `kubectl -n NS exec ds/NAME -c cilium-agent -- cilium-dbg ARGS` */
export function ciliumExec(input: DiagnoseInput, f: Finding, args: string): string {
  const ds = daemonSetOf(input, f);
  const target = ds ? `ds/${ds.name}` : agentPods(input, f)[0]?.name ?? 'ds/cilium';
  return `kubectl -n ${sh(namespaceOf(input, f))} exec ${sh(target)} -c cilium-agent -- ${ciliumDbg(f.version)} ${args}`;
}

/** What to grep an agent's logs for: seed 002 step 4 for kube-proxy, errors and the KPR setting for Cilium. */
export function logPattern(f: Finding): string {
  switch (f.type) {
    case 'kube-proxy':
      return 'panic|fatal|error|iptables|ipvs|nftables|connection refused|timeout';
    case 'cilium-kpr':
      return 'level=(error|fatal)|panic|kube-proxy-replacement';
    default:
      return 'panic|fatal|error';
  }
}

/** The container to read logs of: the one that is failing, else the component's main one. */
export function mainContainer(p: SlimPod): string | undefined {
  const bad = p.containerStatuses.find((s) => !s.ready && (s.waitingReason || s.lastTerminationReason));
  if (bad) return bad.name;
  const preferred = ['kube-proxy', 'cilium-agent', 'calico-node', 'antrea-agent', 'kube-router', 'ovnkube-controller', 'ovnkube-node'];
  return p.containers.find((c) => preferred.includes(c.name))?.name ?? (p.containers.length > 1 ? p.containers[0]?.name : undefined);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
