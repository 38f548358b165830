// kube-router: its IPVS service proxy is on unless --run-service-proxy=false.
import type { Component } from '../types.js';
import { DAEMONSETS, detectKubeRouter } from './detect.js';
import { locateKubeRouterHealth } from './health.js';

export const kubeRouter: Component = {
  name: 'kube-router',
  provider: 'kube-router',
  label: 'kube-router',
  enabledByDefault: true,
  reads: {
    pods: [{ source: 'agent-pods', labels: { 'k8s-app': 'kube-router' } }],
  },
  daemonSets: DAEMONSETS,
  detect: detectKubeRouter,
  checks: [],
  logPattern: 'panic|fatal|error',
  containers: ['kube-router'],
  health: locateKubeRouterHealth,
};
