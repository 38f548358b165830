// kube-proxy in its shapes: a DaemonSet (kubeadm, EKS, AKS), static mirror pods (RKE2, GKE
// standard), OpenShift's (inside openshift-sdn, or openshift-kube-proxy next to a third-party CNI),
// and embedded in k3s or MicroK8s (no pod at all: node annotations or labels are the only trace).
import { parse as parseYaml } from 'yaml';
import type { ClusterSnapshot, SlimContainer, SlimDaemonSet, SlimNode, SlimPod } from '../../cluster/types.js';
import type { ConfigCheck, Finding, FindingConfig } from '../../detect/types.js';
import { boolFlag, flagValue } from '../../detect/flags.js';
import { imageTag, pickContainer } from '../../detect/image.js';
import { agentSelector, configMap, daemonSetsFor, mostCommon, podsWith } from '../../detect/lookup.js';

/** The DaemonSets its agents run under. */
export const DAEMONSETS = ['kube-proxy'] as const;

/** Modes kube-proxy accepts; `kernelspace` is the Windows one. (`userspace` was removed in 1.26.) */
export const KUBE_PROXY_MODES = ['iptables', 'ipvs', 'nftables', 'kernelspace'] as const;

const DS_LABELS = { 'k8s-app': 'kube-proxy' };
const STATIC_LABELS = { component: 'kube-proxy' };
const MIRROR = 'kubernetes.io/config.mirror';

interface ModeResult {
  mode: string;
  issues: ConfigCheck[];
  evidence: string[];
}

function normaliseMode(raw: string, source: string): ModeResult {
  const v = raw.trim().toLowerCase();
  if (v === '') return { mode: 'iptables', issues: [], evidence: [`${source} leaves mode empty: kube-proxy's Linux default, iptables.`] };
  if ((KUBE_PROXY_MODES as readonly string[]).includes(v)) return { mode: v, issues: [], evidence: [`${source} sets mode ${v}.`] };
  return {
    mode: 'unknown',
    issues: ['kube_proxy_mode_unknown'],
    evidence: [`${source} sets mode "${raw}", which kube-proxy does not know.`],
  };
}

/** The KubeProxyConfiguration text: EKS `kube-proxy-config`/`config`, else kubeadm `kube-proxy`/`config.conf`. */
function configText(
  snap: ClusterSnapshot,
  namespace: string | undefined,
): { text: string; where: string; eks: boolean; namespace: string; name: string; key: string } | undefined {
  const ns = namespace ? [namespace, 'kube-system'] : ['kube-system'];
  const candidates: [string, string, boolean][] = [
    ['kube-proxy-config', 'config', true],
    ['kube-proxy', 'config.conf', false],
  ];
  for (const [name, key, eks] of candidates) {
    const cm = configMap(snap, name, ns);
    if (cm && typeof cm.data[key] === 'string') {
      return {
        text: cm.data[key]!,
        where: `ConfigMap ${cm.namespace}/${cm.name} key ${key}`,
        eks,
        namespace: cm.namespace,
        name: cm.name,
        key,
      };
    }
  }
  return undefined;
}

/** Parse a KubeProxyConfiguration once; the finding carries the result for diagnose. */
function parseConfig(cfg: NonNullable<ReturnType<typeof configText>>): FindingConfig {
  const base = { where: cfg.where, namespace: cfg.namespace, name: cfg.name, key: cfg.key };
  try {
    const doc = parseYaml(cfg.text, { logLevel: 'error' }) as unknown; // 'error': bad directives are not process warnings on stderr
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) return { ...base, doc: doc as Record<string, unknown> };
    return { ...base, parseError: 'not a mapping' };
  } catch (e) {
    return { ...base, parseError: String((e as Error).message).split('\n')[0] };
  }
}

function modeFromConfig(cfg: FindingConfig): ModeResult {
  const where = cfg.where;
  if (!cfg.doc) {
    return {
      mode: 'unknown',
      issues: ['provider_config_unparseable', 'kube_proxy_mode_unknown'],
      evidence: [`${where} is not a YAML KubeProxyConfiguration.`],
    };
  }
  const mode = cfg.doc.mode;
  if (mode == null) return normaliseMode('', where);
  if (typeof mode !== 'string') {
    return { mode: 'unknown', issues: ['kube_proxy_mode_unknown'], evidence: [`${where} has a non-string mode.`] };
  }
  return normaliseMode(mode, where);
}

