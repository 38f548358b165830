// The metric names the shipped rules and dashboards may use.
//
// EXPORTER_METRICS mirrors the metric contract in DESIGN.md (the exporter's own families; a histogram is
// listed by its family name and used through its _bucket/_sum/_count series). The artifact tests check it
// against `FAMILIES` in src/metrics/families.ts whenever that table exists, so the two cannot drift.
//
// EXTERNAL_METRIC_PATTERNS are series other components own that our rules may read: Prometheus' own `up`,
// kube-state-metrics (`kube_*`), kube-proxy (`kubeproxy_*`) and Cilium (`cilium_*`).

export const EXPORTER_METRICS = [
  'proxy_provider',
  'proxy_provider_info',
  'proxy_provider_conflict',
  'proxy_provider_config_issue',
  'proxy_provider_agents',
  'service_lb_functional',
  'service_lb_probe_success',
  'service_lb_probe_duration_seconds',
  'service_lb_probes_total',
  'service_lb_probe_failures_total',
  'service_proxy_exporter_build_info',
  'service_proxy_exporter_source_up',
  // the canary (src/canary/)
  'service_lb_programming_duration_seconds',
  'service_lb_programming_pending_seconds',
  'service_lb_programming_changes_total',
  'service_proxy_exporter_canary_writer',
  'service_proxy_exporter_canary_write_errors_total',
] as const;
export type ExporterMetric = (typeof EXPORTER_METRICS)[number];

export const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

export const EXTERNAL_METRIC_PATTERNS: readonly RegExp[] = [/^up$/, /^kube_/, /^kubeproxy_/, /^cilium_/];

/** Label values the rules and dashboards rely on (closed sets from the contract). */
export const PROBE_PATHS = ['vip', 'endpoint', 'nodeport'] as const;
export const BUILTIN_PROBES = ['apiserver', 'dns_udp', 'dns_tcp', 'me_service'] as const;

/** The scrape job name the rules assume for the exporter (the Service name the ServiceMonitor targets). */
export const EXPORTER_JOB = 'service-proxy-exporter';
/** The scrape job name kube-prometheus-stack / kubernetes-mixin use for kube-proxy. */
export const KUBE_PROXY_JOB = 'kube-proxy';
