// Does service load-balancing work: the last probe round, per probe, with the VIP-vs-endpoint
// differential (src/probe/differential.ts) deciding whether the service proxy is to blame.
import { blamedProbes, eachVerdict, verdictName, type ProbeVerdict } from '../../probe/differential.js';
import type { TargetResult } from '../../probe/types.js';
import type { Check, CheckFn, CheckStatus, DiagnoseInput } from '../types.js';
import { activeFindings, daemonSetOf, namespaceOf, sh } from '../facts.js';
import { componentOf } from '../../components/registry.js';

/** How bad each verdict is, for /diagnose and the status page. */
export const VERDICT_STATUS: Readonly<Record<ProbeVerdict, CheckStatus>> = {
  ok: 'ok',
  endpoint_degraded: 'warn',
  backend_error: 'warn',
  no_endpoint: 'warn',
  unknown: 'skipped',
  nodeport_broken: 'fail',
  proxy_broken: 'fail',
  backend_down: 'fail',
};

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The Service a probe stands for, as namespace/name. */
function serviceOf(probe: string, results: TargetResult[]): string | undefined {
  const s = results.find((r) => r.target.service)?.target.service;
  if (s) return s;
  if (probe === 'apiserver') return 'default/kubernetes';
  return probe.includes('/') ? probe : undefined;
}

/** How to look at the service proxy's own view of a VIP, per provider. */
function proxyCommand(input: DiagnoseInput, vip: string): string | undefined {
  const f = activeFindings(input)[0];
  if (!f) return undefined;
  const own = componentOf(f.type).vipCommand;
  if (own) return own(input.snapshot, f, vip);
  const ds = daemonSetOf(input, f);
  return ds ? `kubectl -n ${sh(namespaceOf(input, f))} logs ds/${sh(ds.name)} --tail=200 | grep -Ei 'error|fail'` : undefined;
}

export const datapathSummary: CheckFn = (input) => {
  const id = 'datapath.probes';
  const base = { id, group: 'datapath' as const };
  if (input.probesSkipped)
    return [{ ...base, status: 'skipped', summary: `Probes not run: ${input.probesSkipped}.`, evidence: { reason: input.probesSkipped } }];
  const view = input.probes;
  const round = view?.lastRound;
  const skipped = view?.skipped ?? [];
  if (!view || !round)
    return [
      {
        ...base,
        status: 'skipped',
        summary: 'No probe round has completed yet.',
        evidence: { targets: view?.targets.length ?? 0, skipped },
      },
    ];
  const vips = round.results.filter((r) => r.target.path === 'vip');
  const failed = vips.filter((r) => !r.result.success);
  const evidence = {
    at: round.at,
    durationSeconds: round.durationSeconds,
    functional: round.functional,
    vipProbes: vips.length,
    vipFailures: failed.length,
    targets: round.results.length,
    skipped,
  };
  const details = skipped.map(
    (s) => `not probed: ${s.probe}${s.path || s.family ? ` (${[s.path, s.family].filter(Boolean).join(', ')})` : ''}: ${s.why}`,
  );
  if (vips.length === 0) {
    return [
      {
        ...base,
        status: 'warn',
        summary: 'No Service VIP could be probed, so nothing proves Services work (service_lb_functional stays absent).',
        details,
        evidence,
      },
    ];
  }
  if (round.functional) {
    // service_lb_functional 1: nothing blames the service proxy, even if some backends failed
    const summary =
      failed.length === 0
        ? `All ${vips.length} probes through Service VIPs succeeded (round at ${round.at}).`
        : `The service proxy delivers: ${failed.length} of ${vips.length} probes through Service VIPs failed at their backends (${[...new Set(failed.map((r) => r.target.probe))].join(', ')}), not the proxy (round at ${round.at}).`;
    return [{ ...base, status: 'ok', summary, ...(details.length ? { details } : {}), evidence }];
  }
  const blamed = blamedProbes(round.classifications);
  return [
    {
      ...base,
      status: 'fail',
      summary: blamed.length
        ? `The service proxy fails ${blamed.length} of ${vips.length} probes through Service VIPs (service_lb_functional 0): ${blamed.join(', ')}.`
        : `No probe through a Service VIP reached any backend (service_lb_functional 0): ${[...new Set(failed.map((r) => r.target.probe))].join(', ')}.`,
      details: [
        ...failed.map(
          (r) =>
            `${verdictName(round.classifications, r.target.probe, r.target.family)} vip ${hostPort(r.target.host, r.target.port)}: ${r.result.reason ?? 'failed'}${r.result.detail ? ` (${r.result.detail})` : ''}`,
        ),
        ...details,
      ],
      evidence,
      runbook: 'ServiceLoadBalancingBroken',
    },
  ];
};

export const datapathProbes: CheckFn = (input) => {
  if (input.probesSkipped) return [];
  const round = input.probes?.lastRound;
  if (!round) return [];
  const out: Check[] = [];
  for (const c of eachVerdict(round.classifications)) {
    const { probe, family } = c;
    // A probe with a verdict in both families gets a check per family; a single-stack one keeps its plain id.
    const name = verdictName(round.classifications, probe, family);
    const results = round.results.filter((r) => r.target.probe === probe && r.target.family === family);
    const status = VERDICT_STATUS[c.verdict];
    const paths = results.map((r) => ({
      path: r.target.path,
      target: hostPort(r.target.host, r.target.port),
      kind: r.target.kind,
      success: r.result.success,
      latencySeconds: Number(r.result.durationSeconds.toFixed(4)),
      ...(r.result.reason ? { reason: r.result.reason } : {}),
      ...(r.result.detail ? { detail: r.result.detail } : {}),
    }));
    const svc = serviceOf(probe, results);
    const vip = results.find((r) => r.target.path === 'vip');
    const check: Check = {
      id: name === probe ? `datapath.probe.${probe}` : `datapath.probe.${probe}.${family}`,
      group: 'datapath',
      status,
      summary: `${name}: ${c.verdict} — ${c.explanation}`,
      details: paths.map(
        (p) =>
          `${p.path.padEnd(8)} ${p.target.padEnd(22)} ${p.success ? 'ok' : `FAILED ${p.reason ?? ''}${p.detail ? ` (${p.detail})` : ''}`} ${Math.round(p.latencySeconds * 1000)} ms`,
      ),
      evidence: { probe, family, verdict: c.verdict, explanation: c.explanation, ...(svc ? { service: svc } : {}), paths },
    };
    if (status === 'fail' || status === 'warn') {
      const [ns, name] = svc ? (svc.split('/') as [string, string]) : [undefined, undefined];
      const slices = ns && name ? `kubectl -n ${sh(ns)} get endpointslices -l kubernetes.io/service-name=${sh(name)} -o wide` : undefined;
      const proxy = vip ? proxyCommand(input, hostPort(vip.target.host, vip.target.port)) : undefined;
      if (c.verdict === 'proxy_broken' || c.verdict === 'nodeport_broken') {
        if (proxy) check.next = proxy;
        check.more = [slices].filter((x): x is string => !!x);
        check.runbook = 'ServiceLoadBalancingBroken';
      } else if (slices) {
        check.next = slices;
        if (c.verdict === 'backend_down') check.runbook = 'ServiceLoadBalancingBroken';
      }
    }
    out.push(check);
  }
  return out;
};

export const datapathChecks: CheckFn[] = [datapathSummary, datapathProbes];