/**
 * kube-proxy's mode. kube-proxy ignores its other command-line flags when `--config` is given
 * (kubernetes#107156, the flag help says "ignored if a config file is specified by --config"), so:
 * with `--config` the config file decides; without it `--proxy-mode` does; with neither, the
 * ConfigMap if there is one (argv may not be visible), else iptables.
 */
export function kubeProxyMode(
  snap: ClusterSnapshot,
  argv: string[] | undefined,
  namespace: string | undefined,
): ModeResult & { eks: boolean; config?: FindingConfig } {
  const args = argv ?? [];
  const text = configText(snap, namespace);
  const eks = text?.eks ?? false;
  const cfg = text ? parseConfig(text) : undefined;
  const withConfig = cfg ? { config: cfg } : {};
  const configFlag = flagValue(args, 'config');
  const modeFlag = flagValue(args, 'proxy-mode');
  if (configFlag !== undefined && configFlag !== '' && cfg) {
    const r = modeFromConfig(cfg);
    if (modeFlag) r.evidence.push(`--proxy-mode=${modeFlag} is ignored because --config is given.`);
    return { ...r, eks, ...withConfig };
  }
  if (modeFlag !== undefined && modeFlag !== '') return { ...normaliseMode(modeFlag, `--proxy-mode`), eks, ...withConfig };
  if (cfg) return { ...modeFromConfig(cfg), eks, ...withConfig };
  return {
    mode: 'iptables',
    issues: [],
    evidence: ["No --proxy-mode flag and no kube-proxy configuration: iptables, kube-proxy's Linux default."],
    eks,
  };
}

function kubeProxyContainer(containers: SlimContainer[]): SlimContainer | undefined {
  return pickContainer(containers, ['kube-proxy']);
}

function labelPrefixed(labels: Record<string, string>, prefix: string): boolean {
  return Object.keys(labels).some((k) => k.startsWith(prefix));
}

function fromDaemonSet(snap: ClusterSnapshot): Finding | null {
  const dss = daemonSetsFor(snap, [...DAEMONSETS], DS_LABELS);
  const pods = podsWith(snap, [DS_LABELS]).filter((p) => p.annotations[MIRROR] === undefined && !p.owner.startsWith('Node/'));
  if (dss.length === 0 && pods.length === 0) return null;
  const ds: SlimDaemonSet | undefined = dss.find((d) => d.desired > 0) ?? dss[0];
  const container = kubeProxyContainer(ds?.containers ?? []) ?? kubeProxyContainer(pods[0]?.containers ?? []);
  const namespace = ds?.namespace ?? pods[0]?.namespace;
  const m = kubeProxyMode(snap, container?.argv, namespace);
  const active = dss.some((d) => d.desired > 0) || pods.length > 0;
  const evidence: string[] = [];
  if (ds) evidence.push(`DaemonSet ${ds.namespace}/${ds.name} wants ${ds.desired} pods (${ds.ready} ready).`);
  if (pods.length) evidence.push(`${pods.length} kube-proxy pods labelled k8s-app=kube-proxy exist.`);
  if (!active) evidence.push('No kube-proxy pod is wanted or running: the DaemonSet is disabled (0 desired), not a running kube-proxy.');
  const labels = { ...(ds?.labels ?? {}), ...(pods[0]?.labels ?? {}) };
  const version = container ? imageTag(container.image) : 'unknown';
  let flavor = 'kubeadm';
  if (m.eks || labelPrefixed(labels, 'eks.amazonaws.com/') || /eksbuild/.test(version)) flavor = 'eks';
  else if (labelPrefixed(labels, 'kubernetes.azure.com/')) flavor = 'aks';
  const agents = agentSelector(DS_LABELS, ds);
  return {
    type: 'kube-proxy',
    active,
    fullReplacement: false,
    mode: m.mode,
    version,
    flavor,
    issues: m.issues,
    evidence: [...evidence, ...m.evidence],
    agents,
    ...(m.config ? { config: m.config } : {}),
  };
}

