// Who load-balances Services, whether two components fight over it, and whether we could look at all.
import { COMPONENTS, componentOf, DETECTION_CONFIGMAPS, detectionSources } from '../../components/registry.js';

const selectorOf = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
import type { CheckFn } from '../types.js';
import { activeFindings, daemonSetOf, findingOf, label, sh, ciliumExec } from '../facts.js';

/** Sources without which detection cannot conclude (the same names in both modes). */
const REQUIRED = new Set(
  detectionSources({ mode: 'deployment' })
    .filter((s) => s.required)
    .map((s) => s.name),
);

const EXPORTER_SA = 'system:serviceaccount:service-proxy-exporter:service-proxy-exporter';

/** Source name → what `kubectl auth can-i list` needs. */
function resourceOfSource(name: string): string {
  if (name.startsWith('configmap/')) return 'configmaps';
  if (name.endsWith('pods')) return 'pods';
  const known: Record<string, string> = {
    'calico-installations': 'installations.operator.tigera.io',
    'felix-configurations': 'felixconfigurations.crd.projectcalico.org',
  };
  return known[name] ?? name;
}

export const providerVerdict: CheckFn = (input) => {
  const v = input.verdict;
  const base = { id: 'provider.verdict', group: 'provider' as const };
  if (!v) return [{ ...base, status: 'skipped', summary: 'Detection has not run yet.', evidence: {} }];
  const evidence = { type: v.provider, mode: v.mode, version: v.version, flavor: v.flavor, reasons: v.reasons };
  if (v.provider === 'unknown') {
    const bad = Object.entries(input.sources).filter(([, s]) => s.state !== 'synced' && s.state !== 'absent');
    const first = bad[0];
    return [
      {
        ...base,
        status: 'fail',
        summary: `The service proxy is unknown: the Kubernetes API could not be read (${bad.map(([n, s]) => `${n}: ${s.state}`).join(', ') || 'sources not synced'}).`,
        details: v.reasons,
        evidence,
        ...(first ? { next: `kubectl auth can-i list ${resourceOfSource(first[0])} --all-namespaces --as=${EXPORTER_SA}` } : {}),
        runbook: 'ServiceProxyExporterSourceDown',
      },
    ];
  }
  if (v.provider === 'none') {
    return [
      {
        ...base,
        status: 'fail',
        summary:
          'Nothing load-balances Services: no running kube-proxy and no active kube-proxy replacement. ClusterIP Services do not work.',
        details: v.reasons,
        evidence,
        next: `kubectl get ds -A -o wide | grep -Ei '${COMPONENTS.flatMap((c) => c.daemonSets).join('|')}'`,
        more: [`kubectl -n kube-system get cm ${DETECTION_CONFIGMAPS.join(' ')}`],
        runbook: 'ServiceProxyMissing',
      },
    ];
  }
  const what = [v.mode, v.version, v.flavor].filter(Boolean).join(', ');
  return [
    {
      ...base,
      status: 'ok',
      summary: `${v.provider}${what ? ` (${what})` : ''} load-balances Services.`,
      details: v.reasons,
      evidence,
    },
  ];
};

export const providerConflict: CheckFn = (input) => {
  const v = input.verdict;
  const base = { id: 'provider.conflict', group: 'provider' as const };
  if (!v || v.provider === 'unknown') return [{ ...base, status: 'skipped', summary: 'No verdict to judge a conflict by.', evidence: {} }];
  const active = activeFindings(input);
  const evidence = {
    conflict: v.conflict,
    active: active.map((f) => ({
      type: f.type,
      fullReplacement: f.fullReplacement,
      flavor: f.flavor,
      daemonSet: f.agents.daemonSet ?? null,
    })),
  };
  if (!v.conflict) {
    return [
      {
        ...base,
        status: 'ok',
        summary:
          active.length > 1
            ? `${active.map(label).join(' and ')} are both active, by design (no full replacement next to kube-proxy).`
            : 'Only one component programs Services.',
        evidence,
      },
    ];
  }
  const kp = findingOf(input, 'kube-proxy');
  const kpDs = kp ? daemonSetOf(input, kp) : undefined;
  const cilium = active.find((f) => f.type === 'cilium-kpr');
  const next = kpDs
    ? `kubectl -n ${sh(kpDs.namespace)} get ds ${sh(kpDs.name)} -o wide`
    : `kubectl get pods -A -l ${selectorOf(componentOf('kube-proxy').reads.pods[0]!.labels)} -o wide`;
  return [
    {
      ...base,
      status: 'fail',
      summary: `${active.map(label).join(' and ')} both program Services: ${v.provider} wins (its hooks act first), but kube-proxy's rules linger and take over if it stops. Finish the migration: remove kube-proxy and clean its rules.`,
      details: v.reasons.filter((r) => r.startsWith('Conflict')),
      evidence,
      next,
      ...(cilium ? { more: [ciliumExec(input, cilium, 'status | grep KubeProxyReplacement')] } : {}),
      runbook: 'ServiceProxyConflict',
    },
  ];
};

export const providerSources: CheckFn = (input) => {
  const base = { id: 'provider.sources', group: 'provider' as const };
  const entries = Object.entries(input.sources);
  const evidence = {
    sources: Object.fromEntries(entries.map(([n, s]) => [n, s.error ? { state: s.state, error: s.error } : { state: s.state }])),
  };
  if (entries.length === 0) return [{ ...base, status: 'skipped', summary: 'No sources.', evidence }];
  const bad = entries.filter(([, s]) => s.state !== 'synced' && s.state !== 'absent');
  if (bad.length === 0) return [{ ...base, status: 'ok', summary: `All ${entries.length} Kubernetes sources are readable.`, evidence }];
  const badRequired = bad.filter(([n]) => REQUIRED.has(n));
  const details = bad.map(([n, s]) => `${n}: ${s.state}${s.error ? ` (${s.error})` : ''}`);
  const [firstName] = bad[0]!;
  return [
    {
      ...base,
      status: badRequired.length ? 'fail' : 'warn',
      summary: badRequired.length
        ? `Required sources cannot be read (${badRequired.map(([n]) => n).join(', ')}): detection cannot conclude.`
        : `Some optional sources cannot be read (${bad.map(([n]) => n).join(', ')}): the checks that need them are incomplete.`,
      details,
      evidence,
      next: `kubectl auth can-i list ${resourceOfSource(firstName)} --all-namespaces`,
      runbook: 'ServiceProxyExporterSourceDown',
    },
  ];
};

export const providerChecks: CheckFn[] = [providerVerdict, providerConflict, providerSources];
