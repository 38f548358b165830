// A deterministic big cluster for benchmarks and scale tests: N nodes, one service-proxy agent pod
// per node, CoreDNS, and many application pods the exporter must never watch. Objects are shaped
// and sized like a real cluster's (a Cilium agent pod is ~14 KB with its managedFields, a node
// ~10 KB with its image list), because memory and sync time depend on bytes, not only on counts.
// Same options → byte-identical objects (a seeded PRNG; no clock, no Math.random).

import {
  DS_TOLERATE_ALL,
  K8S_ALPHABET,
  type KubeObject,
  NULL_TIME,
  kubeletConditions,
  kubeletLabels,
} from '../testkit/objects/builders.js';
import { CILIUM_AGENT_SECURITY_CONTEXT, ciliumAgentContainer, ciliumAgentLifecycle } from '../testkit/objects/cilium.js';
import type { ManagedFieldsEntry } from '../testkit/objects/meta.js';
import { configMap, daemonSet, envVars } from '../testkit/objects/minimal.js';
import type { INode, IPod, IPodCondition, IProbe, IService, IServicePort, IServiceSpec } from 'kubernetes-models/v1';
import type { IEndpointPort, IEndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1';

export type GeneratedProvider = 'cilium-kpr' | 'kube-proxy';

export interface GenerateOptions {
  nodes: number;
  /** total pods, agents included; application pods fill what the system pods leave */
  pods: number;
  /** the effective service proxy; default cilium-kpr */
  provider?: GeneratedProvider;
  /** with provider cilium-kpr: also run a kube-proxy DaemonSet (a conflict), default false */
  kubeProxyToo?: boolean;
  /** application Services (each with an EndpointSlice); default pods / 20 */
  services?: number;
  /** how many application Services carry service-proxy-exporter.io/probe: "true"; default 0 */
  annotatedServices?: number;
  /**
   * Where annotated Services, kubernetes and kube-dns point: a cluster IP and port that really
   * answer (loopback), so probe rounds do real work. Without it, addresses are in 198.18.0.0/15 and lead nowhere.
   */
  probeTargets?: { host: string; httpPorts: number[]; apiPort?: number; dnsPort?: number };
  /** Cilium agent version; default v1.18.3 */
  ciliumVersion?: string;
  seed?: number;
}

export interface GeneratedCounts {
  nodes: number;
  agentPods: number;
  kubeProxyPods: number;
  corednsPods: number;
  appPods: number;
  services: number;
  endpointSlices: number;
}

/** mulberry32: small, fast, good enough to vary names and sizes reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (rnd: () => number, n: number): string => {
  let s = '';
  while (s.length < n)
    s += Math.floor(rnd() * 0xffffffff)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, n);
};

const CREATED = '2025-01-15T08:00:00Z';

/** Pod-name suffixes like the 5-character ones controllers generate, but unique per index. */
function uniqueSuffix(i: number): string {
  let s = '';
  let n = i;
  for (let k = 0; k < 5; k++) {
    s = K8S_ALPHABET[n % K8S_ALPHABET.length] + s;
    n = Math.floor(n / K8S_ALPHABET.length);
  }
  return s;
}
const ZONES = ['a', 'b', 'c'];
const INSTANCE_TYPES = ['m6i.2xlarge', 'm6i.4xlarge', 'c6i.4xlarge', 'r6i.2xlarge'];

export function nodeName(i: number): string {
  return `ip-10-${(i >> 16) & 255}-${(i >> 8) & 255}-${i & 255}.eu-west-1.compute.internal`;
}

// Addresses only from 198.18.0.0/15 (RFC 2544 benchmarking space), which nobody routes: nodes in
// 198.18.0.0/16, Services in 198.19.0.0/17, pods in 198.19.128.0/17.
const nodeIP = (i: number): string => `198.18.${(i >> 8) & 255}.${i & 255}`;

/** A managedFields entry of roughly `bytes` bytes: real objects carry several KB of these. */
function managedFields(manager: string, bytes: number, _rnd: () => number): ManagedFieldsEntry[] {
  const fields: Record<string, Record<string, object>> = {};
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const k = `f:${manager}-field-${i}`;
    fields[k] = { '.': {}, 'f:name': {}, 'f:value': {} };
    size += k.length + 40;
  }
  return [{ manager, operation: 'Update', apiVersion: 'v1', time: CREATED, fieldsType: 'FieldsV1', fieldsV1: fields }];
}

