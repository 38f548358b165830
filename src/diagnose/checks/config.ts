// Seed 002 step 7 (kube-proxy's ConfigMap: mode, clusterCIDR, metrics bind) and seeds 000/001 for
// Cilium (kube-proxy-replacement valid for the running version, one version across agents, the
// kube-proxy-compatible healthz bind). Whatever detection raised and no check here explains is listed.
import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { KPR_HEALTHZ_KEY, KPR_KEY, readKpr } from '../../detect/cilium.js';
import { imageTag, pickContainer } from '../../detect/image.js';
import { atLeast } from '../../detect/version.js';
import { CONFIG_CHECKS, type ConfigCheck, type Finding } from '../../detect/types.js';
import type { Check, CheckFn, DiagnoseInput } from '../types.js';
import { agentPods, ciliumExec, configMapIn, daemonSetOf, findingOf, namespaceOf, sh } from '../facts.js';

interface KubeProxyConfig {
  where: string;
  command: string;
  doc?: Record<string, unknown>;
  parseError?: string;
}

function kubeProxyConfig(input: DiagnoseInput, f: Finding): KubeProxyConfig | undefined {
  const ns = namespaceOf(input, f);
  for (const [name, key] of [
    ['kube-proxy-config', 'config'],
    ['kube-proxy', 'config.conf'],
  ] as const) {
    const cm = configMapIn(input, name, [ns, 'kube-system']);
    const text = cm?.data[key];
    if (!cm || typeof text !== 'string') continue;
    const where = `ConfigMap ${cm.namespace}/${cm.name} key ${key}`;
    const command = `kubectl -n ${sh(cm.namespace)} get cm ${sh(cm.name)} -o jsonpath='{.data.${key.replace(/\./g, '\\.')}}' | grep -E '^(mode|clusterCIDR|metricsBindAddress):'`;
    try {
      const doc = parseYaml(text) as unknown;
      if (doc && typeof doc === 'object' && !Array.isArray(doc)) return { where, command, doc: doc as Record<string, unknown> };
      return { where, command, parseError: 'not a mapping' };
    } catch (e) {
      return { where, command, parseError: String((e as Error).message).split('\n')[0] };
    }
  }
  return undefined;
}

function skipKubeProxy(id: string, input: DiagnoseInput): { f: Finding; cfg: KubeProxyConfig | undefined } | Check[] {
  const f = findingOf(input, 'kube-proxy');
  if (!f) return [{ id, group: 'config', status: 'skipped', summary: 'kube-proxy is not installed.', evidence: {} }];
  if (!f.active) return [{ id, group: 'config', status: 'skipped', summary: 'kube-proxy is installed but not running (its DaemonSet schedules no pod).', evidence: { component: f.type } }];
  return { f, cfg: f.agents.embeddedInNode ? undefined : kubeProxyConfig(input, f) };
}

export const kubeProxyMode: CheckFn = (input) => {
  const id = 'config.kube_proxy_mode';
  const r = skipKubeProxy(id, input);
  if (Array.isArray(r)) return r;
  const { f, cfg } = r;
  const raw = cfg?.doc ? (cfg.doc.mode ?? '') : undefined;
  const evidence = { effectiveMode: f.mode, flavor: f.flavor, source: cfg?.where ?? 'command line / defaults', configMode: raw ?? null, ...(cfg?.parseError ? { parseError: cfg.parseError } : {}) };
  const bad = f.issues.includes('kube_proxy_mode_unknown');
  if (bad) {
    return [
      {
        id,
        group: 'config',
        status: 'fail',
        summary: `kube-proxy's mode is not one it knows (${cfg?.parseError ? `${cfg.where} does not parse: ${cfg.parseError}` : `mode ${JSON.stringify(raw ?? f.mode)}`}): it fails to start or falls back. Use "" (iptables), ipvs or nftables.`,
        details: f.evidence,
        evidence,
        ...(cfg ? { next: cfg.command } : {}),
        runbook: 'ServiceProxyConfigInvalid',
      },
    ];
  }
  const why = raw === '' ? ` (${cfg!.where} leaves mode empty: iptables)` : cfg ? ` (${cfg.where})` : '';
  return [{ id, group: 'config', status: 'ok', summary: `kube-proxy runs in ${f.mode} mode${why}.`, details: f.evidence, evidence }];
};

