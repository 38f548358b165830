// OVN-Kubernetes: always load-balances Services in OVN (OpenShift's default network).
import type { Component } from '../types.js';
import { DAEMONSETS, detectOvnKubernetes } from './detect.js';
import { locateOvnKubernetesHealth } from './health.js';

export const ovnKubernetes: Component = {
  name: 'ovn-kubernetes',
  provider: 'ovn-kubernetes',
  label: 'ovn-kubernetes',
  enabledByDefault: true,
  reads: {
    pods: [{ source: 'ovnkube-node-pods', labels: { app: 'ovnkube-node' } }],
  },
  daemonSets: DAEMONSETS,
  detect: detectOvnKubernetes,
  checks: [],
  logPattern: 'panic|fatal|error',
  containers: ['ovnkube-controller', 'ovnkube-node'],
  health: locateOvnKubernetesHealth,
};
