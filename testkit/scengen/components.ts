// Components as their installers lay them down: kubeadm/EKS kube-proxy, RKE2 static kube-proxy,
// Cilium (Helm, GKE anetd), Calico (manifest, operator), Antrea, kube-router, OVN-Kubernetes
// (OpenShift), flannel, CoreDNS/kube-dns.
import {
  type Ctx,
  DaemonSetBuilder,
  DS_TOLERATE_ALL,
  type KubeObject,
  NODE_NAME_ENV,
  type PodPlacement,
  type SvcPort,
  apiserverService,
  at,
  configMap,
  deployment,
  endpointSliceForPods,
  fieldEnv,
  hostPathVol,
  nodeIP,
  nodeName,
  pod,
  podTemplateSpec,
  service,
} from '../objects/builders.js';
import type { CalicoInstallation, FelixConfiguration } from '../objects/calico.js';
import { CILIUM_AGENT_SECURITY_CONTEXT, ciliumAgentContainer, ciliumAgentLifecycle } from '../objects/cilium.js';
import type { IContainer, IEnvVar, INode, IPod, IPodSpec } from 'kubernetes-models/v1';
import type { IEndpointPort } from 'kubernetes-models/discovery.k8s.io/v1';

export interface Placement {
  node: INode;
  state?: PodPlacement['containers'];
  ready?: boolean;
  images?: Record<string, string>;
  outdated?: boolean;
}

const place = (p: Placement, started: string, now: string): PodPlacement => ({
  node: p.node,
  containers: p.state,
  ready: p.ready,
  images: p.images,
  started,
  now,
});

// ---------------------------------------------------------------- kube-proxy

export function kubeProxyConfigYaml(mode: string, clusterCIDR: string, opts: { strictARP?: boolean; scheduler?: string } = {}): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: ${clusterCIDR}
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpBeLiberal: false
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
  udpStreamTimeout: 0s
  udpTimeout: 0s
detectLocal:
  bridgeInterface: ""
  interfaceNamePrefix: ""
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ""
hostnameOverride: ""
iptables:
  localhostNodePorts: null
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: "${opts.scheduler ?? ''}"
  strictARP: ${opts.strictARP ? 'true' : 'false'}
  syncPeriod: 0s
  tcpFinTimeout: 0s
  tcpTimeout: 0s
  udpTimeout: 0s
kind: KubeProxyConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
metricsBindAddress: ""
mode: "${mode}"
nftables:
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
nodePortAddresses: null
oomScoreAdj: null
portRange: ""
showHiddenMetricsForTesting: false
winkernel:
  enableDSR: false
  forwardHealthCheckVip: false
  networkName: ""
  rootHnsEndpointName: ""
  sourceVip: ""
`;
}

function kubeadmKubeconfigConf(server: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: ${server}
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
`;
}

export interface KubeadmKubeProxyOpts {
  version: string;
  mode: string;
  clusterCIDR: string;
  apiserver: string;
  created: string;
  now: string;
  placements: Placement[];
  desired: number;
  /** extra nodeSelector entries (Calico eBPF guide: non-calico: "true") */
  extraNodeSelector?: Record<string, string>;
  ipvs?: { strictARP?: boolean; scheduler?: string };
}

