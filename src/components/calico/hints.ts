// The commands diagnose suggests for Calico.
import type { ClusterSnapshot } from '../../cluster/types.js';
import type { Finding } from '../../detect/types.js';
import { daemonSetOf, namespaceOf, sh } from '../hints.js';

/** calico-node's eBPF NAT table, filtered to the VIP's address. */
export function calicoVipCommand(snap: ClusterSnapshot | undefined, f: Finding, vip: string): string {
  const ds = daemonSetOf(snap, f);
  return `kubectl -n ${sh(namespaceOf(snap, f))} exec ds/${sh(ds?.name ?? 'calico-node')} -c calico-node -- calico-node -bpf nat dump | grep -F ${sh(vip.replace(/:\d+$/, ''))}`;
}
