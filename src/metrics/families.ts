// Every metric family the exporter exports, declared once. README's metric table, the rules
// tests and the cardinality guard read this table; nothing else defines a metric name.
//
// Two kinds: `state` families are computed at scrape time from the exporter's current state
// (one series per known state, so nothing appears or disappears but what should), and `event`
// families are counters/histograms the probe runner feeds as probes complete.
import { PROVIDER_TYPES } from '../components/registry.js';
import { AGENT_STATES, CONFIG_CHECKS } from '../detect/types.js';

import { FAILURE_REASONS, IP_FAMILIES, PROBE_PATHS, type FailureReason, type IpFamily, type ProbePath } from '../probe/types.js';
import { HEALTH_STATES } from '../agenthealth/types.js';
import { VERDICTS } from '../probe/differential.js';

export { FAILURE_REASONS, IP_FAMILIES, PROBE_PATHS, type FailureReason, type IpFamily, type ProbePath };

import type { ExporterState } from '../state/exporter.js';

export type { ExporterState, ProbeOutcome } from '../state/exporter.js';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface BaseFamily {
  name: string;
  help: string;
  labelNames: readonly string[];
}
export interface StateFamily extends BaseFamily {
  kind: 'state';
  type: 'gauge';
  collect: (s: ExporterState) => Sample[];
}
export interface EventFamily extends BaseFamily {
  kind: 'event';
  type: 'counter' | 'histogram';
  buckets?: number[];
}
export type Family = StateFamily | EventFamily;

const flag = (b: boolean | undefined): number => (b ? 1 : 0);

/** Longest mode/version/flavor label value exported. */
export const MAX_INFO_LABEL_LENGTH = 64;

/**
 * mode, version and flavor come from the cluster (an image tag, a k3s node's kubelet version), so
 * they are not a closed set: keep image-tag characters only (others become "_") and at most
 * MAX_INFO_LABEL_LENGTH of them, so a hostile or broken tag cannot make a huge or multi-line label.
 */
export function boundedLabel(value: string | undefined): string {
  const v = (value ?? '').replace(/[^A-Za-z0-9._+-]+/g, '_');
  return v.length > MAX_INFO_LABEL_LENGTH ? v.slice(0, MAX_INFO_LABEL_LENGTH) : v;
}

/** Canary programming latency: from a quick eBPF/iptables update to SIG Scalability's 30 s SLO and well past it. */
export const PROGRAMMING_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 300];

/** Why a canary write (Lease or EndpointSlice) failed: a closed set. */
export const CANARY_WRITE_RESOURCES = ['lease', 'endpointslice'] as const;
export const CANARY_WRITE_ERROR_REASONS = ['forbidden', 'conflict', 'not_found', 'other'] as const;

