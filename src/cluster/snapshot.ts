// The one place a ClusterSnapshot is assembled from sources: the live source registry
// (sources.ts assembleSnapshot) and the simulated cluster (the testkit's snapshotFromObjects) both go through here,
// so what scenarios and tests exercise is what production reads.
import type { SourceSpec } from './catalog.js';
import { emptySnapshot, type ClusterSnapshot, type SlimPod, type SourceState } from './types.js';

/** What one source holds: its state and its (slimmed) objects. */
export interface SourceContent {
  state: SourceState;
  items: readonly unknown[];
}

/** Each source's objects go to its snapshot field; a pod seen by several pod watches counts once. */
export function buildSnapshot(specs: readonly SourceSpec[], read: (spec: SourceSpec) => SourceContent, nodeName?: string): ClusterSnapshot {
  const snap: ClusterSnapshot = emptySnapshot();
  const seenPods = new Set<string>();
  for (const spec of specs) {
    const { state, items } = read(spec);
    snap.sources[spec.name] = state;
    for (const item of items) {
      if (spec.field === 'agentPods') {
        const p = item as SlimPod;
        const key = `${p.namespace}/${p.name}`;
        if (seenPods.has(key)) continue;
        seenPods.add(key);
      }
      (snap[spec.field] as unknown[]).push(item);
    }
  }
  if (nodeName) snap.nodeName = nodeName;
  return snap;
}
