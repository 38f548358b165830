// The test bed's shape: one address plan, the options `npm run cluster -- up` takes, and where its state lives.
// Every address comes from 198.18.0.0/15 (RFC 2544 benchmarking) or the ULA prefix fd5e::/48, and the host gets an
// `unreachable` route for both, so a packet the cluster does not handle is refused here instead of leaving the machine.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ProxyMode = 'iptables' | 'nftables';
export const PROXY_MODES: readonly ProxyMode[] = ['iptables', 'nftables'];

export interface ClusterOptions {
  nodes: number;
  proxyMode: ProxyMode;
  dualStack: boolean;
}

export const DEFAULT_OPTIONS: ClusterOptions = { nodes: 2, proxyMode: 'iptables', dualStack: false };
export const MAX_NODES = 8;

export const KUBERNETES_VERSION = 'v1.37.2';
export const CLUSTER_DOMAIN = 'cluster.local';

/** The repository root (testkit/cluster/ is two levels below it). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Where a cluster keeps its state (certificates, kubeconfigs, etcd data, logs, the daemon's pid). One directory is one
 * cluster; `SPE_CLUSTER_DIR` lets a test run keep its own apart from a cluster a developer has up.
 */
export function stateDir(): string {
  return resolve(process.env.SPE_CLUSTER_DIR ?? join(REPO_ROOT, '.cache', 'cluster'));
}

/** Names of everything the test bed creates in the kernel, all under one prefix so `down` can find leftovers. */
export const NAME_PREFIX = 'tb';
export const BRIDGE = `${NAME_PREFIX}0`;

export const NET = {
  /** The host's side: the control plane listens here, nodes hang off the bridge. */
  hostV4: '198.18.0.1',
  nodeSubnetV4: '198.18.0.0/24',
  hostV6: 'fd5e::1',
  nodeSubnetV6: 'fd5e::/64',
  /** Everything the test bed may use: routed inside, unreachable beyond. */
  allV4: '198.18.0.0/15',
  allV6: 'fd5e::/48',
  clusterCidrV4: '198.19.0.0/16',
  // One ULA /48 (fd5e:0:0::/48) holds it all: subnet 0 the nodes, 0x1NN node NN's pods, 0x200 the Services.
  clusterCidrV6: 'fd5e:0:0:100::/56',
  serviceCidrV4: '198.18.64.0/20',
  serviceCidrV6: 'fd5e:0:0:200::/112',
  kubernetesServiceV4: '198.18.64.1',
  kubernetesServiceV6: 'fd5e:0:0:200::1',
  dnsServiceV4: '198.18.64.10',
  dnsServiceV6: 'fd5e:0:0:200::a',
  apiserverPort: 6443,
  etcdClientPort: 2379,
  etcdPeerPort: 2380,
} as const;

export interface NodePlan {
  name: string;
  index: number;
  ipV4: string;
  ipV6: string;
  podCidrV4: string;
  podCidrV6: string;
  /** The node's side of every pod veth carries this address (a /32, as the ptp CNI plugin does). */
  podGatewayV4: string;
  podGatewayV6: string;
  netns: string;
  hostVeth: string;
}

export function nodePlan(index: number): NodePlan {
  const n = index + 1;
  return {
    name: `node-${n}`,
    index,
    ipV4: `198.18.0.${10 + n}`,
    ipV6: `fd5e::${(0x10 + n).toString(16)}`,
    podCidrV4: `198.19.${n}.0/24`,
    podCidrV6: `fd5e:0:0:${(0x100 + n).toString(16)}::/64`,
    podGatewayV4: `198.19.${n}.1`,
    podGatewayV6: `fd5e:0:0:${(0x100 + n).toString(16)}::1`,
    netns: `${NAME_PREFIX}-node-${n}`,
    hostVeth: `${NAME_PREFIX}n${n}`,
  };
}

export function serviceCidrs(opts: ClusterOptions): string {
  return opts.dualStack ? `${NET.serviceCidrV4},${NET.serviceCidrV6}` : NET.serviceCidrV4;
}

export function clusterCidrs(opts: ClusterOptions): string {
  return opts.dualStack ? `${NET.clusterCidrV4},${NET.clusterCidrV6}` : NET.clusterCidrV4;
}

export function apiserverUrl(): string {
  return `https://${NET.hostV4}:${NET.apiserverPort}`;
}