export function kubeadmKubeProxy(ctx: Ctx, o: KubeadmKubeProxyOpts): KubeObject[] {
  const cm = configMap(
    ctx,
    'kube-system',
    'kube-proxy',
    { 'config.conf': kubeProxyConfigYaml(o.mode, o.clusterCIDR, o.ipvs), 'kubeconfig.conf': kubeadmKubeconfigConf(o.apiserver) },
    o.created,
    { app: 'kube-proxy' },
    { 'kubeadm.kubernetes.io/component-config.hash': `sha256:${ctx.hex('kube-proxy-config')}` },
  );
  const ds = new DaemonSetBuilder(ctx, {
    ns: 'kube-system',
    name: 'kube-proxy',
    labels: { 'k8s-app': 'kube-proxy' },
    selector: { 'k8s-app': 'kube-proxy' },
    podLabels: { 'k8s-app': 'kube-proxy' },
    created: o.created,
    generation: o.extraNodeSelector ? 2 : 1,
    podSpec: {
      containers: [
        {
          name: 'kube-proxy',
          image: `registry.k8s.io/kube-proxy:${o.version}`,
          command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)'],
          env: [NODE_NAME_ENV],
          securityContext: { privileged: true },
          volumeMounts: [
            { mountPath: '/var/lib/kube-proxy', name: 'kube-proxy' },
            { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
            { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
          ],
        },
      ],
      hostNetwork: true,
      nodeSelector: { 'kubernetes.io/os': 'linux', ...(o.extraNodeSelector ?? {}) },
      priorityClassName: 'system-node-critical',
      serviceAccount: 'kube-proxy',
      serviceAccountName: 'kube-proxy',
      tolerations: DS_TOLERATE_ALL,
      volumes: [
        { name: 'kube-proxy', configMap: { name: 'kube-proxy', defaultMode: 420 } },
        hostPathVol('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
        hostPathVol('lib-modules', '/lib/modules', ''),
      ],
    },
  });
  o.placements.forEach((p, i) => ds.addPod(place(p, at(o.created, 2 + i), o.now)));
  return [cm, ...ds.finish(o.desired)];
}

export const EKS_CONFIG = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
clientConnection:
  acceptContentTypes: ""
  burst: 10
  contentType: application/vnd.kubernetes.protobuf
  kubeconfig: /var/lib/kube-proxy/kubeconfig
  qps: 5
clusterCIDR: ""
configSyncPeriod: 15m0s
conntrack:
  maxPerCore: 32768
  min: 131072
  tcpCloseWaitTimeout: 1h0m0s
  tcpEstablishedTimeout: 24h0m0s
enableProfiling: false
healthzBindAddress: 0.0.0.0:10256
hostnameOverride: ""
iptables:
  masqueradeAll: false
  masqueradeBit: 14
  minSyncPeriod: 0s
  syncPeriod: 30s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: ""
  syncPeriod: 30s
kind: KubeProxyConfiguration
metricsBindAddress: 0.0.0.0:10249
mode: "iptables"
nodePortAddresses: null
oomScoreAdj: -998
portRange: ""
`;

export function eksKubeProxy(
  ctx: Ctx,
  o: { image: string; apiserver: string; created: string; now: string; placements: Placement[] },
): KubeObject[] {
  const labels = { 'eks.amazonaws.com/component': 'kube-proxy', 'k8s-app': 'kube-proxy' };
  const cfg = configMap(ctx, 'kube-system', 'kube-proxy-config', { config: EKS_CONFIG }, o.created, labels);
  const kc = configMap(
    ctx,
    'kube-system',
    'kube-proxy',
    {
      kubeconfig: `kind: Config
apiVersion: v1
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: ${o.apiserver}
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
`,
    },
    o.created,
    labels,
  );
  const ds = new DaemonSetBuilder(ctx, {
    ns: 'kube-system',
    name: 'kube-proxy',
    labels,
    selector: { 'k8s-app': 'kube-proxy' },
    podLabels: { 'k8s-app': 'kube-proxy' },
    created: o.created,
    maxUnavailable: '10%',
    podSpec: {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
                  { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] },
                  { key: 'eks.amazonaws.com/compute-type', operator: 'NotIn', values: ['fargate', 'auto', 'hybrid'] },
                ],
              },
            ],
          },
        },
      },
      containers: [
        {
          name: 'kube-proxy',
          image: o.image,
          command: ['kube-proxy', '--v=2', '--config=/var/lib/kube-proxy-config/config', '--hostname-override=$(NODE_NAME)'],
          env: [NODE_NAME_ENV],
          resources: { requests: { cpu: '100m' } },
          securityContext: { privileged: true },
          volumeMounts: [
            { mountPath: '/var/log', name: 'varlog' },
            { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
            { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
            { mountPath: '/var/lib/kube-proxy/', name: 'kubeconfig' },
            { mountPath: '/var/lib/kube-proxy-config/', name: 'config' },
          ],
        },
      ],
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      serviceAccount: 'kube-proxy',
      serviceAccountName: 'kube-proxy',
      tolerations: DS_TOLERATE_ALL,
      volumes: [
        hostPathVol('varlog', '/var/log', ''),
        hostPathVol('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
        hostPathVol('lib-modules', '/lib/modules', ''),
        { name: 'kubeconfig', configMap: { name: 'kube-proxy', defaultMode: 420 } },
        { name: 'config', configMap: { name: 'kube-proxy-config', defaultMode: 420 } },
      ],
    },
  });
  o.placements.forEach((p, i) => ds.addPod(place(p, at(o.created, 2 + i), o.now)));
  return [cfg, kc, ...ds.finish(o.placements.length)];
}

/** RKE2: kube-proxy as a static pod per node, seen through the API as a mirror pod owned by the Node */
export function rke2KubeProxyMirrorPod(ctx: Ctx, n: INode, o: { image: string; clusterCIDR: string; started: string; now: string }): IPod {
  const name = nodeName(n);
  const hash = ctx.hex(`static/kube-proxy/${name}`, 32);
  const spec = podTemplateSpec({
    containers: [
      {
        name: 'kube-proxy',
        image: o.image,
        command: ['kube-proxy'],
        args: [
          `--cluster-cidr=${o.clusterCIDR}`,
          '--conntrack-max-per-core=0',
          '--conntrack-tcp-timeout-close-wait=0s',
          '--conntrack-tcp-timeout-established=0s',
          '--healthz-bind-address=127.0.0.1',
          `--hostname-override=${name}`,
          '--kubeconfig=/var/lib/rancher/rke2/agent/kubeproxy.kubeconfig',
          '--proxy-mode=iptables',
        ],
        env: [
          { name: 'FILE_HASH', value: ctx.hex(`filehash/${name}`) },
          { name: 'NO_PROXY', value: '.svc,.cluster.local,198.18.128.0/17,198.19.0.0/16' },
        ],
        livenessProbe: {
          failureThreshold: 8,
          httpGet: { host: 'localhost', path: '/healthz', port: 10256, scheme: 'HTTP' },
          initialDelaySeconds: 10,
          periodSeconds: 10,
          successThreshold: 1,
          timeoutSeconds: 15,
        },
        resources: { requests: { cpu: '250m', memory: '128Mi' } },
        securityContext: { privileged: true },
        volumeMounts: [
          { mountPath: '/var/lib/rancher/rke2/agent/client-kube-proxy.crt', name: 'file0', readOnly: true },
          { mountPath: '/var/lib/rancher/rke2/agent/client-kube-proxy.key', name: 'file1', readOnly: true },
          { mountPath: '/var/lib/rancher/rke2/agent/kubeproxy.kubeconfig', name: 'file2', readOnly: true },
          { mountPath: '/var/lib/rancher/rke2/agent/server-ca.crt', name: 'file3', readOnly: true },
        ],
      },
    ],
    hostNetwork: true,
    nodeName: name,
    priorityClassName: 'system-cluster-critical',
    tolerations: [{ effect: 'NoExecute', operator: 'Exists' }],
    volumes: [
      hostPathVol('file0', '/var/lib/rancher/rke2/agent/client-kube-proxy.crt', 'File'),
      hostPathVol('file1', '/var/lib/rancher/rke2/agent/client-kube-proxy.key', 'File'),
      hostPathVol('file2', '/var/lib/rancher/rke2/agent/kubeproxy.kubeconfig', 'File'),
      hostPathVol('file3', '/var/lib/rancher/rke2/agent/server-ca.crt', 'File'),
    ],
  });
  return pod(ctx, {
    ns: 'kube-system',
    name: `kube-proxy-${name}`,
    labels: { component: 'kube-proxy', tier: 'control-plane' },
    annotations: {
      'kubernetes.io/config.hash': hash,
      'kubernetes.io/config.mirror': hash,
      'kubernetes.io/config.seen': `${o.started.replace('Z', '')}.512334761Z`,
      'kubernetes.io/config.source': 'file',
    },
    owner: { apiVersion: 'v1', kind: 'Node', name, uid: n.metadata!.uid!, controller: true },
    spec,
    placement: { node: n, started: o.started, now: o.now },
    priority: 2000000000,
  });
}

// ---------------------------------------------------------------- Cilium

export interface CiliumOpts {
  version: string;
  /** registry/repo, default quay.io/cilium/cilium */
  repo?: string;
  digest?: boolean;
  kpr: string | undefined;
  healthz: string | undefined;
  created: string;
  now: string;
  placements: Placement[];
  desired?: number;
  k8sServiceHost?: string;
  k8sServicePort?: string;
  clusterPoolCIDR?: string;
  /** 1.12-era config keys (tunnel: vxlan) instead of routing-mode/tunnel-protocol */
  legacyKeys?: boolean;
  gke?: boolean;
  /** when set, the DaemonSet template runs this version and pods with `outdated` run `version` */
  templateVersion?: string;
  extraConfig?: Record<string, string>;
  maxUnavailable?: number;
}

function ciliumImage(ctx: Ctx, repo: string, version: string, digest: boolean): string {
  return digest ? `${repo}:${version}@sha256:${ctx.hex(`digest/${repo}:${version}`)}` : `${repo}:${version}`;
}

export function ciliumConfigData(o: CiliumOpts): Record<string, string> {
  const d: Record<string, string> = {
    'agent-not-ready-taint-key': 'node.cilium.io/agent-not-ready',
    'arping-refresh-period': '30s',
    'auto-direct-node-routes': 'false',
    'bpf-lb-acceleration': 'disabled',
    'bpf-lb-external-clusterip': 'false',
    'bpf-lb-map-max': '65536',
    'bpf-lb-sock': 'false',
    'bpf-map-dynamic-size-ratio': '0.0025',
    'bpf-policy-map-max': '16384',
    'bpf-root': '/sys/fs/bpf',
    'cgroup-root': '/run/cilium/cgroupv2',
    'cilium-endpoint-gc-interval': '5m0s',
    'cluster-id': '0',
    'cluster-name': 'default',
    'cluster-pool-ipv4-cidr': o.clusterPoolCIDR ?? '198.18.128.0/17',
    'cluster-pool-ipv4-mask-size': '24',
    'cni-exclusive': 'true',
    'cni-log-file': '/var/run/cilium/cilium-cni.log',
    'custom-cni-conf': 'false',
    debug: 'false',
    'enable-auto-protect-node-port-range': 'true',
    'enable-endpoint-health-checking': 'true',
    'enable-health-check-nodeport': 'true',
    'enable-health-checking': 'true',
    'enable-hubble': 'true',
    'enable-ipv4': 'true',
    'enable-ipv4-masquerade': 'true',
    'enable-ipv6': 'false',
    'enable-ipv6-masquerade': 'true',
    'enable-k8s-networkpolicy': 'true',
    'enable-l7-proxy': 'true',
    'enable-policy': 'default',
    'hubble-disable-tls': 'false',
    'hubble-listen-address': ':4244',
    'hubble-socket-path': '/var/run/cilium/hubble.sock',
    'identity-allocation-mode': 'crd',
    ipam: 'cluster-pool',
    'monitor-aggregation': 'medium',
    'monitor-aggregation-flags': 'all',
    'monitor-aggregation-interval': '5s',
    'node-port-bind-protection': 'true',
    'operator-api-serve-addr': '127.0.0.1:9234',
    'operator-prometheus-serve-addr': ':9963',
    'preallocate-bpf-maps': 'false',
    'prometheus-serve-addr': ':9962',
    'remove-cilium-node-taints': 'true',
    'set-cilium-is-up-condition': 'true',
    'synchronize-k8s-nodes': 'true',
    'tofqdns-dns-reject-response-code': 'refused',
    'tofqdns-enable-dns-compression': 'true',
    'tofqdns-endpoint-max-ip-per-hostname': '50',
    'tofqdns-idle-connection-grace-period': '0s',
    'tofqdns-max-deferred-connection-deletes': '10000',
    'tofqdns-proxy-response-max-delay': '100ms',
    'vtep-cidr': '',
    'vtep-endpoint': '',
    'vtep-mac': '',
    'vtep-mask': '',
    'write-cni-conf-when-ready': '/host/etc/cni/net.d/05-cilium.conflist',
  };
  if (o.legacyKeys) {
    d.tunnel = 'vxlan';
  } else {
    d['routing-mode'] = 'tunnel';
    d['tunnel-protocol'] = 'vxlan';
    d['datapath-mode'] = 'veth';
    d['default-lb-service-ipam'] = 'lbipam';
    d['enable-node-selector-labels'] = 'false';
    d['max-connected-clusters'] = '255';
  }
  if (o.kpr !== undefined) d['kube-proxy-replacement'] = o.kpr;
  if (o.healthz !== undefined) d['kube-proxy-replacement-healthz-bind-address'] = o.healthz;
  Object.assign(d, o.extraConfig ?? {});
  return Object.fromEntries(Object.entries(d).sort(([a], [b]) => a.localeCompare(b)));
}

export function cilium(ctx: Ctx, o: CiliumOpts): KubeObject[] {
  const repo = o.repo ?? 'quay.io/cilium/cilium';
  const tplVersion = o.templateVersion ?? o.version;
  const image = ciliumImage(ctx, repo, tplVersion, !!o.digest);
  const old = ciliumImage(ctx, repo, o.version, !!o.digest);
  const dsName = o.gke ? 'anetd' : 'cilium';
  const cm = configMap(
    ctx,
    'kube-system',
    'cilium-config',
    ciliumConfigData(o),
    o.created,
    o.gke ? { 'addonmanager.kubernetes.io/mode': 'Reconcile' } : { 'app.kubernetes.io/managed-by': 'Helm' },
    o.gke ? undefined : { 'meta.helm.sh/release-name': 'cilium', 'meta.helm.sh/release-namespace': 'kube-system' },
  );
  const env: IEnvVar[] = [
    fieldEnv('K8S_NODE_NAME', 'spec.nodeName'),
    fieldEnv('CILIUM_K8S_NAMESPACE', 'metadata.namespace'),
    { name: 'CILIUM_CLUSTERMESH_CONFIG', value: '/var/lib/cilium/clustermesh/' },
    { name: 'GOMEMLIMIT', valueFrom: { resourceFieldRef: { divisor: '1', resource: 'limits.memory' } } },
  ];
  if (o.k8sServiceHost)
    env.push(
      { name: 'KUBERNETES_SERVICE_HOST', value: o.k8sServiceHost },
      { name: 'KUBERNETES_SERVICE_PORT', value: o.k8sServicePort ?? '6443' },
    );
  const initImage = image;
  const podLabels: Record<string, string> = o.legacyKeys
    ? { 'k8s-app': 'cilium' }
    : o.gke
      ? { 'k8s-app': 'cilium' }
      : { 'k8s-app': 'cilium', 'app.kubernetes.io/name': 'cilium-agent', 'app.kubernetes.io/part-of': 'cilium' };
  const ds = new DaemonSetBuilder(ctx, {
    ns: 'kube-system',
    name: dsName,
    labels: o.gke
      ? { 'addonmanager.kubernetes.io/mode': 'Reconcile', 'k8s-app': 'cilium' }
      : {
          'app.kubernetes.io/managed-by': 'Helm',
          'app.kubernetes.io/name': 'cilium-agent',
          'app.kubernetes.io/part-of': 'cilium',
          'k8s-app': 'cilium',
        },
    annotations: o.gke ? undefined : { 'meta.helm.sh/release-name': 'cilium', 'meta.helm.sh/release-namespace': 'kube-system' },
    selector: { 'k8s-app': 'cilium' },
    podLabels,
    podAnnotations: o.gke
      ? { 'components.gke.io/component-name': 'advanceddatapath', 'components.gke.io/component-version': tplVersion.replace(/^v/, '') }
      : { 'kubectl.kubernetes.io/default-container': 'cilium-agent' },
    created: o.created,
    generation: o.templateVersion ? 2 : 1,
    maxUnavailable: o.maxUnavailable ?? 2,
    podSpec: {
      automountServiceAccountToken: true,
      containers: [
        ciliumAgentContainer(image, env, {
          lifecycle: ciliumAgentLifecycle(
            "set -o errexit\nset -o pipefail\nset -o nounset\n\n# When running in AWS ENI mode, it's likely that 'aws-node' has\n# had a chance to install SNAT iptables rules. These can result\n# in dropped traffic, so we should attempt to remove them.\n",
          ),
          livenessProbe: {
            failureThreshold: 10,
            httpGet: { host: '127.0.0.1', httpHeaders: [{ name: 'brief', value: 'true' }], path: '/healthz', port: 9879, scheme: 'HTTP' },
            periodSeconds: 30,
            successThreshold: 1,
            timeoutSeconds: 5,
          },
          readinessProbe: {
            failureThreshold: 3,
            httpGet: { host: '127.0.0.1', httpHeaders: [{ name: 'brief', value: 'true' }], path: '/healthz', port: 9879, scheme: 'HTTP' },
            periodSeconds: 30,
            successThreshold: 1,
            timeoutSeconds: 5,
          },
          startupProbe: {
            failureThreshold: 105,
            httpGet: { host: '127.0.0.1', httpHeaders: [{ name: 'brief', value: 'true' }], path: '/healthz', port: 9879, scheme: 'HTTP' },
            initialDelaySeconds: 5,
            periodSeconds: 2,
            successThreshold: 1,
            timeoutSeconds: 1,
          },
          ports: [
            { containerPort: 4244, hostPort: 4244, name: 'peer-service', protocol: 'TCP' },
            { containerPort: 9962, hostPort: 9962, name: 'prometheus', protocol: 'TCP' },
          ],
          securityContext: CILIUM_AGENT_SECURITY_CONTEXT,
          terminationMessagePolicy: 'FallbackToLogsOnError',
          volumeMounts: [
            { mountPath: '/host/proc/sys/net', name: 'host-proc-sys-net' },
            { mountPath: '/host/proc/sys/kernel', name: 'host-proc-sys-kernel' },
            { mountPath: '/sys/fs/bpf', mountPropagation: 'HostToContainer', name: 'bpf-maps' },
            { mountPath: '/var/run/cilium', name: 'cilium-run' },
            { mountPath: '/host/etc/cni/net.d', name: 'etc-cni-netd' },
            { mountPath: '/var/lib/cilium/clustermesh', name: 'clustermesh-secrets', readOnly: true },
            { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
            { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
            { mountPath: '/tmp', name: 'tmp' },
          ],
        }),
      ],
      initContainers: [
        {
          name: 'config',
          image: initImage,
          command: ['cilium-dbg', 'build-config'],
          env: [fieldEnv('K8S_NODE_NAME', 'spec.nodeName'), fieldEnv('CILIUM_K8S_NAMESPACE', 'metadata.namespace')],
          terminationMessagePolicy: 'FallbackToLogsOnError',
          volumeMounts: [{ mountPath: '/tmp', name: 'tmp' }],
        },
        {
          name: 'mount-cgroup',
          image: initImage,
          command: [
            'sh',
            '-ec',
            'cp /usr/bin/cilium-mount /hostbin/cilium-mount;\nnsenter --cgroup=/hostproc/1/ns/cgroup --mount=/hostproc/1/ns/mnt "${BIN_PATH}/cilium-mount" $CGROUP_ROOT;\nrm /hostbin/cilium-mount\n',
          ],
          env: [
            { name: 'CGROUP_ROOT', value: '/run/cilium/cgroupv2' },
            { name: 'BIN_PATH', value: '/opt/cni/bin' },
          ],
          securityContext: { privileged: false },
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
        {
          name: 'apply-sysctl-overwrites',
          image: initImage,
          command: [
            'sh',
            '-ec',
            'cp /usr/bin/cilium-sysctlfix /hostbin/cilium-sysctlfix;\nnsenter --mount=/hostproc/1/ns/mnt "${BIN_PATH}/cilium-sysctlfix";\nrm /hostbin/cilium-sysctlfix\n',
          ],
          env: [{ name: 'BIN_PATH', value: '/opt/cni/bin' }],
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
        {
          name: 'mount-bpf-fs',
          image: initImage,
          command: ['/bin/bash', '-c', '--'],
          args: ['mount | grep "/sys/fs/bpf type bpf" || mount -t bpf bpf /sys/fs/bpf'],
          securityContext: { privileged: true },
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
        {
          name: 'clean-cilium-state',
          image: initImage,
          command: ['/init-container.sh'],
          env: [
            {
              name: 'CILIUM_ALL_STATE',
              valueFrom: { configMapKeyRef: { key: 'clean-cilium-state', name: 'cilium-config', optional: true } },
            },
          ],
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
        {
          name: 'install-cni-binaries',
          image: initImage,
          command: ['/install-plugin.sh'],
          resources: { requests: { cpu: '100m', memory: '10Mi' } },
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
      ],
      hostNetwork: true,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      priorityClassName: 'system-node-critical',
      restartPolicy: 'Always',
      serviceAccount: 'cilium',
      serviceAccountName: 'cilium',
      terminationGracePeriodSeconds: 1,
      tolerations: DS_TOLERATE_ALL,
      volumes: [
        { name: 'tmp', emptyDir: {} },
        hostPathVol('cilium-run', '/var/run/cilium', 'DirectoryOrCreate'),
        hostPathVol('bpf-maps', '/sys/fs/bpf', 'DirectoryOrCreate'),
        hostPathVol('etc-cni-netd', '/etc/cni/net.d', 'DirectoryOrCreate'),
        hostPathVol('lib-modules', '/lib/modules', ''),
        hostPathVol('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
        {
          name: 'clustermesh-secrets',
          projected: { defaultMode: 256, sources: [{ secret: { name: 'cilium-clustermesh', optional: true } }] },
        },
        hostPathVol('host-proc-sys-net', '/proc/sys/net', 'Directory'),
        hostPathVol('host-proc-sys-kernel', '/proc/sys/kernel', 'Directory'),
      ],
    },
  });
  if (o.legacyKeys) {
    const t = ds.templateSpec;
    t.initContainers = (t.initContainers ?? []).filter((c) => c.name !== 'config' && c.name !== 'install-cni-binaries');
  }
  o.placements.forEach((p, i) => {
    const pp = place(p, at(o.created, 3 + i), o.now);
    if (p.outdated) pp.images = { 'cilium-agent': old, ...(p.images ?? {}) };
    ds.addPod(pp, !!p.outdated);
  });
  const out: KubeObject[] = [cm, ...ds.finish(o.desired ?? o.placements.length)];
  if (!o.gke) {
    const opImage = o.digest
      ? `quay.io/cilium/operator-generic:${tplVersion}@sha256:${ctx.hex(`digest/operator:${tplVersion}`)}`
      : `quay.io/cilium/operator-generic:${tplVersion}`;
    const crashing = o.placements.every((p) => p.ready === false || Object.values(p.state ?? {}).some((s) => s?.waiting));
    out.push(
      ...deployment(ctx, {
        ns: 'kube-system',
        name: 'cilium-operator',
        labels: {
          'app.kubernetes.io/managed-by': 'Helm',
          'app.kubernetes.io/name': 'cilium-operator',
          'app.kubernetes.io/part-of': 'cilium',
          'io.cilium/app': 'operator',
          name: 'cilium-operator',
        },
        selector: { 'io.cilium/app': 'operator', name: 'cilium-operator' },
        podLabels: {
          'app.kubernetes.io/name': 'cilium-operator',
          'app.kubernetes.io/part-of': 'cilium',
          'io.cilium/app': 'operator',
          name: 'cilium-operator',
        },
        created: o.created,
        replicas: crashing ? 1 : 2,
        podSpec: {
          containers: [
            {
              name: 'cilium-operator',
              image: opImage,
              command: ['cilium-operator-generic'],
              args: ['--config-dir=/tmp/cilium/config-map', '--debug=$(CILIUM_DEBUG)'],
              env: [
                fieldEnv('K8S_NODE_NAME', 'spec.nodeName'),
                fieldEnv('CILIUM_K8S_NAMESPACE', 'metadata.namespace'),
                { name: 'CILIUM_DEBUG', valueFrom: { configMapKeyRef: { key: 'debug', name: 'cilium-config', optional: true } } },
              ],
              volumeMounts: [{ mountPath: '/tmp/cilium/config-map', name: 'cilium-config-path', readOnly: true }],
            },
          ],
          hostNetwork: true,
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          priorityClassName: 'system-cluster-critical',
          serviceAccount: 'cilium-operator',
          serviceAccountName: 'cilium-operator',
          tolerations: DS_TOLERATE_ALL,
          volumes: [{ name: 'cilium-config-path', configMap: { name: 'cilium-config', defaultMode: 420 } }],
        },
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------- Calico

export function calicoNodeManifest(
  ctx: Ctx,
  o: { version: string; created: string; now: string; placements: Placement[]; bpf?: boolean },
): KubeObject[] {
  const image = `docker.io/calico/node:${o.version}`;
  const env: IEnvVar[] = [
    { name: 'DATASTORE_TYPE', value: 'kubernetes' },
    { name: 'WAIT_FOR_DATASTORE', value: 'true' },
    fieldEnv('NODENAME', 'spec.nodeName'),
    { name: 'CALICO_NETWORKING_BACKEND', valueFrom: { configMapKeyRef: { key: 'calico_backend', name: 'calico-config' } } },
    { name: 'CLUSTER_TYPE', value: 'k8s,bgp' },
    { name: 'IP', value: 'autodetect' },
    { name: 'CALICO_IPV4POOL_IPIP', value: 'Always' },
    { name: 'CALICO_IPV4POOL_VXLAN', value: 'Never' },
    { name: 'CALICO_IPV6POOL_VXLAN', value: 'Never' },
    { name: 'FELIX_IPINIPMTU', valueFrom: { configMapKeyRef: { key: 'veth_mtu', name: 'calico-config' } } },
    { name: 'FELIX_VXLANMTU', valueFrom: { configMapKeyRef: { key: 'veth_mtu', name: 'calico-config' } } },
    { name: 'FELIX_WIREGUARDMTU', valueFrom: { configMapKeyRef: { key: 'veth_mtu', name: 'calico-config' } } },
    { name: 'CALICO_DISABLE_FILE_LOGGING', value: 'true' },
    { name: 'FELIX_DEFAULTENDPOINTTOHOSTACTION', value: 'ACCEPT' },
    { name: 'FELIX_IPV6SUPPORT', value: 'false' },
    { name: 'FELIX_HEALTHENABLED', value: 'true' },
  ];
  if (o.bpf) env.push({ name: 'FELIX_BPFENABLED', value: 'true' });
  const ds = new DaemonSetBuilder(ctx, {
    ns: 'kube-system',
    name: 'calico-node',
    labels: { 'k8s-app': 'calico-node' },
    selector: { 'k8s-app': 'calico-node' },
    podLabels: { 'k8s-app': 'calico-node' },
    created: o.created,
    podSpec: {
      containers: [
        {
          name: 'calico-node',
          image,
          env,
          envFrom: [{ configMapRef: { name: 'kubernetes-services-endpoint', optional: true } }],
          livenessProbe: {
            exec: { command: ['/bin/calico-node', '-felix-live', '-bird-live'] },
            failureThreshold: 6,
            initialDelaySeconds: 10,
            periodSeconds: 10,
            successThreshold: 1,
            timeoutSeconds: 10,
          },
          readinessProbe: {
            exec: { command: ['/bin/calico-node', '-felix-ready', '-bird-ready'] },
            failureThreshold: 3,
            periodSeconds: 10,
            successThreshold: 1,
            timeoutSeconds: 10,
          },
          resources: { requests: { cpu: '250m' } },
          securityContext: { privileged: true },
          volumeMounts: [
            { mountPath: '/host/etc/cni/net.d', name: 'cni-net-dir' },
            { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
            { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
            { mountPath: '/var/run/calico', name: 'var-run-calico' },
            { mountPath: '/var/lib/calico', name: 'var-lib-calico' },
            { mountPath: '/sys/fs/bpf', name: 'bpffs' },
          ],
        },
      ],
      hostNetwork: true,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      priorityClassName: 'system-node-critical',
      serviceAccount: 'calico-node',
      serviceAccountName: 'calico-node',
      terminationGracePeriodSeconds: 0,
      tolerations: [
        { effect: 'NoSchedule', operator: 'Exists' },
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
        { effect: 'NoExecute', operator: 'Exists' },
      ],
      volumes: [
        hostPathVol('lib-modules', '/lib/modules', ''),
        hostPathVol('var-run-calico', '/var/run/calico', 'DirectoryOrCreate'),
        hostPathVol('var-lib-calico', '/var/lib/calico', 'DirectoryOrCreate'),
        hostPathVol('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
        hostPathVol('bpffs', '/sys/fs/bpf', 'Directory'),
        hostPathVol('cni-net-dir', '/etc/cni/net.d', ''),
      ],
    },
  });
  o.placements.forEach((p, i) => ds.addPod(place(p, at(o.created, 3 + i), o.now)));
  const cm = configMap(
    ctx,
    'kube-system',
    'calico-config',
    {
      calico_backend: 'bird',
      cni_network_config:
        '{\n  "name": "k8s-pod-network",\n  "cniVersion": "0.3.1",\n  "plugins": [\n    {\n      "type": "calico",\n      "datastore_type": "kubernetes",\n      "nodename": "__KUBERNETES_NODE_NAME__",\n      "mtu": __CNI_MTU__,\n      "ipam": { "type": "calico-ipam" },\n      "policy": { "type": "k8s" },\n      "kubernetes": { "kubeconfig": "__KUBECONFIG_FILEPATH__" }\n    },\n    { "type": "portmap", "snat": true, "capabilities": {"portMappings": true} },\n    { "type": "bandwidth", "capabilities": {"bandwidth": true} }\n  ]\n}',
      typha_service_name: 'none',
      veth_mtu: '0',
    },
    o.created,
  );
  return [cm, ...ds.finish(o.placements.length)];
}

export function calicoOperator(
  ctx: Ctx,
  o: {
    version: string;
    operatorVersion: string;
    dataplane: 'BPF' | 'Iptables' | 'Nftables';
    created: string;
    now: string;
    placements: Placement[];
    apiserverHost: string;
    bpfFelix?: boolean;
  },
): KubeObject[] {
  const image = `quay.io/calico/node:${o.version}`;
  const installation: CalicoInstallation = {
    apiVersion: 'operator.tigera.io/v1',
    kind: 'Installation',
    metadata: {
      name: 'default',
      uid: ctx.uid('installation/default'),
      generation: o.dataplane === 'BPF' ? 2 : 1,
      creationTimestamp: o.created,
      finalizers: ['operator.tigera.io/installation-controller', 'tigera.io/operator-cleanup'],
    },
    spec: {
      calicoNetwork: {
        bgp: 'Disabled',
        hostPorts: 'Enabled',
        ipPools: [
          {
            allowedUses: ['Workload', 'Tunnel'],
            blockSize: 26,
            cidr: '198.18.128.0/17',
            disableBGPExport: false,
            encapsulation: 'VXLAN',
            name: 'default-ipv4-ippool',
            natOutgoing: 'Enabled',
            nodeSelector: 'all()',
          },
        ],
        linuxDataplane: o.dataplane,
        linuxPolicySetupTimeoutSeconds: 0,
        multiInterfaceMode: 'None',
        nodeAddressAutodetectionV4: { firstFound: true },
        windowsDataplane: 'Disabled',
      },
      cni: { ipam: { type: 'Calico' }, type: 'Calico' },
      controlPlaneReplicas: 2,
      flexVolumePath: '/usr/libexec/kubernetes/kubelet-plugins/volume/exec/',
      kubeletVolumePluginPath: '/var/lib/kubelet',
      kubernetesProvider: '',
      logging: { cni: { logFileMaxAgeDays: 30, logFileMaxCount: 10, logFileMaxSize: '100Mi', logSeverity: 'Info' } },
      nodeUpdateStrategy: { rollingUpdate: { maxUnavailable: 1 }, type: 'RollingUpdate' },
      nonPrivileged: 'Disabled',
      variant: 'Calico',
    },
    status: {
      calicoVersion: o.version,
      conditions: [
        {
          lastTransitionTime: at(o.created, 6),
          message: 'All Objects Available',
          observedGeneration: o.dataplane === 'BPF' ? 2 : 1,
          reason: 'AllObjectsAvailable',
          status: 'False',
          type: 'Degraded',
        },
        {
          lastTransitionTime: at(o.created, 6),
          message: 'All objects available',
          observedGeneration: o.dataplane === 'BPF' ? 2 : 1,
          reason: 'AllObjectsAvailable',
          status: 'True',
          type: 'Ready',
        },
        {
          lastTransitionTime: at(o.created, 6),
          message: 'All Objects Available',
          observedGeneration: o.dataplane === 'BPF' ? 2 : 1,
          reason: 'AllObjectsAvailable',
          status: 'False',
          type: 'Progressing',
        },
      ],
      mtu: 1450,
      variant: 'Calico',
    },
  };
  const felixSpec: FelixConfiguration['spec'] = {
    bpfConnectTimeLoadBalancing: 'TCP',
    bpfHostNetworkedNATWithoutCTLB: 'Enabled',
    bpfLogLevel: '',
    floatingIPs: 'Disabled',
    healthPort: 9099,
    logSeverityScreen: 'Info',
    reportingInterval: '0s',
    vxlanVNI: 4096,
  };
  if (o.bpfFelix) felixSpec.bpfEnabled = true;
  const felix: FelixConfiguration = {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'FelixConfiguration',
    metadata: {
      name: 'default',
      uid: ctx.uid('felix/default'),
      generation: 1,
      creationTimestamp: at(o.created, 1),
      annotations: { 'operator.tigera.io/bpfEnabled': o.dataplane === 'BPF' ? 'true' : 'false' },
    },
    spec: felixSpec,
  };
  const endpointCM = configMap(
    ctx,
    'tigera-operator',
    'kubernetes-services-endpoint',
    { KUBERNETES_SERVICE_HOST: o.apiserverHost, KUBERNETES_SERVICE_PORT: '6443' },
    o.created,
  );
  const operator = deployment(ctx, {
    ns: 'tigera-operator',
    name: 'tigera-operator',
    labels: { 'k8s-app': 'tigera-operator' },
    selector: { name: 'tigera-operator' },
    podLabels: { 'k8s-app': 'tigera-operator', name: 'tigera-operator' },
    created: o.created,
    replicas: 1,
    podSpec: {
      containers: [
        {
          name: 'tigera-operator',
          image: `quay.io/tigera/operator:${o.operatorVersion}`,
          command: ['operator'],
          args: ['-manage-crds=true'],
          env: [
            { name: 'WATCH_NAMESPACE', value: '' },
            fieldEnv('POD_NAME', 'metadata.name'),
            { name: 'OPERATOR_NAME', value: 'tigera-operator' },
            { name: 'TIGERA_OPERATOR_INIT_IMAGE_VERSION', value: o.operatorVersion },
          ],
          envFrom: [{ configMapRef: { name: 'kubernetes-services-endpoint', optional: true } }],
        },
      ],
      hostNetwork: true,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      serviceAccountName: 'tigera-operator',
      tolerations: [
        { effect: 'NoExecute', operator: 'Exists' },
        { effect: 'NoSchedule', operator: 'Exists' },
      ],
    },
  });
  const ds = new DaemonSetBuilder(ctx, {
    ns: 'calico-system',
    name: 'calico-node',
    labels: {},
    selector: { 'k8s-app': 'calico-node' },
    podLabels: { 'app.kubernetes.io/name': 'calico-node', 'k8s-app': 'calico-node' },
    podAnnotations: {
      'hash.operator.tigera.io/cni-config': ctx.hex('cni-config', 40),
      'hash.operator.tigera.io/system': ctx.hex('system', 40),
      'tigera-operator.hash.operator.tigera.io/tigera-ca-private': ctx.hex('ca', 40),
    },
    created: at(o.created, 2),
    generation: o.dataplane === 'BPF' ? 2 : 1,
    podSpec: {
      containers: [
        {
          name: 'calico-node',
          image,
          env: [
            { name: 'DATASTORE_TYPE', value: 'kubernetes' },
            { name: 'WAIT_FOR_DATASTORE', value: 'true' },
            { name: 'CLUSTER_TYPE', value: 'k8s,operator' },
            { name: 'CALICO_DISABLE_FILE_LOGGING', value: 'false' },
            { name: 'FELIX_DEFAULTENDPOINTTOHOSTACTION', value: 'ACCEPT' },
            { name: 'FELIX_HEALTHENABLED', value: 'true' },
            { name: 'FELIX_HEALTHPORT', value: '9099' },
            fieldEnv('NODENAME', 'spec.nodeName'),
            fieldEnv('NAMESPACE', 'metadata.namespace'),
            { name: 'FELIX_TYPHAK8SNAMESPACE', value: 'calico-system' },
            { name: 'FELIX_TYPHAK8SSERVICENAME', value: 'calico-typha' },
            { name: 'FELIX_TYPHACAFILE', value: '/etc/pki/tls/certs/tigera-ca-bundle.crt' },
            { name: 'FELIX_TYPHACERTFILE', value: '/node-certs/tls.crt' },
            { name: 'FELIX_TYPHAKEYFILE', value: '/node-certs/tls.key' },
            { name: 'NO_DEFAULT_POOLS', value: 'true' },
            { name: 'IP', value: 'autodetect' },
            { name: 'IP_AUTODETECTION_METHOD', value: 'first-found' },
            { name: 'IP6', value: 'none' },
            { name: 'FELIX_IPV6SUPPORT', value: 'false' },
            { name: 'KUBERNETES_SERVICE_HOST', value: o.apiserverHost },
            { name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
          ],
          lifecycle: { preStop: { exec: { command: ['/bin/calico-node', '-shutdown'] } } },
          livenessProbe: {
            failureThreshold: 3,
            httpGet: { host: 'localhost', path: '/liveness', port: 9099, scheme: 'HTTP' },
            periodSeconds: 60,
            successThreshold: 1,
            timeoutSeconds: 10,
          },
          readinessProbe: {
            exec: { command: ['/bin/calico-node', '-felix-ready'] },
            failureThreshold: 3,
            periodSeconds: 30,
            successThreshold: 1,
            timeoutSeconds: 10,
          },
          securityContext: {
            allowPrivilegeEscalation: true,
            capabilities: { drop: ['ALL'] },
            privileged: true,
            runAsGroup: 0,
            runAsNonRoot: false,
            runAsUser: 0,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          volumeMounts: [
            { mountPath: '/etc/pki/tls/certs', name: 'tigera-ca-bundle', readOnly: true },
            { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
            { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
            { mountPath: '/var/run/calico', name: 'var-run-calico' },
            { mountPath: '/var/lib/calico', name: 'var-lib-calico' },
            { mountPath: '/sys/fs/bpf', name: 'bpffs' },
            { mountPath: '/node-certs', name: 'node-certs', readOnly: true },
          ],
        },
      ],
      hostNetwork: true,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      priorityClassName: 'system-node-critical',
      serviceAccount: 'calico-node',
      serviceAccountName: 'calico-node',
      terminationGracePeriodSeconds: 5,
      tolerations: [
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
        { effect: 'NoSchedule', operator: 'Exists' },
        { effect: 'NoExecute', operator: 'Exists' },
      ],
      volumes: [
        hostPathVol('lib-modules', '/lib/modules', ''),
        hostPathVol('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
        hostPathVol('var-run-calico', '/var/run/calico', 'DirectoryOrCreate'),
        hostPathVol('var-lib-calico', '/var/lib/calico', 'DirectoryOrCreate'),
        hostPathVol('bpffs', '/sys/fs/bpf', 'Directory'),
        { name: 'tigera-ca-bundle', configMap: { name: 'tigera-ca-bundle', defaultMode: 420 } },
        { name: 'node-certs', secret: { secretName: 'node-certs', defaultMode: 420 } },
      ],
    },
  });
  o.placements.forEach((p, i) => ds.addPod(place(p, at(o.created, 4 + i), o.now)));
  return [installation, felix, endpointCM, ...operator, ...ds.finish(o.placements.length)];
}

// ---------------------------------------------------------------- Flannel

export function flannel(
  ctx: Ctx,
  o: { version: string; cniPluginVersion: string; created: string; now: string; placements: Placement[]; podCIDR: string },
): KubeObject[] {
  const cm = configMap(
    ctx,
    'kube-flannel',
    'kube-flannel-cfg',
    {
      'cni-conf.json':
        '{\n  "name": "cbr0",\n  "cniVersion": "0.3.1",\n  "plugins": [\n    {\n      "type": "flannel",\n      "delegate": {\n        "hairpinMode": true,\n        "isDefaultGateway": true\n      }\n    },\n    {\n      "type": "portmap",\n      "capabilities": {\n        "portMappings": true\n      }\n    }\n  ]\n}\n',
      'net-conf.json': `{\n  "Network": "${o.podCIDR}",\n  "EnableNFTables": false,\n  "Backend": {\n    "Type": "vxlan"\n  }\n}\n`,
    },
    o.created,
    { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' },
  );
  const ds = new DaemonSetBuilder(ctx, {
    ns: 'kube-flannel',
    name: 'kube-flannel-ds',
    labels: { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' },
    selector: { app: 'flannel', 'k8s-app': 'flannel' },
    podLabels: { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' },
    created: o.created,
    podSpec: {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] }],
          },
        },
      },
      containers: [
        {
          name: 'kube-flannel',
          image: `ghcr.io/flannel-io/flannel:${o.version}`,
          command: ['/opt/bin/flanneld'],
          args: ['--ip-masq', '--kube-subnet-mgr'],
          env: [
            fieldEnv('POD_NAME', 'metadata.name'),
            fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
            { name: 'EVENT_QUEUE_DEPTH', value: '5000' },
            { name: 'CONT_WHEN_CACHE_NOT_READY', value: 'false' },
          ],
          resources: { requests: { cpu: '100m', memory: '50Mi' } },
          securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] }, privileged: false },
          volumeMounts: [
            { mountPath: '/run/flannel', name: 'run' },
            { mountPath: '/etc/kube-flannel/', name: 'flannel-cfg' },
            { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
          ],
        },
      ],
      initContainers: [
        {
          name: 'install-cni-plugin',
          image: `ghcr.io/flannel-io/flannel-cni-plugin:${o.cniPluginVersion}`,
          command: ['cp'],
          args: ['-f', '/flannel', '/opt/cni/bin/flannel'],
          volumeMounts: [{ mountPath: '/opt/cni/bin', name: 'cni-plugin' }],
        },
        {
          name: 'install-cni',
          image: `ghcr.io/flannel-io/flannel:${o.version}`,
          command: ['cp'],
          args: ['-f', '/etc/kube-flannel/cni-conf.json', '/etc/cni/net.d/10-flannel.conflist'],
          volumeMounts: [
            { mountPath: '/etc/cni/net.d', name: 'cni' },
            { mountPath: '/etc/kube-flannel/', name: 'flannel-cfg' },
          ],
        },
      ],
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      serviceAccount: 'flannel',
      serviceAccountName: 'flannel',
      tolerations: [{ effect: 'NoSchedule', operator: 'Exists' }],
      volumes: [
        hostPathVol('run', '/run/flannel', ''),
        hostPathVol('cni-plugin', '/opt/cni/bin', ''),
        hostPathVol('cni', '/etc/cni/net.d', ''),
        { name: 'flannel-cfg', configMap: { name: 'kube-flannel-cfg', defaultMode: 420 } },
        hostPathVol('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
      ],
    },
  });
  o.placements.forEach((p, i) => ds.addPod(place(p, at(o.created, 2 + i), o.now)));
  return [cm, ...ds.finish(o.placements.length)];
}

// ---------------------------------------------------------------- Antrea

export function antreaAgentConf(apiserver: string, proxyAll: boolean): string {
  return `# FeatureGates is a map of feature names to bools that enable or disable experimental features.
featureGates:
  # Enable NodePortLocal feature to make the Pods reachable externally through NodePort
  NodePortLocal: true
  # Enable traceflow which provides packet tracing feature to diagnose network issue.
  Traceflow: true
  # Enable Antrea ClusterNetworkPolicy feature to complement K8s NetworkPolicy for cluster admins.
  AntreaPolicy: true
  # Enable flowexporter which exports polled conntrack connections as IPFIX flow records from each agent.
  FlowExporter: false
  # Enable collecting and exposing NetworkPolicy statistics.
  NetworkPolicyStats: true
  Multicast: false
  Egress: true
  AntreaIPAM: false
  ServiceExternalIP: false
  TopologyAwareHints: true
  L7NetworkPolicy: false

# Name of the OpenVSwitch bridge antrea-agent will create and use.
ovsBridge: "br-int"

# Datapath type to use for the OpenVSwitch bridge created by Antrea.
ovsDatapathType: "system"

# Name of the interface antrea-agent will create and use for host <--> pod communication.
hostGateway: "antrea-gw0"

# Determines how traffic is encapsulated. It has the following options:
# encap(default), noEncap, hybrid, networkPolicyOnly
trafficEncapMode: "encap"

# Tunnel protocols used for encapsulating traffic across Nodes.
tunnelType: "geneve"

# The port for the Antrea Agent APIServer to serve on.
apiPort: 10350

# Enable metrics exposure via Prometheus.
enablePrometheusMetrics: true

# The address of Kubernetes apiserver, to override any value provided in kubeconfig or InClusterConfig.
# Defaults to "". It must be a host string, a host:port pair, or a URL to the base of the apiserver.
kubeAPIServerOverride: "${apiserver}"

antreaProxy:
  # To disable AntreaProxy, set this to false.
  enable: true
  # ProxyAll tells antrea-agent to proxy all Service traffic, including NodePort, LoadBalancer, and ClusterIP traffic,
  # regardless of where they come from. Therefore, running kube-proxy is no longer required.
  proxyAll: ${proxyAll ? 'true' : 'false'}
  # A string array of values which specifies the host IPv4/IPv6 addresses for NodePort.
  nodePortAddresses: []
  # An array of string values to specify a list of Services which should be ignored by AntreaProxy.
  skipServices: []
  # When ProxyLoadBalancerIPs is set to false, AntreaProxy no longer load-balances traffic destined to the
  # External IPs of LoadBalancer Services.
  proxyLoadBalancerIPs: true
  # The value of the "service.kubernetes.io/service-proxy-name" label for AntreaProxy to match.
  serviceProxyName: ""
`;
}

export function antrea(
  ctx: Ctx,
  o: { version: string; created: string; now: string; placements: Placement[]; apiserver: string; controllerNode: INode },
): KubeObject[] {
  const image = `antrea/antrea-agent-ubuntu:${o.version}`;
  const labels = { app: 'antrea' };
  const cm = configMap(
    ctx,
    'kube-system',
    'antrea-config',
    {
      'antrea-agent.conf': antreaAgentConf(o.apiserver, true),
      'antrea-cni.conflist':
        '{\n    "cniVersion":"0.3.0",\n    "name": "antrea",\n    "plugins": [\n        {\n            "type": "antrea",\n            "ipam": {\n                "type": "host-local"\n            }\n        }\n        ,\n        {\n            "type": "portmap",\n            "capabilities": {"portMappings": true}\n        }\n        ,\n        {\n            "type": "bandwidth",\n            "capabilities": {"bandwidth": true}\n        }\n    ]\n}\n',
      'antrea-controller.conf':
        '# FeatureGates is a map of feature names to bools that enable or disable experimental features.\nfeatureGates:\n  Traceflow: true\n  AntreaPolicy: true\n  Egress: true\n  NetworkPolicyStats: true\n\n# The port for the antrea-controller APIServer to serve on.\napiPort: 10349\n\n# Enable metrics exposure via Prometheus.\nenablePrometheusMetrics: true\n',
    },
    o.created,
    labels,
  );
  const ds = new DaemonSetBuilder(ctx, {
    ns: 'kube-system',
    name: 'antrea-agent',
    labels: { app: 'antrea', component: 'antrea-agent' },
    selector: { app: 'antrea', component: 'antrea-agent' },
    podLabels: { app: 'antrea', component: 'antrea-agent' },
    podAnnotations: { 'checksum/config': ctx.hex('antrea-config'), 'kubectl.kubernetes.io/default-container': 'antrea-agent' },
    created: o.created,
    podSpec: {
      containers: [
        {
          name: 'antrea-agent',
          image,
          command: ['antrea-agent'],
          args: [
            '--config=/etc/antrea/antrea-agent.conf',
            '--logtostderr=false',
            '--log_dir=/var/log/antrea',
            '--alsologtostderr',
            '--log_file_max_size=100',
            '--log_file_max_num=4',
          ],
          env: [
            fieldEnv('POD_NAME', 'metadata.name'),
            fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
            fieldEnv('NODE_NAME', 'spec.nodeName'),
            { name: 'ANTREA_CONFIG_MAP_NAME', value: 'antrea-config' },
          ],
          livenessProbe: {
            failureThreshold: 5,
            httpGet: { host: 'localhost', path: '/livez', port: 'api', scheme: 'HTTPS' },
            initialDelaySeconds: 10,
            periodSeconds: 10,
            successThreshold: 1,
            timeoutSeconds: 5,
          },
          readinessProbe: {
            failureThreshold: 8,
            httpGet: { host: 'localhost', path: '/readyz', port: 'api', scheme: 'HTTPS' },
            initialDelaySeconds: 5,
            periodSeconds: 10,
            successThreshold: 1,
            timeoutSeconds: 5,
          },
          ports: [{ containerPort: 10350, hostPort: 10350, name: 'api', protocol: 'TCP' }],
          resources: { requests: { cpu: '200m' } },
          securityContext: { privileged: true },
          volumeMounts: [
            { mountPath: '/etc/antrea/antrea-agent.conf', name: 'antrea-config', readOnly: true, subPath: 'antrea-agent.conf' },
            { mountPath: '/var/run/antrea', name: 'host-var-run-antrea' },
            { mountPath: '/var/run/openvswitch', name: 'host-var-run-antrea', subPath: 'openvswitch' },
            { mountPath: '/var/lib/cni', name: 'host-var-run-antrea', subPath: 'cni' },
            { mountPath: '/var/log/antrea', name: 'host-var-log-antrea' },
            { mountPath: '/host/proc', name: 'host-proc', readOnly: true },
            { mountPath: '/host/var/run/netns', mountPropagation: 'HostToContainer', name: 'host-var-run-netns', readOnly: true },
            { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
          ],
        },
        {
          name: 'antrea-ovs',
          image,
          command: ['start_ovs'],
          args: ['--log_file_max_size=100', '--log_file_max_num=4'],
          livenessProbe: {
            exec: { command: ['/bin/sh', '-c', 'timeout 10 container_liveness_probe ovs'] },
            failureThreshold: 5,
            initialDelaySeconds: 5,
            periodSeconds: 10,
            successThreshold: 1,
            timeoutSeconds: 10,
          },
          resources: { requests: { cpu: '200m' } },
          securityContext: { capabilities: { add: ['SYS_NICE', 'NET_ADMIN', 'SYS_ADMIN', 'IPC_LOCK'] } },
          volumeMounts: [
            { mountPath: '/var/run/openvswitch', name: 'host-var-run-antrea', subPath: 'openvswitch' },
            { mountPath: '/var/log/openvswitch', name: 'host-var-log-antrea', subPath: 'openvswitch' },
          ],
        },
      ],
      initContainers: [
        {
          name: 'install-cni',
          image,
          command: ['install_cni'],
          resources: { requests: { cpu: '100m' } },
          securityContext: { capabilities: { add: ['SYS_MODULE'] } },
          volumeMounts: [
            { mountPath: '/etc/antrea/antrea-cni.conflist', name: 'antrea-config', readOnly: true, subPath: 'antrea-cni.conflist' },
            { mountPath: '/host/etc/cni/net.d', name: 'host-cni-conf' },
            { mountPath: '/host/opt/cni/bin', name: 'host-cni-bin' },
            { mountPath: '/lib/modules', name: 'host-lib-modules', readOnly: true },
            { mountPath: '/var/run/antrea', name: 'host-var-run-antrea' },
          ],
        },
      ],
      hostNetwork: true,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      priorityClassName: 'system-node-critical',
      serviceAccount: 'antrea-agent',
      serviceAccountName: 'antrea-agent',
      tolerations: [
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
        { effect: 'NoSchedule', operator: 'Exists' },
        { effect: 'NoExecute', operator: 'Exists' },
      ],
      volumes: [
        { name: 'antrea-config', configMap: { name: 'antrea-config', defaultMode: 420 } },
        hostPathVol('host-cni-conf', '/etc/cni/net.d', ''),
        hostPathVol('host-cni-bin', '/opt/cni/bin', ''),
        hostPathVol('host-proc', '/proc', ''),
        hostPathVol('host-var-run-netns', '/var/run/netns', ''),
        hostPathVol('host-var-run-antrea', '/var/run/antrea', 'DirectoryOrCreate'),
        hostPathVol('host-var-log-antrea', '/var/log/antrea', 'DirectoryOrCreate'),
        hostPathVol('host-lib-modules', '/lib/modules', ''),
        hostPathVol('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
      ],
    },
  });
  o.placements.forEach((p, i) => ds.addPod(place(p, at(o.created, 3 + i), o.now)));
  const controller = deployment(ctx, {
    ns: 'kube-system',
    name: 'antrea-controller',
    labels: { app: 'antrea', component: 'antrea-controller' },
    selector: { app: 'antrea', component: 'antrea-controller' },
    podLabels: { app: 'antrea', component: 'antrea-controller' },
    created: o.created,
    replicas: 1,
    podSpec: {
      containers: [
        {
          name: 'antrea-controller',
          image: `antrea/antrea-controller-ubuntu:${o.version}`,
          command: ['antrea-controller'],
          args: [
            '--config',
            '/etc/antrea/antrea-controller.conf',
            '--logtostderr=false',
            '--log_dir=/var/log/antrea',
            '--alsologtostderr',
            '--log_file_max_size=100',
            '--log_file_max_num=4',
          ],
          env: [
            fieldEnv('POD_NAME', 'metadata.name'),
            fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
            fieldEnv('NODE_NAME', 'spec.nodeName'),
            { name: 'SERVICEACCOUNT_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.serviceAccountName' } } },
            { name: 'ANTREA_CONFIG_MAP_NAME', value: 'antrea-config' },
            { name: 'KUBERNETES_SERVICE_HOST', value: o.apiserver.replace(/^https:\/\//, '').split(':')[0]! },
            { name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
          ],
          ports: [{ containerPort: 10349, name: 'api', protocol: 'TCP' }],
        },
      ],
      hostNetwork: true,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      priorityClassName: 'system-cluster-critical',
      serviceAccountName: 'antrea-controller',
      tolerations: [
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
        { effect: 'NoSchedule', key: 'node-role.kubernetes.io/master' },
        { effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' },
      ],
    },
    pods: [{ node: o.controllerNode, started: at(o.created, 3), now: o.now }],
  });
  return [cm, ...ds.finish(o.placements.length), ...controller];
}

// ---------------------------------------------------------------- kube-router

export function kubeRouter(
  ctx: Ctx,
  o: { version: string; created: string; now: string; placements: Placement[]; apiserver: string },
): KubeObject[] {
  const cm = configMap(
    ctx,
    'kube-system',
    'kube-router-cfg',
    {
      'cni-conf.json':
        '{\n   "cniVersion":"0.3.0",\n   "name":"mynet",\n   "plugins":[\n      {\n         "name":"kubernetes",\n         "type":"bridge",\n         "bridge":"kube-bridge",\n         "isDefaultGateway":true,\n         "hairpinMode":true,\n         "ipam":{\n            "type":"host-local"\n         }\n      },\n      {\n         "type":"portmap",\n         "capabilities":{\n            "snat":true,\n            "portMappings":true\n         }\n      }\n   ]\n}\n',
    },
    o.created,
    { k8s_app: 'kube-router', tier: 'node' },
  );
  const kubeconfig = configMap(
    ctx,
    'kube-system',
    'kube-router-kubeconfig',
    {
      'kubeconfig.conf': `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n    server: ${o.apiserver}\n  name: default\ncontexts:\n- context:\n    cluster: default\n    namespace: default\n    user: default\n  name: default\ncurrent-context: default\nusers:\n- name: default\n  user:\n    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token\n`,
    },
    o.created,
  );
  const image = `docker.io/cloudnativelabs/kube-router:${o.version}`;
  const ds = new DaemonSetBuilder(ctx, {
    ns: 'kube-system',
    name: 'kube-router',
    labels: { 'k8s-app': 'kube-router', tier: 'node' },
    selector: { 'k8s-app': 'kube-router', tier: 'node' },
    podLabels: { 'k8s-app': 'kube-router', tier: 'node' },
    created: o.created,
    podSpec: {
      containers: [
        {
          name: 'kube-router',
          image,
          args: [
            '--run-router=true',
            '--run-firewall=true',
            '--run-service-proxy=true',
            '--bgp-graceful-restart=true',
            '--kubeconfig=/var/lib/kube-router/kubeconfig',
          ],
          env: [
            NODE_NAME_ENV,
            fieldEnv('POD_NAME', 'metadata.name'),
            { name: 'KUBE_ROUTER_CNI_CONF_FILE', value: '/etc/cni/net.d/10-kuberouter.conflist' },
          ],
          livenessProbe: {
            failureThreshold: 3,
            httpGet: { path: '/healthz', port: 20244, scheme: 'HTTP' },
            initialDelaySeconds: 10,
            periodSeconds: 3,
            successThreshold: 1,
            timeoutSeconds: 1,
          },
          resources: { requests: { cpu: '250m', memory: '250Mi' } },
          securityContext: { privileged: true },
          volumeMounts: [
            { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
            { mountPath: '/etc/cni/net.d', name: 'cni-conf-dir' },
            { mountPath: '/var/lib/kube-router', name: 'kubeconfig', readOnly: true },
            { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
          ],
        },
      ],
      initContainers: [
        {
          name: 'install-cni',
          image,
          command: [
            '/bin/sh',
            '-c',
            'set -e -x;\nif [ ! -f /etc/cni/net.d/10-kuberouter.conflist ]; then\n  if [ -f /etc/cni/net.d/*.conf ]; then\n    rm -f /etc/cni/net.d/*.conf;\n  fi;\n  TMP=/etc/cni/net.d/.tmp-kuberouter-cfg;\n  cp /etc/kube-router/cni-conf.json ${TMP};\n  mv ${TMP} /etc/cni/net.d/10-kuberouter.conflist;\nfi\n',
          ],
          volumeMounts: [
            { mountPath: '/etc/cni/net.d', name: 'cni-conf-dir' },
            { mountPath: '/etc/kube-router', name: 'kube-router-cfg' },
          ],
        },
      ],
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      serviceAccount: 'kube-router',
      serviceAccountName: 'kube-router',
      tolerations: [
        { effect: 'NoSchedule', operator: 'Exists' },
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
        { effect: 'NoExecute', operator: 'Exists' },
      ],
      volumes: [
        hostPathVol('lib-modules', '/lib/modules', ''),
        hostPathVol('cni-conf-dir', '/etc/cni/net.d', ''),
        { name: 'kube-router-cfg', configMap: { name: 'kube-router-cfg', defaultMode: 420 } },
        {
          name: 'kubeconfig',
          configMap: { name: 'kube-router-kubeconfig', defaultMode: 420, items: [{ key: 'kubeconfig.conf', path: 'kubeconfig' }] },
        },
        hostPathVol('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
      ],
    },
  });
  o.placements.forEach((p, i) => ds.addPod(place(p, at(o.created, 2 + i), o.now)));
  return [cm, kubeconfig, ...ds.finish(o.placements.length)];
}

// ---------------------------------------------------------------- OVN-Kubernetes (OpenShift 4.18-style)

export function ovnKubernetesOpenShift(ctx: Ctx, o: { created: string; now: string; placements: Placement[] }): KubeObject[] {
  const img = (what: string) => `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${ctx.hex(`ocp/${what}`)}`;
  const ovn = img('ovn-kubernetes');
  const rbac = img('kube-rbac-proxy');
  const c = (name: string, image: string, command: string[], extra: Partial<IContainer> = {}): IContainer => ({
    name,
    image,
    command,
    resources: { requests: { cpu: '10m', memory: '50Mi' } },
    terminationMessagePolicy: 'FallbackToLogsOnError',
    ...extra,
  });
  const ds = new DaemonSetBuilder(ctx, {
    ns: 'openshift-ovn-kubernetes',
    name: 'ovnkube-node',
    labels: { 'networkoperator.openshift.io/generates-operator-status': 'stand-alone' },
    annotations: {
      'kubernetes.io/description': 'This daemonset launches the ovn-kubernetes per node networking components.',
      'networkoperator.openshift.io/cluster-network-cidr': '198.18.128.0/17',
      'networkoperator.openshift.io/hybrid-overlay-status': 'disabled',
      'networkoperator.openshift.io/ip-family-mode': 'single-stack',
      'release.openshift.io/version': '4.18.21',
    },
    selector: { app: 'ovnkube-node' },
    podLabels: {
      app: 'ovnkube-node',
      component: 'network',
      'kubernetes.io/os': 'linux',
      'openshift.io/component': 'network',
      'ovn-db-pod': 'true',
      type: 'infra',
    },
    podAnnotations: {
      'network.operator.openshift.io/ovnkube-script-lib-hash': ctx.hex('ovn-script', 40),
      'networkoperator.openshift.io/ovnkube-config-hash': ctx.hex('ovn-config', 40),
      'target.workload.openshift.io/management': '{"effect": "PreferredDuringScheduling"}',
    },
    created: o.created,
    maxUnavailable: '10%',
    podSpec: {
      containers: [
        c(
          'ovn-controller',
          ovn,
          ['/bin/bash', '-c', 'set -e\n. /ovnkube-lib/ovnkube-lib.sh || exit 1\nstart-ovn-controller ${OVN_LOG_LEVEL}\n'],
          { securityContext: { privileged: true } },
        ),
        c('ovn-acl-logging', ovn, [
          '/bin/bash',
          '-c',
          'set -euo pipefail\n. /ovnkube-lib/ovnkube-lib.sh || exit 1\nstart-audit-log-rotation\n',
        ]),
        c(
          'kube-rbac-proxy-node',
          rbac,
          [
            '/bin/bash',
            '-c',
            '#!/bin/bash\nset -euo pipefail\n. /ovnkube-lib/ovnkube-lib.sh || exit 1\nstart-rbac-proxy-node ovn-node-metrics 9103 29103 /etc/pki/tls/metrics-cert/tls.key /etc/pki/tls/metrics-cert/tls.crt\n',
          ],
          { ports: [{ containerPort: 9103, name: 'https', protocol: 'TCP' }] },
        ),
        c(
          'kube-rbac-proxy-ovn-metrics',
          rbac,
          [
            '/bin/bash',
            '-c',
            '#!/bin/bash\nset -euo pipefail\n. /ovnkube-lib/ovnkube-lib.sh || exit 1\nstart-rbac-proxy-node ovn-metrics 9105 29105 /etc/pki/tls/metrics-cert/tls.key /etc/pki/tls/metrics-cert/tls.crt\n',
          ],
          { ports: [{ containerPort: 9105, name: 'https', protocol: 'TCP' }] },
        ),
        c('northd', ovn, [
          '/bin/bash',
          '-c',
          'set -xem\nif [[ -f /env/_master ]]; then\n  set -o allexport\n  source /env/_master\n  set +o allexport\nfi\n. /ovnkube-lib/ovnkube-lib.sh || exit 1\n\ntrap quit-ovn-northd TERM INT\nstart-ovn-northd "${OVN_LOG_LEVEL}"\n',
        ]),
        c('nbdb', ovn, [
          '/bin/bash',
          '-c',
          'set -xem\nif [[ -f /env/_master ]]; then\n  set -o allexport\n  source /env/_master\n  set +o allexport\nfi\n. /ovnkube-lib/ovnkube-lib.sh || exit 1\n\ntrap quit-nbdb TERM INT\nstart-nbdb ${OVN_LOG_LEVEL}\n',
        ]),
        c('sbdb', ovn, [
          '/bin/bash',
          '-c',
          'set -xem\nif [[ -f /env/_master ]]; then\n  set -o allexport\n  source /env/_master\n  set +o allexport\nfi\n. /ovnkube-lib/ovnkube-lib.sh || exit 1\n\ntrap quit-sbdb TERM INT\nstart-sbdb ${OVN_LOG_LEVEL}\n',
        ]),
        c(
          'ovnkube-controller',
          ovn,
          ['/bin/bash', '-c', 'set -xe\n. /ovnkube-lib/ovnkube-lib.sh || exit 1\nstart-ovnkube-node ${OVN_KUBE_LOG_LEVEL} 29103 29105\n'],
          {
            env: [
              { name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
              { name: 'KUBERNETES_SERVICE_HOST', value: 'api-int.ocp.example.test' },
              { name: 'OVN_CONTROLLER_INACTIVITY_PROBE', value: '180000' },
              { name: 'OVN_KUBE_LOG_LEVEL', value: '4' },
              fieldEnv('K8S_NODE', 'spec.nodeName'),
              fieldEnv('POD_NAME', 'metadata.name'),
            ],
            ports: [{ containerPort: 29105, name: 'metrics-port', protocol: 'TCP' }],
            readinessProbe: {
              exec: { command: ['test', '-f', '/etc/cni/net.d/10-ovn-kubernetes.conf'] },
              failureThreshold: 3,
              initialDelaySeconds: 5,
              periodSeconds: 5,
              successThreshold: 1,
              timeoutSeconds: 1,
            },
            securityContext: { privileged: true },
          },
        ),
      ],
      initContainers: [
        c('kubecfg-setup', ovn, [
          '/bin/bash',
          '-c',
          'cat << EOF > /etc/ovn/kubeconfig\napiVersion: v1\nclusters:\n  - cluster:\n      certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n      server: https://api-int.ocp.example.test:6443\n    name: default-cluster\nEOF\n',
        ]),
      ],
      dnsPolicy: 'Default',
      hostNetwork: true,
      hostPID: true,
      nodeSelector: { 'beta.kubernetes.io/os': 'linux' },
      priorityClassName: 'system-node-critical',
      serviceAccount: 'ovn-kubernetes-node',
      serviceAccountName: 'ovn-kubernetes-node',
      terminationGracePeriodSeconds: 10,
      tolerations: DS_TOLERATE_ALL,
      volumes: [
        hostPathVol('host-slash', '/', ''),
        hostPathVol('host-run-netns', '/run/netns', ''),
        hostPathVol('etc-openvswitch', '/var/lib/openvswitch/etc', ''),
        hostPathVol('run-openvswitch', '/var/run/openvswitch', ''),
        hostPathVol('run-ovn', '/var/run/ovn', ''),
        hostPathVol('host-cni-netd', '/var/run/multus/cni/net.d', ''),
        { name: 'ovnkube-config', configMap: { name: 'ovnkube-config', defaultMode: 420 } },
        { name: 'ovnkube-script-lib', configMap: { name: 'ovnkube-script-lib', defaultMode: 484 } },
      ],
    },
  });
  o.placements.forEach((p, i) => ds.addPod(place(p, at(o.created, 5 + i), o.now)));
  const cfg = configMap(
    ctx,
    'openshift-ovn-kubernetes',
    'ovnkube-config',
    {
      'ovnkube.conf':
        '[default]\nmtu="1400"\ncluster-subnets="198.18.128.0/17/23"\nencap-port="6081"\nenable-lflow-cache=true\nlflow-cache-limit-kb=1048576\nenable-udp-aggregation=true\nudn-allowed-default-services="default/kubernetes,openshift-dns/dns-default"\n\n[kubernetes]\nservice-cidrs="198.19.0.0/16"\novn-config-namespace="openshift-ovn-kubernetes"\napiserver="https://api-int.ocp.example.test:6443"\nhost-network-namespace="openshift-host-network"\nplatform-type="None"\nhealthz-bind-address="0.0.0.0:10256"\ndns-service-namespace="openshift-dns"\ndns-service-name="dns-default"\n\n[ovnkubernetesfeature]\nenable-egress-ip=true\nenable-egress-firewall=true\nenable-egress-qos=true\nenable-egress-service=true\nenable-multi-network=true\nenable-admin-network-policy=true\nenable-multi-external-gateway=true\nenable-network-segmentation=true\n\n[gateway]\nmode=shared\nnodeport=true\n',
    },
    o.created,
  );
  return [cfg, ...ds.finish(o.placements.length)];
}

// ---------------------------------------------------------------- DNS

export interface DnsOpts {
  created: string;
  now: string;
  /** nodes for the 2 replicas; null → Pending (unscheduled) */
  nodes: (INode | null)[];
  image: string;
  flavor: 'coredns' | 'k3s' | 'rke2' | 'gke-kube-dns' | 'openshift' | 'eks';
}

const DNS_PORTS: SvcPort[] = [
  { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
  { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
  { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
];

export function coreDNS(ctx: Ctx, o: DnsOpts): KubeObject[] {
  const ns = o.flavor === 'openshift' ? 'openshift-dns' : 'kube-system';
  let depName = 'coredns';
  let svcName = 'kube-dns';
  let svcLabels: Record<string, string> = {
    'k8s-app': 'kube-dns',
    'kubernetes.io/cluster-service': 'true',
    'kubernetes.io/name': 'CoreDNS',
  };
  let podLabels: Record<string, string> = { 'k8s-app': 'kube-dns' };
  let selector: Record<string, string> = { 'k8s-app': 'kube-dns' };
  let svcAnnotations: Record<string, string> | undefined = { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' };
  let ports: SvcPort[] = DNS_PORTS;
  let containers: IContainer[] = [
    {
      name: 'coredns',
      image: o.image,
      args: ['-conf', '/etc/coredns/Corefile'],
      livenessProbe: {
        failureThreshold: 5,
        httpGet: { path: '/health', port: 8080, scheme: 'HTTP' },
        initialDelaySeconds: 60,
        periodSeconds: 10,
        successThreshold: 1,
        timeoutSeconds: 5,
      },
      readinessProbe: {
        failureThreshold: 3,
        httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' },
        periodSeconds: 10,
        successThreshold: 1,
        timeoutSeconds: 1,
      },
      ports: [
        { containerPort: 53, name: 'dns', protocol: 'UDP' },
        { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
        { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
      ],
      resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
      securityContext: {
        allowPrivilegeEscalation: false,
        capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
        readOnlyRootFilesystem: true,
      },
      volumeMounts: [{ mountPath: '/etc/coredns', name: 'config-volume', readOnly: true }],
    },
  ];
  let corefile =
    '.:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30 {\n       disable success cluster.local\n       disable denial cluster.local\n    }\n    loop\n    reload\n    loadbalance\n}\n';
  let cmName = 'coredns';
  if (o.flavor === 'rke2') {
    depName = 'rke2-coredns-rke2-coredns';
    svcName = 'rke2-coredns-rke2-coredns';
    cmName = 'rke2-coredns-rke2-coredns';
    svcLabels = {
      'app.kubernetes.io/instance': 'rke2-coredns',
      'app.kubernetes.io/managed-by': 'Helm',
      'app.kubernetes.io/name': 'rke2-coredns',
      'helm.sh/chart': 'rke2-coredns-1.43.300',
      'k8s-app': 'kube-dns',
      'kubernetes.io/cluster-service': 'true',
      'kubernetes.io/name': 'CoreDNS',
    };
    podLabels = { 'app.kubernetes.io/instance': 'rke2-coredns', 'app.kubernetes.io/name': 'rke2-coredns', 'k8s-app': 'kube-dns' };
    selector = podLabels;
    ports = [
      { name: 'udp-53', port: 53, protocol: 'UDP', targetPort: 53 },
      { name: 'tcp-53', port: 53, protocol: 'TCP', targetPort: 53 },
    ];
    containers[0]!.ports = [
      { containerPort: 53, name: 'udp-53', protocol: 'UDP' },
      { containerPort: 53, name: 'tcp-53', protocol: 'TCP' },
      { containerPort: 9153, name: 'tcp-9153', protocol: 'TCP' },
    ];
  } else if (o.flavor === 'gke-kube-dns') {
    depName = 'kube-dns';
    cmName = 'kube-dns';
    svcLabels = {
      'addonmanager.kubernetes.io/mode': 'Reconcile',
      'k8s-app': 'kube-dns',
      'kubernetes.io/cluster-service': 'true',
      'kubernetes.io/name': 'KubeDNS',
    };
    svcAnnotations = undefined;
    ports = [
      { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
      { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
    ];
    const tag = o.image.split(':').pop()!;
    containers = [
      {
        name: 'kubedns',
        image: o.image,
        args: ['--domain=cluster.local.', '--dns-port=10053', '--config-dir=/kube-dns-config', '--v=2'],
        ports: [
          { containerPort: 10053, name: 'dns-local', protocol: 'UDP' },
          { containerPort: 10053, name: 'dns-tcp-local', protocol: 'TCP' },
          { containerPort: 10055, name: 'metrics', protocol: 'TCP' },
        ],
        readinessProbe: {
          failureThreshold: 3,
          httpGet: { path: '/readiness', port: 8081, scheme: 'HTTP' },
          initialDelaySeconds: 3,
          periodSeconds: 10,
          successThreshold: 1,
          timeoutSeconds: 5,
        },
        resources: { limits: { memory: '210Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
      },
      {
        name: 'dnsmasq',
        image: `gke.gcr.io/k8s-dns-dnsmasq-nanny:${tag}`,
        args: [
          '-v=2',
          '-logtostderr',
          '-configDir=/etc/k8s/dns/dnsmasq-nanny',
          '-restartDnsmasq=true',
          '--',
          '-k',
          '--cache-size=1000',
          '--no-negcache',
          '--dns-forward-max=1500',
          '--log-facility=-',
          '--server=/cluster.local/127.0.0.1#10053',
          '--server=/in-addr.arpa/127.0.0.1#10053',
          '--server=/ip6.arpa/127.0.0.1#10053',
          '--max-ttl=30',
          '--max-cache-ttl=30',
        ],
        ports: [
          { containerPort: 53, name: 'dns', protocol: 'UDP' },
          { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
        ],
        resources: { requests: { cpu: '150m', memory: '20Mi' } },
      },
      {
        name: 'sidecar',
        image: `gke.gcr.io/k8s-dns-sidecar:${tag}`,
        args: [
          '--v=2',
          '--logtostderr',
          '--probe=kubedns,127.0.0.1:10053,kubernetes.default.svc.cluster.local,5,SRV',
          '--probe=dnsmasq,127.0.0.1:53,kubernetes.default.svc.cluster.local,5,SRV',
        ],
        ports: [{ containerPort: 10054, name: 'metrics', protocol: 'TCP' }],
        resources: { requests: { cpu: '10m', memory: '20Mi' } },
      },
    ];
  } else if (o.flavor === 'openshift') {
    depName = 'dns-default';
    svcName = 'dns-default';
    cmName = 'dns-default';
    svcLabels = { 'dns.operator.openshift.io/owning-dns': 'default' };
    svcAnnotations = {
      'service.beta.openshift.io/serving-cert-secret-name': 'dns-default-metrics-tls',
      'service.beta.openshift.io/serving-cert-signed-by': 'openshift-service-serving-signer@1700000000',
    };
    podLabels = { 'dns.operator.openshift.io/daemonset-dns': 'default' };
    selector = podLabels;
    ports = [
      { name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 'dns-tcp' },
      { name: 'metrics', port: 9154, protocol: 'TCP', targetPort: 'metrics' },
    ];
    containers = [
      {
        name: 'dns',
        image: o.image,
        command: ['coredns'],
        args: ['-conf', '/etc/coredns/Corefile'],
        ports: [
          { containerPort: 5353, name: 'dns', protocol: 'UDP' },
          { containerPort: 5353, name: 'dns-tcp', protocol: 'TCP' },
        ],
        readinessProbe: {
          failureThreshold: 3,
          httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' },
          initialDelaySeconds: 10,
          periodSeconds: 3,
          successThreshold: 1,
          timeoutSeconds: 3,
        },
        resources: { requests: { cpu: '50m', memory: '70Mi' } },
        terminationMessagePolicy: 'FallbackToLogsOnError',
        volumeMounts: [{ mountPath: '/etc/coredns', name: 'config-volume', readOnly: true }],
      },
    ];
    corefile =
      '.:5353 {\n    bufsize 1232\n    errors\n    log . {\n        class error\n    }\n    health {\n        lameduck 20s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n        pods insecure\n        fallthrough in-addr.arpa ip6.arpa\n    }\n    prometheus 127.0.0.1:9153\n    forward . /etc/resolv.conf {\n        policy sequential\n    }\n    cache 900 {\n        denial 9984 30\n    }\n    reload\n}\nhostname.bind:5353 {\n    chaos\n}\n';
  }
  const out: KubeObject[] = [configMap(ctx, ns, cmName, { Corefile: corefile }, o.created)];
  const podSpec: IPodSpec = {
    containers,
    dnsPolicy: 'Default',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    priorityClassName: 'system-cluster-critical',
    serviceAccount: o.flavor === 'gke-kube-dns' ? 'kube-dns' : 'coredns',
    serviceAccountName: o.flavor === 'gke-kube-dns' ? 'kube-dns' : 'coredns',
    tolerations: [
      { key: 'CriticalAddonsOnly', operator: 'Exists' },
      { effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' },
    ],
    volumes: [{ name: 'config-volume', configMap: { name: cmName, defaultMode: 420, items: [{ key: 'Corefile', path: 'Corefile' }] } }],
  };
  let pods: IPod[];
  if (o.flavor === 'openshift') {
    // openshift-dns runs DNS as a DaemonSet
    const ds = new DaemonSetBuilder(ctx, {
      ns,
      name: 'dns-default',
      labels: { 'dns.operator.openshift.io/owning-dns': 'default' },
      selector: { 'dns.operator.openshift.io/daemonset-dns': 'default' },
      podLabels,
      podAnnotations: { 'target.workload.openshift.io/management': '{"effect": "PreferredDuringScheduling"}' },
      created: o.created,
      maxUnavailable: '10%',
      podSpec: { ...podSpec, dnsPolicy: 'Default', tolerations: [{ key: 'node-role.kubernetes.io/master', operator: 'Exists' }] },
    });
    o.nodes.forEach((n, i) => ds.addPod({ node: n, started: at(o.created, 8 + i), now: o.now, ipIndex: 5 }));
    out.push(...ds.finish(o.nodes.length));
    pods = ds.pods;
  } else {
    const [dep, ...depPods] = deployment(ctx, {
      ns,
      name: depName,
      labels:
        o.flavor === 'gke-kube-dns'
          ? { 'addonmanager.kubernetes.io/mode': 'Reconcile', 'k8s-app': 'kube-dns' }
          : o.flavor === 'eks'
            ? { 'eks.amazonaws.com/component': 'coredns', 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' }
            : { 'k8s-app': 'kube-dns' },
      selector,
      podLabels: o.flavor === 'eks' ? { 'eks.amazonaws.com/component': 'coredns', ...podLabels } : podLabels,
      created: o.created,
      replicas: o.nodes.length,
      podSpec,
      pods: o.nodes.map((n, i) => ({ node: n, started: at(o.created, 8 + i), now: o.now, ipIndex: 3 + i })),
    });
    out.push(dep, ...depPods);
    pods = depPods;
  }
  const svc = service(ctx, {
    ns,
    name: svcName,
    labels: svcLabels,
    annotations: svcAnnotations,
    clusterIP: '198.19.0.10',
    ports,
    selector,
    created: o.created,
  });
  out.push(svc);
  const epsPorts = ports.map((p): IEndpointPort => ({
    name: p.name,
    port: typeof p.targetPort === 'number' ? p.targetPort : p.name === 'metrics' ? 9154 : 5353,
    protocol: p.protocol,
  }));
  out.push(endpointSliceForPods(ctx, svc, pods, epsPorts, o.now));
  return out;
}

export { apiserverService, nodeIP, nodeName };
