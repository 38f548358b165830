// The test bed's network: a bridge on the host side, one network namespace per node on it, and one per pod behind its
// node, routed the way the ptp CNI plugin routes (a /32 per pod, the node's end of every pod veth holding the pod
// gateway address). Pods reach other nodes' pods through the nodes' routes, so pod↔pod across nodes, node↔pod and
// host↔pod (the API server's services proxy) all work, and kube-proxy's rules in each node's namespace see the traffic
// as on a real node.
import { readdirSync } from 'node:fs';
import { BRIDGE, NAME_PREFIX, NET, nodePlan, type ClusterOptions, type NodePlan } from './config.js';
import { inNetns, run, tryRun } from './exec.js';

const ip = (args: string[]) => run('ip', args);
const ipn = (netns: string, args: string[]) => run('ip', ['-n', netns, ...args]);

/** Sysctls a node's namespace needs as a router for its pods; kube-proxy writes its own (route_localnet, …). */
async function nodeSysctls(netns: string, dualStack: boolean): Promise<void> {
  const settings = [
    'net.ipv4.ip_forward=1',
    // Pod replies may come back another way than requests went (VIP from the host through node-1): no reverse-path drop.
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
  ];
  if (dualStack) settings.push('net.ipv6.conf.all.forwarding=1');
  await inNetns(netns, 'sysctl', ['-q', '-w', ...settings]);
}

export async function setUpHost(opts: ClusterOptions): Promise<void> {
  await ip(['link', 'add', BRIDGE, 'type', 'bridge']);
  await ip(['addr', 'add', `${NET.hostV4}/24`, 'dev', BRIDGE]);
  if (opts.dualStack) await ip(['-6', 'addr', 'add', `${NET.hostV6}/64`, 'dev', BRIDGE, 'nodad']);
  await ip(['link', 'set', BRIDGE, 'up']);
  // Whatever the cluster does not route is refused here, never handed to the host's default route.
  await ip(['route', 'add', 'unreachable', NET.allV4]);
  if (opts.dualStack) await ip(['-6', 'route', 'add', 'unreachable', NET.allV6]);
}

