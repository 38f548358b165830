// Cilium and its kube-proxy replacement (GKE Dataplane V2's anetd included).
import type { Component } from '../types.js';
import { DAEMONSETS, detectCilium } from './detect.js';
import { ciliumChecks } from './diagnose.js';
import { locateCiliumHealth } from './health.js';
import { ciliumVipCommand } from './hints.js';

export const cilium: Component = {
  name: 'cilium',
  provider: 'cilium-kpr',
  label: 'Cilium',
  enabledByDefault: true,
  reads: {
    pods: [{ source: 'agent-pods', labels: { 'k8s-app': 'cilium' } }],
    configMaps: ['cilium-config'],
  },
  daemonSets: DAEMONSETS,
  detect: detectCilium,
  checks: ciliumChecks,
  logPattern: 'level=(error|fatal)|panic|kube-proxy-replacement',
  containers: ['cilium-agent'],
  health: locateCiliumHealth,
  vipCommand: ciliumVipCommand,
};
