// The alerting and recording rules, as data. This is the single source of truth: generate.ts renders it
// as the plain Prometheus rules file (rules/service-proxy-exporter.rules.yml) and as the PrometheusRule in
// manifests/base/prometheusrule.yaml, and the artifact tests parse every expression and run promtool on it.
//
// Aggregation: the cluster-wide signals (proxy_provider*, agents) are aggregated `by (cluster)` so that
// one rule set works with a per-cluster Prometheus (no `cluster` label: it aggregates to one series) and
// with a global Thanos/Mimir ruler (one result per cluster). In daemonset mode every replica exports the
// provider series, in deployment mode one replica does; `max by (cluster)` is right for both.

import { runbookUrl } from '../state/runbooks.js';
import { BACKEND_VERDICTS, BUILTIN_PROBES, EXPORTER_JOB, KUBE_PROXY_JOB } from './metrics.js';
import { STALLED_AFTER_SECONDS } from '../state/canary.js';

/** ServiceProxyProgrammingStalled: a canary change pending longer than this (seconds); diagnose uses the same bound. */
export const PROGRAMMING_STALLED_SECONDS = STALLED_AFTER_SECONDS;
/** ServiceProxyProgrammingSlow: p99 over 30m above this (seconds), SIG Scalability's network programming latency SLO. */
export const PROGRAMMING_SLOW_P99_SECONDS = 30;

/**
 * ServiceProxySyncStale's bound: 5 minutes without a sync. kube-proxy already answers 503 once a
 * pending change waited 2 × its sync period (default 30s → 60s); 300s is five such timeouts, well past
 * a slow sync on a large cluster, and still short enough to matter.
 */
export const SYNC_STALE_SECONDS = 300;

export { RUNBOOK_BASE_URL, runbookUrl } from '../state/runbooks.js';

export type Severity = 'critical' | 'warning' | 'info';

export interface AlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: Severity } & Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string } & Record<string, string>;
}

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: (AlertingRule | RecordingRule)[];
}

export function isAlertingRule(r: AlertingRule | RecordingRule): r is AlertingRule {
  return 'alert' in r;
}