/** Every comma-separated entry is an IPv4 or IPv6 CIDR. */
function validCidrs(v: string): boolean {
  return v.split(',').every((c) => {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(c.trim());
    if (!m) return false;
    const fam = isIP(m[1]!);
    return fam !== 0 && Number(m[2]) <= (fam === 4 ? 32 : 128);
  });
}

export const kubeProxyClusterCidr: CheckFn = (input) => {
  const id = 'config.kube_proxy_cluster_cidr';
  const r = skipKubeProxy(id, input);
  if (Array.isArray(r)) return r;
  const { cfg } = r;
  if (!cfg?.doc) {
    const why = r.f.agents.embeddedInNode ? 'k3s passes kube-proxy its settings on the command line' : cfg?.parseError ? `${cfg.where} does not parse` : 'no kube-proxy ConfigMap is readable';
    return [{ id, group: 'config', status: 'skipped', summary: `clusterCIDR not checked: ${why}.`, evidence: {} }];
  }
  const cidr = typeof cfg.doc.clusterCIDR === 'string' ? cfg.doc.clusterCIDR.trim() : '';
  const detectLocalMode = typeof cfg.doc.detectLocalMode === 'string' ? cfg.doc.detectLocalMode : '';
  const evidence = { source: cfg.where, clusterCIDR: cidr, detectLocalMode };
  if (cidr === '') {
    if (detectLocalMode && detectLocalMode !== 'ClusterCIDR') {
      return [{ id, group: 'config', status: 'ok', summary: `clusterCIDR is empty, which is fine with detectLocalMode ${detectLocalMode}.`, evidence }];
    }
    return [
      {
        id,
        group: 'config',
        status: 'warn',
        summary: `clusterCIDR is empty in ${cfg.where}: kube-proxy cannot tell pod traffic from external traffic, so traffic from outside the cluster to Service VIPs is not masqueraded.`,
        evidence,
        next: cfg.command,
      },
    ];
  }
  if (!validCidrs(cidr)) {
    return [{ id, group: 'config', status: 'fail', summary: `clusterCIDR ${JSON.stringify(cidr)} in ${cfg.where} is not a list of CIDRs: kube-proxy refuses the configuration.`, evidence, next: cfg.command, runbook: 'ServiceProxyConfigInvalid' }];
  }
  return [{ id, group: 'config', status: 'ok', summary: `clusterCIDR is ${cidr}.`, evidence }];
};

export const kubeProxyMetricsBind: CheckFn = (input) => {
  const id = 'config.kube_proxy_metrics_bind';
  const r = skipKubeProxy(id, input);
  if (Array.isArray(r)) return r;
  const { cfg } = r;
  if (!cfg?.doc) return [{ id, group: 'config', status: 'skipped', summary: 'metricsBindAddress not checked: no readable kube-proxy configuration.', evidence: {} }];
  const bind = typeof cfg.doc.metricsBindAddress === 'string' ? cfg.doc.metricsBindAddress.trim() : '';
  const evidence = { source: cfg.where, metricsBindAddress: bind };
  const host = bind === '' ? '127.0.0.1' : bind.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1') {
    return [
      {
        id,
        group: 'config',
        status: 'warn',
        summary: `metricsBindAddress is ${bind ? JSON.stringify(bind) : 'empty (127.0.0.1:10249)'}: Prometheus cannot scrape kube-proxy, so the stock KubeProxyDown alert fires even while kube-proxy is healthy. Set it to 0.0.0.0:10249 if you scrape kube-proxy.`,
        evidence,
        next: cfg.command,
        runbook: 'KubeProxyDown',
      },
    ];
  }
  return [{ id, group: 'config', status: 'ok', summary: `kube-proxy serves metrics on ${bind}.`, evidence }];
};

