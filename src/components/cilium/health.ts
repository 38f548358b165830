// Where Cilium's kube-proxy-compatible health server listens (docs/detection.md "Agent health
// endpoints"). With kube-proxy replacement the agent serves `/healthz` on
// `kube-proxy-replacement-healthz-bind-address` (cilium-config, or the agent flag of the same name;
// Helm `kubeProxyReplacementHealthzBindAddr`), added in Cilium 1.9 (cilium#11733). Its default is
// empty: off. The body is kube-proxy's (`lastUpdated`, `currentTime`); 503 when the agent's own
// status is not OK.
import type { ClusterSnapshot } from '../../cluster/types.js';
import type { Finding } from '../../detect/types.js';
import { flagValue } from '../../detect/flags.js';
import { pickContainer } from '../../detect/image.js';
import { configMap, sourceReadable } from '../../detect/lookup.js';
import { atLeast } from '../../detect/version.js';
import { parseBindAddress } from '../health.js';
import type { HealthLocation } from '../health.js';

export const CILIUM_HEALTHZ_KEY = 'kube-proxy-replacement-healthz-bind-address';

export function locateCiliumHealth(snap: ClusterSnapshot, finding: Finding): HealthLocation {
  if (atLeast(finding.version, 1, 9) === false)
    return { served: false, reason: `Cilium ${finding.version} predates the kube-proxy replacement health server (1.9).` };
  const ds = finding.agents.daemonSet
    ? (snap.daemonSets ?? []).find((d) => `${d.namespace}/${d.name}` === finding.agents.daemonSet)
    : undefined;
  const agent = pickContainer(ds?.containers ?? [], ['cilium-agent']);
  const flag = agent ? flagValue(agent.argv, CILIUM_HEALTHZ_KEY) : undefined;
  let raw: string | undefined;
  let source: string;
  if (flag !== undefined) {
    raw = flag;
    source = `cilium-agent --${CILIUM_HEALTHZ_KEY}`;
  } else {
    if (!sourceReadable(snap, 'configmap/cilium-config'))
      return { served: false, reason: 'cilium-config cannot be read: where the health server listens is unknown.' };
    const cm = configMap(snap, 'cilium-config', [ds?.namespace ?? 'kube-system', 'kube-system']);
    if (!cm) return { served: false, reason: `no cilium-config ConfigMap: ${CILIUM_HEALTHZ_KEY} is at its default (off).` };
    raw = cm.data[CILIUM_HEALTHZ_KEY];
    source = `ConfigMap ${cm.namespace}/${cm.name} ${CILIUM_HEALTHZ_KEY}`;
  }
  const b = parseBindAddress(raw);
  if (b.kind === 'off')
    return {
      served: false,
      reason: `${source} is ${raw === undefined ? 'absent' : 'empty'}: Cilium serves no kube-proxy-compatible healthz (kpr_healthz_unset).`,
    };
  if (b.kind === 'invalid') return { served: false, reason: `${source} holds "${b.raw}", which is not IP:PORT.` };
  if (b.loopback) return { served: false, reason: `${source} binds to ${b.host}: reachable only from the node itself.` };
  return { served: true, port: b.port, path: '/healthz', bodyFormat: 'kube-proxy-json', source: `${source} (${raw})` };
}