export const PROBE_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const FAMILIES: readonly Family[] = [
  {
    kind: 'state',
    type: 'gauge',
    name: 'proxy_provider',
    help: 'The effective service proxy: 1 for the type handling Services, 0 for every other known type. unknown means the API could not be read.',
    labelNames: ['type'],
    collect: (s) => {
      const current = s.verdict?.provider ?? 'unknown';
      return PROVIDER_TYPES.map((type) => ({ labels: { type }, value: flag(type === current) }));
    },
  },
  {
    kind: 'state',
    type: 'gauge',
    name: 'proxy_provider_info',
    help: 'Details of the effective service proxy: mode (iptables, ipvs, nftables, ebpf, ...), version (image tag) and flavor (kubeadm, k3s-embedded, static-pod, gke-dataplane-v2, ...). Always 1.',
    labelNames: ['type', 'mode', 'version', 'flavor'],
    collect: (s) => {
      const v = s.verdict;
      return [
        {
          labels: {
            type: v?.provider ?? 'unknown',
            mode: boundedLabel(v?.mode),
            version: boundedLabel(v?.version),
            flavor: boundedLabel(v?.flavor),
          },
          value: 1,
        },
      ];
    },
  },
  {
    kind: 'state',
    type: 'gauge',
    name: 'proxy_provider_conflict',
    help: '1 when more than one component is actively programming Services (e.g. a running kube-proxy next to Cilium kube-proxy replacement).',
    labelNames: [],
    collect: (s) => [{ labels: {}, value: flag(s.verdict?.conflict) }],
  },
  {
    kind: 'state',
    type: 'gauge',
    name: 'proxy_provider_config_issue',
    help: 'One series per known configuration check; 1 when the check fails. See docs/detection.md for each check.',
    labelNames: ['check'],
    collect: (s) => CONFIG_CHECKS.map((check) => ({ labels: { check }, value: flag(s.verdict?.issues[check]) })),
  },
  {
    kind: 'state',
    type: 'gauge',
    name: 'proxy_provider_agents',
    help: 'Nodes by the state of their service proxy agent: ready, unready, missing (a schedulable Ready node without an agent pod).',
    labelNames: ['state'],
    collect: (s) => AGENT_STATES.map((state) => ({ labels: { state }, value: s.verdict?.agents[state] ?? 0 })),
  },
  {
    kind: 'state',
    type: 'gauge',
    name: 'service_lb_functional',
    help:
      '0 when the last probe round holds evidence against the service proxy (a probe is proxy_broken or nodeport_broken, ' +
      'or no probe through a Service VIP reached any backend), else 1. A backend answering with an error, or one ' +
      "Service's backends down while others are reached, is not the proxy's fault. Absent until the first probe round.",
    labelNames: [],
    collect: (s) => (s.probes ? [{ labels: {}, value: flag(s.probes.functional) }] : []),
  },
  {
    kind: 'state',
    type: 'gauge',
    name: 'service_lb_probe_verdict',
    help:
      'One series per probe, IP family and verdict, exactly one 1 per probe and family: what the VIP and the backend reached directly say ' +
      `together (${VERDICTS.join(', ')}). A dual-stack Service has a verdict per family (ipv4, ipv6).`,
    labelNames: ['probe', 'family', 'verdict'],
    collect: (s) =>
      (s.probes?.verdicts ?? []).flatMap(({ probe, family, verdict: current }) =>
        VERDICTS.map((verdict) => ({ labels: { probe, family, verdict }, value: flag(verdict === current) })),
      ),
  },
  {
    kind: 'state',
    type: 'gauge',
    name: 'service_lb_probe_success',
    help: 'Result of the last probe per probe, path (vip: through the Service VIP; endpoint: a backend reached directly; nodeport: the node port) and IP family.',
    labelNames: ['probe', 'path', 'family'],
    collect: (s) =>
      (s.probes?.results ?? []).map((r) => ({ labels: { probe: r.probe, path: r.path, family: r.family }, value: flag(r.success) })),
  },
  {
    kind: 'event',
    type: 'histogram',
    name: 'service_lb_probe_duration_seconds',
    help: 'Probe latency in seconds, per probe, path and IP family.',
    labelNames: ['probe', 'path', 'family'],
    buckets: PROBE_DURATION_BUCKETS,
  },
  {
    kind: 'event',
    type: 'counter',
    name: 'service_lb_probes_total',
    help: 'Probes run, per probe, path and IP family.',
    labelNames: ['probe', 'path', 'family'],
  },
  {
    kind: 'event',
    type: 'counter',
    name: 'service_lb_probe_failures_total',
    help: 'Failed probes, per probe, path, IP family and reason (timeout, refused, reset, unreachable, dns, http_status, tls, other).',
    labelNames: ['probe', 'path', 'family', 'reason'],
  },
  {
    kind: 'event',
    type: 'counter',
    name: 'service_proxy_exporter_probe_crashes_total',
    help: 'Exceptions a probe let escape into the event loop, caught by the crash guard (the probe then fails with reason other). Should stay 0; anything else is a bug worth reporting.',
    labelNames: [],
  },
  {
    kind: 'state',
    type: 'gauge',
    name: 'service_proxy_exporter_build_info',
    help: 'Build information of service-proxy-exporter. Always 1.',
    labelNames: ['version', 'revision', 'nodejs_version'],
    collect: (s) => [{ labels: { version: s.build.version, revision: s.build.revision, nodejs_version: s.build.nodejsVersion }, value: 1 }],
  },
  {
    kind: 'state',
    type: 'gauge',
    name: 'service_proxy_exporter_source_up',
    help: '1 while a Kubernetes list/watch source is synced and healthy (an optional CRD that is not installed counts as healthy).',
    labelNames: ['source'],
    collect: (s) =>
      Object.entries(s.sources).map(([source, state]) => ({
        labels: { source },
        value: flag(state === 'synced' || state === 'absent'),
      })),
  },
  {
    kind: 'state',
    type: 'gauge',
    name: 'proxy_provider_agent_health',
    help: "Nodes by their service proxy agent's own health endpoint: healthy (200), unhealthy (answered non-200), unreachable (timeout, refused, reset), not_served (this provider, version or config has no endpoint).",
    labelNames: ['state'],
    collect: (s) => (s.agentHealth ? HEALTH_STATES.map((state) => ({ labels: { state }, value: s.agentHealth!.counts[state] })) : []),
  },
  {
    kind: 'state',
    type: 'gauge',
    name: 'proxy_provider_agent_sync_age_seconds',
    help: "Largest currentTime - lastUpdated in the agents' health answers (kube-proxy, Cilium, Calico eBPF): how long the most stuck proxier has not synced. Absent when no answer carries them.",
    labelNames: [],
    collect: (s) => (s.agentHealth?.maxSyncAgeSeconds !== undefined ? [{ labels: {}, value: s.agentHealth.maxSyncAgeSeconds }] : []),
  },
  // The canary (src/canary/): service programming latency, end to end.
  {
    kind: 'event',
    type: 'histogram',
    name: 'service_lb_programming_duration_seconds',
    help: 'Service programming latency per protocol (tcp: new connections; udp: one long-lived flow) and IP family: a canary EndpointSlice change seen on the watch to the first answer from its new target through the canary Service VIP.',
    labelNames: ['protocol', 'family'],
    buckets: PROGRAMMING_DURATION_BUCKETS,
  },
  {
    kind: 'state',
    type: 'gauge',
    name: 'service_lb_programming_pending_seconds',
    help: 'How long the newest canary change has been waiting to appear in the data plane, per protocol and IP family; 0 once it has. UDP pending while TCP is 0: a conntrack entry outlived the change. Absent before the first change.',
    labelNames: ['protocol', 'family'],
    collect: (s) => {
      return (s.canary?.flows ?? []).flatMap((x) =>
        x.pendingSeconds === undefined ? [] : [{ labels: { protocol: x.protocol, family: x.family }, value: x.pendingSeconds }],
      );
    },
  },
  {
    kind: 'event',
    type: 'counter',
    name: 'service_lb_programming_changes_total',
    help: 'Canary EndpointSlice changes seen on the watch.',
    labelNames: [],
  },
  {
    kind: 'state',
    type: 'gauge',
    name: 'service_proxy_exporter_canary_writer',
    help: '1 on the replica that holds the canary Lease and writes the canary EndpointSlice, else 0. Absent with --canary off.',
    labelNames: [],
    collect: (s) => (s.canary ? [{ labels: {}, value: flag(s.canary.writer) }] : []),
  },
  // Health-check node ports (src/healthcheck/): what the load balancer is told, against the EndpointSlices.
  {
    kind: 'state',
    type: 'gauge',
    name: 'service_lb_health_check_consistent',
    help:
      "Per externalTrafficPolicy: Local LoadBalancer Service (<namespace>/<name>): 1 when every asked node's healthCheckNodePort answer " +
      'agreed with its ready endpoints (200 where one runs, 503 where none does), else 0. Absent when no node answered, and with --health-check-node-ports off.',
    labelNames: ['probe'],
    collect: (s) =>
      (s.healthChecks?.services ?? []).flatMap((h) =>
        h.consistent === undefined ? [] : [{ labels: { probe: h.probe }, value: flag(h.consistent) }],
      ),
  },
  {
    kind: 'event',
    type: 'counter',
    name: 'service_lb_health_check_mismatches_total',
    help:
      'Node answers of a healthCheckNodePort that disagreed with the EndpointSlices, per Service and kind: serves_without_endpoint ' +
      '(200 where no ready endpoint runs: the load balancer black-holes traffic), refuses_with_endpoint (not 200 where one runs).',
    labelNames: ['probe', 'kind'],
  },
  // Behaviour checks (src/canary/checks.ts): what users' worst service-proxy bugs break, checked every round.
  {
    kind: 'state',
    type: 'gauge',
    name: 'service_lb_check_success',
    help:
      'Behaviour checks: session_affinity (every connection of a round through the sessionAffinity: ClientIP canary Service reached one target), ' +
      'hairpin (the canary writer reached its own pod through the canary VIP); 1 pass, 0 fail. Absent where the check does not apply (reason on /diagnose).',
    labelNames: ['check'],
    collect: (s) =>
      (s.canary?.checks ?? []).flatMap((c) =>
        c.notApplicable !== undefined || c.success === undefined ? [] : [{ labels: { check: c.check }, value: flag(c.success) }],
      ),
  },
  {
    kind: 'event',
    type: 'counter',
    name: 'service_lb_check_failures_total',
    help: 'Failed behaviour check rounds, per check (session_affinity, hairpin).',
    labelNames: ['check'],
  },
  {
    kind: 'event',
    type: 'counter',
    name: 'service_proxy_exporter_canary_write_errors_total',
    help: 'Failed canary writes, per resource (lease, endpointslice) and reason (forbidden, conflict, not_found, other). forbidden: the Role in manifests/base/canary-role.yaml is missing.',
    labelNames: ['resource', 'reason'],
  },
];

export function family(name: string): Family {
  const f = FAMILIES.find((x) => x.name === name);
  if (!f) throw new Error(`no metric family ${name}`);
  return f;
}