function skipCilium(id: string, input: DiagnoseInput): Finding | Check[] {
  const f = findingOf(input, 'cilium-kpr');
  if (!f) return [{ id, group: 'config', status: 'skipped', summary: 'Cilium is not installed.', evidence: {} }];
  return f;
}

export const ciliumKprValue: CheckFn = (input) => {
  const id = 'config.cilium_kpr_value';
  const f = skipCilium(id, input);
  if (Array.isArray(f)) return f;
  const ns = namespaceOf(input, f);
  if (f.flavor === 'gke-dataplane-v2') {
    return [{ id, group: 'config', status: 'ok', summary: `GKE Dataplane V2 (anetd ${f.version}) manages Cilium's configuration and always replaces kube-proxy.`, evidence: { version: f.version, flavor: f.flavor } }];
  }
  const cm = configMapIn(input, 'cilium-config', [ns, 'kube-system']);
  const next = `kubectl -n ${sh(cm?.namespace ?? ns)} get cm cilium-config -o jsonpath='{.data.${KPR_KEY}}'`;
  if (!cm) {
    return [{ id, group: 'config', status: 'skipped', summary: `cilium-config is not readable in ${ns}; ${f.active ? 'Cilium is taken as the replacement because no kube-proxy runs' : 'Cilium is not taken as the replacement'}.`, evidence: { namespace: ns }, next }];
  }
  const raw = cm.data[KPR_KEY];
  const reading = readKpr(raw, f.version);
  const evidence = { configMap: `${cm.namespace}/${cm.name}`, key: KPR_KEY, value: raw ?? null, version: f.version, reading: reading.full ? 'full' : reading.partial ? 'partial' : 'off', note: reading.note };
  const shown = raw === undefined ? '(absent)' : JSON.stringify(raw);
  if (reading.issues.includes('cilium_kpr_value_invalid')) {
    return [{ id, group: 'config', status: 'fail', summary: `${KPR_KEY} is ${shown}, which no Cilium version accepts: use "true" or "false" (Helm kubeProxyReplacement).`, evidence, next, runbook: 'ServiceProxyConfigInvalid' }];
  }
  if (reading.issues.includes('cilium_kpr_legacy_value')) {
    const removed = atLeast(f.version, 1, 15) !== false;
    const want = (raw ?? '').trim().toLowerCase() === 'disabled' ? 'false' : 'true';
    const pods = agentPods(input, f);
    const failing = pods.filter((p) => !p.ready).length;
    return [
      {
        id,
        group: 'config',
        status: 'fail',
        summary: `${KPR_KEY} is ${shown}, a legacy value ${removed ? `Cilium ${f.version} no longer accepts (removed in 1.15)` : `deprecated since Cilium 1.14 (running ${f.version})`}${failing ? `; ${failing} of ${pods.length} agents are not Ready` : ''}. Set it to "${want}" (Helm kubeProxyReplacement: ${want}) and restart the agents.`,
        evidence,
        next,
        more: [`kubectl -n ${sh(ns)} logs ds/${sh(daemonSetOf(input, f)?.name ?? 'cilium')} -c cilium-agent --previous --tail=200 | grep -i kube-proxy-replacement`],
        runbook: 'ServiceProxyConfigInvalid',
      },
    ];
  }
  return [{ id, group: 'config', status: 'ok', summary: `${KPR_KEY} is ${shown} on Cilium ${f.version}: ${reading.note}.`, evidence, ...(reading.full ? { more: [ciliumExec(input, f, 'status | grep KubeProxyReplacement')] } : {}) }];
};

