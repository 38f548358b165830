// Helpers for the fault-injection suite (the exporter itself runs through test/helpers/exporter.ts):
// a prober table that reports each probe as it starts and ends,
// so tests wait on probe events instead of the clock.
import { EventEmitter, once } from 'node:events';
import net from 'node:net';
import { probers as realProbers } from '../../src/probe/probers.js';
import type { ProberTable, ProbeTarget } from '../../src/probe/types.js';
import type { PolicyRule } from '../../testkit/apiserver/index.js';

/** Real probers that also emit 'start' and 'end' (with the target) on `events`. */
export function observedProbers(): { probers: ProberTable; events: EventEmitter } {
  const events = new EventEmitter();
  const wrap = <K extends keyof ProberTable>(kind: K): ProberTable[K] =>
    (async (target: ProbeTarget, opts: Parameters<ProberTable[K]>[1]) => {
      events.emit('start', target);
      const r = await (realProbers[kind] as (t: ProbeTarget, o: typeof opts) => ReturnType<ProberTable[K]>)(target, opts);
      events.emit('end', target, r);
      return r;
    }) as unknown as ProberTable[K];
  return { probers: { tcp: wrap('tcp'), http: wrap('http'), tls: wrap('tls'), dns: wrap('dns') }, events };
}

/** Resolves after `n` more 'end' events. */
export async function probesEnded(events: EventEmitter, n = 1, signal = AbortSignal.timeout(20_000)): Promise<void> {
  for (let i = 0; i < n; i++) await once(events, 'end', { signal });
}

/** An HTTP-ish server that accepts connections and never answers; 'connection' events tell when a probe is stuck in it. */
export async function startHangingServer(): Promise<{ port: number; events: EventEmitter; closed: () => number; close(): Promise<void> }> {
  const events = new EventEmitter();
  const sockets = new Set<net.Socket>();
  let closed = 0;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      closed++;
      events.emit('closed');
    });
    s.on('error', () => undefined);
    // read and drop what the probe sends, so the client's FIN is seen (a paused socket never ends)
    s.resume();
    events.emit('connection', s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    events,
    closed: () => closed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A ClusterRole allowing get/list/watch on everything except what `deny` says. */
export function rulesExcept(deny: { group: string; resource: string; allowNames?: string[] }): PolicyRule[] {
  const rules: PolicyRule[] = [
    { apiGroups: [''], resources: ['pods', 'nodes', 'services', 'events', 'configmaps'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['operator.tigera.io'], resources: ['installations'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['crd.projectcalico.org'], resources: ['felixconfigurations'], verbs: ['get', 'list', 'watch'] },
  ];
  const out: PolicyRule[] = [];
  for (const r of rules) {
    if (!r.apiGroups.includes(deny.group) || !r.resources.includes(deny.resource)) {
      out.push(r);
      continue;
    }
    const rest = r.resources.filter((x) => x !== deny.resource);
    if (rest.length) out.push({ ...r, resources: rest });
    if (deny.allowNames?.length)
      out.push({ apiGroups: [deny.group], resources: [deny.resource], verbs: r.verbs, resourceNames: deny.allowNames });
  }
  return out;
}

/** Objects for a Service opted in to probing at 127.0.0.1:port (VIP) with one endpoint at the same address. */
export function probedService(namespace: string, name: string, port: number, o: { path?: string; endpoint?: boolean } = {}): object[] {
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      namespace,
      name,
      annotations: { 'service-proxy-exporter.io/probe': 'true', ...(o.path ? { 'service-proxy-exporter.io/path': o.path } : {}) },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: '127.0.0.1',
      clusterIPs: ['127.0.0.1'],
      ports: [{ name: 'http', port, protocol: 'TCP', targetPort: port }],
    },
  };
  if (o.endpoint === false) return [svc];
  return [
    svc,
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { namespace, name: `${name}-x1`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port, protocol: 'TCP' }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    },
  ];
}
