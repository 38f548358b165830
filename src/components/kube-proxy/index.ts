// kube-proxy: a DaemonSet (kubeadm, EKS, AKS), static pods (RKE2, GKE), OpenShift's, or embedded
// in k3s/MicroK8s. Everything the exporter knows about it starts here.
import type { Component } from '../types.js';
import { DAEMONSETS, detectKubeProxy } from './detect.js';
import { kubeProxyChecks } from './diagnose.js';
import { locateKubeProxyHealth } from './health.js';
import { kubeProxyVipCommand } from './hints.js';

export const kubeProxy: Component = {
  name: 'kube-proxy',
  provider: 'kube-proxy',
  label: 'kube-proxy',
  enabledByDefault: true,
  reads: {
    pods: [
      { source: 'agent-pods', labels: { 'k8s-app': 'kube-proxy' } },
      { source: 'kube-proxy-static-pods', labels: { component: 'kube-proxy' } },
      // OpenShift: openshift-sdn's sdn pods, and openshift-kube-proxy next to a third-party CNI
      { source: 'openshift-proxy-pods', labels: { app: 'sdn' }, distribution: 'openshift' },
      { source: 'openshift-proxy-pods', labels: { app: 'kube-proxy' }, distribution: 'openshift' },
    ],
    configMaps: ['kube-proxy', 'kube-proxy-config'],
  },
  daemonSets: DAEMONSETS,
  detect: detectKubeProxy,
  checks: kubeProxyChecks,
  // docs/runbooks/KubeProxyDown.md: what a failing kube-proxy logs
  logPattern: 'panic|fatal|error|iptables|ipvs|nftables|connection refused|timeout',
  containers: ['kube-proxy'],
  health: locateKubeProxyHealth,
  vipCommand: kubeProxyVipCommand,
};
