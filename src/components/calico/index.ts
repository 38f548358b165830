// Calico: replaces kube-proxy in eBPF mode (Installation, FelixConfiguration or FELIX_BPFENABLED).
import { RESOURCES } from '../../cluster/catalog.js';
import type { Component } from '../types.js';
import { DAEMONSETS, detectCalico } from './detect.js';
import { locateCalicoHealth } from './health.js';
import { calicoVipCommand } from './hints.js';

export const calico: Component = {
  name: 'calico',
  provider: 'calico-ebpf',
  label: 'calico-ebpf',
  enabledByDefault: true,
  reads: {
    pods: [{ source: 'agent-pods', labels: { 'k8s-app': 'calico-node' } }],
    customResources: [
      { source: 'calico-installations', ref: RESOURCES.installations, field: 'calicoInstallations' },
      { source: 'felix-configurations', ref: RESOURCES.felixconfigurations, field: 'felixConfigurations' },
    ],
  },
  daemonSets: DAEMONSETS,
  detect: detectCalico,
  checks: [],
  logPattern: 'panic|fatal|error',
  containers: ['calico-node'],
  health: locateCalicoHealth,
  vipCommand: calicoVipCommand,
};
