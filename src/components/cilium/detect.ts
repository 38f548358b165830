// Cilium and its kube-proxy replacement (KPR). GKE Dataplane V2 runs the same agent as `anetd`.
import type { ClusterSnapshot } from '../../cluster/types.js';
import type { ConfigCheck, Finding } from '../../detect/types.js';
import { imageTag, pickContainer } from '../../detect/image.js';
import { agentSelector, configMap, daemonSetsFor, mostCommon, podsWith, sourceReadable } from '../../detect/lookup.js';
import { kubeProxyRunning } from '../kube-proxy/detect.js';
import { atLeast } from '../../detect/version.js';

/** The DaemonSets its agents run under (GKE Dataplane V2 names Cilium's `anetd`). */
export const DAEMONSETS = ['cilium', 'anetd'] as const;

const POD_LABELS = { 'k8s-app': 'cilium' };
export const KPR_KEY = 'kube-proxy-replacement';
export const KPR_HEALTHZ_KEY = 'kube-proxy-replacement-healthz-bind-address';

/** What a kube-proxy-replacement value means on a given Cilium version. */
export interface KprReading {
  /** full replacement (kube-proxy not needed) */
  full: boolean;
  /** partial replacement: active alongside kube-proxy */
  partial: boolean;
  issues: ConfigCheck[];
  note: string;
}

type Band = 'pre-1.14' | '1.14' | '1.15+';

function band(version: string): Band {
  // An unreadable version (digest-only image) is read as the newest: legacy values are flagged.
  if (atLeast(version, 1, 15) ?? true) return '1.15+';
  return atLeast(version, 1, 14) ? '1.14' : 'pre-1.14';
}

/**
 * The table in docs/detection.md. Legacy values `strict`/`partial`/`probe`/`disabled` were
 * deprecated in 1.14 and removed in 1.15 (`probe` already in 1.13, cilium#22083); on a version that
 * no longer accepts them the operator's intent is kept and `cilium_kpr_legacy_value` is raised.
 */
export function readKpr(rawValue: string | undefined, version: string): KprReading {
  const v = (rawValue ?? '').trim().toLowerCase();
  const b = band(version);
  const legacy: ConfigCheck[] = b === 'pre-1.14' ? [] : ['cilium_kpr_legacy_value'];
  switch (v) {
    case 'true':
      return { full: true, partial: false, issues: [], note: 'full kube-proxy replacement' };
    case 'strict':
      return { full: true, partial: false, issues: legacy, note: `legacy "strict" = full replacement` };
    case 'partial':
    case 'probe': {
      const probeGone = v === 'probe' && b === 'pre-1.14' && (atLeast(version, 1, 13) ?? false);
      if (b === '1.15+')
        return {
          full: true,
          partial: false,
          issues: legacy,
          note: `legacy "${v}" on a version that removed it: read as the intended full replacement`,
        };
      return {
        full: false,
        partial: true,
        issues: probeGone ? ['cilium_kpr_legacy_value'] : legacy,
        note: `"${v}": partial replacement alongside kube-proxy`,
      };
    }
    case '':
    case 'false':
      return { full: false, partial: false, issues: [], note: 'kube-proxy replacement off' };
    case 'disabled':
      return { full: false, partial: false, issues: legacy, note: 'legacy "disabled" = off' };
    default:
      return { full: false, partial: false, issues: ['cilium_kpr_value_invalid'], note: `"${rawValue}" is not a value any Cilium accepts` };
  }
}

export function detectCilium(snap: ClusterSnapshot): Finding | null {
  const dss = daemonSetsFor(snap, [...DAEMONSETS], POD_LABELS);
  const pods = podsWith(snap, [POD_LABELS]);
  if (dss.length === 0 && pods.length === 0) return null;
  const ds = dss.find((d) => d.name === 'anetd') ?? dss.find((d) => d.name === 'cilium') ?? dss[0];
  const anetd = ds?.name === 'anetd' || pods.some((p) => p.owner === 'DaemonSet/anetd');
  const running = dss.some((d) => d.desired > 0) || pods.length > 0;
  const agentImage = (cs: { name: string; image: string; argv: string[]; env: Record<string, string> }[]) =>
    pickContainer(cs, ['cilium-agent'])?.image;
  const podTags = pods.map((p) => imageTag(agentImage(p.containers)));
  const version = ds ? imageTag(agentImage(ds.containers)) : (mostCommon(podTags) ?? 'unknown');
  const issues: ConfigCheck[] = [];
  const evidence: string[] = [];
  if (ds) evidence.push(`DaemonSet ${ds.namespace}/${ds.name} wants ${ds.desired} pods (${ds.ready} ready), image tag ${version}.`);
  else evidence.push(`${pods.length} Cilium agent pods (k8s-app=cilium) exist.`);

  const distinct = [...new Set(podTags.filter((t) => t !== 'unknown'))];
  if (distinct.length > 1) {
    issues.push('cilium_version_skew');
    evidence.push(`Cilium agent pods run ${distinct.length} versions: ${distinct.sort().join(', ')}.`);
  }

  const namespace = ds?.namespace ?? pods[0]?.namespace ?? 'kube-system';
  const cmReadable = sourceReadable(snap, 'configmap/cilium-config');
  const cm = cmReadable ? configMap(snap, 'cilium-config', [namespace, 'kube-system']) : undefined;
  let full: boolean;
  let partial = false;
  if (anetd) {
    // GKE manages anetd's configuration: Dataplane V2 always replaces kube-proxy.
    full = true;
    evidence.push('GKE Dataplane V2 (anetd) always replaces kube-proxy.');
  } else if (!cm) {
    const kp = kubeProxyRunning(snap);
    full = !kp;
    evidence.push(
      `cilium-config is ${cmReadable ? 'absent' : 'unreadable'}; ${kp ? 'kube-proxy runs, so Cilium is not taken as the replacement' : 'no kube-proxy runs, so Cilium must be serving Services'}.`,
    );
  } else {
    const raw = cm.data[KPR_KEY];
    const r = readKpr(raw, version);
    full = r.full;
    partial = r.partial;
    issues.push(...r.issues);
    evidence.push(
      `ConfigMap ${cm.namespace}/${cm.name} ${KPR_KEY}=${raw === undefined ? '(absent)' : JSON.stringify(raw)} on ${version}: ${r.note}.`,
    );
    if (full && !(cm.data[KPR_HEALTHZ_KEY] ?? '').trim()) {
      issues.push('kpr_healthz_unset');
      evidence.push(`${KPR_HEALTHZ_KEY} is unset: load balancers' kube-proxy health checks (port 10256) get no answer.`);
    }
  }
  if (!running) evidence.push('No Cilium agent is wanted or running.');
  const agents = agentSelector(POD_LABELS, ds);
  const config = cm
    ? { where: `ConfigMap ${cm.namespace}/${cm.name}`, namespace: cm.namespace, name: cm.name, doc: { ...cm.data } }
    : undefined;
  return {
    ...(config ? { config } : {}),
    type: 'cilium-kpr',
    active: running && (full || partial),
    fullReplacement: full,
    mode: 'ebpf',
    version,
    flavor: anetd ? 'gke-dataplane-v2' : 'daemonset',
    issues,
    evidence,
    agents,
  };
}
