// The commands diagnose suggests for Cilium.
import type { ClusterSnapshot } from '../../cluster/types.js';
import type { Finding } from '../../detect/types.js';
import { atLeast } from '../../detect/version.js';
import { agentPodsOf, daemonSetOf, namespaceOf, sh } from '../hints.js';

/** Cilium 1.15 renamed the in-pod debug CLI to `cilium-dbg` (the `cilium` name is the separate cilium-cli). */
export function ciliumDbg(version: string): string {
  return atLeast(version, 1, 15) === false ? 'cilium' : 'cilium-dbg';
}

/** `kubectl -n NS exec ds/NAME -c cilium-agent -- cilium-dbg ARGS` */
export function ciliumExec(snap: ClusterSnapshot | undefined, f: Finding, args: string): string {
  const ds = daemonSetOf(snap, f);
  const target = ds ? `ds/${ds.name}` : (agentPodsOf(snap, f)[0]?.name ?? 'ds/cilium');
  return `kubectl -n ${sh(namespaceOf(snap, f))} exec ${sh(target)} -c cilium-agent -- ${ciliumDbg(f.version)} ${args}`;
}

/** The agent's service table, filtered to one VIP. */
export function ciliumVipCommand(snap: ClusterSnapshot | undefined, f: Finding, vip: string): string {
  return `${ciliumExec(snap, f, 'service list')} | grep -F ${sh(vip)}`;
}
