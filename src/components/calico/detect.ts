// Calico in eBPF mode replaces kube-proxy. Three places can switch it on: the operator's
// Installation, the FelixConfiguration, or FELIX_BPFENABLED on calico-node (manifest installs).
import type { ClusterSnapshot } from '../../cluster/types.js';
import type { Finding } from '../../detect/types.js';
import { imageTag, pickContainer } from '../../detect/image.js';
import { agentSelector, daemonSetsFor, mostCommon, podsWith } from '../../detect/lookup.js';

/** The DaemonSets its agents run under. */
export const DAEMONSETS = ['calico-node'] as const;

const POD_LABELS = { 'k8s-app': 'calico-node' };

function isTrue(v: unknown): boolean {
  return v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true');
}

export function detectCalico(snap: ClusterSnapshot): Finding | null {
  const dss = daemonSetsFor(snap, [...DAEMONSETS], POD_LABELS);
  const pods = podsWith(snap, [POD_LABELS]);
  const installation = (snap.calicoInstallations ?? []).find((i) => i.name === 'default');
  const felix = (snap.felixConfigurations ?? []).find((f) => f.name === 'default');
  if (dss.length === 0 && pods.length === 0 && !installation) return null;
  const ds = dss.find((d) => d.desired > 0) ?? dss[0];
  const containers = [...(ds?.containers ?? []), ...pods.flatMap((p) => p.containers)];
  const node = pickContainer(ds?.containers ?? [], ['calico-node']) ?? pickContainer(pods[0]?.containers ?? [], ['calico-node']);
  const version = ds
    ? imageTag(node?.image)
    : (mostCommon(pods.map((p) => imageTag(pickContainer(p.containers, ['calico-node'])?.image))) ?? 'unknown');

  const evidence: string[] = [];
  const network = installation?.spec.calicoNetwork;
  const dataplane = network && typeof network === 'object' ? (network as Record<string, unknown>).linuxDataplane : undefined;
  const byInstallation = typeof dataplane === 'string' && dataplane.toUpperCase() === 'BPF';
  const byFelix = isTrue(felix?.spec.bpfEnabled);
  const byEnv = containers.some((c) => c.name === 'calico-node' && isTrue(c.env.FELIX_BPFENABLED));
  if (byInstallation) evidence.push('Installation default sets spec.calicoNetwork.linuxDataplane: BPF.');
  if (byFelix) evidence.push('FelixConfiguration default sets spec.bpfEnabled: true.');
  if (byEnv) evidence.push('calico-node has FELIX_BPFENABLED=true.');
  const bpf = byInstallation || byFelix || byEnv;
  if (!bpf) evidence.push('Calico runs without its eBPF dataplane: it does not handle Services.');
  const running = dss.some((d) => d.desired > 0) || pods.length > 0;
  if (!running) evidence.push('No calico-node pod is wanted or running.');
  const agents = agentSelector(POD_LABELS, ds);
  return {
    type: 'calico-ebpf',
    active: bpf && running,
    fullReplacement: bpf,
    mode: 'ebpf',
    version,
    flavor: installation ? 'operator' : 'manifest',
    issues: [],
    evidence,
    agents,
  };
}