function fromStaticPods(snap: ClusterSnapshot): Finding | null {
  const pods: SlimPod[] = podsWith(snap, [STATIC_LABELS]).filter((p) => p.annotations[MIRROR] !== undefined || p.owner.startsWith('Node/'));
  if (pods.length === 0) return null;
  const container = kubeProxyContainer(pods[0]!.containers);
  const m = kubeProxyMode(snap, container?.argv, pods[0]!.namespace);
  const version = mostCommon(pods.map((p) => imageTag(kubeProxyContainer(p.containers)?.image))) ?? 'unknown';
  return {
    type: 'kube-proxy',
    active: true,
    fullReplacement: false,
    mode: m.mode,
    version,
    flavor: 'static-pod',
    issues: m.issues,
    evidence: [`${pods.length} static (mirror) kube-proxy pods with component=kube-proxy exist.`, ...m.evidence],
    agents: { podLabels: [STATIC_LABELS] },
    ...(m.config ? { config: m.config } : {}),
  };
}

interface K3sArgs {
  node: SlimNode;
  role: string;
  args: string[];
}

/**
 * `proxy-mode=ipvs` / `--proxy-mode=ipvs` among `--kube-proxy-arg` values. k3s reads them like Go's flag
 * package: the next element is the value whatever it looks like.
 */
function k3sProxyMode(args: string[]): string | undefined {
  let mode: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let v: string | undefined;
    if (a === '--kube-proxy-arg' || a === '-kube-proxy-arg') v = args[++i];
    else if (a.startsWith('--kube-proxy-arg=')) v = a.slice('--kube-proxy-arg='.length);
    if (v === undefined) continue;
    const m = /^-{0,2}proxy-mode=(.*)$/.exec(v.trim());
    if (m) mode = m[1]!;
  }
  return mode;
}

/**
 * k3s: agents inherit `--disable-kube-proxy` from the servers (k3s copies the server's
 * DisableKubeProxy into every agent's config), so only server nodes' args decide. With no server
 * visible (daemonset mode on an agent node), k3s's default — kube-proxy runs — is assumed.
 */
function fromK3s(snap: ClusterSnapshot): Finding | null {
  const parsed: K3sArgs[] = [];
  const issues: ConfigCheck[] = [];
  const evidence: string[] = [];
  let k3sNodes = 0;
  for (const node of snap.nodes ?? []) {
    const raw = node.annotations['k3s.io/node-args'];
    if (raw === undefined) continue;
    k3sNodes++;
    let args: unknown;
    try {
      args = JSON.parse(raw);
    } catch {
      args = undefined;
    }
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
      if (!issues.includes('provider_config_unparseable')) issues.push('provider_config_unparseable');
      evidence.push(`Node ${node.name}: k3s.io/node-args is not a JSON array of strings.`);
      continue;
    }
    parsed.push({ node, role: args[0] ?? '', args });
  }
  if (k3sNodes === 0) return null;
  const servers = parsed.filter((p) => p.role === 'server');
  const deciders = servers.length > 0 ? servers : parsed;
  const enabled = deciders.filter((p) => boolFlag(p.args, 'disable-kube-proxy', { separateValue: true }) !== true);
  // Nothing parseable: k3s's default is to run kube-proxy.
  const active = deciders.length === 0 || enabled.length > 0;
  if (!active) return null;
  if (servers.length > 0)
    evidence.push(
      `k3s server node(s) ${enabled.map((p) => p.node.name).join(', ')} run without --disable-kube-proxy: k3s runs kube-proxy embedded.`,
    );
  else
    evidence.push(
      "Only k3s agent nodes are visible; agents inherit --disable-kube-proxy from the servers, so k3s's default (embedded kube-proxy) is assumed.",
    );
  let mode = 'iptables';
  const ordered = [...servers, ...parsed.filter((p) => p.role !== 'server')];
  for (const p of ordered) {
    const m = k3sProxyMode(p.args);
    if (m !== undefined) {
      const r = normaliseMode(m, `--kube-proxy-arg on node ${p.node.name}`);
      mode = r.mode;
      issues.push(...r.issues);
      evidence.push(...r.evidence);
      break;
    }
  }
  const first = (enabled[0] ?? parsed[0])?.node ?? (snap.nodes ?? []).find((n) => n.annotations['k3s.io/node-args'] !== undefined)!;
  const version = first.kubeProxyVersion || first.kubeletVersion || 'unknown';
  return {
    type: 'kube-proxy',
    active: true,
    fullReplacement: false,
    mode,
    version,
    flavor: 'k3s-embedded',
    issues,
    evidence,
    agents: { podLabels: [], embeddedInNode: true },
  };
}