export async function setUpNode(plan: NodePlan, opts: ClusterOptions, all: NodePlan[]): Promise<void> {
  const { netns, hostVeth } = plan;
  await ip(['netns', 'add', netns]);
  await ipn(netns, ['link', 'set', 'lo', 'up']);
  await ip(['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  await ip(['link', 'set', hostVeth, 'master', BRIDGE, 'up']);
  await ipn(netns, ['addr', 'add', `${plan.ipV4}/24`, 'dev', 'eth0']);
  if (opts.dualStack) await ipn(netns, ['-6', 'addr', 'add', `${plan.ipV6}/64`, 'dev', 'eth0', 'nodad']);
  await ipn(netns, ['link', 'set', 'eth0', 'up']);
  await nodeSysctls(netns, opts.dualStack);
  // The rest of the test bed's range through the host (the API server lives there; Service VIPs are caught by
  // kube-proxy before routing matters, but a local connect needs a route to exist first).
  await ipn(netns, ['route', 'add', NET.allV4, 'via', NET.hostV4]);
  if (opts.dualStack) await ipn(netns, ['-6', 'route', 'add', NET.allV6, 'via', NET.hostV6]);
  for (const other of all) {
    if (other.name === plan.name) continue;
    await ipn(netns, ['route', 'add', other.podCidrV4, 'via', other.ipV4]);
    if (opts.dualStack) await ipn(netns, ['-6', 'route', 'add', other.podCidrV6, 'via', other.ipV6]);
  }
  // The host reaches pods (the services proxy, readiness probes) through their node.
  await ip(['route', 'add', plan.podCidrV4, 'via', plan.ipV4]);
  if (opts.dualStack) await ip(['-6', 'route', 'add', plan.podCidrV6, 'via', plan.ipV6]);
}

/** Service VIPs from the host go through the first node's kube-proxy (as from a control-plane node running it). */
export async function routeServicesFromHost(first: NodePlan, opts: ClusterOptions): Promise<void> {
  await ip(['route', 'replace', NET.serviceCidrV4, 'via', first.ipV4]);
  if (opts.dualStack) await ip(['-6', 'route', 'replace', NET.serviceCidrV6, 'via', first.ipV6]);
}

export interface PodNet {
  netns: string;
  hostVeth: string;
  ipV4: string;
  ipV6?: string;
}

export async function setUpPod(node: NodePlan, pod: PodNet): Promise<void> {
  const { netns, hostVeth } = pod;
  await ip(['netns', 'add', netns]);
  await ipn(netns, ['link', 'set', 'lo', 'up']);
  await ip(['link', 'add', hostVeth, 'netns', node.netns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  await ipn(node.netns, ['addr', 'add', `${node.podGatewayV4}/32`, 'dev', hostVeth]);
  await ipn(node.netns, ['link', 'set', hostVeth, 'up']);
  await ipn(netns, ['addr', 'add', `${pod.ipV4}/32`, 'dev', 'eth0']);
  if (pod.ipV6) {
    await ipn(node.netns, ['-6', 'addr', 'add', `${node.podGatewayV6}/128`, 'dev', hostVeth, 'nodad']);
    await ipn(netns, ['-6', 'addr', 'add', `${pod.ipV6}/128`, 'dev', 'eth0', 'nodad']);
  }
  await ipn(netns, ['link', 'set', 'eth0', 'up']);
  await ipn(netns, ['route', 'add', node.podGatewayV4, 'dev', 'eth0', 'scope', 'link']);
  await ipn(netns, ['route', 'add', NET.allV4, 'via', node.podGatewayV4, 'dev', 'eth0']);
  await ipn(node.netns, ['route', 'add', `${pod.ipV4}/32`, 'dev', hostVeth]);
  if (pod.ipV6) {
    await ipn(netns, ['-6', 'route', 'add', node.podGatewayV6, 'dev', 'eth0']);
    await ipn(netns, ['-6', 'route', 'add', NET.allV6, 'via', node.podGatewayV6, 'dev', 'eth0']);
    await ipn(node.netns, ['-6', 'route', 'add', `${pod.ipV6}/128`, 'dev', hostVeth]);
  }
}

export async function tearDownPod(pod: PodNet): Promise<void> {
  await killNetnsProcesses(pod.netns);
  // Deleting the namespace deletes its veth end, which takes the node's end and its routes with it.
  await tryRun('ip', ['netns', 'del', pod.netns]);
}

export function testbedNetnses(): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(`${NAME_PREFIX}-`));
  } catch {
    return [];
  }
}

export async function killNetnsProcesses(netns: string, signal = 'KILL'): Promise<void> {
  let pids: string[];
  try {
    pids = (await run('ip', ['netns', 'pids', netns])).split(/\s+/).filter(Boolean);
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), signal as NodeJS.Signals);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Everything the test bed made in the kernel, found by name so a crashed run is cleaned as well as a clean one: every
 * `spe-*` namespace (nodes and pods: their veths, routes and iptables/nftables rules go with them), the bridge and the
 * host routes.
 */
export async function tearDownAll(): Promise<void> {
  const netnses = testbedNetnses();
  for (const ns of netnses) await killNetnsProcesses(ns);
  for (const ns of netnses) await tryRun('ip', ['netns', 'del', ns]);
  await tryRun('ip', ['link', 'del', BRIDGE]);
  await tryRun('ip', ['route', 'del', 'unreachable', NET.allV4]);
  await tryRun('ip', ['-6', 'route', 'del', 'unreachable', NET.allV6]);
  await tryRun('ip', ['route', 'del', NET.serviceCidrV4]);
  await tryRun('ip', ['-6', 'route', 'del', NET.serviceCidrV6]);
  for (let i = 0; i < 8; i++) {
    const p = nodePlan(i);
    await tryRun('ip', ['route', 'del', p.podCidrV4]);
    await tryRun('ip', ['-6', 'route', 'del', p.podCidrV6]);
  }
}
