// Small queries over a ClusterSnapshot shared by the detectors.
import type { ClusterSnapshot, SlimConfigMap, SlimDaemonSet, SlimPod, SourceState } from '../cluster/types.js';
import { hasLabels } from './scheduling.js';
import type { AgentSelector } from './types.js';

/** DaemonSets named one of `names` or carrying every label of `labels`. */
export function daemonSetsFor(snap: ClusterSnapshot, names: string[], labels?: Record<string, string>): SlimDaemonSet[] {
  return (snap.daemonSets ?? []).filter((d) => names.includes(d.name) || (labels !== undefined && hasLabels(d.labels, labels)));
}

/** Agent pods carrying every label of any one set, excluding pods being deleted. */
export function podsWith(snap: ClusterSnapshot, labelSets: Record<string, string>[]): SlimPod[] {
  return (snap.agentPods ?? []).filter((p) => !p.deleting && labelSets.some((l) => hasLabels(p.labels, l)));
}

/** A ConfigMap by name, preferring `preferNamespaces` in order, else any namespace. */
export function configMap(snap: ClusterSnapshot, name: string, preferNamespaces: string[] = []): SlimConfigMap | undefined {
  const all = (snap.configMaps ?? []).filter((c) => c.name === name);
  for (const ns of preferNamespaces) {
    const c = all.find((x) => x.namespace === ns);
    if (c) return c;
  }
  return all[0];
}

/** State of a source; a source not mentioned (pure unit tests) counts as synced. */
export function sourceState(snap: ClusterSnapshot, name: string): SourceState {
  return snap.sources?.[name] ?? 'synced';
}

/** true when a source's objects can be trusted to be complete ("none" really means none). */
export function sourceReadable(snap: ClusterSnapshot, name: string): boolean {
  const s = sourceState(snap, name);
  return s === 'synced' || s === 'absent';
}

export function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  let n = 0;
  for (const [v, c] of counts) if (c > n) [best, n] = [v, c];
  return best;
}

export function dsRef(d: SlimDaemonSet | undefined): string | undefined {
  return d ? `${d.namespace}/${d.name}` : undefined;
}

/** How to recognise a component's agents: its pod labels, and its DaemonSet when there is one. */
export function agentSelector(labels: Record<string, string>, ds: SlimDaemonSet | undefined): AgentSelector {
  return ds ? { podLabels: [labels], daemonSet: `${ds.namespace}/${ds.name}` } : { podLabels: [labels] };
}
