// The one list of everything the exporter reads from the Kubernetes API. Sources, the RBAC test
// and the simulated cluster all derive from it, so a new read shows up everywhere at once.
import { slimConfigMap, slimCustomResource, slimDaemonSet, slimNode, slimPod, slimService, slimEndpointSlice } from './slim.js';
import { slimEvent } from '../diagnose/events.js';

export interface ResourceRef {
  /** "" for the core group */
  group: string;
  version: string;
  /** plural resource name as in the URL */
  resource: string;
  kind: string;
  namespaced: boolean;
}

export const RESOURCES = {
  pods: { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true },
  nodes: { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false },
  configmaps: { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true },
  services: { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true },
  events: { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true },
  daemonsets: { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true },
  installations: { group: 'operator.tigera.io', version: 'v1', resource: 'installations', kind: 'Installation', namespaced: false },
  felixconfigurations: { group: 'crd.projectcalico.org', version: 'v1', resource: 'felixconfigurations', kind: 'FelixConfiguration', namespaced: false },
} as const satisfies Record<string, ResourceRef>;

/** URL path of a collection, optionally in one namespace: /api/v1/pods, /apis/apps/v1/namespaces/x/daemonsets */
export function collectionPath(ref: ResourceRef, namespace?: string): string {
  const base = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  return namespace && ref.namespaced ? `${base}/namespaces/${namespace}/${ref.resource}` : `${base}/${ref.resource}`;
}

/** ConfigMaps detection reads, by name, in whatever namespace the component was installed into. */
export const DETECTION_CONFIGMAPS = ['kube-proxy', 'kube-proxy-config', 'cilium-config', 'antrea-config'] as const;

/**
 * Pod label selectors of known service-proxy agents (DESIGN.md "Agent pods, by label").
 * Set-based where several components share a label key, so there is one watch per key.
 */
export const AGENT_POD_SELECTORS = {
  'agent-pods': 'k8s-app in (kube-proxy,cilium,calico-node,kube-router)',
  'kube-proxy-static-pods': 'component=kube-proxy',
  'antrea-agent-pods': 'app=antrea,component=antrea-agent',
  'ovnkube-node-pods': 'app=ovnkube-node',
  // OpenShift: openshift-sdn's sdn pods, and openshift-kube-proxy next to a third-party CNI
  'openshift-proxy-pods': 'app in (sdn,kube-proxy)',
} as const;

export type SnapshotField = 'daemonSets' | 'agentPods' | 'nodes' | 'configMaps' | 'calicoInstallations' | 'felixConfigurations';

export interface SourceSpec {
  /** the `source` label of service_proxy_exporter_source_up */
  name: string;
  ref: ResourceRef;
  labelSelector?: string;
  fieldSelector?: string;
  /** a CRD that may not be installed: 404 means "none exist", not an error */
  optional?: boolean;
  /** without it detection cannot conclude (the verdict becomes `unknown`) */
  required: boolean;
  /** where its objects go in the ClusterSnapshot */
  field: SnapshotField;
  slim: (raw: unknown) => unknown;
}

export interface CatalogOptions {
  mode: 'deployment' | 'daemonset';
  /** daemonset mode: this replica's node */
  nodeName?: string;
}

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
  sources.push(
    { name: 'calico-installations', ref: RESOURCES.installations, optional: true, required: false, field: 'calicoInstallations', slim: slimCustomResource },
    { name: 'felix-configurations', ref: RESOURCES.felixconfigurations, optional: true, required: false, field: 'felixConfigurations', slim: slimCustomResource },
  );
  return sources;
}

/** Field selector of the events diagnose reads: only Warnings, only about pods. */
export const WARNING_POD_EVENTS = 'type=Warning,involvedObject.kind=Pod';

/** A source that feeds diagnose, not detection: it has no snapshot field and is never required. */
export interface DiagnoseSourceSpec {
  name: string;
  ref: ResourceRef;
  fieldSelector: string;
  /** 404 means "not served here": absent, not an error */
  optional: true;
  slim: (raw: unknown) => unknown;
}

/**
 * Sources only diagnose (CLI, /diagnose, status page) reads, kept out of `detectionSources()` so they
 * can never change a verdict: their objects are read from the SourceGroup by name. Daemonset mode
 * reads none: a cluster-wide event watch from every node would be N× the load (DESIGN.md).
 */
export function diagnoseSources(opts: CatalogOptions): DiagnoseSourceSpec[] {
  if (opts.mode === 'daemonset') return [];
  return [{ name: 'events', ref: RESOURCES.events, fieldSelector: WARNING_POD_EVENTS, optional: true, slim: slimEvent }];
}

export { slimService, slimEndpointSlice };
