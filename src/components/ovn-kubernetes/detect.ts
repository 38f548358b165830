// OVN-Kubernetes always load-balances Services in OVN itself (OpenShift's default network).
import type { ClusterSnapshot } from '../../cluster/types.js';
import type { Finding } from '../../detect/types.js';
import { imageTag, pickContainer } from '../../detect/image.js';
import { agentSelector, daemonSetsFor, mostCommon, podsWith } from '../../detect/lookup.js';

/** The DaemonSets its agents run under. */
export const DAEMONSETS = ['ovnkube-node'] as const;

const POD_LABELS = { app: 'ovnkube-node' };
const CONTAINERS = ['ovnkube-controller', 'ovnkube-node'];

export function detectOvnKubernetes(snap: ClusterSnapshot): Finding | null {
  const pods = podsWith(snap, [POD_LABELS]);
  const dss = daemonSetsFor(snap, [...DAEMONSETS], POD_LABELS);
  if (pods.length === 0 && dss.length === 0) return null;
  const ds = dss.find((d) => d.desired > 0) ?? dss[0];
  const version = pods.length
    ? (mostCommon(pods.map((p) => imageTag(pickContainer(p.containers, CONTAINERS)?.image))) ?? 'unknown')
    : imageTag(pickContainer(ds?.containers ?? [], CONTAINERS)?.image);
  const namespace = pods[0]?.namespace ?? ds?.namespace ?? '';
  const running = pods.length > 0 || dss.some((d) => d.desired > 0);
  const agents = agentSelector(POD_LABELS, ds);
  return {
    type: 'ovn-kubernetes',
    active: running,
    fullReplacement: true,
    mode: 'ovn',
    version,
    flavor: namespace === 'openshift-ovn-kubernetes' ? 'openshift' : 'daemonset',
    issues: [],
    evidence: [`${pods.length} ovnkube-node pods in ${namespace || 'the cluster'}.`],
    agents,
  };
}
