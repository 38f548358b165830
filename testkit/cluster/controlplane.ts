// The control plane as kubeadm would run it (its static pods' flags, trimmed to what a one-machine cluster needs):
// etcd, kube-apiserver with RBAC and ServiceAccount token signing, kube-controller-manager, kube-scheduler. They run
// in the host's namespace, where the API server listens on the bridge address the nodes reach.
import { join } from 'node:path';
import { NET, apiserverUrl, clusterCidrs, serviceCidrs, type ClusterOptions } from './config.js';
import { binaryPath } from './binaries.js';
import type { Pki } from './pki.js';
import type { ProcessSpec } from './process.js';

export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
export type Component = (typeof COMPONENTS)[number];

export interface ControlPlanePaths {
  bin: string;
  state: string;
  pki: Pki;
  kubeconfigs: Record<'admin' | 'kube-controller-manager' | 'kube-scheduler' | 'kubelet', string>;
  auditPolicy: string;
}

/** Restart quickly: a control-plane component that exits is the test of a restart, not a crash loop to show. */
const CONTROL_PLANE_BACKOFF = { initialBackoffMs: 500, maxBackoffMs: 5000 };

export function controlPlaneSpecs(p: ControlPlanePaths, opts: ClusterOptions): Record<Component, ProcessSpec> {
  const log = (n: string) => join(p.state, 'logs', `${n}.log`);
  const etcdUrl = `http://127.0.0.1:${NET.etcdClientPort}`;
  const common = { restart: true, ...CONTROL_PLANE_BACKOFF };
  return {
    etcd: {
      ...common,
      name: 'etcd',
      logFile: log('etcd'),
      argv: [
        binaryPath(p.bin, 'etcd'),
        `--data-dir=${join(p.state, 'etcd')}`,
        `--listen-client-url=${etcdUrl}`,
        `--listen-peer-url=http://127.0.0.1:${NET.etcdPeerPort}`,
      ],
    },
    'kube-apiserver': {
      ...common,
      name: 'kube-apiserver',
      logFile: log('kube-apiserver'),
      argv: [
        binaryPath(p.bin, 'kube-apiserver'),
        `--etcd-servers=${etcdUrl}`,
        `--bind-address=${NET.hostV4}`,
        `--advertise-address=${NET.hostV4}`,
        `--secure-port=${NET.apiserverPort}`,
        `--tls-cert-file=${p.pki.apiserverCert}`,
        `--tls-private-key-file=${p.pki.apiserverKey}`,
        `--client-ca-file=${p.pki.caCert}`,
        '--authorization-mode=Node,RBAC',
        `--service-cluster-ip-range=${serviceCidrs(opts)}`,
        `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
        `--service-account-key-file=${p.pki.saPub}`,
        `--service-account-signing-key-file=${p.pki.saKey}`,
        '--allow-privileged=true',
        '--enable-admission-plugins=NodeRestriction',
        '--profiling=false',
        // Who asked for what, for the tests that count an exporter replica's requests (see auditPolicy()).
        `--audit-policy-file=${p.auditPolicy}`,
        `--audit-log-path=${join(p.state, 'logs', 'audit.log')}`,
        '--audit-log-format=json',
        '--audit-log-maxsize=200',
        '--v=1',
      ],
    },
    'kube-controller-manager': {
      ...common,
      name: 'kube-controller-manager',
      logFile: log('kube-controller-manager'),
      argv: [
        binaryPath(p.bin, 'kube-controller-manager'),
        `--kubeconfig=${p.kubeconfigs['kube-controller-manager']}`,
        `--authentication-kubeconfig=${p.kubeconfigs['kube-controller-manager']}`,
        `--authorization-kubeconfig=${p.kubeconfigs['kube-controller-manager']}`,
        '--bind-address=127.0.0.1',
        '--leader-elect=false',
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${p.pki.saKey}`,
        `--root-ca-file=${p.pki.caCert}`,
        `--cluster-signing-cert-file=${p.pki.caCert}`,
        `--cluster-signing-key-file=${p.pki.caKey}`,
        `--cluster-cidr=${clusterCidrs(opts)}`,
        `--service-cluster-ip-range=${serviceCidrs(opts)}`,
        // Nodes get their pod CIDRs when the kubelet registers them (the address plan fixes them per node), so the
        // node IPAM controller does not allocate.
        '--allocate-node-cidrs=false',
        '--controllers=*,bootstrapsigner,tokencleaner',
        '--v=1',
      ],
    },
    'kube-scheduler': {
      ...common,
      name: 'kube-scheduler',
      logFile: log('kube-scheduler'),
      argv: [
        binaryPath(p.bin, 'kube-scheduler'),
        `--kubeconfig=${p.kubeconfigs['kube-scheduler']}`,
        `--authentication-kubeconfig=${p.kubeconfigs['kube-scheduler']}`,
        `--authorization-kubeconfig=${p.kubeconfigs['kube-scheduler']}`,
        '--bind-address=127.0.0.1',
        '--leader-elect=false',
        '--v=1',
      ],
    },
  };
}

/**
 * Requests of ServiceAccounts in the exporter's namespace at Metadata level, nothing else: enough to count an exporter
 * replica's lists, watches and gets by verb and resource, small enough to keep.
 */
export function auditPolicy(): string {
  return [
    'apiVersion: audit.k8s.io/v1',
    'kind: Policy',
    'omitStages: ["RequestReceived"]',
    'rules:',
    '  - level: Metadata',
    '    userGroups: ["system:serviceaccounts:service-proxy-exporter"]',
    '  - level: None',
    '',
  ].join('\n');
}

export { apiserverUrl };
