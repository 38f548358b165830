// The demo's simulated service proxy agents' own health endpoints. Every Node of the scenario
// gets a loopback InternalIP (127.0.3.1, 127.0.3.2, …) where an HTTP server answers `/healthz`
// and `/livez` with kube-proxy's JSON shape. The port is ephemeral (no root, several demos side
// by side) and written into the provider's config where the exporter's locator reads it:
// cilium-config `kube-proxy-replacement-healthz-bind-address`, the kube-proxy ConfigMap's
// `healthzBindAddress`, FelixConfiguration `bpfKubeProxyHealthzPort`, kube-router `--health-port`.
// A config that turns the endpoint off (e.g. scenario cilium-kpr-no-healthz) is left alone.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { FakeApiServer } from '../apiserver/index.js';

export type DemoAgentState = 'healthy' | 'stale' | 'down';

export interface DemoAgents {
  port: number;
  /** node name → loopback address */
  addresses: ReadonlyMap<string, string>;
  /** healthy: 200; stale: 503 with lastUpdated 10 minutes back; down: the port refuses */
  set(node: string, state: DemoAgentState): Promise<void>;
  states(): Record<string, DemoAgentState>;
  close(): Promise<void>;
}

/** time.Time.String() as Go's %q prints it (what kube-proxy, Cilium and Felix send). */
export function goTimeString(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000000 +0000 UTC m=+${(ms / 1000).toFixed(9)}`;
}

/**
 * kube-proxy's body: healthy sends lastUpdated = currentTime, unhealthy the last sync. `current` is the shape the real
 * kube-proxy v1.37 sends (RFC 3339 times, `healthy`, a per-family `status`, `nodeEligible` on /healthz only: seen on
 * the test bed, docs/testbed.md); `legacy` the `%q`-formatted pair older releases wrote.
 */
export function kubeProxyBody(
  now: number,
  lastSync: number,
  healthy: boolean,
  nodeEligible?: boolean,
  shape: 'current' | 'legacy' = 'current',
): string {
  if (shape === 'legacy') {
    const eligible = nodeEligible === undefined ? '' : `, "nodeEligible": ${nodeEligible}`;
    return `{"lastUpdated": "${goTimeString(healthy ? now : lastSync)}","currentTime": "${goTimeString(now)}"${eligible}}`;
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const family = { lastUpdated: iso(lastSync), healthy };
  return JSON.stringify({
    lastUpdated: iso(healthy ? now : lastSync),
    currentTime: iso(now),
    ...(nodeEligible === undefined ? {} : { nodeEligible }),
    healthy,
    status: { IPv4: family, IPv6: family },
  });
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

function closeServer(s: http.Server): Promise<void> {
  return new Promise((r) => {
    if (!s.listening) return r();
    s.closeAllConnections();
    s.close(() => r());
  });
}

/** Points the provider's health config at `port`, unless it turns the endpoint off. */
function configure(api: FakeApiServer, port: number): void {
  const s = api.store;
  for (const cm of s.list('configmaps')) {
    const name = cm.metadata?.name;
    const data = isObj((cm as any).data) ? ((cm as any).data as Record<string, string>) : undefined;
    if (!data) continue;
    if (name === 'cilium-config' && (data['kube-proxy-replacement-healthz-bind-address'] ?? '').trim()) {
      s.apply({ ...cm, data: { ...data, 'kube-proxy-replacement-healthz-bind-address': `0.0.0.0:${port}` } } as never);
    }
    const key = name === 'kube-proxy' ? 'config.conf' : name === 'kube-proxy-config' ? 'config' : undefined;
    if (key && typeof data[key] === 'string') {
      const doc = parseYaml(data[key]!, { logLevel: 'error' }) as unknown;
      if (isObj(doc) && doc.healthzBindAddress !== '')
        s.apply({ ...cm, data: { ...data, [key]: stringifyYaml({ ...doc, healthzBindAddress: `0.0.0.0:${port}` }) } } as never);
    }
  }
  if (s.isInstalled('felixconfigurations')) {
    const fc = s.get('felixconfigurations', undefined, 'default') as any;
    if (fc && fc.spec?.bpfKubeProxyHealthzPort !== 0) s.apply({ ...fc, spec: { ...fc.spec, bpfKubeProxyHealthzPort: port } });
  }
  for (const stored of s.list('daemonsets')) {
    const ds = JSON.parse(JSON.stringify(stored));
    const cs: any[] = ds.spec?.template?.spec?.containers ?? [];
    const kr = cs.find((c) => c.name === 'kube-router');
    if (!kr || (kr.args ?? []).includes('--health-port=0')) continue;
    kr.args = [...(kr.args ?? []).filter((a: string) => !a.startsWith('--health-port')), `--health-port=${port}`];
    s.apply(ds);
  }
}

export async function startDemoAgents(api: FakeApiServer, opts: { now?: () => number } = {}): Promise<DemoAgents> {
  const now = opts.now ?? Date.now;
  const nodes = api.store.list('nodes').filter((n) => typeof n.metadata?.name === 'string');
  const addresses = new Map<string, string>();
  nodes.forEach((n, i) => addresses.set(n.metadata!.name!, `127.0.3.${(i % 250) + 1}`));
  const states = new Map<string, DemoAgentState>([...addresses.keys()].map((n) => [n, 'healthy']));
  const startedAt = now();
  const servers = new Map<string, http.Server>();
  const make = (node: string) =>
    http.createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/healthz' && path !== '/livez') return void res.writeHead(404).end('404 page not found\n');
      const healthy = states.get(node) !== 'stale';
      const t = now();
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' });
      res.end(kubeProxyBody(t, Math.min(startedAt, t - 600_000), healthy, path === '/healthz' ? true : undefined));
    });

  // One port for all nodes, as on a real cluster: bind the first, then the same port on the rest.
  let port = 0;
  for (let attempt = 0; attempt < 5 && addresses.size > 0; attempt++) {
    try {
      port = 0;
      for (const [node, addr] of addresses) {
        const srv = make(node);
        port = await listen(srv, addr, port);
        servers.set(node, srv);
      }
      break;
    } catch {
      await Promise.all([...servers.values()].map(closeServer));
      servers.clear();
    }
  }
  if (addresses.size > 0 && servers.size !== addresses.size) throw new Error('demo agents: could not bind one port on every node address');

  for (const n of nodes) {
    const name = n.metadata!.name!;
    const st = isObj((n as any).status) ? (n as any).status : {};
    const others = (Array.isArray(st.addresses) ? st.addresses : []).filter((a: any) => a?.type !== 'InternalIP');
    api.store.apply({ ...n, status: { ...st, addresses: [{ type: 'InternalIP', address: addresses.get(name) }, ...others] } } as never);
  }
  if (port) configure(api, port);

  return {
    port,
    addresses,
    states: () => Object.fromEntries(states),
    async set(node, state) {
      const srv = servers.get(node);
      if (!srv) throw new Error(`demo agents: no node ${node}`);
      states.set(node, state);
      if (state === 'down') await closeServer(srv);
      else if (!srv.listening) {
        const fresh = make(node);
        await listen(fresh, addresses.get(node)!, port);
        servers.set(node, fresh);
      }
    },
    async close() {
      await Promise.all([...servers.values()].map(closeServer));
    },
  };
}