export const ciliumVersionSkew: CheckFn = (input) => {
  const id = 'config.cilium_version_skew';
  const f = skipCilium(id, input);
  if (Array.isArray(f)) return f;
  const byVersion = new Map<string, string[]>();
  for (const p of agentPods(input, f)) {
    const tag = imageTag(pickContainer(p.containers, ['cilium-agent'])?.image);
    byVersion.set(tag, [...(byVersion.get(tag) ?? []), `${p.namespace}/${p.name}`]);
  }
  const ds = daemonSetOf(input, f);
  const versions = Object.fromEntries([...byVersion].sort(([a], [b]) => a.localeCompare(b)));
  const evidence = { daemonSetVersion: f.version, versions, ...(ds ? { desired: ds.desired, updated: ds.updated } : {}) };
  const known = [...byVersion.keys()].filter((t) => t !== 'unknown');
  if (!f.issues.includes('cilium_version_skew') && known.length <= 1) {
    return [{ id, group: 'config', status: 'ok', summary: `All ${[...byVersion.values()].flat().length} Cilium agents run ${known[0] ?? f.version}.`, evidence }];
  }
  const ns = namespaceOf(input, f);
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
      more: [`kubectl -n ${sh(ns)} get pods -l k8s-app=cilium -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,IMAGE:.spec.containers[0].image`],
      runbook: 'ServiceProxyConfigInvalid',
    },
  ];
};

export const ciliumHealthz: CheckFn = (input) => {
  const id = 'config.cilium_kpr_healthz';
  const f = skipCilium(id, input);
  if (Array.isArray(f)) return f;
  if (f.flavor === 'gke-dataplane-v2') return [{ id, group: 'config', status: 'skipped', summary: 'GKE Dataplane V2 manages the healthz endpoint.', evidence: {} }];
  if (!f.fullReplacement) return [{ id, group: 'config', status: 'skipped', summary: 'Cilium does not fully replace kube-proxy here: kube-proxy-compatible healthz is not its job.', evidence: {} }];
  const ns = namespaceOf(input, f);
  const cm = configMapIn(input, 'cilium-config', [ns, 'kube-system']);
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

/** Config checks the checks above explain; any other raised one is listed by config.other. */
const EXPLAINED: readonly ConfigCheck[] = [
  'cilium_kpr_legacy_value',
  'cilium_kpr_value_invalid',
  'cilium_version_skew',
  'kpr_with_kube_proxy',
  'kube_proxy_mode_unknown',
  'kpr_healthz_unset',
  'provider_agents_missing',
];

const OTHER: Partial<Record<ConfigCheck, { status: 'warn' | 'fail'; text: string }>> = {
  provider_config_unparseable: { status: 'fail', text: "a provider's configuration (kube-proxy config.conf, antrea-agent.conf or k3s node args) does not parse" },
  probe_targets_over_limit: { status: 'warn', text: 'more Services are annotated for probing than --max-probe-targets allows; the rest are not probed' },
};

export const otherConfigChecks: CheckFn = (input) => {
  const id = 'config.other';
  const v = input.verdict;
  if (!v || v.provider === 'unknown') return [{ id, group: 'config', status: 'skipped', summary: 'No verdict.', evidence: {} }];
  const raised = CONFIG_CHECKS.filter((c) => v.issues[c] && !EXPLAINED.includes(c));
  if (!raised.length) return [{ id, group: 'config', status: 'ok', summary: 'No other configuration check fails.', evidence: { raised: [] } }];
  const worst = raised.some((c) => (OTHER[c]?.status ?? 'fail') === 'fail') ? 'fail' : 'warn';
  return [
    {
      id,
      group: 'config',
      status: worst,
      summary: `Failing: ${raised.map((c) => `${c} (${OTHER[c]?.text ?? 'see the runbook'})`).join('; ')}.`,
      details: v.reasons.filter((r) => /not a|unparseable|parse|annotated/i.test(r)),
      evidence: { raised },
      runbook: 'ServiceProxyConfigInvalid',
    },
  ];
};

export const configChecks: CheckFn[] = [kubeProxyMode, kubeProxyClusterCidr, kubeProxyMetricsBind, ciliumKprValue, ciliumVersionSkew, ciliumHealthz, otherConfigChecks];
