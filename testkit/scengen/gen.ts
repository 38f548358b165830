// Generates testkit/scenarios/*.yaml deterministically. Run: npm run generate:scenarios
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import YAML from 'yaml';
import type { INamespace, INode } from 'kubernetes-models/v1';
import type { ScenarioExpectation } from '../scenarios.js';
import {
  Ctx,
  DS_TOLERATE_ALL,
  DaemonSetBuilder,
  type KubeObject,
  type NodeOpts,
  POD_BASES,
  at,
  fieldEnv,
  hostPathVol,
  namespace,
  node,
  nodeIP,
} from '../objects/builders.js';
import {
  type Placement,
  antrea,
  apiserverService,
  calicoNodeManifest,
  calicoOperator,
  cilium,
  coreDNS,
  eksKubeProxy,
  flannel,
  kubeRouter,
  kubeadmKubeProxy,
  ovnKubernetesOpenShift,
  rke2KubeProxyMirrorPod,
} from './components.js';

const CREATED = '2025-09-01T08:00:00Z';
const NOW = '2025-11-08T10:00:00Z';
const HEARTBEAT = '2025-11-08T09:58:41Z';
const K8S = 'v1.33.5';
const API = 'https://198.18.0.10:6443';
const CLUSTER_CIDR = '198.18.128.0/17';

type Expected = ScenarioExpectation;

interface Header {
  scenario: string;
  description: string;
  basedOn: string;
  crds: string[];
  expected: Expected;
}

const out = process.argv[2] ?? fileURLToPath(new URL('../scenarios', import.meta.url));
mkdirSync(out, { recursive: true });

/** Writes ctx's scenario: its name is the Ctx's, the one place each scenario is named. */
function write(h: Omit<Header, 'scenario'>, ctx: Ctx): void {
  const docs = [{ scenario: ctx.scenario, ...h }, ...ctx.objects];
  const text = docs.map((d) => YAML.stringify(d, { aliasDuplicateObjects: false, lineWidth: 0 })).join('---\n');
  const banner = `# Scenario fixture for the simulated cluster and the detection tests. Document 0 is the header
# (expected verdict per docs/detection.md); every other document is one object as the API server
# returns it. Addresses are from the 198.18.0.0/15 benchmarking range; uids, hashes and digests are
# synthetic (derived from the scenario name).
`;
  writeFileSync(join(out, `${ctx.scenario}.yaml`), banner + text);
}

// ---------------------------------------------------------------- node sets

const UBUNTU = { runtime: 'containerd://1.7.28', osImage: 'Ubuntu 24.04.3 LTS', kernel: '6.8.0-85-generic' };

function kubeadmNodes(
  ctx: Ctx,
  count: number,
  o: {
    prefix?: string;
    kubelet?: string;
    kubeProxyVersion?: string;
    network?: NodeOpts['networkCondition'];
    base?: typeof UBUNTU;
    overrides?: Record<number, Partial<NodeOpts>>;
  } = {},
): INode[] {
  const prefix = o.prefix ?? 'k8s';
  const base = o.base ?? UBUNTU;
  const nodes: INode[] = [];
  for (let i = 0; i < count; i++) {
    const name = i === 0 ? `${prefix}-cp-1` : `${prefix}-worker-${i}`;
    nodes.push(
      node(ctx, {
        name,
        ip: `198.18.0.${10 + i}`,
        podCIDR: `198.18.${128 + i}.0/24`,
        controlPlane: i === 0,
        kubeadm: true,
        kubelet: o.kubelet ?? K8S,
        kubeProxyVersion: o.kubeProxyVersion,
        ...base,
        annotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock' },
        created: at(CREATED, i * 4),
        heartbeat: HEARTBEAT,
        networkCondition: o.network,
        ...(o.overrides?.[i] ?? {}),
      }),
    );
  }
  return nodes;
}

const CILIUM_UP = { reason: 'CiliumIsUp', message: 'Cilium is running on this node' };
const CALICO_UP = { reason: 'CalicoIsUp', message: 'Calico is running on this node' };

const ready = (nodes: INode[]): Placement[] => nodes.map((n) => ({ node: n }));

function namespaces(ctx: Ctx, ...extra: string[]): INamespace[] {
  return ['default', 'kube-node-lease', 'kube-public', 'kube-system', ...extra].map((n) => namespace(ctx, n, CREATED));
}

/** default/kubernetes + CoreDNS on the first two schedulable nodes */
function basics(ctx: Ctx, nodes: INode[], dns: Partial<Parameters<typeof coreDNS>[1]> = {}): KubeObject[] {
  const cps = nodes.filter((n) => 'node-role.kubernetes.io/control-plane' in n.metadata!.labels!);
  const workers = nodes.filter(
    (n) => !('node-role.kubernetes.io/control-plane' in n.metadata!.labels!) && n.metadata!.labels!['kubernetes.io/os'] === 'linux',
  );
  const dnsNodes = (workers.length >= 2 ? workers : nodes).slice(0, 2);
  return [
    ...apiserverService(ctx, CREATED, cps.map(nodeIP)),
    ...coreDNS(ctx, {
      created: CREATED,
      now: NOW,
      nodes: dnsNodes,
      image: 'registry.k8s.io/coredns/coredns:v1.12.0',
      flavor: 'coredns',
      ...dns,
    }),
  ];
}

const none = { ready: 0, unready: 0, missing: 0 };
const crashState = (restarts: number, minutesAgo: number, container: string) => ({
  [container]: {
    restartCount: restarts,
    waiting: { reason: 'CrashLoopBackOff', message: `back-off 5m0s restarting failed container=${container}` },
    lastTerminated: { reason: 'Error', exitCode: 1, minutesAgo },
  },
});

// ================================================================ kubeadm + kube-proxy