/**
 * OpenShift: with OpenShift SDN the `sdn` pods (namespace openshift-sdn) run kube-proxy's iptables
 * proxier in-process; with a third-party CNI the network operator deploys DaemonSet
 * openshift-kube-proxy (pods app=kube-proxy). OVN-Kubernetes replaces both (see ../ovn-kubernetes/detect.ts).
 */
const OPENSHIFT = [
  { namespace: 'openshift-sdn', daemonSet: 'sdn', labels: { app: 'sdn' }, flavor: 'openshift-sdn', container: ['sdn'] },
  {
    namespace: 'openshift-kube-proxy',
    daemonSet: 'openshift-kube-proxy',
    labels: { app: 'kube-proxy' },
    flavor: 'openshift',
    container: ['kube-proxy'],
  },
];

function fromOpenShift(snap: ClusterSnapshot): Finding | null {
  for (const o of OPENSHIFT) {
    const ds = (snap.daemonSets ?? []).find((d) => d.namespace === o.namespace && d.name === o.daemonSet);
    const pods = podsWith(snap, [o.labels]).filter((p) => p.namespace === o.namespace);
    if (!(ds && ds.desired > 0) && pods.length === 0) continue;
    const container = pickContainer(ds?.containers ?? pods[0]?.containers ?? [], o.container);
    const m = kubeProxyMode(snap, undefined, undefined);
    return {
      type: 'kube-proxy',
      active: true,
      fullReplacement: false,
      mode: m.mode,
      version: container ? imageTag(container.image) : 'unknown',
      flavor: o.flavor,
      issues: m.issues,
      evidence: [
        `${ds ? `DaemonSet ${o.namespace}/${o.daemonSet} wants ${ds.desired} pods; ` : ''}${pods.length} pods labelled ${Object.entries(
          o.labels,
        )
          .map(([k, v]) => `${k}=${v}`)
          .join(',')} in ${o.namespace}: OpenShift runs kube-proxy there.`,
      ],
      agents: { podLabels: [o.labels], ...(ds ? { daemonSet: `${ds.namespace}/${ds.name}` } : {}) },
      ...(m.config ? { config: m.config } : {}),
    };
  }
  return null;
}

/** MicroK8s runs kube-proxy inside kubelite; its nodes carry microk8s.io/cluster=true and no kube-proxy pod exists. */
function fromMicroK8s(snap: ClusterSnapshot): Finding | null {
  const nodes = (snap.nodes ?? []).filter((n) => n.labels['microk8s.io/cluster'] === 'true');
  if (nodes.length === 0) return null;
  const first = nodes[0]!;
  return {
    type: 'kube-proxy',
    active: true,
    fullReplacement: false,
    mode: 'iptables',
    version: first.kubeProxyVersion || first.kubeletVersion || 'unknown',
    flavor: 'microk8s-embedded',
    issues: [],
    evidence: [
      `${nodes.length} node(s) labelled microk8s.io/cluster=true: MicroK8s runs kube-proxy inside kubelite (its arguments are not visible in the API; iptables assumed).`,
    ],
    agents: { podLabels: [], embeddedInNode: true },
  };
}

/**
 * The single best kube-proxy finding: a running DaemonSet, static pods, OpenShift's, k3s or MicroK8s
 * embedded, else a disabled DaemonSet.
 */
export function detectKubeProxy(snap: ClusterSnapshot): Finding | null {
  const ds = fromDaemonSet(snap);
  if (ds?.active) return ds;
  return fromStaticPods(snap) ?? fromOpenShift(snap) ?? fromK3s(snap) ?? fromMicroK8s(snap) ?? ds;
}

/** true when some kube-proxy is programming Services. */
export function kubeProxyRunning(snap: ClusterSnapshot): boolean {
  return detectKubeProxy(snap)?.active === true;
}
