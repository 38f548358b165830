// Slim cluster objects for the target-discovery tests and the data-plane test.
import type { SlimEndpointSlice, SlimNode, SlimService, SlimServicePort } from '../../src/cluster/types.js';

export function service(ns: string, name: string, over: Partial<SlimService> = {}): SlimService {
  return {
    namespace: ns,
    name,
    uid: `uid-${ns}-${name}`,
    type: 'ClusterIP',
    clusterIP: '198.18.100.50',
    clusterIPs: [over.clusterIP ?? '198.18.100.50'],
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: '8080' }],
    annotations: {},
    selector: { app: name },
    ...over,
  };
}

export function port(name: string, p: number, protocol = 'TCP', extra: Partial<SlimServicePort> = {}): SlimServicePort {
  return { name, protocol, port: p, targetPort: String(p), ...extra };
}

export interface Ep {
  ip: string;
  ready?: boolean;
  terminating?: boolean;
  node?: string;
}

export function slice(
  ns: string,
  serviceName: string,
  ports: { name: string; port: number; protocol?: string }[],
  endpoints: Ep[],
  addressType = 'IPv4',
  name = `${serviceName}-abc`,
): SlimEndpointSlice {
  return {
    namespace: ns,
    name,
    serviceName,
    addressType,
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      ready: e.ready ?? true,
      serving: e.ready ?? true,
      terminating: e.terminating ?? false,
      nodeName: e.node ?? '',
      targetRef: '',
    })),
  };
}

/** `internalIP` may list both families, comma-separated (`198.18.0.1,fd00::1`): a dual-stack node. */
export function node(name: string, internalIP: string, ready = true): SlimNode {
  const ips = internalIP.split(',').filter(Boolean);
  return {
    name,
    labels: {},
    annotations: {},
    unschedulable: false,
    taints: [],
    conditions: { Ready: ready ? 'True' : 'False' },
    internalIP: ips[0] ?? '',
    internalIPs: ips,
    kubeletVersion: 'v1.31.0',
    kubeProxyVersion: '',
    containerRuntimeVersion: 'containerd://1.7.0',
  };
}

/** A typical cluster: API server, CoreDNS, the exporter, two nodes. */
export function baseCluster(): { services: SlimService[]; endpointSlices: SlimEndpointSlice[]; nodes: SlimNode[] } {
  return {
    services: [
      service('default', 'kubernetes', { clusterIP: '198.18.100.1', ports: [port('https', 443, 'TCP', { targetPort: '6443' })] }),
      service('kube-system', 'kube-dns', {
        clusterIP: '198.18.100.10',
        ports: [port('dns', 53, 'UDP'), port('dns-tcp', 53, 'TCP'), port('metrics', 9153, 'TCP')],
      }),
      service('monitoring', 'service-proxy-exporter', { clusterIP: '198.18.100.20', ports: [port('metrics', 9808)] }),
    ],
    endpointSlices: [
      slice('default', 'kubernetes', [{ name: 'https', port: 6443 }], [{ ip: '198.18.0.12' }, { ip: '198.18.0.11' }]),
      slice(
        'kube-system',
        'kube-dns',
        [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53 },
          { name: 'metrics', port: 9153 },
        ],
        [
          { ip: '198.18.1.5', node: 'node-b' },
          { ip: '198.18.1.4', node: 'node-a', ready: false },
          { ip: '198.18.1.3', node: 'node-a', terminating: true, ready: false },
          { ip: '198.18.1.10', node: 'node-a' },
        ],
      ),
      slice(
        'monitoring',
        'service-proxy-exporter',
        [{ name: 'metrics', port: 9808 }],
        [
          { ip: '198.18.2.7', node: 'node-b' },
          { ip: '198.18.2.8', node: 'node-a' },
        ],
      ),
    ],
    nodes: [node('node-b', '198.18.3.2'), node('node-a', '198.18.3.1'), node('node-c', '198.18.3.3', false)],
  };
}