function node(i: number, rnd: () => number): INode {
  const name = nodeName(i);
  const zone = `eu-west-1${ZONES[i % 3]}`;
  const images = Array.from({ length: 25 }, (_, k) => ({
    names: [`registry.example.com/team-${k}/app@sha256:${hex(rnd, 64)}`, `registry.example.com/team-${k}/app:v${k}.${i % 7}.0`],
    sizeBytes: 10_000_000 + Math.floor(rnd() * 500_000_000),
  }));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `node-${hex(rnd, 24)}`,
      creationTimestamp: CREATED,
      labels: {
        ...kubeletLabels(name),
        'node.kubernetes.io/instance-type': INSTANCE_TYPES[i % INSTANCE_TYPES.length],
        'topology.kubernetes.io/region': 'eu-west-1',
        'topology.kubernetes.io/zone': zone,
        'failure-domain.beta.kubernetes.io/zone': zone,
        'eks.amazonaws.com/nodegroup': `pool-${i % 20}`,
        'eks.amazonaws.com/capacityType': i % 5 === 0 ? 'SPOT' : 'ON_DEMAND',
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        'alpha.kubernetes.io/provided-node-ip': nodeIP(i),
      },
      managedFields: managedFields('kubelet', 2500, rnd),
    },
    spec: { providerID: `aws:///${zone}/i-${hex(rnd, 17)}`, podCIDR: `100.${64 + ((i >> 8) & 63)}.${i & 255}.0/24` },
    status: {
      capacity: { cpu: '8', memory: '32386520Ki', pods: '110', 'ephemeral-storage': '104845292Ki' },
      allocatable: { cpu: '7910m', memory: '31369688Ki', pods: '110', 'ephemeral-storage': '95551679124' },
      conditions: kubeletConditions({ heartbeat: CREATED, since: CREATED }),
      addresses: [
        { type: 'InternalIP', address: nodeIP(i) },
        { type: 'Hostname', address: name },
        { type: 'InternalDNS', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: hex(rnd, 32),
        systemUUID: hex(rnd, 32),
        bootID: hex(rnd, 32),
        kernelVersion: '6.1.112-124.190.amzn2023.x86_64',
        osImage: 'Amazon Linux 2023.6.20241121',
        containerRuntimeVersion: 'containerd://1.7.23',
        kubeletVersion: 'v1.31.2-eks-7f9249a',
        kubeProxyVersion: 'v1.31.2-eks-7f9249a',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images,
    },
  };
}

/** The Cilium agent pod's init containers, in the chart's order. */
const CILIUM_INIT_CONTAINERS = [
  'config',
  'mount-cgroup',
  'apply-sysctl-overwrites',
  'mount-bpf-fs',
  'clean-cilium-state',
  'install-cni-binaries',
];

