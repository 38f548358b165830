// The commands diagnose suggests for kube-proxy.
import type { ClusterSnapshot } from '../../cluster/types.js';
import type { Finding } from '../../detect/types.js';
import { daemonSetOf, namespaceOf, sh } from '../hints.js';

/** kube-proxy keeps no per-VIP view to ask for: its sync errors, or where its pods run (AKS labels them component=kube-proxy). */
export function kubeProxyVipCommand(snap: ClusterSnapshot | undefined, f: Finding): string {
  const ds = daemonSetOf(snap, f);
  return ds
    ? `kubectl -n ${sh(namespaceOf(snap, f))} logs ds/${sh(ds.name)} --tail=200 | grep -Ei 'error|fail|sync'`
    : `kubectl get pods -A -l component=kube-proxy -o wide`;
}
