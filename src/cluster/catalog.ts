// The Kubernetes resources the exporter reads, and the shape of a source. What detection reads is
// derived from the component table (src/components/registry.ts: detectionSources); the sources,
// the RBAC test and the simulated cluster all derive from these, so a new read shows up everywhere.
import { slimEndpointSlice, slimEvent, slimService } from './slim.js';

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
  felixconfigurations: {
    group: 'crd.projectcalico.org',
    version: 'v1',
    resource: 'felixconfigurations',
    kind: 'FelixConfiguration',
    namespaced: false,
  },
} as const satisfies Record<string, ResourceRef>;

/** URL path of a collection, optionally in one namespace: /api/v1/pods, /apis/apps/v1/namespaces/x/daemonsets */
export function collectionPath(ref: ResourceRef, namespace?: string): string {
  const base = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  return namespace && ref.namespaced ? `${base}/namespaces/${namespace}/${ref.resource}` : `${base}/${ref.resource}`;
}

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
 * reads none: a cluster-wide event watch from every node would be N× the load (docs/deploy.md).
 */
export function diagnoseSources(opts: CatalogOptions): DiagnoseSourceSpec[] {
  if (opts.mode === 'daemonset') return [];
  return [{ name: 'events', ref: RESOURCES.events, fieldSelector: WARNING_POD_EVENTS, optional: true, slim: slimEvent }];
}

export { slimService, slimEndpointSlice };
