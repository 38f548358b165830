// OVN-Kubernetes: always load-balances Services in OVN (OpenShift's default network).
import type { Component } from '../types.js';
import { detectOvnKubernetes } from './detect.js';

export const ovnKubernetes: Component = {
  name: 'ovn-kubernetes',
  provider: 'ovn-kubernetes',
  label: 'ovn-kubernetes',
  enabledByDefault: true,
  reads: {
    pods: [{ source: 'ovnkube-node-pods', labels: { app: 'ovnkube-node' } }],
  },
  detect: detectOvnKubernetes,
  checks: [],
  logPattern: 'panic|fatal|error',
  containers: ['ovnkube-controller', 'ovnkube-node'],
};
