// Small builders of Kubernetes objects (typed on kubernetes-models) for detection and exporter tests. Snapshots go through
// snapshotFromObjects, so every test also exercises the catalog's selectors and slimming.
import { snapshotFromObjects } from './snapshot.js';
import type { ClusterSnapshot } from '../../src/cluster/types.js';
import type { IAffinity, IConfigMap, IContainer, IEnvVar, INode, IPod, ITaint, IToleration } from 'kubernetes-models/v1';
import type { IDaemonSet } from 'kubernetes-models/apps/v1';

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
}

/** Plain `name: value` environment variables, in the record's order. */
export function envVars(env: Record<string, string>): IEnvVar[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

function container(c: ContainerSpec): IContainer {
  return {
    name: c.name,
    image: c.image,
    ...(c.command ? { command: c.command } : {}),
    ...(c.args ? { args: c.args } : {}),
    ...(c.env ? { env: envVars(c.env) } : {}),
  };
}

export function node(
  name: string,
  o: {
    ready?: boolean;
    unschedulable?: boolean;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    taints?: ITaint[];
    kubeletVersion?: string;
    kubeProxyVersion?: string;
  } = {},
): INode {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...(o.labels ?? {}) },
      annotations: o.annotations ?? {},
    },
    spec: { ...(o.unschedulable ? { unschedulable: true } : {}), ...(o.taints ? { taints: o.taints } : {}) },
    status: {
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
      nodeInfo: {
        kubeletVersion: o.kubeletVersion ?? 'v1.31.2',
        kubeProxyVersion: o.kubeProxyVersion ?? '',
        architecture: 'amd64',
        bootID: '',
        containerRuntimeVersion: 'containerd://1.7.22',
        kernelVersion: '6.1.0',
        machineID: '',
        operatingSystem: o.labels?.['kubernetes.io/os'] ?? 'linux',
        osImage: '',
        systemUUID: '',
      },
    },
  };
}

export function daemonSet(
  namespace: string,
  name: string,
  o: {
    labels?: Record<string, string>;
    podLabels?: Record<string, string>;
    containers: ContainerSpec[];
    desired?: number;
    ready?: number;
    /** status.numberAvailable, left out when not given */
    available?: number;
    /** status.updatedNumberScheduled, left out when not given */
    updated?: number;
    nodeSelector?: Record<string, string>;
    tolerations?: IToleration[];
    affinity?: IAffinity;
  },
): IDaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { namespace, name, labels: o.labels ?? o.podLabels ?? {} },
    spec: {
      selector: { matchLabels: o.podLabels ?? {} },
      template: {
        metadata: { labels: o.podLabels ?? {} },
        spec: {
          containers: o.containers.map(container),
          ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
          ...(o.tolerations ? { tolerations: o.tolerations } : {}),
          ...(o.affinity ? { affinity: o.affinity } : {}),
        },
      },
    },
    status: {
      desiredNumberScheduled: o.desired ?? 0,
      currentNumberScheduled: o.desired ?? 0,
      numberMisscheduled: 0,
      numberReady: o.ready ?? o.desired ?? 0,
      ...(o.available !== undefined ? { numberAvailable: o.available } : {}),
      ...(o.updated !== undefined ? { updatedNumberScheduled: o.updated } : {}),
    },
  };
}

export function pod(
  namespace: string,
  name: string,
  o: {
    labels: Record<string, string>;
    nodeName: string;
    containers: ContainerSpec[];
    ready?: boolean;
    owner?: string;
    annotations?: Record<string, string>;
    waiting?: string;
  },
): IPod {
  const [kind, ownerName] = (o.owner ?? '').split('/');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace,
      name,
      uid: `${namespace}-${name}`,
      labels: o.labels,
      annotations: o.annotations ?? {},
      ...(o.owner && kind && ownerName
        ? { ownerReferences: [{ apiVersion: kind === 'Node' ? 'v1' : 'apps/v1', kind, name: ownerName, uid: `${namespace}-${ownerName}` }] }
        : {}),
    },
    spec: { nodeName: o.nodeName, containers: o.containers.map(container) },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
      containerStatuses: o.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: o.ready !== false,
        restartCount: o.waiting ? 5 : 0,
        ...(o.waiting ? { state: { waiting: { reason: o.waiting } } } : {}),
      })),
    },
  };
}