/** Trim the common indentation of a template literal, so expressions read well in code and in YAML. */
export function dedent(s: string): string {
  const lines = s.replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** ` in cluster X` when the series carries a cluster label, nothing otherwise. */
const IN_CLUSTER = '{{ with $labels.cluster }} in cluster {{ . }}{{ end }}';

/**
 * Names the probes the service proxy failed, from the firing series' own exporter (same instance and cluster; a
 * missing label matches series without it): a template
 * query, so the alert keeps one series per exporter and its `for:` is not reset as probes come and go.
 */
const BLAMED_PROBES =
  '{{ $q := printf "max by (probe, family, verdict) (service_lb_probe_verdict{verdict=~\\"proxy_broken|nodeport_broken\\", instance=%q, cluster=%q} == 1)" $labels.instance $labels.cluster }}' +
  '{{ $blamed := query $q | sortByLabel "probe" }}' +
  '{{ if $blamed }}Probes failed by the service proxy: {{ range $i, $s := $blamed }}{{ if $i }}, {{ end }}{{ $s.Labels.probe }}{{ with $s.Labels.family }} {{ . }}{{ end }} ({{ $s.Labels.verdict }}){{ end }}.' +
  '{{ else }}No probe through a Service VIP reached any backend.{{ end }}';

function alert(name: string, spec: { expr: string; for: string; severity: Severity; summary: string; description: string }): AlertingRule {
  return {
    alert: name,
    expr: dedent(spec.expr),
    for: spec.for,
    labels: { severity: spec.severity },
    annotations: {
      summary: spec.summary,
      description: spec.description,
      runbook_url: runbookUrl(name),
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Recording rules (used by the dashboards)

export const RECORDING_RULES: RecordingRule[] = [
  {
    // Fraction of probes that succeeded over 5m, per probe, path and IP family. The failure counter only has series
    // for reasons that happened, so "no failure series" must read as 0 failures, not as no data.
    record: 'service_proxy:probe_success:ratio_rate5m',
    expr: dedent(`
      1 - (
        (
          sum by (cluster, probe, path, family) (rate(service_lb_probe_failures_total[5m]))
          or
          0 * sum by (cluster, probe, path, family) (rate(service_lb_probes_total[5m]))
        )
        /
        (sum by (cluster, probe, path, family) (rate(service_lb_probes_total[5m])) > 0)
      )
    `),
  },
  {
    // Share of the last 5m during which service_lb_functional was 1: no evidence against the service proxy (1 = always working).
    record: 'service_proxy:lb_functional:avg_over_time5m',
    expr: 'avg by (cluster) (avg_over_time(service_lb_functional[5m]))',
  },
  {
    // 95th percentile probe latency per probe, path and IP family.
    record: 'service_proxy:probe_duration_seconds:p95_rate5m',
    expr: dedent(`
      histogram_quantile(0.95,
        sum by (cluster, probe, path, family, le) (rate(service_lb_probe_duration_seconds_bucket[5m]))
      )
    `),
  },
];

// ---------------------------------------------------------------------------------------------------
// Alerts

export const ALERTING_RULES: AlertingRule[] = [
  alert('KubeProxyDown', {
    // The replacement-aware drop-in for kubernetes-mixin's `absent(up{job="kube-proxy"} == 1)`:
    // it fires only while the exporter says kube-proxy is the effective service proxy.
    // - max_over_time(...[5m]) keeps the condition through a missed exporter scrape (which marks the
    //   exporter's series stale and would otherwise reset the 15m `for:`).
    // - `unknown` (the exporter could not read the API) is not kube-proxy, so it never fires on a guess.
    // - k3s embeds kube-proxy in the k3s process: there is no kube-proxy target to scrape unless the
    //   operator added one, and "down" means k3s itself is down (node NotReady covers it).
    // - exporter gone => no proxy_provider => silent here; ServiceProxyExporterDown fires instead.
    expr: `
      (
        max by (cluster) (max_over_time(proxy_provider{type="kube-proxy"}[5m])) == 1
        unless on (cluster)
        max by (cluster) (max_over_time(proxy_provider_info{type="kube-proxy", flavor="k3s-embedded"}[5m]))
      )
      unless on (cluster)
      max by (cluster) (up{job="${KUBE_PROXY_JOB}"} == 1)
    `,
    for: '15m',
    severity: 'critical',
    summary: 'kube-proxy programs Services but no kube-proxy target is up.',
    description:
      `kube-proxy is the effective service proxy${IN_CLUSTER} (proxy_provider{type="kube-proxy"} == 1), ` +
      `but Prometheus has had no healthy up{job="${KUBE_PROXY_JOB}"} target for 15 minutes. ` +
      'Either kube-proxy is down on every node or Prometheus cannot scrape it. ' +
      'This alert stays silent under a kube-proxy replacement (Cilium KPR, Calico eBPF, ...).',
  }),
  alert('ServiceProxyMissing', {
    // `none` is only reported when the exporter could look; an `unknown` or a real provider on any
    // replica suppresses it.
    expr: `
      max by (cluster) (proxy_provider{type="none"}) == 1
      unless on (cluster)
      max by (cluster) (proxy_provider{type!="none"}) == 1
    `,
    for: '15m',
    severity: 'warning',
    summary: 'No component is load-balancing Kubernetes Services.',
    description:
      `The exporter found neither kube-proxy nor a kube-proxy replacement running${IN_CLUSTER} ` +
      '(proxy_provider{type="none"} == 1) for 15 minutes. ClusterIP and NodePort Services cannot work ' +
      'unless something the exporter does not recognise programs them: check service_lb_functional.',
  }),
  alert('ServiceProxyConflict', {
    expr: 'max by (cluster) (proxy_provider_conflict) == 1',
    for: '15m',
    severity: 'warning',
    summary: 'More than one component is programming Kubernetes Services.',
    description:
      `A full kube-proxy replacement and a running kube-proxy (or two replacements) both program Services${IN_CLUSTER} ` +
      '(proxy_provider_conflict == 1) for 15 minutes. Expected briefly during a migration; otherwise ' +
      'remove the component that should not run.',
  }),
  alert('ServiceLoadBalancingBroken', {
    // service_lb_functional is 0 only on evidence against the service proxy: a probe whose VIP fails while
    // its backend answers directly (proxy_broken), a broken node port, or no VIP reaching any backend. An
    // application answering 500 or an opted-in Service with all pods down leaves it 1, so this never pages
    // for a backend's own fault. A single failed probe round lasts one probe interval; `for: 5m` needs every
    // evaluation for 5 minutes to see 0, so flapping probes do not page.
    expr: 'service_lb_functional == 0',
    for: '5m',
    severity: 'critical',
    summary: 'Service load-balancing is not working.',
    description:
      'The service proxy has failed the probes through Service VIPs for 5 minutes' +
      '{{ with $labels.node }} from node {{ . }}{{ end }}' +
      `${IN_CLUSTER} (service_lb_functional == 0). ` +
      BLAMED_PROBES +
      ' Compare service_lb_probe_success by path and family and service_lb_probe_verdict per probe.',
  }),
  alert('ServiceBackendUnavailable', {
    // The built-in probes' backends (API server, cluster DNS, the exporter's own pods) are down, have no
    // ready endpoint, or answer with errors (HTTP status, DNS RCODE) while the service proxy delivers:
    // worth a warning — "cluster DNS is down, not the service proxy" — never a page on the proxy.
    // Grouped by probe (and family: on a dual-stack cluster the alert says which one), not verdict, so a
    // backend flipping between down and erroring keeps its `for:`.
    // Opted-in application Services are left out on purpose: their own monitoring owns their backends.
    expr: `
      max by (cluster, probe, family) (
        service_lb_probe_verdict{probe=~"${BUILTIN_PROBES.join('|')}", verdict=~"${BACKEND_VERDICTS.join('|')}"}
      ) == 1
    `,
    for: '10m',
    severity: 'warning',
    summary: 'A cluster Service backend is down, not the service proxy.',
    description:
      '{{ if eq $labels.probe "apiserver" }}The API server{{ else if eq $labels.probe "me_service" }}The exporter\'s own Service{{ else }}Cluster DNS{{ end }}' +
      ` (probe {{ $labels.probe }}{{ with $labels.family }} over {{ . }}{{ end }}) has been unreachable at its backends, without a ready endpoint, or answering with errors${IN_CLUSTER} ` +
      'for 10 minutes (service_lb_probe_verdict backend_down, backend_error or no_endpoint). The service proxy delivers ' +
      'the traffic: look at the backend pods, not at the proxy.',
  }),
  alert('ServiceProxyAgentsUnavailable', {
    expr: 'sum by (cluster, state) (proxy_provider_agents{state=~"unready|missing"}) > 0',
    for: '15m',
    severity: 'warning',
    summary: 'Service proxy agents are not ready on some nodes.',
    description:
      '{{ $value }} node(s) have a service proxy agent in state {{ $labels.state }}' +
      `${IN_CLUSTER} for 15 minutes. Services may not work from or to pods on those nodes.`,
  }),
  alert('ServiceProxyConfigInvalid', {
    // kpr_with_kube_proxy and provider_agents_missing have their own alerts (Conflict, AgentsUnavailable).
    expr: dedent(`
      max by (cluster, check) (
        proxy_provider_config_issue{check!~"kpr_with_kube_proxy|provider_agents_missing"}
      ) == 1
    `),
    for: '15m',
    severity: 'warning',
    summary: 'The service proxy configuration has a problem.',
    description:
      `Config check {{ $labels.check }} has been failing${IN_CLUSTER} for 15 minutes ` +
      '(proxy_provider_config_issue == 1). See the runbook for what each check means.',
  }),
  alert('ServiceProxyExporterDown', {
    expr: `absent(up{job="${EXPORTER_JOB}"} == 1)`,
    for: '15m',
    severity: 'warning',
    summary: 'service-proxy-exporter is down or not scraped.',
    description:
      `No up{job="${EXPORTER_JOB}"} target has been up for 15 minutes. Without it KubeProxyDown, ` +
      'ServiceLoadBalancingBroken and the other service proxy alerts cannot fire.',
  }),
  alert('ServiceProxyExporterSourceDown', {
    expr: 'service_proxy_exporter_source_up == 0',
    for: '10m',
    severity: 'warning',
    summary: 'service-proxy-exporter cannot watch part of the Kubernetes API.',
    description:
      'Source {{ $labels.source }} of {{ $labels.instance }} has not been synced for 10 minutes. ' +
      'Detection may report proxy_provider{type="unknown"} and the replacement-aware alerts are blind.',
  }),
  // The agents' own health endpoints (docs/detection.md "Agent health endpoints"). In daemonset mode
  // each replica reports its own node, in deployment mode one replica reports all: `sum` is right for both.
  alert('ServiceProxyAgentUnhealthy', {
    expr: 'sum by (cluster, state) (proxy_provider_agent_health{state=~"unhealthy|unreachable"}) > 0',
    for: '15m',
    severity: 'warning',
    summary: "Service proxy agents' own health endpoints fail on some nodes.",
    description:
      '{{ $value }} node(s) have a service proxy agent whose own health endpoint is {{ $labels.state }}' +
      `${IN_CLUSTER} for 15 minutes (unhealthy: it answered non-200, e.g. kube-proxy's 503 when its rules ` +
      'have not synced; unreachable: no answer from the node). Services may not follow changes on those nodes.',
  }),
  alert('ServiceProxySyncStale', {
    expr: `max by (cluster) (proxy_provider_agent_sync_age_seconds) > ${SYNC_STALE_SECONDS}`,
    for: '5m',
    severity: 'warning',
    summary: 'A service proxy agent has not synced its rules for a long time.',
    description:
      `A service proxy agent${IN_CLUSTER} reports its last successful sync {{ $value | humanizeDuration }} ago ` +
      `(proxy_provider_agent_sync_age_seconds above ${SYNC_STALE_SECONDS}s for 5 minutes): ` +
      'new Services and endpoint changes are not programmed on that node.',
  }),
  // The canary (src/canary/): does the data plane still take changes, and how fast.
  alert('ServiceProxyProgrammingStalled', {
    // Per replica: in daemonset mode each node's data plane is judged on its own. The writer holds its
    // next flip while its change is pending, so a stalled data plane keeps this growing instead of being
    // flipped back to the target it still serves.
    // TCP only (each attempt a new connection): UDP pending alone is ServiceProxyStaleConntrack.
    expr: `service_lb_programming_pending_seconds{protocol="tcp"} > ${PROGRAMMING_STALLED_SECONDS}`,
    for: '5m',
    severity: 'critical',
    summary: 'The service proxy no longer programs Service changes.',
    description:
      'A change of the canary EndpointSlice has waited {{ $value | humanizeDuration }} to appear in the data plane' +
      '{{ with $labels.family }} over {{ . }}{{ end }}{{ with $labels.node }} on node {{ . }}{{ end }}' +
      `${IN_CLUSTER} (service_lb_programming_pending_seconds > ${PROGRAMMING_STALLED_SECONDS} for 5 minutes). ` +
      'Existing Services may still forward, but new Services and endpoint changes are not being programmed.',
  }),
  alert('ServiceProxyProgrammingSlow', {
    // SIG Scalability's network programming latency SLO: p99 <= 30 s. A stalled data plane yields no
    // observations (NaN here): ServiceProxyProgrammingStalled covers it.
    expr: `
      histogram_quantile(0.99,
        sum by (cluster, le) (rate(service_lb_programming_duration_seconds_bucket{protocol="tcp"}[30m]))
      ) > ${PROGRAMMING_SLOW_P99_SECONDS}
    `,
    for: '15m',
    severity: 'warning',
    summary: 'Service changes take long to reach the data plane.',
    description:
      'The 99th percentile of service programming latency over 30 minutes is {{ $value | humanizeDuration }}' +
      `${IN_CLUSTER}, above the ${PROGRAMMING_SLOW_P99_SECONDS} s of the Kubernetes network programming latency SLO ` +
      '(service_lb_programming_duration_seconds).',
  }),
  alert('ServiceProxyStaleConntrack', {
    // kubernetes#139628 (#125467, #48370): a conntrack entry outlives an endpoint change and keeps a
    // long-lived UDP flow (node-local DNS, syslog, statsd) on the old target, while every new
    // connection, and so every other probe, is fine. The canary's UDP flow pends; TCP of the same
    // family (same replica) is programmed. TCP is a sawtooth (every flip pends for the programming
    // latency, about a second in 30 s): "TCP is 0" is "TCP was caught up at least once in 2 minutes",
    // so a scrape that lands on a fresh flip does not restart the 5 minutes.
    expr: `
      service_lb_programming_pending_seconds{protocol="udp"} > ${PROGRAMMING_STALLED_SECONDS}
        and ignoring (protocol)
      min_over_time(service_lb_programming_pending_seconds{protocol="tcp"}[2m]) == 0
    `,
    for: '5m',
    severity: 'critical',
    summary: 'Long-lived UDP flows stay on a Service endpoint that was removed (stale conntrack entry).',
    description:
      "The canary's long-lived UDP flow{{ with $labels.family }} over {{ . }}{{ end }}{{ with $labels.node }} on node {{ . }}{{ end }}" +
      `${IN_CLUSTER} has not followed an endpoint change for {{ $value | humanizeDuration }} while new TCP connections have ` +
      `(service_lb_programming_pending_seconds{protocol="udp"} > ${PROGRAMMING_STALLED_SECONDS}, tcp 0, for 5 minutes). ` +
      'The service proxy did not clear the conntrack entries of the removed endpoint: UDP clients that keep their socket (DNS caches, syslog, statsd) still send to it.',
  }),
];

// Health-check node ports (src/healthcheck/, docs/runbooks/ServiceHealthCheckNodePortWrong.md): two rules,
// one alert name. A node answering 200 without a local endpoint makes the cloud load balancer black-hole
// traffic: critical once it has gone on for 5 minutes. Any other disagreement (a node with endpoints taken
// out) costs capacity, not requests: a warning. Mismatches are counted per round, so a persisting one keeps
// the rate above 0; daemonset replicas each count their own node, hence `sum`.
const SERVES_WITHOUT_ENDPOINT_RATE =
  'sum by (cluster, probe) (rate(service_lb_health_check_mismatches_total{kind="serves_without_endpoint"}[3m])) > 0';
ALERTING_RULES.push(
  alert('ServiceHealthCheckNodePortWrong', {
    expr: SERVES_WITHOUT_ENDPOINT_RATE,
    for: '5m',
    severity: 'critical',
    summary: 'Nodes without a local endpoint tell the load balancer they have one.',
    description:
      `The healthCheckNodePort of LoadBalancer Service {{ $labels.probe }}${IN_CLUSTER} has answered 200 on nodes that host ` +
      'no ready endpoint for 5 minutes (service_lb_health_check_mismatches_total{kind="serves_without_endpoint"}): with ' +
      'externalTrafficPolicy Local the load balancer sends traffic to those nodes and they drop it.',
  }),
  alert('ServiceHealthCheckNodePortWrong', {
    expr: `
      min by (cluster, probe) (service_lb_health_check_consistent) == 0
      unless on (cluster, probe)
      (${SERVES_WITHOUT_ENDPOINT_RATE})
    `,
    for: '10m',
    severity: 'warning',
    summary: "A LoadBalancer Service's health-check node port disagrees with its endpoints.",
    description:
      `The healthCheckNodePort of LoadBalancer Service {{ $labels.probe }}${IN_CLUSTER} has disagreed with the ` +
      'EndpointSlices for 10 minutes (service_lb_health_check_consistent == 0): nodes hosting a ready endpoint ' +
      'answer non-200 (refuses_with_endpoint) or report the wrong localEndpoints count, so the load balancer leaves them out.',
  }),
);

// Behaviour checks (src/canary/, docs/runbooks/ServiceProxyBehaviourBroken.md): Service features the VIP probes
// cannot see, checked through the canary every round. session_affinity: every replica's connections through the
// sessionAffinity: ClientIP canary Service must reach one target (cilium/cilium#35254, cilium/cilium#9076); hairpin:
// the canary writer must reach its own pod through the canary VIP (cloudnativelabs/kube-router#1235). Per replica,
// as ServiceLoadBalancingBroken: in daemonset mode each node's service proxy is judged on its own, and a check
// that does not apply on a replica exports no series there, so it never fires on one. Users relying on the
// feature see wrong answers, not an outage: a warning. `for: 15m` rides out a round that fails while the slices
// change (a new writer's pod IP); a proxy that spreads at random passes a round by chance only when all 10
// connections land on one of the two targets (2 in 1024), which restarts the 15m at worst.
ALERTING_RULES.push(
  alert('ServiceProxyBehaviourBroken', {
    expr: 'service_lb_check_success == 0',
    for: '15m',
    severity: 'warning',
    summary:
      '{{ if eq $labels.check "hairpin" }}A pod cannot reach itself through its own Service (hairpin).' +
      '{{ else if eq $labels.check "session_affinity" }}The service proxy ignores sessionAffinity: ClientIP.' +
      '{{ else }}The service proxy fails the behaviour check {{ $labels.check }}.{{ end }}',
    description:
      'Behaviour check {{ $labels.check }} has failed{{ with $labels.node }} on node {{ . }}{{ end }}' +
      `${IN_CLUSTER} for 15 minutes (service_lb_check_success == 0). ` +
      '{{ if eq $labels.check "hairpin" }}The canary writer got no answer from its own pod through the canary Service VIP: ' +
      'pods that call their own Service fail whenever the proxy picks themselves.' +
      '{{ else if eq $labels.check "session_affinity" }}Connections from one client through the sessionAffinity: ClientIP canary ' +
      'Service reached more than one endpoint: applications that rely on affinity (in-memory sessions, sticky connections) ' +
      'see their clients moved between pods.{{ end }}',
  }),
);

export const RULE_GROUPS: RuleGroup[] = [
  { name: 'service-proxy-exporter.rules', rules: RECORDING_RULES },
  { name: 'service-proxy-exporter', rules: ALERTING_RULES },
];

/** The alert names, in the order the issue lists them. */
export const ALERT_NAMES = ALERTING_RULES.map((r) => r.alert);
