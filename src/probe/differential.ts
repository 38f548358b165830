// The differential: what a probe's paths, taken together, say about the service proxy. The VIP
// alone cannot tell "the proxy is broken" from "the backend is down"; the same backend reached
// directly can. Pure, and total over every combination of results (see the exhaustive test).
import type { FailureReason, IpFamily, ProbePath, ProbeResult, TargetResult } from './types.js';

export const VERDICTS = [
  /** the VIP works (and the node port, where probed) */
  'ok',
  /** the VIP works, the endpoint we picked does not: the proxy routed around a bad backend */
  'endpoint_degraded',
  /** the VIP works, the node port does not */
  'nodeport_broken',
  /** the VIP fails at the transport while the backend answers directly: the service proxy is broken */
  'proxy_broken',
  /** the VIP and the endpoint both fail: the backend or the network is down */
  'backend_down',
  /** the VIP delivers to a backend that answers with an error (HTTP status, DNS RCODE) */
  'backend_error',
  /** the VIP fails and there is no ready endpoint to compare with */
  'no_endpoint',
  /** no VIP result (not probed yet, or the round was aborted) */
  'unknown',
] as const;
export type ProbeVerdict = (typeof VERDICTS)[number];

export interface Classification {
  verdict: ProbeVerdict;
  /** one sentence, for the status page, /diagnose and the log line on change */
  explanation: string;
}

export type ProbePaths = Partial<Record<ProbePath, ProbeResult>>;

/**
 * Failures that prove a backend was reached and answered: the path through the service proxy
 * worked, the application did not.
 */
const ANSWERED: readonly FailureReason[] = ['http_status', 'dns'];

const why = (r: ProbeResult): string => (r.reason ? `${r.reason}${r.detail ? `: ${r.detail}` : ''}` : 'failed');

export function classify(paths: ProbePaths): Classification {
  const { vip, endpoint, nodeport } = paths;
  if (!vip)
    return { verdict: 'unknown', explanation: 'The Service VIP has not been probed, so nothing can be said about the service proxy yet.' };
  if (vip.success) {
    if (endpoint && !endpoint.success) {
      return {
        verdict: 'endpoint_degraded',
        explanation: `The VIP answers but the endpoint probed directly does not (${why(endpoint)}), so the service proxy works and at least one backend is unhealthy.`,
      };
    }
    if (nodeport && !nodeport.success) {
      return {
        verdict: 'nodeport_broken',
        explanation: `The VIP answers but the node port does not (${why(nodeport)}), so the service proxy's NodePort handling or a host firewall is broken.`,
      };
    }
    return { verdict: 'ok', explanation: 'The Service VIP answers, so the service proxy delivers traffic to a backend.' };
  }
  if (vip.reason && ANSWERED.includes(vip.reason)) {
    return {
      verdict: 'backend_error',
      explanation: `The VIP reaches a backend that answers with an error (${why(vip)}), so the service proxy works and the application does not.`,
    };
  }
  if (!endpoint) {
    return {
      verdict: 'no_endpoint',
      explanation: `The VIP fails (${why(vip)}) and the Service has no ready endpoint to compare with, so this says nothing against the service proxy.`,
    };
  }
  if (endpoint.success) {
    return {
      verdict: 'proxy_broken',
      explanation: `The VIP fails (${why(vip)}) while the same backend answers directly, so the service proxy is not forwarding this Service.`,
    };
  }
  return {
    verdict: 'backend_down',
    explanation: `The VIP fails (${why(vip)}) and the endpoint fails directly too (${why(endpoint)}), so the backend or the network to it is down, not necessarily the service proxy.`,
  };
}

/** One probe's verdicts, one per family it was probed on (a dual-stack Service has two). */
export type FamilyClassifications = Partial<Record<IpFamily, Classification>>;
/** A round's verdicts by probe name, then family. */
export type RoundClassifications = Record<string, FamilyClassifications>;

/** Groups a round's results by probe and family and classifies each; probes in first-seen order. */
export function classifyRound(results: readonly TargetResult[]): RoundClassifications {
  const byProbe = new Map<string, Partial<Record<IpFamily, ProbePaths>>>();
  for (const { target, result } of results) {
    const families = byProbe.get(target.probe) ?? {};
    const paths = families[target.family] ?? {};
    paths[target.path] = result;
    families[target.family] = paths;
    byProbe.set(target.probe, families);
  }
  const out: RoundClassifications = {};
  for (const [probe, families] of byProbe) {
    const c: FamilyClassifications = {};
    for (const [family, paths] of Object.entries(families) as [IpFamily, ProbePaths][]) c[family] = classify(paths);
    out[probe] = c;
  }
  return out;
}

export interface FamilyVerdict extends Classification {
  probe: string;
  family: IpFamily;
}

