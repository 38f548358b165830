// The demo's health-check node port: one externalTrafficPolicy: Local LoadBalancer Service
// (`demo/echo-local`) whose only endpoint runs on the first node, and the servers a service proxy runs
// for it on every node's loopback InternalIP (testkit/dataplane/agents.ts), answering as kube-proxy's
// pkg/proxy/healthcheck does: 200 with a ready local endpoint, 503 without, body
// {"service":{...},"localEndpoints":N,"serviceProxyHealthy":true}. `always-ok` answers 200 everywhere:
// the load-balancer black hole of cilium/cilium#11043 (POST /demo/health-check?answers=always-ok).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeApiServer } from '../apiserver/index.js';

export const DEMO_LOCAL_SERVICE = { namespace: 'demo', name: 'echo-local', vip: '127.0.0.30', endpoint: '127.0.1.30' } as const;

export type DemoHealthCheckAnswers = 'truthful' | 'always-ok';

export interface DemoHealthChecks {
  port: number;
  answers: DemoHealthCheckAnswers;
  close(): Promise<void>;
}

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

const close = (s: http.Server) =>
  new Promise<void>((r) => {
    if (!s.listening) return r();
    s.closeAllConnections();
    s.close(() => r());
  });

/** `addresses`: node name → loopback InternalIP, from the demo agents. */
export async function startDemoHealthChecks(api: FakeApiServer, addresses: ReadonlyMap<string, string>): Promise<DemoHealthChecks> {
  const { namespace, name } = DEMO_LOCAL_SERVICE;
  const state: { answers: DemoHealthCheckAnswers } = { answers: 'truthful' };
  const localEndpoints = (node: string): number => {
    const ips = new Set<string>();
    for (const sl of api.store.list('endpointslices', namespace)) {
      const s = sl as any;
      if (s.metadata?.labels?.['kubernetes.io/service-name'] !== name || s.addressType !== 'IPv4') continue;
      for (const ep of Array.isArray(s.endpoints) ? s.endpoints : [])
        if (isObj(ep) && ep.nodeName === node && ep.conditions?.ready !== false && ep.addresses?.[0]) ips.add(ep.addresses[0]);
    }
    return ips.size;
  };
  const make = (node: string) =>
    http.createServer((_req, res) => {
      const n = localEndpoints(node);
      res.writeHead(n > 0 || state.answers === 'always-ok' ? 200 : 503, {
        'content-type': 'application/json',
        'x-content-type-options': 'nosniff',
      });
      res.end(JSON.stringify({ service: { namespace, name }, localEndpoints: n, serviceProxyHealthy: true }));
    });
  // One port on every node address, as a real healthCheckNodePort.
  const servers: http.Server[] = [];
  let port = 0;
  for (let attempt = 0; attempt < 5 && addresses.size > 0; attempt++) {
    try {
      port = 0;
      for (const [node, addr] of addresses) {
        const srv = make(node);
        port = await listen(srv, addr, port);
        servers.push(srv);
      }
      break;
    } catch {
      await Promise.all(servers.splice(0).map(close));
    }
  }
  const first = [...addresses.keys()][0];
  if (port && first) {
    api.store.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace, name, uid: `uid-${namespace}-${name}` },
      spec: {
        type: 'LoadBalancer',
        clusterIP: DEMO_LOCAL_SERVICE.vip,
        clusterIPs: [DEMO_LOCAL_SERVICE.vip],
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: port,
        selector: { app: name },
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30081 }],
      },
      status: { loadBalancer: {} },
    } as never);
    api.store.apply({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { namespace, name: `${name}-demo`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [
        { addresses: [DEMO_LOCAL_SERVICE.endpoint], conditions: { ready: true, serving: true, terminating: false }, nodeName: first },
      ],
    } as never);
  }
  return {
    port,
    get answers() {
      return state.answers;
    },
    set answers(a: DemoHealthCheckAnswers) {
      state.answers = a;
    },
    close: () => Promise.all(servers.map(close)).then(() => undefined),
  };
}