{
  const ctx = new Ctx('kubeadm-iptables');
  const nodes = kubeadmNodes(ctx, 3, { network: CALICO_UP });
  ctx.add(...namespaces(ctx), ...nodes);
  ctx.add(
    ...kubeadmKubeProxy(ctx, {
      version: K8S,
      mode: '',
      clusterCIDR: CLUSTER_CIDR,
      apiserver: API,
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
      desired: 3,
    }),
  );
  ctx.add(...calicoNodeManifest(ctx, { version: 'v3.30.3', created: CREATED, now: NOW, placements: ready(nodes) }));
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description:
        'kubeadm v1.33.5, 3 nodes, kube-proxy DaemonSet with the kubeadm default config (mode: ""), Calico v3.30.3 from the manifest (iptables dataplane)',
      basedOn:
        'kubeadm v1.33 kube-proxy addon (DaemonSet, ConfigMap kube-proxy with config.conf/kubeconfig.conf as `kubeadm init` writes them); calico.yaml v3.30 manifest in kube-system',
      crds: [],
      expected: {
        provider: 'kube-proxy',
        mode: 'iptables',
        version: K8S,
        flavor: 'kubeadm',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('kubeadm-ipvs');
  const nodes = kubeadmNodes(ctx, 3, { network: undefined });
  ctx.add(...namespaces(ctx, 'kube-flannel'), ...nodes);
  ctx.add(
    ...kubeadmKubeProxy(ctx, {
      version: K8S,
      mode: 'ipvs',
      ipvs: { strictARP: true, scheduler: 'rr' },
      clusterCIDR: CLUSTER_CIDR,
      apiserver: API,
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
      desired: 3,
    }),
  );
  ctx.add(
    ...flannel(ctx, {
      version: 'v0.27.3',
      cniPluginVersion: 'v1.7.1-flannel2',
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
      podCIDR: CLUSTER_CIDR,
    }),
  );
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description: 'kubeadm v1.33.5, 3 nodes, kube-proxy in ipvs mode (strictARP for MetalLB, rr scheduler), flannel v0.27.3',
      basedOn:
        'kubeadm v1.33 kube-proxy addon with KubeProxyConfiguration mode: "ipvs"; kube-flannel.yml v0.27 (namespace kube-flannel, DaemonSet kube-flannel-ds)',
      crds: [],
      expected: {
        provider: 'kube-proxy',
        mode: 'ipvs',
        version: K8S,
        flavor: 'kubeadm',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('kubeadm-nftables');
  const nodes = kubeadmNodes(ctx, 3, { network: CALICO_UP });
  ctx.add(...namespaces(ctx, 'tigera-operator', 'calico-system'), ...nodes);
  ctx.add(
    ...kubeadmKubeProxy(ctx, {
      version: K8S,
      mode: 'nftables',
      clusterCIDR: CLUSTER_CIDR,
      apiserver: API,
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
      desired: 3,
    }),
  );
  ctx.add(
    ...calicoOperator(ctx, {
      version: 'v3.30.3',
      operatorVersion: 'v1.38.6',
      dataplane: 'Nftables',
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
      apiserverHost: '198.18.0.10',
    }),
  );
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description:
        'kubeadm v1.33.5, 3 nodes, kube-proxy in nftables mode (GA in 1.33); Calico v3.30.3 via the Tigera operator with linuxDataplane Nftables (an Installation that is not BPF)',
      basedOn:
        'kubeadm v1.33 kube-proxy addon with mode: "nftables"; Tigera operator v1.38 Installation/FelixConfiguration shapes (operator.tigera.io/v1, crd.projectcalico.org/v1)',
      crds: ['installations.operator.tigera.io', 'felixconfigurations.crd.projectcalico.org'],
      expected: {
        provider: 'kube-proxy',
        mode: 'nftables',
        version: K8S,
        flavor: 'kubeadm',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

// ================================================================ Cilium

function ciliumKpr(name: string, healthz: string, description: string, issues: string[]): void {
  const ctx = new Ctx(name);
  const nodes = kubeadmNodes(ctx, 3, { network: CILIUM_UP });
  ctx.add(...namespaces(ctx), ...nodes);
  ctx.add(
    ...cilium(ctx, {
      version: 'v1.18.3',
      digest: true,
      kpr: 'true',
      healthz,
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
      k8sServiceHost: '198.18.0.10',
    }),
  );
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description,
      basedOn:
        'Cilium 1.18 Helm chart (kubeProxyReplacement=true, k8sServiceHost/k8sServicePort set, image pinned by digest); kubeadm v1.33 init with --skip-phases=addon/kube-proxy (no kube-proxy DaemonSet or ConfigMap)',
      crds: [],
      expected: {
        provider: 'cilium-kpr',
        mode: 'ebpf',
        version: 'v1.18.3',
        flavor: 'daemonset',
        conflict: false,
        issues,
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}
ciliumKpr(
  'cilium-kpr',
  '0.0.0.0:10256',
  'Cilium 1.18.3 with kubeProxyReplacement=true and a kube-proxy-compatible healthz bind address on 3 kubeadm nodes, no kube-proxy (healthy)',
  [],
);
ciliumKpr(
  'cilium-kpr-no-healthz',
  '',
  'Cilium 1.18.3 with kubeProxyReplacement=true on 3 kubeadm nodes, no kube-proxy; kube-proxy-replacement-healthz-bind-address left empty as the chart renders it by default',
  ['kpr_healthz_unset'],
);

{
  const ctx = new Ctx('cilium-with-kube-proxy');
  const nodes = kubeadmNodes(ctx, 3, { network: CILIUM_UP });
  ctx.add(...namespaces(ctx), ...nodes);
  ctx.add(
    ...kubeadmKubeProxy(ctx, {
      version: K8S,
      mode: '',
      clusterCIDR: CLUSTER_CIDR,
      apiserver: API,
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
      desired: 3,
    }),
  );
  ctx.add(
    ...cilium(ctx, { version: 'v1.17.8', digest: true, kpr: 'false', healthz: '', created: CREATED, now: NOW, placements: ready(nodes) }),
  );
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description:
        'Cilium 1.17.8 as CNI only (kube-proxy-replacement: "false") next to the kubeadm kube-proxy DaemonSet in iptables mode: kube-proxy serves Services, no conflict',
      basedOn: 'Cilium 1.17 Helm chart defaults (kubeProxyReplacement=false); kubeadm v1.33 kube-proxy addon',
      crds: [],
      expected: {
        provider: 'kube-proxy',
        mode: 'iptables',
        version: K8S,
        flavor: 'kubeadm',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('cilium-legacy-strict');
  const nodes = kubeadmNodes(ctx, 3, {
    kubelet: 'v1.25.16',
    kubeProxyVersion: 'v1.25.16',
    network: CILIUM_UP,
    base: { runtime: 'containerd://1.6.28', osImage: 'Ubuntu 22.04.3 LTS', kernel: '5.15.0-91-generic' },
  });
  ctx.add(...namespaces(ctx), ...nodes);
  ctx.add(
    ...cilium(ctx, {
      version: 'v1.12.19',
      kpr: 'strict',
      healthz: '0.0.0.0:10256',
      legacyKeys: true,
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
      k8sServiceHost: '198.18.0.10',
    }),
  );
  ctx.add(...basics(ctx, nodes, { image: 'registry.k8s.io/coredns/coredns:v1.9.3' }));
  write(
    {
      description:
        'An older cluster: Kubernetes v1.25.16 with Cilium 1.12.19 and kube-proxy-replacement: strict (valid before 1.14), no kube-proxy',
      basedOn:
        'Cilium 1.12 Helm chart (kubeProxyReplacement=strict, tunnel: vxlan); kubeadm v1.25 without the kube-proxy addon; nodeInfo.kubeProxyVersion still set by the 1.25 kubelet',
      crds: [],
      expected: {
        provider: 'cilium-kpr',
        mode: 'ebpf',
        version: 'v1.12.19',
        flavor: 'daemonset',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('cilium-partial-1.18');
  const kind = { runtime: 'containerd://2.1.3', osImage: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.8.0-85-generic' };
  const names = ['platform-control-plane', 'platform-worker', 'platform-worker2'];
  const nodes = names.map((name, i) =>
    node(ctx, {
      name,
      ip: `198.18.0.${10 + i}`,
      podCIDR: `198.18.${128 + i}.0/24`,
      controlPlane: i === 0,
      kubeadm: true,
      kubelet: 'v1.34.0',
      ...kind,
      providerID: `kind://docker/platform/${name}`,
      annotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///run/containerd/containerd.sock' },
      ready: false,
      created: at('2025-11-08T09:20:00Z', i),
      heartbeat: HEARTBEAT,
    }),
  );
  const created = '2025-11-08T09:22:00Z';
  ctx.add(
    ...['default', 'kube-node-lease', 'kube-public', 'kube-system', 'local-path-storage'].map((n) =>
      namespace(ctx, n, '2025-11-08T09:20:00Z'),
    ),
    ...nodes,
  );
  ctx.add(
    ...cilium(ctx, {
      version: 'v1.18.3',
      kpr: 'partial',
      healthz: '0.0.0.0:10256',
      created,
      now: NOW,
      placements: nodes.map((n, i) => ({ node: n, state: crashState(21 - i, 2 + i, 'cilium-agent') })),
      extraConfig: { 'enable-l2-announcements': 'true', 'bpf-lb-algorithm': 'maglev', 'bpf-lb-mode': 'snat' },
    }),
  );
  ctx.add(...apiserverService(ctx, '2025-11-08T09:20:00Z', ['198.18.0.10']));
  ctx.add(
    ...coreDNS(ctx, {
      created: '2025-11-08T09:20:30Z',
      now: NOW,
      nodes: [null, null],
      image: 'registry.k8s.io/coredns/coredns:v1.12.1',
      flavor: 'coredns',
    }),
  );
  write(
    {
      description:
        'KIND cluster (disableDefaultCNI, kubeProxyMode none) with Cilium v1.18.3 and kube-proxy-replacement: partial, a value removed in 1.15: every agent crash-loops, nodes stay NotReady, CoreDNS is Pending',
      basedOn:
        'Helm values (kubeProxyReplacement: partial, kubeProxyReplacementHealthzBindAddr 0.0.0.0:10256, image tag v1.18.3, maglev/snat, L2 announcements); kindest/node v1.34.0 node shapes (providerID kind://docker/<cluster>/<node>)',
      crds: [],
      expected: {
        provider: 'cilium-kpr',
        mode: 'ebpf',
        version: 'v1.18.3',
        flavor: 'daemonset',
        conflict: false,
        issues: ['cilium_kpr_legacy_value'],
        agents: { ready: 0, unready: 3, missing: 0 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('cilium-version-skew');
  const nodes = kubeadmNodes(ctx, 4, { network: CILIUM_UP });
  ctx.add(...namespaces(ctx), ...nodes);
  ctx.add(
    ...cilium(ctx, {
      version: 'v1.17.4',
      templateVersion: 'v1.18.3',
      digest: true,
      kpr: 'true',
      healthz: '0.0.0.0:10256',
      created: CREATED,
      now: NOW,
      maxUnavailable: 1,
      placements: nodes.map((n, i) => ({ node: n, outdated: i === 3 })),
      k8sServiceHost: '198.18.0.10',
    }),
  );
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description:
        'Cilium mid-upgrade from v1.17.4 to v1.18.3 on 4 nodes: the DaemonSet template and 3 agents run v1.18.3, one agent still runs v1.17.4 (all Ready)',
      basedOn:
        'Cilium 1.18 Helm upgrade with rollingUpdate maxUnavailable 1 (updatedNumberScheduled 3 of 4); cluster layout as in the cilium-kpr scenario',
      crds: [],
      expected: {
        provider: 'cilium-kpr',
        mode: 'ebpf',
        version: 'v1.18.3',
        flavor: 'daemonset',
        conflict: false,
        issues: ['cilium_version_skew'],
        agents: { ready: 4, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('migration-conflict');
  const nodes = kubeadmNodes(ctx, 3, { network: CILIUM_UP });
  ctx.add(...namespaces(ctx), ...nodes);
  ctx.add(
    ...kubeadmKubeProxy(ctx, {
      version: K8S,
      mode: '',
      clusterCIDR: CLUSTER_CIDR,
      apiserver: API,
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
      desired: 3,
    }),
  );
  ctx.add(
    ...cilium(ctx, {
      version: 'v1.18.3',
      digest: true,
      kpr: 'true',
      healthz: '0.0.0.0:10256',
      created: '2025-11-07T16:00:00Z',
      now: NOW,
      placements: ready(nodes),
      k8sServiceHost: '198.18.0.10',
    }),
  );
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description:
        'Half-done migration to Cilium KPR: Cilium 1.18.3 with kubeProxyReplacement=true installed yesterday while the kubeadm kube-proxy DaemonSet still runs on every node',
      basedOn:
        'Cilium kube-proxy-free guide (delete the kube-proxy DaemonSet and ConfigMap, flush KUBE-* rules) with that step not yet done; kubeadm v1.33',
      crds: [],
      expected: {
        provider: 'cilium-kpr',
        mode: 'ebpf',
        version: 'v1.18.3',
        flavor: 'daemonset',
        conflict: true,
        issues: ['kpr_with_kube_proxy'],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

// ================================================================ k3s / RKE2

function k3sNode(ctx: Ctx, name: string, i: number, args: string[], server: boolean, flannelAnn: boolean, distro: 'k3s' | 'rke2'): INode {
  const ip = `198.18.0.${10 + i}`;
  const ann: Record<string, string> = {
    'alpha.kubernetes.io/provided-node-ip': ip,
    [`${distro}.io/hostname`]: name,
    [`${distro}.io/internal-ip`]: ip,
    [`${distro}.io/node-args`]: JSON.stringify(args),
    [`${distro}.io/node-config-hash`]: ctx
      .hex(`cfg/${name}`, 52)
      .toUpperCase()
      .replace(/[0-9]/g, (d) => 'ABCDEFGHIJ'[+d]!),
    [`${distro}.io/node-env`]: '{}',
  };
  if (flannelAnn) {
    Object.assign(ann, {
      'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: ctx.hex(`mac/${name}`, 12).replace(/(..)(?!$)/g, '$1:') }),
      'flannel.alpha.coreos.com/backend-type': 'vxlan',
      'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
      'flannel.alpha.coreos.com/public-ip': ip,
    });
  }
  const kubelet = distro === 'k3s' ? 'v1.33.5+k3s1' : 'v1.33.5+rke2r1';
  return node(ctx, {
    name,
    ip,
    podCIDR: `198.18.${128 + i}.0/24`,
    controlPlane: server,
    roleValue: 'true',
    extraRoles: server ? ['etcd', 'master'] : [],
    kubelet,
    runtime: 'containerd://2.1.4-k3s1',
    osImage: 'Ubuntu 24.04.3 LTS',
    kernel: '6.8.0-85-generic',
    providerID: `${distro}://${name}`,
    labels: { 'beta.kubernetes.io/instance-type': distro, 'node.kubernetes.io/instance-type': distro },
    annotations: ann,
    created: at(CREATED, i * 3),
    heartbeat: HEARTBEAT,
  });
}

{
  const ctx = new Ctx('k3s');
  const nodes = [
    k3sNode(
      ctx,
      'k3s-server-1',
      0,
      [
        'server',
        '--write-kubeconfig-mode',
        '0644',
        '--disable',
        'traefik',
        '--cluster-cidr',
        CLUSTER_CIDR,
        '--service-cidr',
        '198.19.0.0/16',
        '--cluster-dns',
        '198.19.0.10',
      ],
      true,
      true,
      'k3s',
    ),
    k3sNode(ctx, 'k3s-agent-1', 1, ['agent', '--server', 'https://198.18.0.10:6443', '--token', '********'], false, true, 'k3s'),
    k3sNode(ctx, 'k3s-agent-2', 2, ['agent', '--server', 'https://198.18.0.10:6443', '--token', '********'], false, true, 'k3s'),
  ];
  ctx.add(...namespaces(ctx), ...nodes);
  ctx.add(...apiserverService(ctx, CREATED, ['198.18.0.10']));
  ctx.add(
    ...coreDNS(ctx, {
      created: CREATED,
      now: NOW,
      nodes: [nodes[1]!, nodes[2]!],
      image: 'rancher/mirrored-coredns-coredns:1.12.3',
      flavor: 'k3s',
    }),
  );
  write(
    {
      description:
        'k3s v1.33.5+k3s1, one server and two agents: kube-proxy and flannel run inside the k3s process, so kube-system holds no kube-proxy pod at all',
      basedOn:
        'k3s node annotations k3s.io/node-args (JSON array of the CLI/config flags, --token redacted as ********), k3s.io/hostname, k3s.io/internal-ip, flannel.alpha.coreos.com/*; providerID k3s://<node>; kubelet v1.33 leaves nodeInfo.kubeProxyVersion empty (KEP-4004)',
      crds: [],
      expected: {
        provider: 'kube-proxy',
        mode: 'iptables',
        version: 'v1.33.5+k3s1',
        flavor: 'k3s-embedded',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('k3s-cilium');
  const common = [
    '--flannel-backend',
    'none',
    '--disable-network-policy',
    '--disable-kube-proxy',
    '--disable',
    'servicelb,traefik',
    '--cluster-cidr',
    CLUSTER_CIDR,
    '--service-cidr',
    '198.19.0.0/16',
    '--cluster-dns',
    '198.19.0.10',
  ];
  const nodes = [
    k3sNode(ctx, 'k3s-1', 0, ['server', '--cluster-init', ...common], true, false, 'k3s'),
    k3sNode(ctx, 'k3s-2', 1, ['server', '--server', 'https://198.18.0.10:6443', '--token', '********', ...common], true, false, 'k3s'),
    k3sNode(ctx, 'k3s-3', 2, ['server', '--server', 'https://198.18.0.10:6443', '--token', '********', ...common], true, false, 'k3s'),
  ];
  for (const n of nodes) {
    n.status!.conditions!.unshift({
      type: 'NetworkUnavailable',
      status: 'False',
      lastHeartbeatTime: at(n.metadata!.creationTimestamp!, 3),
      lastTransitionTime: at(n.metadata!.creationTimestamp!, 3),
      reason: CILIUM_UP.reason,
      message: CILIUM_UP.message,
    });
  }
  ctx.add(...namespaces(ctx), ...nodes);
  ctx.add(
    ...cilium(ctx, {
      version: 'v1.18.3',
      digest: true,
      kpr: 'true',
      healthz: '0.0.0.0:10256',
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
      k8sServiceHost: '198.18.0.10',
    }),
  );
  ctx.add(...apiserverService(ctx, CREATED, nodes.map(nodeIP)));
  ctx.add(
    ...coreDNS(ctx, {
      created: CREATED,
      now: NOW,
      nodes: [nodes[1]!, nodes[2]!],
      image: 'rancher/mirrored-coredns-coredns:1.12.3',
      flavor: 'k3s',
    }),
  );
  write(
    {
      description:
        'k3s v1.33.5+k3s1, three servers with embedded etcd, started with --flannel-backend none --disable-network-policy --disable-kube-proxy; Cilium 1.18.3 with kubeProxyReplacement=true serves Services',
      basedOn:
        'Cilium "Installation on k3s" guide (flannel, network policy and kube-proxy disabled on every server; k8sServiceHost set); k3s node annotations as in the k3s scenario',
      crds: [],
      expected: {
        provider: 'cilium-kpr',
        mode: 'ebpf',
        version: 'v1.18.3',
        flavor: 'daemonset',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('rke2');
  const nodes = [
    k3sNode(
      ctx,
      'rke2-server-1',
      0,
      [
        'server',
        '--cni',
        'canal',
        '--write-kubeconfig-mode',
        '0644',
        '--cluster-cidr',
        CLUSTER_CIDR,
        '--service-cidr',
        '198.19.0.0/16',
        '--cluster-dns',
        '198.19.0.10',
      ],
      true,
      true,
      'rke2',
    ),
    k3sNode(ctx, 'rke2-agent-1', 1, ['agent', '--server', 'https://198.18.0.10:9345', '--token', '********'], false, true, 'rke2'),
    k3sNode(ctx, 'rke2-agent-2', 2, ['agent', '--server', 'https://198.18.0.10:9345', '--token', '********'], false, true, 'rke2'),
  ];
  for (const n of nodes) {
    n.status!.conditions!.unshift({
      type: 'NetworkUnavailable',
      status: 'False',
      lastHeartbeatTime: at(n.metadata!.creationTimestamp!, 3),
      lastTransitionTime: at(n.metadata!.creationTimestamp!, 3),
      reason: CALICO_UP.reason,
      message: CALICO_UP.message,
    });
  }
  ctx.add(...namespaces(ctx), ...nodes);
  const image = 'index.docker.io/rancher/hardened-kubernetes:v1.33.5-rke2r1-build20250910';
  nodes.forEach((n, i) =>
    ctx.add(rke2KubeProxyMirrorPod(ctx, n, { image, clusterCIDR: CLUSTER_CIDR, started: at(CREATED, i * 3 + 1), now: NOW })),
  );
  // canal: calico (policy) + flannel (networking), iptables dataplane
  const canal = new DaemonSetBuilder(ctx, {
    ns: 'kube-system',
    name: 'rke2-canal',
    labels: { 'app.kubernetes.io/managed-by': 'Helm', 'k8s-app': 'canal' },
    annotations: { 'meta.helm.sh/release-name': 'rke2-canal', 'meta.helm.sh/release-namespace': 'kube-system' },
    selector: { 'k8s-app': 'canal' },
    podLabels: { 'k8s-app': 'canal' },
    created: CREATED,
    podSpec: {
      containers: [
        {
          name: 'calico-node',
          image: 'rancher/hardened-calico:v3.30.3-build20250909',
          env: [
            { name: 'DATASTORE_TYPE', value: 'kubernetes' },
            { name: 'USE_POD_CIDR', value: 'true' },
            { name: 'WAIT_FOR_DATASTORE', value: 'true' },
            fieldEnv('NODENAME', 'spec.nodeName'),
            { name: 'CALICO_NETWORKING_BACKEND', value: 'none' },
            { name: 'CLUSTER_TYPE', value: 'k8s,canal' },
            { name: 'FELIX_IPTABLESREFRESHINTERVAL', value: '60' },
            { name: 'FELIX_IPTABLESBACKEND', value: 'auto' },
            { name: 'CALICO_DISABLE_FILE_LOGGING', value: 'true' },
            { name: 'FELIX_DEFAULTENDPOINTTOHOSTACTION', value: 'ACCEPT' },
            { name: 'FELIX_IPV6SUPPORT', value: 'false' },
            { name: 'FELIX_LOGSEVERITYSCREEN', value: 'info' },
            { name: 'FELIX_HEALTHENABLED', value: 'true' },
            { name: 'FELIX_PROMETHEUSMETRICSENABLED', value: 'true' },
            { name: 'FELIX_XDPENABLED', value: 'false' },
            { name: 'FELIX_FAILSAFEINBOUNDHOSTPORTS', value: '' },
            { name: 'FELIX_FAILSAFEOUTBOUNDHOSTPORTS', value: '' },
            { name: 'FELIX_IPTABLESMARKMASK', value: '0xffff0000' },
          ],
          livenessProbe: {
            exec: { command: ['/bin/calico-node', '-felix-live'] },
            failureThreshold: 6,
            initialDelaySeconds: 10,
            periodSeconds: 10,
            successThreshold: 1,
            timeoutSeconds: 10,
          },
          readinessProbe: {
            httpGet: { host: 'localhost', path: '/readiness', port: 9099, scheme: 'HTTP' },
            failureThreshold: 3,
            periodSeconds: 10,
            successThreshold: 1,
            timeoutSeconds: 10,
          },
          securityContext: { privileged: true },
          volumeMounts: [
            { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
            { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
            { mountPath: '/var/run/calico', name: 'var-run-calico' },
            { mountPath: '/var/lib/calico', name: 'var-lib-calico' },
          ],
        },
        {
          name: 'kube-flannel',
          image: 'rancher/hardened-flannel:v0.27.3-build20250909',
          command: ['/opt/bin/flanneld', '--ip-masq', '--kube-subnet-mgr', '--iptables-forward-rules=false'],
          env: [
            fieldEnv('POD_NAME', 'metadata.name'),
            fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
            { name: 'FLANNELD_IFACE', valueFrom: { configMapKeyRef: { key: 'canal_iface', name: 'rke2-canal-config' } } },
            { name: 'FLANNELD_IP_MASQ', valueFrom: { configMapKeyRef: { key: 'masquerade', name: 'rke2-canal-config' } } },
          ],
          securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] }, privileged: false },
          volumeMounts: [
            { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
            { mountPath: '/etc/kube-flannel/', name: 'flannel-cfg' },
          ],
        },
      ],
      hostNetwork: true,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      priorityClassName: 'system-node-critical',
      serviceAccount: 'canal',
      serviceAccountName: 'canal',
      terminationGracePeriodSeconds: 0,
      tolerations: [
        { effect: 'NoSchedule', operator: 'Exists' },
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
        { effect: 'NoExecute', operator: 'Exists' },
      ],
      volumes: [
        hostPathVol('lib-modules', '/lib/modules', ''),
        hostPathVol('var-run-calico', '/var/run/calico', ''),
        hostPathVol('var-lib-calico', '/var/lib/calico', ''),
        hostPathVol('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
        { name: 'flannel-cfg', configMap: { name: 'rke2-canal-config', defaultMode: 420 } },
      ],
    },
  });
  nodes.forEach((n, i) => canal.addPod({ node: n, started: at(CREATED, i * 3 + 2), now: NOW }));
  ctx.add(...canal.finish(3));
  ctx.add(...apiserverService(ctx, CREATED, ['198.18.0.10']));
  ctx.add(
    ...coreDNS(ctx, {
      created: CREATED,
      now: NOW,
      nodes: [nodes[1]!, nodes[2]!],
      image: 'rancher/hardened-coredns:v1.12.3-build20250909',
      flavor: 'rke2',
    }),
  );
  write(
    {
      description:
        'RKE2 v1.33.5+rke2r1, one server and two agents, canal CNI (iptables): kube-proxy runs as a static pod on every node, visible as mirror pods kube-proxy-<node> owned by the Node',
      basedOn:
        'RKE2 static pod manifests (/var/lib/rancher/rke2/agent/pod-manifests/kube-proxy.yaml: --proxy-mode=iptables, --healthz-bind-address=127.0.0.1, labels component=kube-proxy,tier=control-plane) and their mirror pods (kubernetes.io/config.mirror/hash/seen/source annotations, ownerReference kind Node); rke2.io/node-args node annotation; rke2-canal and rke2-coredns charts (DNS Service is rke2-coredns-rke2-coredns, labelled k8s-app=kube-dns)',
      crds: [],
      expected: {
        provider: 'kube-proxy',
        mode: 'iptables',
        version: 'v1.33.5-rke2r1-build20250910',
        flavor: 'static-pod',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

// ================================================================ managed clouds

{
  const ctx = new Ctx('gke-dataplane-v2');
  const suffixes = ['2xkq', '9pzt', 'fh4w'];
  const nodes = suffixes.map((s, i) => {
    const name = `gke-demo-default-pool-8c1f0e2a-${s}`;
    return node(ctx, {
      name,
      ip: `198.18.0.${10 + i}`,
      podCIDR: `198.18.${128 + i}.0/24`,
      kubelet: 'v1.33.5-gke.1080000',
      runtime: 'containerd://2.0.6',
      osImage: 'Container-Optimized OS from Google',
      kernel: '6.6.97+',
      providerID: `gce://demo-project/us-central1-a/${name}`,
      cpu: '4',
      labels: {
        'cloud.google.com/gke-boot-disk': 'pd-balanced',
        'cloud.google.com/gke-container-runtime': 'containerd',
        'cloud.google.com/gke-cpu-scaling-level': '4',
        'cloud.google.com/gke-logging-variant': 'DEFAULT',
        'cloud.google.com/gke-max-pods-per-node': '110',
        'cloud.google.com/gke-nodepool': 'default-pool',
        'cloud.google.com/gke-os-distribution': 'cos',
        'cloud.google.com/gke-provisioning': 'standard',
        'cloud.google.com/gke-stack-type': 'IPV4',
        'cloud.google.com/machine-family': 'e2',
        'cloud.google.com/private-node': 'false',
        'failure-domain.beta.kubernetes.io/region': 'us-central1',
        'failure-domain.beta.kubernetes.io/zone': 'us-central1-a',
        'node.kubernetes.io/instance-type': 'e2-standard-4',
        'topology.gke.io/zone': 'us-central1-a',
        'topology.kubernetes.io/region': 'us-central1',
        'topology.kubernetes.io/zone': 'us-central1-a',
      },
      annotations: {
        'container.googleapis.com/instance_id': String(4_000_000_000_000_000_000n + BigInt(i)),
        'csi.volume.kubernetes.io/nodeid': JSON.stringify({
          'pd.csi.storage.gke.io': `projects/demo-project/zones/us-central1-a/instances/${name}`,
        }),
      },
      created: at(CREATED, i),
      heartbeat: HEARTBEAT,
    });
  });
  ctx.add(...namespaces(ctx, 'gke-managed-system'), ...nodes);
  ctx.add(
    ...cilium(ctx, {
      gke: true,
      repo: 'gke.gcr.io/cilium/cilium',
      version: 'v1.16.12-gke.400',
      kpr: 'strict',
      healthz: '0.0.0.0:10256',
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
      extraConfig: {
        'enable-gke-network-policy': 'true',
        ipam: 'kubernetes',
        'enable-endpoint-routes': 'true',
        'enable-local-node-route': 'false',
      },
    }),
  );
  ctx.add(...apiserverService(ctx, CREATED, ['198.18.255.2'], 443));
  ctx.add(
    ...coreDNS(ctx, {
      created: CREATED,
      now: NOW,
      nodes: [nodes[0]!, nodes[1]!],
      image: 'gke.gcr.io/k8s-dns-kube-dns:1.23.0-gke.9',
      flavor: 'gke-kube-dns',
    }),
  );
  write(
    {
      description:
        'GKE Standard 1.33 with Dataplane V2: Cilium runs as the managed DaemonSet anetd (pods k8s-app=cilium, image gke.gcr.io/cilium/cilium), no kube-proxy; kube-dns instead of CoreDNS',
      basedOn:
        'GKE Dataplane V2 (kubectl -n kube-system get ds -l k8s-app=cilium shows anetd, nodeSelector kubernetes.io/os=linux, image gke.gcr.io/cilium/cilium:vX.Y.Z-gke.N); GKE node labels (cloud.google.com/gke-nodepool, ...); the exact anetd build and the cilium-config content are illustrative (kube-proxy-replacement: strict is legacy upstream, but GKE manages anetd and is never flagged)',
      crds: [],
      expected: {
        provider: 'cilium-kpr',
        mode: 'ebpf',
        version: 'v1.16.12-gke.400',
        flavor: 'gke-dataplane-v2',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('eks-kube-proxy');
  const zones = ['us-west-2a', 'us-west-2b', 'us-west-2c'];
  const nodes = zones.map((zone, i) => {
    const ip = `198.18.0.${10 + i}`;
    const name = `ip-${ip.replace(/\./g, '-')}.us-west-2.compute.internal`;
    POD_BASES.set(name, `198.18.${64 + i}.0/24`);
    return node(ctx, {
      name,
      ip,
      podCIDR: '',
      kubelet: 'v1.33.4-eks-99d6cc0',
      runtime: 'containerd://1.7.27',
      osImage: 'Amazon Linux 2023.8.20250818',
      kernel: '6.1.147-172.266.amzn2023.x86_64',
      providerID: `aws:///${zone}/i-0${ctx.hex(`instance/${i}`, 16)}`,
      cpu: '2',
      memoryKi: 7_910_284,
      labels: {
        'eks.amazonaws.com/capacityType': 'ON_DEMAND',
        'eks.amazonaws.com/nodegroup': 'ng-default',
        'eks.amazonaws.com/nodegroup-image': `ami-0${ctx.hex('ami', 16)}`,
        'eks.amazonaws.com/sourceLaunchTemplateId': `lt-0${ctx.hex('lt', 16)}`,
        'eks.amazonaws.com/sourceLaunchTemplateVersion': '1',
        'failure-domain.beta.kubernetes.io/region': 'us-west-2',
        'failure-domain.beta.kubernetes.io/zone': zone,
        'k8s.io/cloud-provider-aws': ctx.hex('cloud-provider-aws', 32),
        'node.kubernetes.io/instance-type': 'm5.large',
        'topology.k8s.aws/zone-id': `usw2-az${i + 1}`,
        'topology.kubernetes.io/region': 'us-west-2',
        'topology.kubernetes.io/zone': zone,
      },
      annotations: { 'alpha.kubernetes.io/provided-node-ip': ip },
      created: at(CREATED, i),
      heartbeat: HEARTBEAT,
    });
  });
  ctx.add(...namespaces(ctx), ...nodes);
  ctx.add(
    ...eksKubeProxy(ctx, {
      image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/kube-proxy:v1.33.3-minimal-eksbuild.6',
      apiserver: 'https://0123456789ABCDEF0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com',
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
    }),
  );
  const awsNode = new DaemonSetBuilder(ctx, {
    ns: 'kube-system',
    name: 'aws-node',
    labels: {
      'app.kubernetes.io/instance': 'aws-vpc-cni',
      'app.kubernetes.io/managed-by': 'Helm',
      'app.kubernetes.io/name': 'aws-node',
      'app.kubernetes.io/version': 'v1.20.1',
      'k8s-app': 'aws-node',
    },
    selector: { 'k8s-app': 'aws-node' },
    podLabels: { 'app.kubernetes.io/instance': 'aws-vpc-cni', 'app.kubernetes.io/name': 'aws-node', 'k8s-app': 'aws-node' },
    created: CREATED,
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
                  { key: 'eks.amazonaws.com/compute-type', operator: 'NotIn', values: ['fargate', 'hybrid', 'auto'] },
                ],
              },
            ],
          },
        },
      },
      containers: [
        {
          name: 'aws-node',
          image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.20.1-eksbuild.1',
          env: [
            { name: 'ADDITIONAL_ENI_TAGS', value: '{}' },
            { name: 'AWS_VPC_CNI_NODE_PORT_SUPPORT', value: 'true' },
            { name: 'AWS_VPC_ENI_MTU', value: '9001' },
            { name: 'AWS_VPC_K8S_CNI_EXTERNALSNAT', value: 'false' },
            { name: 'ENABLE_IPv4', value: 'true' },
            { name: 'ENABLE_IPv6', value: 'false' },
            { name: 'ENABLE_PREFIX_DELEGATION', value: 'false' },
            { name: 'WARM_ENI_TARGET', value: '1' },
            { name: 'VPC_ID', value: `vpc-0${ctx.hex('vpc', 16)}` },
            { name: 'CLUSTER_NAME', value: 'demo' },
            fieldEnv('MY_NODE_NAME', 'spec.nodeName'),
            fieldEnv('MY_POD_NAME', 'metadata.name'),
          ],
          ports: [{ containerPort: 61678, name: 'metrics', protocol: 'TCP' }],
          resources: { requests: { cpu: '25m' } },
          securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
        },
        {
          name: 'aws-eks-nodeagent',
          image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.2.5-eksbuild.1',
          args: [
            '--enable-ipv6=false',
            '--enable-network-policy=false',
            '--enable-cloudwatch-logs=false',
            '--enable-policy-event-logs=false',
            '--metrics-bind-addr=:8162',
            '--health-probe-bind-addr=:8163',
            '--conntrack-cache-cleanup-period=300',
          ],
          resources: { requests: { cpu: '25m' } },
          securityContext: { capabilities: { add: ['NET_ADMIN'] }, privileged: true },
        },
      ],
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      serviceAccount: 'aws-node',
      serviceAccountName: 'aws-node',
      terminationGracePeriodSeconds: 10,
      tolerations: DS_TOLERATE_ALL,
    },
  });
  nodes.forEach((n, i) => awsNode.addPod({ node: n, started: at(CREATED, 2 + i), now: NOW }));
  ctx.add(...awsNode.finish(3));
  ctx.add(...apiserverService(ctx, CREATED, ['198.18.255.10', '198.18.255.11'], 443));
  ctx.add(
    ...coreDNS(ctx, {
      created: CREATED,
      now: NOW,
      nodes: [nodes[0]!, nodes[1]!],
      image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/coredns:v1.12.3-eksbuild.1',
      flavor: 'eks',
    }),
  );
  write(
    {
      description:
        'Amazon EKS 1.33 managed node group, 3 nodes: the kube-proxy add-on DaemonSet (eks.amazonaws.com/component=kube-proxy) configured from ConfigMap kube-proxy-config key config (mode iptables), VPC CNI aws-node',
      basedOn:
        'EKS kube-proxy add-on (command kube-proxy --config=/var/lib/kube-proxy-config/config, image <account>.dkr.ecr.<region>.amazonaws.com/eks/kube-proxy:vX.Y.Z-minimal-eksbuild.N, required node affinity excluding fargate/hybrid/auto); ConfigMap kube-proxy holds only the kubeconfig; EKS node labels (eks.amazonaws.com/nodegroup, ...); VPC CNI nodes have no spec.podCIDR',
      crds: [],
      expected: {
        provider: 'kube-proxy',
        mode: 'iptables',
        version: 'v1.33.3-minimal-eksbuild.6',
        flavor: 'eks',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

// ================================================================ other replacements

{
  const ctx = new Ctx('calico-ebpf');
  const nodes = kubeadmNodes(ctx, 3, { network: CALICO_UP });
  ctx.add(...namespaces(ctx, 'tigera-operator', 'calico-system'), ...nodes);
  ctx.add(
    ...kubeadmKubeProxy(ctx, {
      version: K8S,
      mode: '',
      clusterCIDR: CLUSTER_CIDR,
      apiserver: API,
      created: CREATED,
      now: NOW,
      placements: [],
      desired: 0,
      extraNodeSelector: { 'non-calico': 'true' },
    }),
  );
  ctx.add(
    ...calicoOperator(ctx, {
      version: 'v3.30.3',
      operatorVersion: 'v1.38.6',
      dataplane: 'BPF',
      bpfFelix: true,
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
      apiserverHost: '198.18.0.10',
    }),
  );
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description:
        'Calico v3.30.3 eBPF dataplane via the Tigera operator (Installation default linuxDataplane: BPF); the kube-proxy DaemonSet is kept but patched with nodeSelector non-calico: "true", so it schedules nowhere',
      basedOn:
        'Calico "Enable the eBPF dataplane" guide: ConfigMap kubernetes-services-endpoint in tigera-operator, kubectl patch ds kube-proxy -p \'{"spec":{"template":{"spec":{"nodeSelector":{"non-calico": "true"}}}}}\', Installation spec.calicoNetwork.linuxDataplane BPF; FelixConfiguration default bpfEnabled: true',
      crds: ['installations.operator.tigera.io', 'felixconfigurations.crd.projectcalico.org'],
      expected: {
        provider: 'calico-ebpf',
        mode: 'ebpf',
        version: 'v3.30.3',
        flavor: 'operator',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('antrea-proxyall');
  const nodes = kubeadmNodes(ctx, 3);
  ctx.add(...namespaces(ctx), ...nodes);
  ctx.add(
    ...antrea(ctx, { version: 'v2.3.0', created: CREATED, now: NOW, placements: ready(nodes), apiserver: API, controllerNode: nodes[1]! }),
  );
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description:
        'Antrea v2.3.0 with antreaProxy.proxyAll: true and kubeAPIServerOverride set, on a kubeadm v1.33.5 cluster installed without kube-proxy',
      basedOn:
        'antrea.yml v2.x (ConfigMap antrea-config with antrea-agent.conf/antrea-controller.conf/antrea-cni.conflist, DaemonSet antrea-agent with containers antrea-agent and antrea-ovs, labels app=antrea,component=antrea-agent); Antrea "Running without kube-proxy" docs (proxyAll + kubeAPIServerOverride)',
      crds: [],
      expected: {
        provider: 'antrea-proxy',
        mode: 'ovs',
        version: 'v2.3.0',
        flavor: 'daemonset',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('kube-router');
  const nodes = kubeadmNodes(ctx, 3);
  ctx.add(...namespaces(ctx), ...nodes);
  ctx.add(...kubeRouter(ctx, { version: 'v2.5.0', created: CREATED, now: NOW, placements: ready(nodes), apiserver: API }));
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description:
        'kube-router v2.5.0 with --run-router, --run-firewall and --run-service-proxy on a kubeadm v1.33.5 cluster without kube-proxy',
      basedOn:
        'kube-router daemonset/kubeadm-kuberouter-all-features.yaml (DaemonSet kube-router, labels k8s-app=kube-router,tier=node, ConfigMap kube-router-cfg), kubeconfig from a ConfigMap as in the "all features, no kube-proxy" manifest',
      crds: [],
      expected: {
        provider: 'kube-router',
        mode: 'ipvs',
        version: 'v2.5.0',
        flavor: 'daemonset',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('ovn-kubernetes');
  const nodes = [0, 1, 2].map((i) => {
    const name = `ocp-master-${i}`;
    POD_BASES.set(name, `198.18.${128 + 2 * i}.0/23`);
    return node(ctx, {
      name,
      ip: `198.18.0.${10 + i}`,
      podCIDR: '',
      controlPlane: true,
      extraRoles: ['master', 'worker'],
      kubelet: 'v1.31.10',
      runtime: 'cri-o://1.31.10-3.rhaos4.18.gitdc6c1b5.el9',
      osImage: 'Red Hat Enterprise Linux CoreOS 418.94.202507221927-0',
      kernel: '5.14.0-427.81.1.el9_4.x86_64',
      cpu: '8',
      memoryKi: 32_861_476,
      labels: { 'node.openshift.io/os_id': 'rhcos' },
      annotations: {
        'k8s.ovn.org/host-cidrs': JSON.stringify([`198.18.0.${10 + i}/24`]),
        'k8s.ovn.org/node-id': String(i + 2),
        'k8s.ovn.org/node-subnets': JSON.stringify({ default: [`198.18.${128 + 2 * i}.0/23`] }),
        'k8s.ovn.org/zone-name': name,
        'machineconfiguration.openshift.io/controlPlaneTopology': 'HighlyAvailable',
        'machineconfiguration.openshift.io/currentConfig': `rendered-master-${ctx.hex('mc', 32)}`,
        'machineconfiguration.openshift.io/desiredConfig': `rendered-master-${ctx.hex('mc', 32)}`,
        'machineconfiguration.openshift.io/state': 'Done',
      },
      created: at(CREATED, i),
      heartbeat: HEARTBEAT,
    });
  });
  ctx.add(
    ...['default', 'kube-system', 'openshift-ovn-kubernetes', 'openshift-dns'].map((n) =>
      namespace(
        ctx,
        n,
        CREATED,
        n.startsWith('openshift-') ? { 'openshift.io/cluster-monitoring': 'true', 'openshift.io/run-level': '0' } : {},
      ),
    ),
    ...nodes,
  );
  ctx.add(...ovnKubernetesOpenShift(ctx, { created: CREATED, now: NOW, placements: ready(nodes) }));
  ctx.add(...apiserverService(ctx, CREATED, nodes.map(nodeIP)));
  ctx.add(
    ...coreDNS(ctx, {
      created: CREATED,
      now: NOW,
      nodes,
      image: `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${ctx.hex('ocp/coredns')}`,
      flavor: 'openshift',
    }),
  );
  write(
    {
      description:
        'OpenShift 4.18 compact cluster (3 schedulable control-plane nodes) with OVN-Kubernetes in interconnect mode: DaemonSet ovnkube-node in openshift-ovn-kubernetes, images pinned by digest only (so the version is unknown); DNS is openshift-dns/dns-default',
      basedOn:
        'OpenShift 4.14+ ovnkube-node DaemonSet (containers ovn-controller, ovn-acl-logging, kube-rbac-proxy-node, kube-rbac-proxy-ovn-metrics, northd, nbdb, sbdb, ovnkube-controller; labels app=ovnkube-node,component=network); OVN nodes have no spec.podCIDR (k8s.ovn.org/node-subnets annotation instead); release images quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:…',
      crds: [],
      expected: {
        provider: 'ovn-kubernetes',
        mode: 'ovn',
        version: 'unknown',
        flavor: 'openshift',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

// ================================================================ nothing / failures

{
  const ctx = new Ctx('none');
  const nodes = kubeadmNodes(ctx, 3);
  ctx.add(...namespaces(ctx, 'kube-flannel'), ...nodes);
  ctx.add(
    ...flannel(ctx, {
      version: 'v0.27.3',
      cniPluginVersion: 'v1.7.1-flannel2',
      created: CREATED,
      now: NOW,
      placements: ready(nodes),
      podCIDR: CLUSTER_CIDR,
    }),
  );
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description:
        'kubeadm v1.33.5 initialised with --skip-phases=addon/kube-proxy and flannel as CNI, but no replacement installed: pods get networking, nothing programs Service VIPs',
      basedOn: 'kubeadm init --skip-phases=addon/kube-proxy (no kube-proxy DaemonSet/ConfigMap); kube-flannel.yml v0.27',
      crds: [],
      expected: { provider: 'none', mode: '', version: '', flavor: '', conflict: false, issues: [], agents: none },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('kube-proxy-crashloop');
  const nodes = kubeadmNodes(ctx, 4, { network: CALICO_UP });
  ctx.add(...namespaces(ctx), ...nodes);
  ctx.add(
    ...kubeadmKubeProxy(ctx, {
      version: K8S,
      mode: '',
      clusterCIDR: CLUSTER_CIDR,
      apiserver: API,
      created: CREATED,
      now: NOW,
      desired: 4,
      placements: nodes.map((n, i) => (i >= 2 ? { node: n, state: crashState(17 - i, 1 + i, 'kube-proxy') } : { node: n })),
    }),
  );
  ctx.add(...calicoNodeManifest(ctx, { version: 'v3.30.3', created: CREATED, now: NOW, placements: ready(nodes) }));
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description:
        'kubeadm v1.33.5, 4 nodes: kube-proxy pods on k8s-worker-2 and k8s-worker-3 are in CrashLoopBackOff (exit 1, 15+ restarts) after those nodes were reprovisioned; the other two are fine',
      basedOn:
        'docs/runbooks/KubeProxyDown.md (kube-proxy pods in CrashLoopBackOff, DaemonSet desired 4 / ready 2); kubeadm v1.33 kube-proxy addon',
      crds: [],
      expected: {
        provider: 'kube-proxy',
        mode: 'iptables',
        version: K8S,
        flavor: 'kubeadm',
        conflict: false,
        issues: [],
        agents: { ready: 2, unready: 2, missing: 0 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('kube-proxy-missing-agents');
  const nodes = kubeadmNodes(ctx, 4, { network: CALICO_UP });
  ctx.add(...namespaces(ctx), ...nodes);
  ctx.add(
    ...kubeadmKubeProxy(ctx, {
      version: K8S,
      mode: '',
      clusterCIDR: CLUSTER_CIDR,
      apiserver: API,
      created: CREATED,
      now: NOW,
      desired: 4,
      placements: ready(nodes.slice(0, 3)),
    }),
  );
  ctx.add(...calicoNodeManifest(ctx, { version: 'v3.30.3', created: CREATED, now: NOW, placements: ready(nodes) }));
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description:
        'kubeadm v1.33.5, 4 nodes: k8s-worker-3 is Ready and schedulable but has no kube-proxy pod (the DaemonSet controller keeps failing to create it), DaemonSet 3/4',
      basedOn:
        'kubeadm v1.33 kube-proxy addon; DaemonSet status desiredNumberScheduled 4, currentNumberScheduled 3, numberUnavailable 1 as kubectl shows while pod creation is rejected (e.g. by an admission webhook)',
      crds: [],
      expected: {
        provider: 'kube-proxy',
        mode: 'iptables',
        version: K8S,
        flavor: 'kubeadm',
        conflict: false,
        issues: ['provider_agents_missing'],
        agents: { ready: 3, unready: 0, missing: 1 },
      },
    },
    ctx,
  );
}

{
  const ctx = new Ctx('windows-mixed');
  const nodes = kubeadmNodes(ctx, 4, {
    overrides: {
      3: {
        name: 'k8s-win-1',
        os: 'windows',
        runtime: 'containerd://1.7.27',
        osImage: 'Windows Server 2022 Datacenter',
        kernel: '10.0.20348.4052',
        labels: { 'node.kubernetes.io/windows-build': '10.0.20348' },
        annotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': 'npipe:////./pipe/containerd-containerd' },
      },
    },
  });
  ctx.add(...namespaces(ctx, 'kube-flannel'), ...nodes);
  const linux = nodes.slice(0, 3);
  ctx.add(
    ...kubeadmKubeProxy(ctx, {
      version: K8S,
      mode: '',
      clusterCIDR: CLUSTER_CIDR,
      apiserver: API,
      created: CREATED,
      now: NOW,
      desired: 3,
      placements: ready(linux),
    }),
  );
  ctx.add(
    ...flannel(ctx, {
      version: 'v0.27.3',
      cniPluginVersion: 'v1.7.1-flannel2',
      created: CREATED,
      now: NOW,
      placements: ready(linux),
      podCIDR: CLUSTER_CIDR,
    }),
  );
  ctx.add(...basics(ctx, nodes));
  write(
    {
      description:
        'kubeadm v1.33.5 with 3 Linux nodes and one Windows Server 2022 worker; the kube-proxy DaemonSet selects kubernetes.io/os=linux (3/3) and the Windows node runs kube-proxy as a host service, so it is not a missing agent',
      basedOn:
        'kubeadm kube-proxy DaemonSet nodeSelector kubernetes.io/os: linux; Windows nodes joined with kube-proxy as a Windows service (no pod); kube-flannel with required node affinity on linux',
      crds: [],
      expected: {
        provider: 'kube-proxy',
        mode: 'iptables',
        version: K8S,
        flavor: 'kubeadm',
        conflict: false,
        issues: [],
        agents: { ready: 3, unready: 0, missing: 0 },
      },
    },
    ctx,
  );
}

console.log('written to', out);
