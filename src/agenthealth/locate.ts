// Provider type → its health endpoint locator. Adding a provider is one entry here and one
// src/components/<name>/health.ts.
import type { ClusterSnapshot } from '../cluster/types.js';
import type { ProviderType, Verdict } from '../detect/types.js';
import { locateAntreaHealth } from '../components/antrea/health.js';
import { locateCalicoHealth } from '../components/calico/health.js';
import { locateCiliumHealth } from '../components/cilium/health.js';
import { locateKubeProxyHealth } from '../components/kube-proxy/health.js';
import { locateKubeRouterHealth } from '../components/kube-router/health.js';
import { locateOvnKubernetesHealth } from '../components/ovn-kubernetes/health.js';
import type { HealthLocation, HealthLocator } from './types.js';

export const HEALTH_LOCATORS: Record<Exclude<ProviderType, 'none' | 'unknown'>, HealthLocator> = {
  'kube-proxy': locateKubeProxyHealth,
  'cilium-kpr': locateCiliumHealth,
  'calico-ebpf': locateCalicoHealth,
  'antrea-proxy': locateAntreaHealth,
  'kube-router': locateKubeRouterHealth,
  'ovn-kubernetes': locateOvnKubernetesHealth,
};

/** The effective provider's endpoint; undefined when there is no provider (none/unknown) to ask. */
export function locateFor(verdict: Verdict | undefined, snap: ClusterSnapshot | undefined): HealthLocation | undefined {
  if (!verdict || !snap || verdict.provider === 'none' || verdict.provider === 'unknown') return undefined;
  const finding = verdict.findings.find((f) => f.type === verdict.provider && f.active) ?? verdict.findings.find((f) => f.type === verdict.provider);
  if (!finding) return undefined;
  try {
    return HEALTH_LOCATORS[finding.type](snap, finding);
  } catch (e) {
    return { served: false, reason: `locating the health endpoint failed: ${(e as Error)?.message ?? String(e)}` };
  }
}
