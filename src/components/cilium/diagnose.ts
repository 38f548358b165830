// Cilium's configuration checks: kube-proxy-replacement valid for the running version, one version
// across agents, the kube-proxy-compatible healthz bind (docs/runbooks/ServiceProxyConfigInvalid.md).
// They read cilium-config as detection found it (Finding.config).
import { pickContainer, imageTag } from '../../detect/image.js';
import type { Finding } from '../../detect/types.js';
import { atLeast } from '../../detect/version.js';
import { agentPodsOf, daemonSetOf, namespaceOf, sh } from '../hints.js';
import type { Check, ComponentCheck, ComponentCheckInput } from '../types.js';
import { KPR_HEALTHZ_KEY, KPR_KEY, readKpr } from './detect.js';
import { ciliumExec } from './hints.js';

function skipCilium(id: string, input: ComponentCheckInput): Finding | Check[] {
  const f = input.finding;
  if (!f) return [{ id, group: 'config', status: 'skipped', summary: 'Cilium is not installed.', evidence: {} }];
  return f;
}

/** cilium-config as detection read it (absent when unreadable or not there). */
function ciliumConfig(f: Finding): { namespace: string; name: string; data: Record<string, string> } | undefined {
  const c = f.config;
  return c ? { namespace: c.namespace, name: c.name, data: (c.doc ?? {}) as Record<string, string> } : undefined;
}

export const ciliumKprValue: ComponentCheck = (input) => {
  const id = 'config.cilium_kpr_value';
  const f = skipCilium(id, input);
  if (Array.isArray(f)) return f;
  const ns = namespaceOf(input.snapshot, f);
  if (f.flavor === 'gke-dataplane-v2') {
    return [
      {
        id,
        group: 'config',
        status: 'ok',
        summary: `GKE Dataplane V2 (anetd ${f.version}) manages Cilium's configuration and always replaces kube-proxy.`,
        evidence: { version: f.version, flavor: f.flavor },
      },
    ];
  }
  const cm = ciliumConfig(f);
  const next = `kubectl -n ${sh(cm?.namespace ?? ns)} get cm cilium-config -o jsonpath='{.data.${KPR_KEY}}'`;
  if (!cm) {
    return [
      {
        id,
        group: 'config',
        status: 'skipped',
        summary: `cilium-config is not readable in ${ns}; ${f.active ? 'Cilium is taken as the replacement because no kube-proxy runs' : 'Cilium is not taken as the replacement'}.`,
        evidence: { namespace: ns },
        next,
      },
    ];
  }
  const raw = cm.data[KPR_KEY];
  const reading = readKpr(raw, f.version);
  const evidence = {
    configMap: `${cm.namespace}/${cm.name}`,
    key: KPR_KEY,
    value: raw ?? null,
    version: f.version,
    reading: reading.full ? 'full' : reading.partial ? 'partial' : 'off',
    note: reading.note,
  };
  const shown = raw === undefined ? '(absent)' : JSON.stringify(raw);
  if (reading.issues.includes('cilium_kpr_value_invalid')) {
    return [
      {
        id,
        group: 'config',
        status: 'fail',
        summary: `${KPR_KEY} is ${shown}, which no Cilium version accepts: use "true" or "false" (Helm kubeProxyReplacement).`,
        evidence,
        next,
        runbook: 'ServiceProxyConfigInvalid',
      },
    ];
  }
  if (reading.issues.includes('cilium_kpr_legacy_value')) {
    const removed = atLeast(f.version, 1, 15) !== false;
    const want = (raw ?? '').trim().toLowerCase() === 'disabled' ? 'false' : 'true';
    const pods = agentPodsOf(input.snapshot, f);
    const failing = pods.filter((p) => !p.ready).length;
    return [
      {
        id,
        group: 'config',
        status: 'fail',
        summary: `${KPR_KEY} is ${shown}, a legacy value ${removed ? `Cilium ${f.version} no longer accepts (removed in 1.15)` : `deprecated since Cilium 1.14 (running ${f.version})`}${failing ? `; ${failing} of ${pods.length} agents are not Ready` : ''}. Set it to "${want}" (Helm kubeProxyReplacement: ${want}) and restart the agents.`,
        evidence,
        next,
        more: [
          `kubectl -n ${sh(ns)} logs ds/${sh(daemonSetOf(input.snapshot, f)?.name ?? 'cilium')} -c cilium-agent --previous --tail=200 | grep -i kube-proxy-replacement`,
        ],
        runbook: 'ServiceProxyConfigInvalid',
      },
    ];
  }
  return [
    {
      id,
      group: 'config',
      status: 'ok',
      summary: `${KPR_KEY} is ${shown} on Cilium ${f.version}: ${reading.note}.`,
      evidence,
      ...(reading.full ? { more: [ciliumExec(input.snapshot, f, 'status | grep KubeProxyReplacement')] } : {}),
    },
  ];
};

