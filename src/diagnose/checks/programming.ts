// diagnose / status page: the canary's last programming latency and any change still pending
// (what the canary pipeline, src/canary/, publishes as a CanaryView).
import { STALLED_AFTER_SECONDS } from '../../state/canary.js';
import type { CheckFn } from '../types.js';

export const datapathProgramming: CheckFn = (input) => {
  const c = input.canary;
  if (!c) {
    return [
      {
        id: 'datapath.programming',
        group: 'datapath',
        status: 'skipped',
        summary: `Service programming is not measured: ${input.canaryOff ?? 'canary off'}.`,
        evidence: { reason: input.canaryOff ?? 'canary off' },
      },
    ];
  }
  const evidence: Record<string, unknown> = {
    writer: c.writer,
    holder: c.holder,
    writesForbidden: c.writesForbidden,
    changes: c.changes,
    ...(c.pendingSeconds !== undefined ? { pendingSeconds: Math.round(c.pendingSeconds * 1000) / 1000 } : {}),
    ...(c.last ? { lastLatencySeconds: Math.round(c.last.seconds * 1000) / 1000, lastProgrammedAt: c.last.at } : {}),
    ...(c.vip ? { vip: `${c.vip.clusterIp}:${c.vip.port}` } : {}),
    ...(c.target ? { target: `${c.target.address}:${c.target.port}` } : {}),
    ...(c.lastAnswer ? { lastAnswer: c.lastAnswer } : {}),
    ...(c.flows?.length ? { flows: c.flows } : {}),
  };
  // each (protocol, family) on its own: a family whose TCP pends is a stall there; UDP pending while
  // TCP of its family is done is a conntrack entry that outlived the change
  const tcpPending = (c.flows ?? []).filter((f) => f.protocol === 'tcp' && (f.pendingSeconds ?? 0) > 0);
  const stale = (c.flows ?? []).filter(
    (f) => f.protocol === 'udp' && (f.pendingSeconds ?? 0) > 0 && !tcpPending.some((t) => t.family === f.family),
  );
  const last = c.last ? ` Last change took ${c.last.seconds.toFixed(2)} s (${c.last.at}).` : '';
  const ns = c.namespace;
  const next = `kubectl -n ${ns} get endpointslice service-proxy-exporter-canary -o wide; kubectl -n ${ns} get lease service-proxy-exporter-canary -o yaml`;
  const otherFamily = tcpPending.find((f) => f.family !== c.flows?.[0]?.family);
  if ((c.pendingSeconds === undefined || c.pendingSeconds === 0) && otherFamily) {
    const stalled = otherFamily.pendingSeconds! > STALLED_AFTER_SECONDS;
    return [
      {
        id: 'datapath.programming',
        group: 'datapath',
        status: stalled ? 'fail' : 'warn',
        summary: `The newest canary change has waited ${otherFamily.pendingSeconds!.toFixed(1)} s to appear in the data plane over ${otherFamily.family} (VIP ${otherFamily.clusterIp ?? 'unknown'}), while the other family shows it.${last}`,
        evidence,
        next,
        runbook: 'ServiceProxyProgrammingStalled',
      },
    ];
  }
  if (c.pendingSeconds !== undefined && c.pendingSeconds > 0) {
    const stalled = c.pendingSeconds > STALLED_AFTER_SECONDS;
    return [
      {
        id: 'datapath.programming',
        group: 'datapath',
        status: stalled ? 'fail' : 'warn',
        summary: `The newest canary change has waited ${c.pendingSeconds.toFixed(1)} s to appear in the data plane${c.vip ? ` (VIP ${c.vip.clusterIp}:${c.vip.port}, want ${c.target ? `port ${c.target.port}` : 'the new target'}, last answer: ${c.lastAnswer ?? 'none'})` : ' (the canary Service has no ClusterIP)'}.${last}`,
        evidence,
        next,
        runbook: 'ServiceProxyProgrammingStalled',
      },
    ];
  }
  if (c.writesForbidden) {
    return [
      {
        id: 'datapath.programming',
        group: 'datapath',
        status: 'warn',
        summary: `Canary writes are forbidden: nobody may be moving the canary (check the Role in manifests/base/canary-role.yaml).${last}`,
        evidence,
        next: `kubectl -n ${ns} auth can-i update endpointslices/service-proxy-exporter-canary --as=system:serviceaccount:${ns}:service-proxy-exporter`,
      },
    ];
  }
  if (stale.length > 0) {
    const worst = stale.reduce((a, b) => ((b.pendingSeconds ?? 0) > (a.pendingSeconds ?? 0) ? b : a));
    return [
      {
        id: 'datapath.programming',
        group: 'datapath',
        status: worst.pendingSeconds! > STALLED_AFTER_SECONDS ? 'fail' : 'warn',
        summary: `A long-lived UDP flow through the canary VIP (${worst.family}) has not followed the newest change for ${worst.pendingSeconds!.toFixed(1)} s while new TCP connections have${worst.answeringPort !== undefined ? `: its answers still come from port ${worst.answeringPort}` : ''}. A conntrack entry outlived the endpoint change.${last}`,
        evidence,
        next: 'on the node: conntrack -L -p udp --orig-dst <canary ClusterIP>',
        runbook: 'ServiceProxyStaleConntrack',
      },
    ];
  }
  if (c.changes === 0) {
    return [
      {
        id: 'datapath.programming',
        group: 'datapath',
        status: 'skipped',
        summary: `No canary change seen yet${c.holder ? ` (writer: ${c.holder})` : ''}.`,
        evidence,
      },
    ];
  }
  return [
    { id: 'datapath.programming', group: 'datapath', status: 'ok', summary: `The data plane shows canary changes.${last}`, evidence },
  ];
};
