// OVN-Kubernetes programs Services into OVN load balancers from ovnkube-node/ovnkube-controller;
// no kube-proxy-compatible per-node proxier health endpoint is known to us.
import type { HealthLocation, HealthLocator } from '../health.js';

export const locateOvnKubernetesHealth: HealthLocator = (): HealthLocation => ({
  served: false,
  reason: 'OVN-Kubernetes serves no kube-proxy-compatible proxier health endpoint.',
});
