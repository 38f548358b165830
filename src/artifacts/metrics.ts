// The metric names the shipped rules and dashboards may use.
//
// EXPORTER_METRICS are the exporter's own families, taken from the family table (src/metrics/families.ts;
// a histogram is listed by its family name and used through its _bucket/_sum/_count series). The closed
// label-value sets the rules rely on come from where they are defined (src/probe/types.ts).
//
// EXTERNAL_METRIC_PATTERNS are series other components own that our rules may read: Prometheus' own `up`,
// kube-state-metrics (`kube_*`), kube-proxy (`kubeproxy_*`) and Cilium (`cilium_*`).
import { FAMILIES } from '../metrics/families.js';

export { BUILTIN_PROBES, PROBE_PATHS } from '../probe/types.js';

export const EXPORTER_METRICS: readonly string[] = FAMILIES.map((f) => f.name);

export const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

export const EXTERNAL_METRIC_PATTERNS: readonly RegExp[] = [/^up$/, /^kube_/, /^kubeproxy_/, /^cilium_/];

/** Verdicts of a backend's own fault (src/probe/differential.ts VERDICT_BLAME). */
export { BACKEND_FAULTS as BACKEND_VERDICTS } from '../probe/differential.js';

/** The scrape job name the rules assume for the exporter (the Service name the ServiceMonitor targets). */
export const EXPORTER_JOB = 'service-proxy-exporter';
/** The scrape job name kube-prometheus-stack / kubernetes-mixin use for kube-proxy. */
export const KUBE_PROXY_JOB = 'kube-proxy';