/** Every (probe, family) verdict of a round, flat: probes in order, ipv4 before ipv6. */
export function eachVerdict(c: RoundClassifications): FamilyVerdict[] {
  const out: FamilyVerdict[] = [];
  for (const [probe, families] of Object.entries(c))
    for (const family of ['ipv4', 'ipv6'] as const) {
      const v = families[family];
      if (v) out.push({ probe, family, ...v });
    }
  return out;
}

/** How a (probe, family) is named to people: the bare probe unless the probe has verdicts in two families. */
export function verdictName(c: RoundClassifications, probe: string, family: IpFamily): string {
  return Object.keys(c[probe] ?? {}).length > 1 ? `${probe} (${family})` : probe;
}

/** Verdicts that are evidence against the service proxy on their own. */
/**
 * Whose fault a verdict shows: the service proxy's, the backend's (the proxy delivered, or cannot be
 * judged), or nobody's. The one list of the verdict groups: alerts, dashboards, the status page and
 * diagnose derive theirs from it.
 */
export const VERDICT_BLAME: Readonly<Record<ProbeVerdict, 'proxy' | 'backend' | 'none'>> = {
  ok: 'none',
  endpoint_degraded: 'none',
  nodeport_broken: 'proxy',
  proxy_broken: 'proxy',
  backend_down: 'backend',
  backend_error: 'backend',
  no_endpoint: 'backend',
  unknown: 'none',
};

/** Verdicts that blame the service proxy. */
export const PROXY_FAULTS: readonly ProbeVerdict[] = VERDICTS.filter((v) => VERDICT_BLAME[v] === 'proxy');
/** Verdicts of a backend's own fault (the service proxy delivered, or could not be judged). */
export const BACKEND_FAULTS: readonly ProbeVerdict[] = VERDICTS.filter((v) => VERDICT_BLAME[v] === 'backend');

/** Verdicts of a VIP probe that reached no backend (and cannot tell whose fault that is). */
const UNREACHED: readonly ProbeVerdict[] = ['backend_down', 'no_endpoint'];

/**
 * `service_lb_functional` from one round's verdicts: false when the round holds evidence against the
 * service proxy, true otherwise.
 * - some probe is `proxy_broken` (VIP fails, the backend answers directly) or `nodeport_broken`: false;
 * - no VIP probe reached any backend (every one `backend_down` or `no_endpoint`): from here nothing works
 *   through a Service, which the proxy cannot be cleared of: false;
 * - anything else is true: a backend answering with an error (`backend_error`) or one Service whose
 *   backends are down while others are reached is the application's fault, not the proxy's.
 * `unknown` (no VIP result) is no evidence either way; a round of nothing but `unknown` is false (nothing
 * proves Services work), and the shell does not publish the gauge before a round with a VIP result.
 */
export function functionalFromVerdicts(verdicts: Iterable<ProbeVerdict>): boolean {
  const vip = [...verdicts].filter((v) => v !== 'unknown');
  if (vip.some((v) => PROXY_FAULTS.includes(v))) return false;
  return vip.length > 0 && !vip.every((v) => UNREACHED.includes(v));
}

/** `service_lb_functional` for a round's results (see functionalFromVerdicts). */
export function functional(results: readonly TargetResult[]): boolean {
  // Every family counts on its own: IPv6 broken while IPv4 works is evidence against the proxy.
  return functionalFromVerdicts(eachVerdict(classifyRound(results)).map((c) => c.verdict));
}

/** Probes (with the family, where a probe has two) whose verdict says the service proxy failed them (status page, /diagnose). */
export function blamedProbes(classifications: RoundClassifications): string[] {
  return eachVerdict(classifications)
    .filter((c) => PROXY_FAULTS.includes(c.verdict))
    .map((c) => verdictName(classifications, c.probe, c.family));
}

export interface VerdictChange {
  probe: string;
  family: IpFamily;
  /** undefined when the probe is new */
  from?: ProbeVerdict;
  /** undefined when the probe is gone (its Service was deleted or opted out) */
  to?: Classification;
}

/** What changed between two rounds' verdicts: one entry per probe whose verdict differs (for the log line on change). */
export function verdictChanges(prev: RoundClassifications, next: RoundClassifications): VerdictChange[] {
  const out: VerdictChange[] = [];
  for (const { probe, family, verdict, explanation } of eachVerdict(next)) {
    const before = prev[probe]?.[family]?.verdict;
    const to = { verdict, explanation };
    if (before !== verdict) out.push(before === undefined ? { probe, family, to } : { probe, family, from: before, to });
  }
  for (const { probe, family, verdict } of eachVerdict(prev)) if (!next[probe]?.[family]) out.push({ probe, family, from: verdict });
  return out;
}