function ciliumAgentPod(i: number, version: string, rnd: () => number): IPod {
  const node = nodeName(i);
  const image = `quay.io/cilium/cilium:${version}@sha256:${hex(rnd, 64)}`;
  const mounts = [
    'bpf-maps:/sys/fs/bpf',
    'cilium-run:/var/run/cilium',
    'cni-path:/host/opt/cni/bin',
    'etc-cni-netd:/host/etc/cni/net.d',
    'clustermesh-secrets:/var/lib/cilium/clustermesh',
    'lib-modules:/lib/modules',
    'xtables-lock:/run/xtables.lock',
    'hubble-tls:/var/lib/cilium/tls/hubble',
    'tmp:/tmp',
    'cilium-config-path:/tmp/cilium/config-map',
  ];
  const volumeMounts = mounts.map((m) => {
    const [n, p] = m.split(':');
    return { name: n, mountPath: p, ...(n === 'cilium-config-path' ? { readOnly: true } : {}) };
  });
  const probe = (path: string): IProbe => ({
    httpGet: { host: '127.0.0.1', path, port: 9879, scheme: 'HTTP', httpHeaders: [{ name: 'brief', value: 'true' }] },
    periodSeconds: 30,
    timeoutSeconds: 5,
    successThreshold: 1,
    failureThreshold: 10,
  });
  const suffix = uniqueSuffix(i);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `cilium-${suffix}`,
      generateName: 'cilium-',
      namespace: 'kube-system',
      uid: `${hex(rnd, 8)}-${hex(rnd, 4)}-${hex(rnd, 4)}-${hex(rnd, 4)}-${hex(rnd, 12)}`,
      creationTimestamp: CREATED,
      labels: {
        'app.kubernetes.io/name': 'cilium-agent',
        'app.kubernetes.io/part-of': 'cilium',
        'controller-revision-hash': '7d9f8c6b5d',
        'k8s-app': 'cilium',
        'pod-template-generation': '3',
      },
      annotations: {
        'kubectl.kubernetes.io/default-container': 'cilium-agent',
        'container.apparmor.security.beta.kubernetes.io/cilium-agent': 'unconfined',
      },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'cilium', uid: 'ds-cilium', controller: true, blockOwnerDeletion: true },
      ],
      managedFields: managedFields('kubelet', 1800, rnd),
    },
    spec: {
      nodeName: node,
      serviceAccountName: 'cilium',
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 1,
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
          },
        },
      },
      tolerations: [{ operator: 'Exists' }, { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
      initContainers: CILIUM_INIT_CONTAINERS.map((name) => ({
        name,
        image,
        command: ['/bin/sh', '-c', `echo ${name}`],
        env: envVars({ K8S_NODE_NAME: node, CILIUM_K8S_NAMESPACE: 'kube-system', BIN_PATH: '/opt/cni/bin' }),
        volumeMounts: volumeMounts.slice(0, 3),
        securityContext: {
          capabilities: { add: ['SYS_ADMIN', 'SYS_CHROOT', 'SYS_PTRACE'], drop: ['ALL'] },
          seLinuxOptions: { level: 's0', type: 'spc_t' },
        },
        terminationMessagePolicy: 'FallbackToLogsOnError',
      })),
      containers: [
        ciliumAgentContainer(
          image,
          envVars({
            K8S_NODE_NAME: node,
            CILIUM_K8S_NAMESPACE: 'kube-system',
            CILIUM_CLUSTERMESH_CONFIG: '/var/lib/cilium/clustermesh/',
            GOMEMLIMIT: '1717986918',
            KUBERNETES_SERVICE_HOST: 'api.internal',
            KUBERNETES_SERVICE_PORT: '443',
          }),
          {
            lifecycle: ciliumAgentLifecycle(
              "set -o errexit\nset -o pipefail\nset -o nounset\n# When running in AWS ENI mode, it's likely that 'aws-node' has\n# had a chance to install SNAT iptables rules.\n",
            ),
            livenessProbe: probe('/healthz'),
            readinessProbe: probe('/healthz'),
            startupProbe: { ...probe('/healthz'), failureThreshold: 105, periodSeconds: 2 },
            securityContext: CILIUM_AGENT_SECURITY_CONTEXT,
            volumeMounts,
            terminationMessagePolicy: 'FallbackToLogsOnError',
            resources: { requests: { cpu: '100m', memory: '512Mi' } },
          },
        ),
      ],
      volumes: mounts.map((m) => ({ name: m.split(':')[0], hostPath: { path: m.split(':')[1], type: 'DirectoryOrCreate' } })),
    },
    status: {
      phase: 'Running',
      hostIP: nodeIP(i),
      podIP: nodeIP(i),
      podIPs: [{ ip: nodeIP(i) }],
      startTime: CREATED,
      qosClass: 'Burstable',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastProbeTime: NULL_TIME,
        lastTransitionTime: CREATED,
      })),
      initContainerStatuses: CILIUM_INIT_CONTAINERS.map((name) => ({
        name,
        image,
        imageID: image,
        ready: true,
        restartCount: 0,
        started: false,
        containerID: `containerd://${hex(rnd, 64)}`,
        state: {
          terminated: {
            exitCode: 0,
            reason: 'Completed',
            startedAt: CREATED,
            finishedAt: CREATED,
            containerID: `containerd://${hex(rnd, 64)}`,
          },
        },
      })),
      containerStatuses: [
        {
          name: 'cilium-agent',
          image,
          imageID: image,
          ready: true,
          started: true,
          restartCount: 0,
          containerID: `containerd://${hex(rnd, 64)}`,
          state: { running: { startedAt: CREATED } },
        },
      ],
    },
  };
}

