// Every component, in one table (node_exporter registers its collectors the same way): adding a
// service proxy is one folder under src/components/ and one row here. What the exporter reads
// (detection sources, the ConfigMaps RBAC names), the detectors, the provider label values and
// diagnose's per-component checks all derive from this table.
import { RESOURCES, type CatalogOptions, type SourceSpec } from '../cluster/catalog.js';
import { slimConfigMap, slimCustomResource, slimDaemonSet, slimNode, slimPod } from '../cluster/slim.js';
import type { Finding, ProviderType } from '../detect/types.js';
import { antrea } from './antrea/index.js';
import { calico } from './calico/index.js';
import { cilium } from './cilium/index.js';
import { kubeProxy } from './kube-proxy/index.js';
import { kubeRouter } from './kube-router/index.js';
import { ovnKubernetes } from './ovn-kubernetes/index.js';
import type { Component } from './types.js';

/** Keyed by provider type, so the compiler insists on exactly one component per type; the order is detection's. */
const BY_PROVIDER: Record<Finding['type'], Component> = {
  'kube-proxy': kubeProxy,
  'cilium-kpr': cilium,
  'calico-ebpf': calico,
  'antrea-proxy': antrea,
  'kube-router': kubeRouter,
  'ovn-kubernetes': ovnKubernetes,
};

export const COMPONENTS: readonly Component[] = Object.values(BY_PROVIDER);

export function componentOf(type: Finding['type']): Component {
  return BY_PROVIDER[type];
}

/** Every value of service_proxy_provider's `type` label: the components', then `none` and `unknown`. */
export const PROVIDER_TYPES = [...COMPONENTS.map((c) => c.provider), 'none', 'unknown'] as unknown as readonly [
  ProviderType,
  ...ProviderType[],
];

/** ConfigMaps detection reads, by name, in whatever namespace the component was installed into (the ClusterRole's resourceNames). */
export const DETECTION_CONFIGMAPS: readonly string[] = COMPONENTS.flatMap((c) => c.reads.configMaps ?? []);

function selectorOf(sets: Record<string, string>[]): string {
  const keys = [...new Set(sets.flatMap((s) => Object.keys(s)))];
  // One key, several values: a set-based selector, so several components share one watch per key.
  if (sets.length > 1 && keys.length === 1 && sets.every((s) => Object.keys(s).length === 1)) {
    return `${keys[0]} in (${sets.map((s) => s[keys[0]!]).join(',')})`;
  }
  if (sets.length > 1) throw new Error(`pod source shares a name across label sets that cannot merge: ${JSON.stringify(sets)}`);
  return Object.entries(sets[0]!)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Pod label selectors of the agent watches, by source name, merged from the components' pod reads. */
export const AGENT_POD_SELECTORS: Readonly<Record<string, string>> = (() => {
  const bySource = new Map<string, Record<string, string>[]>();
  const reads = COMPONENTS.flatMap((c) => c.reads.pods);
  // the components' own watches first, then distributions' (OpenShift's)
  for (const p of [...reads.filter((r) => !r.distribution), ...reads.filter((r) => r.distribution)]) {
    bySource.set(p.source, [...(bySource.get(p.source) ?? []), p.labels]);
  }
  return Object.fromEntries([...bySource].map(([name, sets]) => [name, selectorOf(sets)]));
})();

/** The detection sources for a mode. Daemonset mode narrows pods and nodes to its own node. */
export function detectionSources(opts: CatalogOptions): SourceSpec[] {
  const onNode = opts.mode === 'daemonset' && opts.nodeName ? opts.nodeName : undefined;
  const sources: SourceSpec[] = [
    { name: 'daemonsets', ref: RESOURCES.daemonsets, required: true, field: 'daemonSets', slim: slimDaemonSet },
    {
      name: 'nodes',
      ref: RESOURCES.nodes,
      ...(onNode ? { fieldSelector: `metadata.name=${onNode}` } : {}),
      required: true,
      field: 'nodes',
      slim: slimNode,
    },
  ];
  for (const [name, labelSelector] of Object.entries(AGENT_POD_SELECTORS)) {
    sources.push({
      name,
      ref: RESOURCES.pods,
      labelSelector,
      ...(onNode ? { fieldSelector: `spec.nodeName=${onNode}` } : {}),
      required: true,
      field: 'agentPods',
      slim: slimPod,
    });
  }
  for (const cm of DETECTION_CONFIGMAPS) {
    sources.push({
      name: `configmap/${cm}`,
      ref: RESOURCES.configmaps,
      fieldSelector: `metadata.name=${cm}`,
      required: false,
      field: 'configMaps',
      slim: slimConfigMap,
    });
  }
  for (const c of COMPONENTS) {
    for (const cr of c.reads.customResources ?? []) {
      sources.push({ name: cr.source, ref: cr.ref, optional: true, required: false, field: cr.field, slim: slimCustomResource });
    }
  }
  return sources;
}
