// Small queries over the diagnose input shared by the checks, and the commands they suggest. The
// finding/snapshot queries are the components' (src/components/hints.ts); these bind them to the input.
import type { SlimConfigMap, SlimDaemonSet, SlimPod } from '../cluster/types.js';
import { ciliumExec as ciliumExecOn } from '../components/cilium/hints.js';
import { agentPodsOf, configMapIn as configMapOf, daemonSetOf as daemonSetIn, namespaceOf as namespaceIn } from '../components/hints.js';
import { COMPONENTS, componentOf } from '../components/registry.js';
import type { Finding } from '../detect/types.js';
import type { DiagnoseInput } from './types.js';

export { sh } from '../components/hints.js';
export { ciliumDbg } from '../components/cilium/hints.js';

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
  return agentPodsOf(input.snapshot, f);
}

export function daemonSetOf(input: DiagnoseInput, f: Finding): SlimDaemonSet | undefined {
  return daemonSetIn(input.snapshot, f);
}

/** Namespace of a component's agents: its DaemonSet's, else its pods', else kube-system. */
export function namespaceOf(input: DiagnoseInput, f: Finding): string {
  return namespaceIn(input.snapshot, f);
}

export function configMapIn(input: DiagnoseInput, name: string, namespaces: string[]): SlimConfigMap | undefined {
  return configMapOf(input.snapshot, name, namespaces);
}

/** The name people know a component by, for sentences. */
export function label(f: Finding): string {
  return componentOf(f.type).label;
}

/** `kubectl -n NS exec ds/NAME -c cilium-agent -- cilium-dbg ARGS` */
export function ciliumExec(input: DiagnoseInput, f: Finding, args: string): string {
  return ciliumExecOn(input.snapshot, f, args);
}

/** What to grep an agent's logs for: the component's own pattern (src/components/<name>/index.ts). */
export function logPattern(f: Finding): string {
  return componentOf(f.type).logPattern;
}

const MAIN_CONTAINERS = COMPONENTS.flatMap((c) => c.containers);

/** The container to read logs of: the one that is failing, else the component's main one. */
export function mainContainer(p: SlimPod): string | undefined {
  const bad = p.containerStatuses.find((s) => !s.ready && (s.waitingReason || s.lastTerminationReason));
  if (bad) return bad.name;
  return p.containers.find((c) => MAIN_CONTAINERS.includes(c.name))?.name ?? (p.containers.length > 1 ? p.containers[0]?.name : undefined);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
