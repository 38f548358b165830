// Health-check node ports, the pure part: which `externalTrafficPolicy: Local` LoadBalancer Services and
// nodes to ask, and whether a node's answer agrees with the EndpointSlices.
//
// A cloud load balancer decides which nodes get a Local Service's traffic from each node's
// `http://<node>:<healthCheckNodePort>/healthz`. kube-proxy answers 200 when the node hosts a ready
// endpoint of the Service and 503 when it does not (or when kube-proxy itself is unhealthy), with a body
// like {"service":{"namespace":"ns","name":"svc"},"localEndpoints":1,"serviceProxyHealthy":true}
// (kubernetes pkg/proxy/healthcheck/service_health.go). A proxy that answers 200 everywhere makes the
// load balancer send traffic to nodes that drop it; one that answers 503 where an endpoint runs takes
// those nodes out (cilium/cilium#11043, cilium/cilium#33547, kubernetes#115825; kube-router served no
// health check node port before v2.1.0). See docs/runbooks/ServiceHealthCheckNodePortWrong.md.
import net from 'node:net';
import type { SlimEndpointSlice, SlimNode, SlimService } from '../cluster/types.js';

/** The closed set of the `kind` label of service_lb_health_check_mismatches_total. */
export const MISMATCH_KINDS = ['serves_without_endpoint', 'refuses_with_endpoint'] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];

/** Whether a Service has a health-check node port the load balancer relies on. */
export function hasHealthCheckNodePort(svc: SlimService): boolean {
  return svc.type === 'LoadBalancer' && svc.externalTrafficPolicy === 'Local' && (svc.healthCheckNodePort ?? 0) > 0;
}

/** One node to ask about one Service, and what it should say. */
export interface HealthCheckAsk {
  node: string;
  /** the node's InternalIP (kube-proxy listens on every node IP); empty when it has none */
  address: string;
  port: number;
  /**
   * distinct ready endpoint addresses on this node, per EndpointSlice addressType: kube-proxy counts per
   * family (one proxier each, LocalReadyEndpoints), so a dual-stack Service may report either count
   */
  localEndpoints: number[];
}

export interface HealthCheckService {
  /** `<namespace>/<name>`: the `probe` label */
  probe: string;
  asks: HealthCheckAsk[];
}

export interface HealthCheckInput {
  services: SlimService[];
  endpointSlices: SlimEndpointSlice[];
  nodes: SlimNode[];
  /** at most this many Services (--max-probe-targets), the first by namespace/name */
  maxTargets: number;
  /** daemonset mode: ask only this node */
  nodeName?: string;
}

export interface HealthCheckPlan {
  services: HealthCheckService[];
  /** Services left out (over the limit), for the status page */
  skipped: { probe: string; why: string }[];
}

const keyOf = (s: { namespace: string; name: string }): string => `${s.namespace}/${s.name}`;

/** Distinct ready endpoint addresses of `svc` per node, one map per addressType present. */
function localCounts(svc: SlimService, slices: SlimEndpointSlice[]): Map<string, Map<string, Set<string>>> {
  const byFamily = new Map<string, Map<string, Set<string>>>();
  for (const slice of slices) {
    if (slice.namespace !== svc.namespace || slice.serviceName !== svc.name) continue;
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const perNode = byFamily.get(slice.addressType) ?? new Map<string, Set<string>>();
    byFamily.set(slice.addressType, perNode);
    for (const ep of slice.endpoints) {
      // kube-proxy counts ready endpoints only: a node with nothing but terminating ones must fail the check
      if (!ep.ready || !ep.nodeName) continue;
      const ips = perNode.get(ep.nodeName) ?? new Set<string>();
      for (const a of ep.addresses.slice(0, 1)) if (net.isIP(a)) ips.add(a);
      perNode.set(ep.nodeName, ips);
    }
  }
  return byFamily;
}

/**
 * What to ask this round: every eligible Service (sorted, at most maxTargets) on every node this replica
 * probes — its own in daemonset mode, every Ready node otherwise.
 */
export function planHealthChecks(input: HealthCheckInput): HealthCheckPlan {
  const eligible = input.services.filter(hasHealthCheckNodePort).sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const max = Math.max(0, Math.floor(input.maxTargets));
  const skipped = eligible.slice(max).map((s) => ({
    probe: keyOf(s),
    why: `over the limit of ${max} health-check node port Services (--max-probe-targets)`,
  }));
  const nodes = input.nodeName
    ? input.nodes.filter((n) => n.name === input.nodeName)
    : input.nodes.filter((n) => n.conditions.Ready === 'True').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const services = eligible.slice(0, max).map((svc) => {
    const counts = localCounts(svc, input.endpointSlices);
    const families = counts.size > 0 ? [...counts.values()] : [new Map<string, Set<string>>()];
    return {
      probe: keyOf(svc),
      asks: nodes.map((n) => ({
        node: n.name,
        address: n.internalIP,
        port: svc.healthCheckNodePort!,
        localEndpoints: [...new Set(families.map((m) => m.get(n.name)?.size ?? 0))],
      })),
    };
  });
  return { services, skipped };
}

