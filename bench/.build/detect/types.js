// The verdict vocabulary. Every label value the exporter emits for detection comes from the
// closed lists below, so series stay bounded whatever the cluster holds.
export const PROVIDER_TYPES = [
    'kube-proxy',
    'cilium-kpr',
    'calico-ebpf',
    'antrea-proxy',
    'kube-router',
    'ovn-kubernetes',
    'none',
    'unknown',
];
/** Providers that replace kube-proxy outright (their hooks act before kube-proxy's rules). */
export const REPLACEMENT_TYPES = [
    'cilium-kpr',
    'calico-ebpf',
    'antrea-proxy',
    'kube-router',
    'ovn-kubernetes',
];
export const CONFIG_CHECKS = [
    /** Cilium kube-proxy-replacement holds strict/partial/probe/disabled on a version that no longer accepts them */
    'cilium_kpr_legacy_value',
    /** Cilium kube-proxy-replacement holds a value no Cilium version accepts */
    'cilium_kpr_value_invalid',
    /** Cilium agent pods run more than one version */
    'cilium_version_skew',
    /** a full replacement and a running kube-proxy both program Services */
    'kpr_with_kube_proxy',
    /** kube-proxy's mode could not be determined or is not one kube-proxy knows */
    'kube_proxy_mode_unknown',
    /** KPR on, but no kube-proxy-compatible healthz bind address (load balancers' health checks fail) */
    'kpr_healthz_unset',
    /** schedulable Ready nodes without a proxy agent pod */
    'provider_agents_missing',
    /** a provider's configuration (ConfigMap content, node args) could not be parsed */
    'provider_config_unparseable',
    /** more Services are annotated for probing than --max-probe-targets allows */
    'probe_targets_over_limit',
];
export const AGENT_STATES = ['ready', 'unready', 'missing'];
export function noIssues() {
    return Object.fromEntries(CONFIG_CHECKS.map((c) => [c, false]));
}
