// The verdict vocabulary. Every label value the exporter emits for detection comes from the
// closed lists below (and the component table), so series stay bounded whatever the cluster holds.

/**
 * The `type` of each component (src/components/registry.ts is keyed by it, so the compiler keeps the
 * two in step); the runtime list, PROVIDER_TYPES, is derived from the component table.
 */
export type ComponentType = 'kube-proxy' | 'cilium-kpr' | 'calico-ebpf' | 'antrea-proxy' | 'kube-router' | 'ovn-kubernetes';
export type ProviderType = ComponentType | 'none' | 'unknown';

/** Providers that replace kube-proxy outright (their hooks act before kube-proxy's rules). */
export const REPLACEMENT_TYPES = [
  'cilium-kpr',
  'calico-ebpf',
  'antrea-proxy',
  'kube-router',
  'ovn-kubernetes',
] as const satisfies readonly ProviderType[];
export type ReplacementType = (typeof REPLACEMENT_TYPES)[number];

/**
 * How `diagnose` treats a raised config check: `own` when a check of its own explains it (a
 * component's src/components/<name>/diagnose.ts, or the conflict and agent groups), else the status
 * and sentence config.other reports it with.
 */
export type ConfigCheckDiagnosis = 'own' | { status: 'warn' | 'fail'; text: string };

/** The config checks (label `check` of proxy_provider_config_issue): the one list, in exposition order. */
const CONFIG_CHECK_TABLE = {
  /** Cilium kube-proxy-replacement holds strict/partial/probe/disabled on a version that no longer accepts them */
  cilium_kpr_legacy_value: 'own',
  /** Cilium kube-proxy-replacement holds a value no Cilium version accepts */
  cilium_kpr_value_invalid: 'own',
  /** Cilium agent pods run more than one version */
  cilium_version_skew: 'own',
  /** a full replacement and a running kube-proxy both program Services */
  kpr_with_kube_proxy: 'own',
  /** kube-proxy's mode could not be determined or is not one kube-proxy knows */
  kube_proxy_mode_unknown: 'own',
  /** KPR on, but no kube-proxy-compatible healthz bind address (load balancers' health checks fail) */
  kpr_healthz_unset: 'own',
  /** schedulable Ready nodes without a proxy agent pod */
  provider_agents_missing: 'own',
  /** a provider's configuration (ConfigMap content, node args) could not be parsed */
  provider_config_unparseable: {
    status: 'fail',
    text: "a provider's configuration (a ConfigMap detection reads, or node args) does not parse",
  },
  /** more Services are annotated for probing than --max-probe-targets allows */
  probe_targets_over_limit: {
    status: 'warn',
    text: 'more Services are annotated for probing than --max-probe-targets allows; the rest are not probed',
  },
} as const satisfies Record<string, ConfigCheckDiagnosis>;

export type ConfigCheck = keyof typeof CONFIG_CHECK_TABLE;
export const CONFIG_CHECKS = Object.keys(CONFIG_CHECK_TABLE) as [ConfigCheck, ...ConfigCheck[]];

export function configCheckDiagnosis(check: ConfigCheck): ConfigCheckDiagnosis {
  return CONFIG_CHECK_TABLE[check];
}

export const AGENT_STATES = ['ready', 'unready', 'missing'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/** What one detector found about one component. `null` from a detector means "not present". */
export interface Finding {
  type: Exclude<ProviderType, 'none' | 'unknown'>;
  /** true when this component is actually programming Services right now */
  active: boolean;
  /**
   * true for a full replacement. Cilium in legacy partial/probe mode is active but not full:
   * it coexists with kube-proxy by design.
   */
  fullReplacement: boolean;
  mode: string;
  version: string;
  flavor: string;
  /** config checks this finding raises */
  issues: ConfigCheck[];
  /** human-readable evidence, one sentence each: what was looked at and what it said */
  evidence: string[];
  /** how to recognise this component's agent pods, and its DaemonSet if it has one */
  agents: AgentSelector;
  /** the configuration detection read, as parsed, so diagnose reads it instead of parsing again */
  config?: FindingConfig;
}

/** A component's configuration as detection found and parsed it (a ConfigMap key). */
export interface FindingConfig {
  /** "ConfigMap ns/name key k", for sentences */
  where: string;
  namespace: string;
  name: string;
  /** the ConfigMap key holding the document; absent when the ConfigMap's data itself is the configuration */
  key?: string;
  /** the parsed mapping (for a whole-ConfigMap configuration: its data) */
  doc?: Record<string, unknown>;
  /** why it did not parse, first line */
  parseError?: string;
}

export interface AgentSelector {
  /** label sets; a pod is an agent when it carries every label of any one set */
  podLabels: Record<string, string>[];
  /** namespace/name of the agent DaemonSet, when known (its nodeSelector/tolerations bound where agents are expected) */
  daemonSet?: string;
  /**
   * When the agent runs inside another process (k3s embeds kube-proxy), nodes themselves are the
   * agents: a node's agent is ready when the node is Ready.
   */
  embeddedInNode?: boolean;
}

export interface AgentCounts {
  ready: number;
  unready: number;
  missing: number;
}

export interface NodeAgentState {
  node: string;
  state: AgentState;
  /** agent pod name, when there is one */
  pod?: string;
  reason?: string;
}

export interface Verdict {
  provider: ProviderType;
  mode: string;
  version: string;
  flavor: string;
  conflict: boolean;
  /** every known check, true when it fails */
  issues: Record<ConfigCheck, boolean>;
  agents: AgentCounts;
  /** per node, for the status page and diagnose (not exported as labels: node names are unbounded) */
  agentNodes: NodeAgentState[];
  /** every component found, active or not */
  findings: Finding[];
  /** why this verdict, in sentences */
  reasons: string[];
}

export function noIssues(): Record<ConfigCheck, boolean> {
  return Object.fromEntries(CONFIG_CHECKS.map((c) => [c, false])) as Record<ConfigCheck, boolean>;
}
