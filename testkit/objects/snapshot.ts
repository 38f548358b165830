// A ClusterSnapshot built from raw objects exactly as the live sources would build it: same
// catalog, same selectors, same slimming. Scenarios and tests go through here, so what they
// exercise is what production reads.
import { detectionSources } from '../../src/components/registry.js';
import { buildSnapshot } from '../../src/cluster/snapshot.js';
import type { ClusterSnapshot } from '../../src/cluster/types.js';
import { matchesFieldSelector, matchesLabelSelector } from '../apiserver/selectors.js';

export interface SnapshotOptions {
  mode?: 'deployment' | 'daemonset';
  nodeName?: string;
  /** CRD names installed (`installations.operator.tigera.io`); an optional source's CRD not listed is `absent` */
  installedCrds?: string[];
}

function crdName(ref: { resource: string; group: string }): string {
  return `${ref.resource}.${ref.group}`;
}

/** What the source filter reads of an object; the objects themselves may be anything (the fuzz tests pass junk). */
interface Candidate {
  kind?: unknown;
  apiVersion?: unknown;
  metadata?: { labels?: Record<string, string> };
}

export function snapshotFromObjects(objects: readonly unknown[], opts: SnapshotOptions = {}): ClusterSnapshot {
  const mode = opts.mode ?? (opts.nodeName ? 'daemonset' : 'deployment');
  const installed = new Set(opts.installedCrds ?? []);
  const specs = detectionSources({ mode, ...(opts.nodeName ? { nodeName: opts.nodeName } : {}) });
  return buildSnapshot(
    specs,
    (src) => {
      if (src.optional && !installed.has(crdName(src.ref))) return { state: 'absent', items: [] };
      const apiVersion = src.ref.group ? `${src.ref.group}/${src.ref.version}` : src.ref.version;
      const items: unknown[] = [];
      for (const item of objects ?? []) {
        if (!item || typeof item !== 'object') continue;
        const o = item as Candidate;
        if (o.kind !== src.ref.kind) continue;
        // Same kind, other group (e.g. a different "Installation" CRD) is not this source.
        if (typeof o.apiVersion === 'string' && o.apiVersion !== apiVersion) continue;
        if (!matchesLabelSelector(src.labelSelector, o.metadata?.labels)) continue;
        if (!matchesFieldSelector(src.fieldSelector, o)) continue;
        items.push(src.slim(o));
      }
      return { state: 'synced', items };
    },
    mode === 'daemonset' ? opts.nodeName : undefined,
  );
}