export function configMap(namespace: string, name: string, data: Record<string, string>): IConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name }, data };
}

export function customResource(apiVersion: string, kind: string, name: string, spec: object) {
  return { apiVersion, kind, metadata: { name }, spec };
}

export const CALICO_CRDS = ['installations.operator.tigera.io', 'felixconfigurations.crd.projectcalico.org'];

export function snap(objects: object[], opts: Parameters<typeof snapshotFromObjects>[1] = {}): ClusterSnapshot {
  return snapshotFromObjects(objects, opts);
}

// ---- per-component shorthands -------------------------------------------------------------

export const KP_IMAGE = 'registry.k8s.io/kube-proxy:v1.31.2';

export function kubeProxyDs(
  o: {
    desired?: number;
    args?: string[];
    command?: string[];
    labels?: Record<string, string>;
    image?: string;
    nodeSelector?: Record<string, string>;
    tolerations?: IToleration[];
  } = {},
): IDaemonSet {
  return daemonSet('kube-system', 'kube-proxy', {
    labels: o.labels ?? { 'k8s-app': 'kube-proxy' },
    podLabels: { 'k8s-app': 'kube-proxy' },
    desired: o.desired ?? 2,
    containers: [
      {
        name: 'kube-proxy',
        image: o.image ?? KP_IMAGE,
        command: o.command ?? ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)'],
        ...(o.args ? { args: o.args } : {}),
      },
    ],
    ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
    tolerations: o.tolerations ?? [{ operator: 'Exists' }],
  });
}

export function kubeProxyPod(nodeName: string, o: { ready?: boolean; image?: string; command?: string[] } = {}) {
  return pod('kube-system', `kube-proxy-${nodeName.slice(-5)}`, {
    labels: { 'k8s-app': 'kube-proxy' },
    nodeName,
    owner: 'DaemonSet/kube-proxy',
    ...(o.ready === false ? { ready: false, waiting: 'CrashLoopBackOff' } : {}),
    containers: [
      {
        name: 'kube-proxy',
        image: o.image ?? KP_IMAGE,
        command: o.command ?? ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf'],
      },
    ],
  });
}

export function kubeadmProxyConfig(mode: string | null) {
  return configMap('kube-system', 'kube-proxy', {
    'config.conf': `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n${mode === null ? '' : `mode: ${JSON.stringify(mode)}\n`}`,
    'kubeconfig.conf': 'apiVersion: v1\nkind: Config\n',
  });
}

export function ciliumImage(version: string) {
  return `quay.io/cilium/cilium:${version}@sha256:1111111111111111111111111111111111111111111111111111111111111111`;
}

export function ciliumDs(
  version: string,
  o: { desired?: number; name?: string; namespace?: string; tolerations?: IToleration[]; nodeSelector?: Record<string, string> } = {},
): IDaemonSet {
  return daemonSet(o.namespace ?? 'kube-system', o.name ?? 'cilium', {
    podLabels: { 'k8s-app': 'cilium' },
    desired: o.desired ?? 2,
    containers: [
      { name: 'cilium-agent', image: ciliumImage(version), command: ['cilium-agent'], args: ['--config-dir=/tmp/cilium/config-map'] },
    ],
    tolerations: o.tolerations ?? [{ operator: 'Exists' }],
    ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
  });
}

export function ciliumPod(nodeName: string, version: string, o: { ready?: boolean; namespace?: string; ds?: string } = {}) {
  return pod(o.namespace ?? 'kube-system', `${o.ds ?? 'cilium'}-${nodeName.slice(-5)}`, {
    labels: { 'k8s-app': 'cilium' },
    nodeName,
    owner: `DaemonSet/${o.ds ?? 'cilium'}`,
    ...(o.ready === false ? { ready: false, waiting: 'CrashLoopBackOff' } : {}),
    containers: [{ name: 'cilium-agent', image: ciliumImage(version) }],
  });
}

export function ciliumConfig(data: Record<string, string>, namespace = 'kube-system') {
  return configMap(namespace, 'cilium-config', data);
}

/** Two Ready nodes. */
export function twoNodes() {
  return [node('node-aaaa1'), node('node-bbbb2')];
}
