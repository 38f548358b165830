// kube-router's IPVS service proxy is on unless `--run-service-proxy=false`: the flag defaults to
// true, and many installs run kube-router only for routing/policy with the proxy switched off.
import type { ClusterSnapshot } from '../../cluster/types.js';
import type { Finding } from '../../detect/types.js';
import { boolFlag } from '../../detect/flags.js';
import { imageTag, pickContainer } from '../../detect/image.js';
import { agentSelector, daemonSetsFor, mostCommon, podsWith } from '../../detect/lookup.js';

/** The DaemonSets its agents run under. */
export const DAEMONSETS = ['kube-router'] as const;

const POD_LABELS = { 'k8s-app': 'kube-router' };

export function detectKubeRouter(snap: ClusterSnapshot): Finding | null {
  const dss = daemonSetsFor(snap, [...DAEMONSETS], POD_LABELS);
  const pods = podsWith(snap, [POD_LABELS]);
  if (dss.length === 0 && pods.length === 0) return null;
  const ds = dss.find((d) => d.desired > 0) ?? dss[0];
  const container = pickContainer(ds?.containers ?? [], ['kube-router']) ?? pickContainer(pods[0]?.containers ?? [], ['kube-router']);
  const version = ds
    ? imageTag(container?.image)
    : (mostCommon(pods.map((p) => imageTag(pickContainer(p.containers, ['kube-router'])?.image))) ?? 'unknown');
  const proxy = boolFlag(container?.argv ?? [], 'run-service-proxy') ?? true;
  const running = dss.some((d) => d.desired > 0) || pods.length > 0;
  const agents = agentSelector(POD_LABELS, ds);
  return {
    type: 'kube-router',
    active: proxy && running,
    fullReplacement: proxy,
    mode: 'ipvs',
    version,
    flavor: 'daemonset',
    issues: [],
    evidence: [
      proxy
        ? 'kube-router runs its service proxy (--run-service-proxy is not false).'
        : 'kube-router runs with --run-service-proxy=false: routing/policy only.',
      ...(running ? [] : ['No kube-router pod is wanted or running.']),
    ],
    agents,
  };
}