/** What a node answered: an HTTP status and body, or no answer. */
export type HealthCheckAnswer = { status: number; body: string } | { unreachable: string };

export interface HealthCheckJudgement {
  /** the answer agrees with the EndpointSlices (or says nothing: unreachable) */
  agreed: boolean;
  /** set when it does not agree */
  kind?: MismatchKind;
  /** no answer: neither agreement nor a mismatch */
  unreachable?: boolean;
  /** one sentence, for the status page and /diagnose */
  explanation: string;
}

interface HealthBody {
  localEndpoints?: number;
  serviceProxyHealthy?: boolean;
}

/** The fields of kube-proxy's body we compare; anything else (Cilium's, an empty body) reads as absent. */
export function readHealthBody(body: string): HealthBody {
  try {
    const o = JSON.parse(body) as unknown;
    if (typeof o !== 'object' || o === null) return {};
    const r = o as Record<string, unknown>;
    const out: HealthBody = {};
    if (typeof r.localEndpoints === 'number' && Number.isInteger(r.localEndpoints) && r.localEndpoints >= 0)
      out.localEndpoints = r.localEndpoints;
    if (typeof r.serviceProxyHealthy === 'boolean') out.serviceProxyHealthy = r.serviceProxyHealthy;
    return out;
  } catch {
    return {};
  }
}

/**
 * Does the node's answer agree with its ready endpoints? 200 where a ready endpoint runs, anything else
 * where none does; a `localEndpoints` count in the body must match one family's count. A 503 from a
 * node hosting an endpoint agrees when the body says `serviceProxyHealthy: false`: kube-proxy takes an
 * unhealthy node out of the load balancer on purpose (ServiceProxyAgentUnhealthy covers that).
 */
export function judgeHealthCheck(ask: Pick<HealthCheckAsk, 'localEndpoints'>, answer: HealthCheckAnswer): HealthCheckJudgement {
  if ('unreachable' in answer)
    return { agreed: true, unreachable: true, explanation: `no answer (${answer.unreachable}): not counted as a mismatch` };
  const expected = Math.max(0, ...ask.localEndpoints);
  const hosts = expected > 0;
  const body = readHealthBody(answer.body);
  const count = body.localEndpoints;
  const want = ask.localEndpoints.join(' or ');
  if (answer.status === 200) {
    if (!hosts)
      return {
        agreed: false,
        kind: 'serves_without_endpoint',
        explanation: `answered 200 but the node hosts no ready endpoint: the load balancer sends it traffic it drops`,
      };
    if (count !== undefined && !ask.localEndpoints.includes(count))
      return {
        agreed: false,
        kind: count > expected ? 'serves_without_endpoint' : 'refuses_with_endpoint',
        explanation: `answered 200 with localEndpoints ${count}, but the node hosts ${want} ready endpoint(s)`,
      };
    return { agreed: true, explanation: `answered 200 and hosts ${want} ready endpoint(s)` };
  }
  if (!hosts) return { agreed: true, explanation: `answered ${answer.status} and hosts no ready endpoint` };
  if (body.serviceProxyHealthy === false)
    return {
      agreed: true,
      explanation: `answered ${answer.status}: the node's service proxy reports itself unhealthy, so it is drained on purpose`,
    };
  return {
    agreed: false,
    kind: 'refuses_with_endpoint',
    explanation: `answered ${answer.status} but the node hosts ${want} ready endpoint(s): the load balancer takes it out`,
  };
}

/** One round of asking the health-check node ports of Local LoadBalancer Services. */
export interface HealthCheckView {
  services: HealthCheckServiceView[];
  /** Services not asked, with the reason (over --max-probe-targets, slices not read yet) */
  skipped: { probe: string; why: string }[];
  /** undefined until the first round */
  lastRound?: { at: string; durationSeconds: number };
}

export interface HealthCheckServiceView {
  /** `<namespace>/<name>` */
  probe: string;
  port: number;
  /** every node that answered agreed; undefined when none answered (service_lb_health_check_consistent absent) */
  consistent?: boolean;
  nodes: {
    node: string;
    address: string;
    status?: number;
    agreed: boolean;
    kind?: MismatchKind;
    unreachable?: boolean;
    explanation: string;
  }[];
}

/** One Service's round: each asked node's answer judged, and whether they all agreed. */
export function judgeService(svc: HealthCheckService, answers: readonly HealthCheckAnswer[]): HealthCheckServiceView {
  const nodes = svc.asks.map((ask, i) => {
    const answer = answers[i] ?? { unreachable: 'not asked' };
    const j = judgeHealthCheck(ask, answer);
    return {
      node: ask.node,
      address: ask.address,
      ...('status' in answer ? { status: answer.status } : {}),
      agreed: j.agreed,
      ...(j.kind ? { kind: j.kind } : {}),
      ...(j.unreachable ? { unreachable: true } : {}),
      explanation: j.explanation,
    };
  });
  const answered = nodes.filter((n) => !n.unreachable);
  return {
    probe: svc.probe,
    port: svc.asks[0]?.port ?? 0,
    ...(answered.length > 0 ? { consistent: answered.every((n) => n.agreed) } : {}),
    nodes,
  };
}
