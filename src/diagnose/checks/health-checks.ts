// Health-check node ports (src/healthcheck/): does every asked node tell the cloud load balancer the
// truth about its local endpoints? One check per Local LoadBalancer Service, with the nodes that
// disagreed and a curl to see it first hand (docs/runbooks/ServiceHealthCheckNodePortWrong.md).
import type { HealthCheckServiceView } from '../../healthcheck/compare.js';
import type { Check, CheckFn } from '../types.js';
import { hostPort } from './datapath.js';
import { plural, sh } from '../facts.js';

/** Nodes listed in evidence at most; the counts cover all. */
const MAX_LISTED_NODES = 50;

function serviceCheck(v: HealthCheckServiceView): Check {
  const bad = v.nodes.filter((n) => n.kind);
  const unreachable = v.nodes.filter((n) => n.unreachable);
  const evidence = {
    probe: v.probe,
    healthCheckNodePort: v.port,
    consistent: v.consistent ?? null,
    asked: v.nodes.length,
    unreachable: unreachable.length,
    nodes: [...bad, ...unreachable, ...v.nodes.filter((n) => !n.kind && !n.unreachable)].slice(0, MAX_LISTED_NODES),
  };
  const base = { id: `datapath.health_check.${v.probe}`, group: 'datapath' as const, evidence };
  if (v.consistent === undefined)
    return {
      ...base,
      status: 'skipped',
      summary: `${v.probe}: no node answered on health-check node port ${v.port} (${unreachable[0]?.explanation ?? 'none asked'}).`,
    };
  if (v.consistent)
    return {
      ...base,
      status: 'ok',
      summary: `${v.probe}: ${plural(v.nodes.length - unreachable.length, 'node')} answered on health-check node port ${v.port} as their ready endpoints say.`,
    };
  const black = bad.some((n) => n.kind === 'serves_without_endpoint');
  const [ns, name] = v.probe.split('/') as [string, string];
  const first = bad[0]!;
  return {
    ...base,
    status: black ? 'fail' : 'warn',
    summary: `${v.probe}: ${plural(bad.length, 'node')} of ${v.nodes.length} answered health-check node port ${v.port} against their endpoints (${[...new Set(bad.map((n) => n.kind))].join(', ')})${black ? ': the load balancer sends traffic to nodes that drop it' : ''}.`,
    details: bad.map((n) => `${n.node} ${hostPort(n.address, v.port)}: ${n.explanation}`),
    next: `curl -s http://${hostPort(first.address, v.port)}/healthz; kubectl -n ${sh(ns)} get endpointslices -l kubernetes.io/service-name=${sh(name)} -o wide`,
    runbook: 'ServiceHealthCheckNodePortWrong',
  };
}

export const datapathHealthChecks: CheckFn = (input) => {
  const v = input.healthChecks;
  if (!v || !v.lastRound) return [];
  return v.services.map(serviceCheck);
};