export const ciliumVersionSkew: ComponentCheck = (input) => {
  const id = 'config.cilium_version_skew';
  const f = skipCilium(id, input);
  if (Array.isArray(f)) return f;
  const byVersion = new Map<string, string[]>();
  for (const p of agentPodsOf(input.snapshot, f)) {
    const tag = imageTag(pickContainer(p.containers, ['cilium-agent'])?.image);
    byVersion.set(tag, [...(byVersion.get(tag) ?? []), `${p.namespace}/${p.name}`]);
  }
  const ds = daemonSetOf(input.snapshot, f);
  const versions = Object.fromEntries([...byVersion].sort(([a], [b]) => a.localeCompare(b)));
  const evidence = { daemonSetVersion: f.version, versions, ...(ds ? { desired: ds.desired, updated: ds.updated } : {}) };
  const known = [...byVersion.keys()].filter((t) => t !== 'unknown');
  if (!f.issues.includes('cilium_version_skew') && known.length <= 1) {
    return [
      {
        id,
        group: 'config',
        status: 'ok',
        summary: `All ${[...byVersion.values()].flat().length} Cilium agents run ${known[0] ?? f.version}.`,
        evidence,
      },
    ];
  }
  const ns = namespaceOf(input.snapshot, f);
  const dsName = ds?.name ?? 'cilium';
  return [
    {
      id,
      group: 'config',
      status: 'fail',
      summary: `Cilium agents run ${known.length} versions (${[...byVersion].map(([t, pods]) => `${t} on ${pods.length}`).join(', ')})${ds ? `; the DaemonSet wants ${f.version} and ${ds.updated} of ${ds.desired} pods are up to date` : ''}: finish or roll back the upgrade.`,
      details: [...byVersion].map(([t, pods]) => `${t}: ${pods.join(', ')}`),
      evidence,
      next: `kubectl -n ${sh(ns)} rollout status ds/${sh(dsName)} --timeout=10s`,
      more: [
        `kubectl -n ${sh(ns)} get pods -l k8s-app=cilium -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,IMAGE:.spec.containers[0].image`,
      ],
      runbook: 'ServiceProxyConfigInvalid',
    },
  ];
};

export const ciliumHealthz: ComponentCheck = (input) => {
  const id = 'config.cilium_kpr_healthz';
  const f = skipCilium(id, input);
  if (Array.isArray(f)) return f;
  if (f.flavor === 'gke-dataplane-v2')
    return [{ id, group: 'config', status: 'skipped', summary: 'GKE Dataplane V2 manages the healthz endpoint.', evidence: {} }];
  if (!f.fullReplacement)
    return [
      {
        id,
        group: 'config',
        status: 'skipped',
        summary: 'Cilium does not fully replace kube-proxy here: kube-proxy-compatible healthz is not its job.',
        evidence: {},
      },
    ];
  const cm = ciliumConfig(f);
  if (!cm) return [{ id, group: 'config', status: 'skipped', summary: 'cilium-config is not readable.', evidence: {} }];
  const bind = (cm.data[KPR_HEALTHZ_KEY] ?? '').trim();
  const evidence = { configMap: `${cm.namespace}/${cm.name}`, key: KPR_HEALTHZ_KEY, value: bind };
  if (!bind) {
    return [
      {
        id,
        group: 'config',
        status: 'warn',
        summary: `${KPR_HEALTHZ_KEY} is empty: nothing answers kube-proxy's health check on :10256, so cloud load balancers that probe it take every node out of rotation. Set Helm kubeProxyReplacementHealthzBindAddr: "0.0.0.0:10256".`,
        evidence,
        next: `kubectl -n ${sh(cm.namespace)} get cm cilium-config -o jsonpath='{.data.${KPR_HEALTHZ_KEY}}'`,
        runbook: 'ServiceProxyConfigInvalid',
      },
    ];
  }
  return [{ id, group: 'config', status: 'ok', summary: `Cilium answers kube-proxy-compatible health checks on ${bind}.`, evidence }];
};

export const ciliumChecks: ComponentCheck[] = [ciliumKprValue, ciliumVersionSkew, ciliumHealthz];