/** A running pod's conditions: all True since CREATED. */
function readyConditions(): IPodCondition[] {
  return ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: CREATED }));
}

function kubeProxyPod(i: number, rnd: () => number): IPod {
  const node = nodeName(i);
  const image = '602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.31.2-eksbuild.3';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `kube-proxy-${uniqueSuffix(i)}`,
      namespace: 'kube-system',
      uid: hex(rnd, 32),
      creationTimestamp: CREATED,
      labels: { 'controller-revision-hash': '5f7d6b8c9', 'k8s-app': 'kube-proxy', 'pod-template-generation': '1' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-proxy', uid: 'ds-kube-proxy', controller: true }],
      managedFields: managedFields('kubelet', 2500, rnd),
    },
    spec: {
      nodeName: node,
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: 'kube-proxy',
          image,
          command: ['kube-proxy', '--v=2', '--config=/var/lib/kube-proxy-config/config', '--hostname-override=$(NODE_NAME)'],
          env: envVars({ NODE_NAME: node }),
          securityContext: { privileged: true },
        },
      ],
    },
    status: {
      phase: 'Running',
      hostIP: nodeIP(i),
      podIP: nodeIP(i),
      startTime: CREATED,
      conditions: readyConditions(),
      containerStatuses: [
        {
          name: 'kube-proxy',
          image,
          imageID: image,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: CREATED } },
        },
      ],
    },
  };
}

