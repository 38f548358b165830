// Antrea: replaces kube-proxy with AntreaProxy's proxyAll (antrea-config / antrea-agent.conf).
import type { Component } from '../types.js';
import { DAEMONSETS, detectAntrea } from './detect.js';
import { locateAntreaHealth } from './health.js';

export const antrea: Component = {
  name: 'antrea',
  provider: 'antrea-proxy',
  label: 'antrea-proxy',
  enabledByDefault: true,
  reads: {
    pods: [{ source: 'antrea-agent-pods', labels: { app: 'antrea', component: 'antrea-agent' } }],
    configMaps: ['antrea-config'],
  },
  daemonSets: DAEMONSETS,
  detect: detectAntrea,
  checks: [],
  logPattern: 'panic|fatal|error',
  containers: ['antrea-agent'],
  health: locateAntreaHealth,
};
