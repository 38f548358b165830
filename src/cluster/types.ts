// Slimmed views of the Kubernetes objects detection and probing read. Sources keep only these
// shapes in memory (a whole Cilium agent pod is ~14 KB; this is a few hundred bytes), and
// detection sees nothing else, so what is here is exactly what the exporter depends on.

export interface SlimContainer {
  name: string;
  image: string;
  /** command followed by args, as given in the pod spec */
  argv: string[];
  /** env vars with a literal value (valueFrom is dropped: it needs reads we do not make) */
  env: Record<string, string>;
}

export interface SlimToleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

export interface SlimNodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values: string[];
}

/** A node selector term over node labels (matchExpressions) and the node name (matchFields metadata.name). */
export interface SlimNodeSelectorTerm {
  labels: SlimNodeSelectorRequirement[];
  names: SlimNodeSelectorRequirement[];
}

export interface SlimDaemonSet {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** spec.template.spec.nodeSelector */
  nodeSelector: Record<string, string>;
  /** true when spec.template.spec.affinity has a required node affinity */
  hasRequiredNodeAffinity: boolean;
  /**
   * its nodeSelectorTerms (ORed; each term's expressions ANDed), when every one is of a form we
   * evaluate; undefined when there is none or it holds something we do not evaluate
   */
  requiredNodeAffinity?: SlimNodeSelectorTerm[];
  tolerations: SlimToleration[];
  containers: SlimContainer[];
  desired: number;
  current: number;
  ready: number;
  available: number;
  updated: number;
  misscheduled: number;
}

export interface SlimContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  image: string;
  /** state.waiting.reason, e.g. CrashLoopBackOff, ImagePullBackOff */
  waitingReason?: string;
  /** lastState.terminated.reason, e.g. Error, OOMKilled */
  lastTerminationReason?: string;
  lastTerminationExitCode?: number;
}

export interface SlimPod {
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  /** only annotations detection uses (kubernetes.io/config.mirror, kubernetes.io/config.source) */
  annotations: Record<string, string>;
  nodeName: string;
  /** kind/name of the first ownerReference, e.g. "DaemonSet/cilium", "Node/worker-1" */
  owner: string;
  phase: string;
  /** the Ready condition */
  ready: boolean;
  deleting: boolean;
  podIP: string;
  containers: SlimContainer[];
  containerStatuses: SlimContainerStatus[];
  startTime?: string;
}

export type NodeConditionType = 'Ready' | 'MemoryPressure' | 'DiskPressure' | 'PIDPressure' | 'NetworkUnavailable';

export interface SlimTaint {
  key: string;
  value?: string;
  effect: string;
}

export interface SlimNode {
  name: string;
  /** all labels: DaemonSet nodeSelectors match on them */
  labels: Record<string, string>;
  /** only annotations detection uses (k3s.io/node-args, rke2.io/node-args, ...) */
  annotations: Record<string, string>;
  unschedulable: boolean;
  taints: SlimTaint[];
  /** condition type -> status ("True" | "False" | "Unknown"); absent when not reported */
  conditions: Partial<Record<NodeConditionType, string>>;
  internalIP: string;
  /** every InternalIP, in the order reported: a dual-stack node has one per family */
  internalIPs: string[];
  kubeletVersion: string;
  kubeProxyVersion: string;
  containerRuntimeVersion: string;
}

export interface SlimConfigMap {
  namespace: string;
  name: string;
  data: Record<string, string>;
}

/** A custom resource reduced to the spec fields detection reads. */
export interface SlimCustomResource {
  namespace: string;
  name: string;
  spec: Record<string, unknown>;
}

export interface SlimServicePort {
  name: string;
  protocol: string;
  port: number;
  targetPort: string;
  nodePort?: number;
}

export interface SlimService {
  namespace: string;
  name: string;
  uid: string;
  type: string;
  clusterIP: string;
  clusterIPs: string[];
  ports: SlimServicePort[];
  /** only service-proxy-exporter.io/* annotations */
  annotations: Record<string, string>;
  selector: Record<string, string>;
  /** set only when Local: a node port then answers only on nodes with a ready endpoint */
  externalTrafficPolicy?: 'Local';
  /** LoadBalancer with externalTrafficPolicy Local: the node port the load balancer's health checks ask */
  healthCheckNodePort?: number;
  /** set only when Local: the VIP then answers only from nodes with a ready endpoint */
  internalTrafficPolicy?: 'Local';
}

export interface SlimEndpoint {
  addresses: string[];
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName: string;
  targetRef: string;
}

export interface SlimEndpointSlice {
  namespace: string;
  name: string;
  serviceName: string;
  addressType: string;
  ports: { name: string; port: number; protocol: string }[];
  endpoints: SlimEndpoint[];
}

/**
 * How a source stands. `absent`: the API answered 404 (a CRD that is not installed) — a normal
 * state meaning "none of these exist". `forbidden`: 403, the signal is unavailable. `error`:
 * anything else (5xx, connection refused, dropped and not yet resumed) after having retried.
 */
export type SourceState = 'pending' | 'synced' | 'absent' | 'forbidden' | 'error';

/** Everything detection looks at, at one moment. Pure data: no functions, no client objects. */
export interface ClusterSnapshot {
  daemonSets: SlimDaemonSet[];
  /** pods of known service-proxy agents (selected by label, cluster-wide or this node only) */
  agentPods: SlimPod[];
  nodes: SlimNode[];
  /** the handful of ConfigMaps detection reads, by name, from any namespace */
  configMaps: SlimConfigMap[];
  /** Calico operator `Installation` objects (operator.tigera.io/v1) */
  calicoInstallations: SlimCustomResource[];
  /** Calico `FelixConfiguration` objects (crd.projectcalico.org/v1) */
  felixConfigurations: SlimCustomResource[];
  /** per source name, its state; detection must not conclude from a source that is not synced/absent */
  sources: Record<string, SourceState>;
  /** daemonset mode: the node this replica runs on; detection then judges only that node's agent */
  nodeName?: string;
}

export function emptySnapshot(): ClusterSnapshot {
  return {
    daemonSets: [],
    agentPods: [],
    nodes: [],
    configMaps: [],
    calicoInstallations: [],
    felixConfigurations: [],
    sources: {},
  };
}
