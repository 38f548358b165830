// diagnose / status page: the behaviour checks (session_affinity, hairpin) as the canary publishes them, each with
// why it does not apply where it does not (docs/runbooks/ServiceProxyBehaviourBroken.md).
import { BEHAVIOUR_CHECKS, type BehaviourCheckView } from '../../state/checks.js';
import type { Check, CheckFn } from '../types.js';

const WHAT: Record<BehaviourCheckView['check'], string> = {
  session_affinity: 'sessionAffinity: ClientIP',
  hairpin: 'Hairpin (a pod reaching itself through its Service)',
};

function next(v: BehaviourCheckView, ns: string): string {
  return v.check === 'session_affinity'
    ? `kubectl -n ${ns} get service service-proxy-exporter-canary-affinity -o wide; kubectl -n ${ns} get endpointslices -l kubernetes.io/service-name=service-proxy-exporter-canary-affinity -o wide`
    : `kubectl -n ${ns} get endpointslice service-proxy-exporter-canary -o wide; on the writer's node: iptables-save | grep -i masq, or nft list ruleset | grep hairpin`;
}

function one(v: BehaviourCheckView, ns: string): Check {
  const base = {
    id: `datapath.behaviour.${v.check}`,
    group: 'datapath' as const,
    evidence: {
      check: v.check,
      ...(v.success !== undefined ? { success: v.success } : {}),
      ...(v.detail ? { detail: v.detail } : {}),
      ...(v.at !== undefined ? { at: new Date(v.at).toISOString() } : {}),
      ...(v.notApplicable !== undefined ? { notApplicable: v.notApplicable } : {}),
    },
  };
  if (v.notApplicable !== undefined || v.success === undefined)
    return { ...base, status: 'skipped', summary: `${WHAT[v.check]}: not checked here: ${v.notApplicable ?? 'no round yet'}.` };
  if (v.success) return { ...base, status: 'ok', summary: `${WHAT[v.check]} works: ${v.detail ?? ''}.` };
  return {
    ...base,
    status: 'warn',
    summary: `${WHAT[v.check]} does not work: ${v.detail ?? ''}.`,
    next: next(v, ns),
    runbook: 'ServiceProxyBehaviourBroken',
  };
}

export const datapathBehaviour: CheckFn = (input) => {
  const c = input.canary;
  if (!c?.checks)
    return BEHAVIOUR_CHECKS.map((check) =>
      one({ check, notApplicable: `the behaviour checks run with the canary (${input.canaryOff ?? 'canary off'})` }, ''),
    );
  return c.checks.map((v) => one(v, c.namespace));
};