function appPod(ns: string, app: string, k: number, nodeIndex: number, rnd: () => number): IPod {
  const image = `registry.example.com/${ns}/${app}:v1.${k % 9}.${k % 5}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${app}-7c9d8f6b5-${uniqueSuffix(k)}`,
      generateName: `${app}-7c9d8f6b5-`,
      namespace: ns,
      uid: hex(rnd, 32),
      creationTimestamp: CREATED,
      labels: { app, 'app.kubernetes.io/name': app, 'pod-template-hash': '7c9d8f6b5', team: ns },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-7c9d8f6b5`, uid: hex(rnd, 32), controller: true }],
      managedFields: managedFields('kube-controller-manager', 1500, rnd),
    },
    spec: {
      nodeName: nodeName(nodeIndex),
      serviceAccountName: 'default',
      containers: [
        {
          name: app,
          image,
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          env: envVars({ APP_NAME: app, LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4317' }),
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 10 },
        },
      ],
    },
    status: {
      phase: 'Running',
      hostIP: nodeIP(nodeIndex),
      podIP: `198.19.${128 + ((k >> 8) & 127)}.${k & 255}`,
      startTime: CREATED,
      conditions: readyConditions(),
      containerStatuses: [
        { name: app, image, imageID: image, ready: true, started: true, restartCount: 0, state: { running: { startedAt: CREATED } } },
      ],
    },
  };
}

function service(
  ns: string,
  name: string,
  clusterIP: string,
  ports: IServicePort[],
  extra: {
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    selector?: Record<string, string>;
    type?: IServiceSpec['type'];
  } = {},
): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      namespace: ns,
      name,
      labels: extra.labels ?? { app: name },
      annotations: extra.annotations ?? {},
      creationTimestamp: CREATED,
    },
    spec: {
      type: extra.type ?? 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      ipFamilies: ['IPv4'],
      ports,
      selector: extra.selector ?? { app: name },
      sessionAffinity: 'None',
    },
    status: { loadBalancer: {} },
  };
}

function slice(ns: string, svc: string, ports: IEndpointPort[], endpoints: { ip: string; node: string }[]): IEndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: ns,
      name: `${svc}-abcde`,
      labels: { 'kubernetes.io/service-name': svc, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
    },
    addressType: 'IPv4',
    ports,
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: e.node,
    })),
  };
}

const svcIP = (n: number): string => `198.19.${(n >> 8) & 127}.${n & 255}`;

/**
 * The cluster's objects, one at a time (a generator, so 50,000 pods need not sit in memory twice:
 * the fake API server's store keeps its own copy).
 */
export function* generateCluster(opts: GenerateOptions): Generator<KubeObject> {
  const rnd = prng(opts.seed ?? 42);
  const provider = opts.provider ?? 'cilium-kpr';
  const version = opts.ciliumVersion ?? 'v1.18.3';
  const counts = plannedCounts(opts);
  const t = opts.probeTargets;

  for (let i = 0; i < opts.nodes; i++) yield node(i, rnd);

  const kubeProxy = provider === 'kube-proxy' || opts.kubeProxyToo === true;
  // the agents' DaemonSets, rolled out on every node
  const rolledOut = { desired: opts.nodes, available: opts.nodes, updated: opts.nodes, tolerations: DS_TOLERATE_ALL };
  if (provider === 'cilium-kpr') {
    yield daemonSet('kube-system', 'cilium', {
      labels: { 'k8s-app': 'cilium' },
      podLabels: { 'k8s-app': 'cilium' },
      containers: [
        {
          name: 'cilium-agent',
          image: `quay.io/cilium/cilium:${version}`,
          command: ['cilium-agent'],
          args: ['--config-dir=/tmp/cilium/config-map'],
        },
      ],
      ...rolledOut,
    });
    yield configMap('kube-system', 'cilium-config', {
      'kube-proxy-replacement': 'true',
      'kube-proxy-replacement-healthz-bind-address': '0.0.0.0:10256',
      'cluster-name': 'bench',
      ipam: 'eni',
      'enable-ipv4': 'true',
      'routing-mode': 'native',
    });
    for (let i = 0; i < opts.nodes; i++) yield ciliumAgentPod(i, version, rnd);
  }
  if (kubeProxy) {
    yield daemonSet('kube-system', 'kube-proxy', {
      labels: { 'k8s-app': 'kube-proxy', 'eks.amazonaws.com/component': 'kube-proxy' },
      podLabels: { 'k8s-app': 'kube-proxy' },
      containers: [
        {
          name: 'kube-proxy',
          image: '602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.31.2-eksbuild.3',
          command: ['kube-proxy', '--v=2', '--config=/var/lib/kube-proxy-config/config'],
        },
      ],
      ...rolledOut,
    });
    yield configMap('kube-system', 'kube-proxy-config', {
      config: 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: iptables\n',
    });
    for (let i = 0; i < opts.nodes; i++) yield kubeProxyPod(i, rnd);
  }

  // CoreDNS: labelled k8s-app=kube-dns, which no agent selector matches.
  for (let k = 0; k < counts.corednsPods; k++) {
    const p = appPod('kube-system', 'coredns', k, k % opts.nodes, rnd);
    p.metadata!.labels = { 'k8s-app': 'kube-dns', 'pod-template-hash': '5d78c9869d' };
    yield p;
  }
  const host = t?.host;
  yield service(
    'default',
    'kubernetes',
    host ?? '198.19.0.1',
    [{ name: 'https', port: t?.apiPort ?? 443, protocol: 'TCP', targetPort: t?.apiPort ?? 443 }],
    { labels: { component: 'apiserver', provider: 'kubernetes' }, selector: {} },
  );
  yield slice(
    'default',
    'kubernetes',
    [{ name: 'https', port: t?.apiPort ?? 443, protocol: 'TCP' }],
    [{ ip: host ?? '198.18.255.10', node: '' }],
  );
  const dnsPort = t?.dnsPort ?? 53;
  yield service(
    'kube-system',
    'kube-dns',
    host ?? '198.19.0.10',
    [
      { name: 'dns', port: dnsPort, protocol: 'UDP', targetPort: dnsPort },
      { name: 'dns-tcp', port: dnsPort, protocol: 'TCP', targetPort: dnsPort },
      { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
    ],
    { labels: { 'k8s-app': 'kube-dns' }, selector: { 'k8s-app': 'kube-dns' } },
  );
  yield slice(
    'kube-system',
    'kube-dns',
    [
      { name: 'dns', port: dnsPort, protocol: 'UDP' },
      { name: 'dns-tcp', port: dnsPort, protocol: 'TCP' },
    ],
    Array.from({ length: counts.corednsPods }, (_, k) => ({ ip: host ?? `198.19.255.${k + 2}`, node: nodeName(k % opts.nodes) })),
  );

  // Application namespaces, Services and pods: what a cluster is mostly made of.
  const namespaces = Math.max(1, Math.min(200, Math.ceil(counts.services / 25)));
  for (let s = 0; s < counts.services; s++) {
    const ns = `team-${s % namespaces}`;
    const name = `svc-${s}`;
    const annotated = s < (opts.annotatedServices ?? 0);
    const port = annotated && t ? t.httpPorts[s % t.httpPorts.length]! : 80;
    const annotations: Record<string, string> = annotated
      ? { 'service-proxy-exporter.io/probe': 'true', 'service-proxy-exporter.io/path': '/' }
      : { 'meta.helm.sh/release-name': ns };
    yield service(ns, name, annotated && host ? host : svcIP(s + 100), [{ name: 'http', port, protocol: 'TCP', targetPort: 8080 }], {
      annotations,
    });
    yield slice(
      ns,
      name,
      [{ name: 'http', port: annotated && t ? port : 8080, protocol: 'TCP' }],
      [{ ip: annotated && host ? host : `198.19.${128 + ((s >> 8) & 127)}.${s & 255}`, node: nodeName(s % opts.nodes) }],
    );
  }
  for (let k = 0; k < counts.appPods; k++) {
    const s = k % Math.max(1, counts.services);
    yield appPod(`team-${s % namespaces}`, `svc-${s}`, k, Math.floor(rnd() * opts.nodes), rnd);
  }
}

/** What generateCluster will produce for these options. */
export function plannedCounts(opts: GenerateOptions): GeneratedCounts {
  const provider = opts.provider ?? 'cilium-kpr';
  const agentPods = provider === 'cilium-kpr' ? opts.nodes : 0;
  const kubeProxyPods = provider === 'kube-proxy' || opts.kubeProxyToo ? opts.nodes : 0;
  const corednsPods = Math.max(2, Math.min(20, Math.floor(opts.nodes / 250)));
  const appPods = Math.max(0, opts.pods - agentPods - kubeProxyPods - corednsPods);
  const services = opts.services ?? Math.max(1, Math.floor(opts.pods / 20));
  return { nodes: opts.nodes, agentPods, kubeProxyPods, corednsPods, appPods, services: services + 2, endpointSlices: services + 2 };
}

export function generateClusterObjects(opts: GenerateOptions): KubeObject[] {
  return [...generateCluster(opts)];
}
