// Raw Service and EndpointSlice objects for the fake API server of the data-plane exporter tests.

export type PortSpec = { name: string; port: number; protocol?: 'TCP' | 'UDP' };

export function rawService(
  namespace: string,
  name: string,
  clusterIP: string,
  ports: PortSpec[],
  annotations: Record<string, string> = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name, uid: `uid-${namespace}-${name}`, annotations },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      selector: { app: name },
      ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.port })),
    },
  };
}

export function rawSlice(namespace: string, service: string, ports: PortSpec[], ips: string[]) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name: `${service}-x1y2z`, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
    endpoints: ips.map((ip) => ({
      addresses: [ip],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'node-aaaa1',
    })),
  };
}
