// Small queries over a finding and the snapshot that component checks and diagnose share, and the
// commands they suggest. Built on detect/lookup.ts, so a pod is an agent by one rule everywhere.
import type { ClusterSnapshot, SlimConfigMap, SlimDaemonSet, SlimPod } from '../cluster/types.js';
import { emptySnapshot } from '../cluster/types.js';
import { configMap, podsWith } from '../detect/lookup.js';
import type { Finding } from '../detect/types.js';

/** A word safe to paste into a shell as is, else single-quoted. */
export function sh(word: string): string {
  return /^[A-Za-z0-9._/:=,@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The agent pods of a component (by its labels; pods being deleted are not agents). */
export function agentPodsOf(snap: ClusterSnapshot | undefined, f: Finding): SlimPod[] {
  return podsWith(snap ?? emptySnapshot(), f.agents.podLabels);
}

export function daemonSetOf(snap: ClusterSnapshot | undefined, f: Finding): SlimDaemonSet | undefined {
  const ref = f.agents.daemonSet;
  return ref ? (snap?.daemonSets ?? []).find((d) => `${d.namespace}/${d.name}` === ref) : undefined;
}

/** Namespace of a component's agents: its DaemonSet's, else its pods', else kube-system. */
export function namespaceOf(snap: ClusterSnapshot | undefined, f: Finding): string {
  return daemonSetOf(snap, f)?.namespace ?? agentPodsOf(snap, f)[0]?.namespace ?? 'kube-system';
}

export function configMapIn(snap: ClusterSnapshot | undefined, name: string, namespaces: string[]): SlimConfigMap | undefined {
  return configMap(snap ?? emptySnapshot(), name, namespaces);
}
