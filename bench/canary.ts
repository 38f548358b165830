// The canary's cost: CPU per change and API requests per hour. One Canary (the real class: Lease
// election, writer, listeners, observer) against the project's fake API server, with a loopback
// "service proxy" that follows the canary slice, at production Lease timing and a short change
// interval; requests are counted per kind and scaled to the default --canary-interval.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConnection } from '../src/cluster/kubeconfig.js';
import { Canary } from '../src/app/canary.js';
import { AFFINITY_NAME, CANARY_NAME, affinityTargets, sliceIsOurs, sliceTarget } from '../src/canary/objects.js';
import { DEFAULT_LEASE_TIMING } from '../src/canary/lease.js';
import { silentLogger } from '../src/log.js';
import { startFakeApiServer, writeKubeconfig, type FakeApiServer } from '../testkit/apiserver/index.js';

export interface CanaryBench {
  changes: number;
  seconds: number;
  /** process CPU (exporter side and the fake API server and proxy in this process: an upper bound) per change */
  cpuMsPerChange: number;
  /** median programming latency measured through the loopback proxy (its delay is 50 ms) */
  medianLatencyMs: number;
  /** measured requests by kind during the run */
  requests: Record<string, number>;
  /** requests an hour at the defaults (30 s interval, 5 s Lease renewal), writer and other replicas */
  writerPerHour: number;
  observerPerHour: number;
}

const NS = 'service-proxy-exporter';
const DELAY_MS = 50;

export async function canaryBench(opts: { changes?: number; intervalMs?: number } = {}): Promise<CanaryBench> {
  const changes = opts.changes ?? 20;
  const intervalMs = opts.intervalMs ?? 1000;
  const api = await startFakeApiServer({ host: '127.0.0.1' });
  const proxy = await serveCanary(api, NS);
  const dir = mkdtempSync(join(tmpdir(), 'spe-canary-bench-'));
  writeKubeconfig(api.url, join(dir, 'kubeconfig'));
  const conn = await openConnection(join(dir, 'kubeconfig'));
  const ports = await freePorts();
  const latencies: number[] = [];
  let seen = 0;
  const canary = new Canary({
    conn,
    log: silentLogger(),
    settings: {
      serviceNamespace: NS,
      podIp: '127.0.0.1',
      canaryPorts: ports,
      canaryIntervalMs: intervalMs,
      canaryPollMs: 200,
      probeTimeoutMs: 1000,
      probeIntervalMs: 15_000,
    },
    recorder: { init() {}, change: () => seen++, programmed: (s) => latencies.push(s * 1000), writeError() {}, checkFailed() {} },
    timing: DEFAULT_LEASE_TIMING,
  });
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  canary.start();
  while (latencies.length < changes) await new Promise((r) => setTimeout(r, 50));
  const cpu = process.cpuUsage(cpu0);
  const seconds = (Date.now() - started) / 1000;
  await canary.stop();
  await proxy.close();
  await api.close();
  conn.close();
  rmSync(dir, { recursive: true, force: true });
  const requests: Record<string, number> = {};
  for (const r of api.requests) {
    if (
      r.resource !== 'leases' &&
      r.resource !== 'endpointslices' &&
      !(r.resource === 'services' && r.name === undefined && r.fieldSelector?.includes(CANARY_NAME))
    )
      continue;
    const key = `${r.resource} ${r.watch ? 'watch' : r.method}`;
    requests[key] = (requests[key] ?? 0) + 1;
  }
  const leaseWrites = (requests['leases PUT'] ?? 0) + (requests['leases POST'] ?? 0);
  const sliceWrites =
    (requests['endpointslices PUT'] ?? 0) +
    (requests['endpointslices PATCH'] ?? 0) +
    (requests['endpointslices POST'] ?? 0) +
    (requests['endpointslices GET'] ?? 0);
  // Watches reconnect every 300–600 s (server-side timeout): ~8 an hour for each of the three.
  const watchesPerHour = 3 * 8;
  const perHour = 3600 / (DEFAULT_LEASE_TIMING.renewPeriodMs / 1000) + (sliceWrites / Math.max(1, seen)) * (3600 / 30) + watchesPerHour;
  latencies.sort((a, b) => a - b);
  void leaseWrites;
  return {
    changes: latencies.length,
    seconds: Math.round(seconds * 10) / 10,
    cpuMsPerChange: Math.round(((cpu.user + cpu.system) / 1000 / latencies.length) * 100) / 100,
    medianLatencyMs: Math.round(latencies[Math.floor(latencies.length / 2)]!),
    requests,
    writerPerHour: Math.round(perHour),
    observerPerHour: watchesPerHour,
  };
}

/** The section docs/benchmarks.md gets. */
export function canaryReport(c: CanaryBench): string {
  const kinds = Object.entries(c.requests)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `
## The canary (service programming latency)

One canary (Lease election, writer, canary ports, observer) against the fake API server with a loopback
service proxy that programs each change after ${DELAY_MS} ms (\`bench/canary.ts\`, part of \`npm run bench\`):
${c.changes} changes in ${c.seconds} s at a 1 s interval and production Lease timing (15 s lease, 5 s renewal).

| | |
|---|---|
| CPU per change | ${c.cpuMsPerChange} ms (the whole process: canary, fake API server and proxy — an upper bound) |
| median latency measured | ${c.medianLatencyMs} ms (proxy delay ${DELAY_MS} ms + at most one 200 ms poll) |
| requests during the run | ${kinds} |
| API requests an hour, writer | ~${c.writerPerHour} at the defaults (720 Lease renewals, 120 slice writes, watch reconnects) — ~${Math.round(c.writerPerHour / 60)} a minute |
| API requests an hour, other replicas | ~${c.observerPerHour} (three watches reconnecting; no polling) |
`;
}

type LoopbackProxy = Awaited<ReturnType<typeof loopbackProxy>>;

/**
 * The canary's Service (the manifests create it) in `namespace`, its VIP on loopback, and a loopback
 * "service proxy" that follows the canary EndpointSlice as a real one would.
 */
export async function serveCanary(api: FakeApiServer, namespace: string): Promise<LoopbackProxy> {
  const proxy = await loopbackProxy();
  api.store.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: CANARY_NAME, namespace, uid: 'canary-service' },
    spec: { clusterIP: '127.0.0.1', ports: [{ name: 'canary', port: proxy.port, protocol: 'TCP' }] },
  } as never);
  api.store.subscribe((e: { object: unknown; resource: string }) => {
    if (e.resource === 'discovery.k8s.io/endpointslices' && sliceIsOurs(e.object)) proxy.follow(sliceTarget(e.object)?.port);
  });
  // The session-affinity canary too, so the behaviour checks run as in a cluster: a VIP that keeps every connection on
  // the first target its slices name (ClientIP affinity honoured for the one client there is).
  const affinity = await loopbackProxy(() => affinityTargets(api.store.list('endpointslices', namespace), 'ipv4')[0]?.port);
  api.store.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: AFFINITY_NAME, namespace, uid: 'canary-affinity-service' },
    spec: { clusterIP: '127.0.0.1', sessionAffinity: 'ClientIP', ports: [{ name: 'canary', port: affinity.port, protocol: 'TCP' }] },
  } as never);
  return { ...proxy, close: () => Promise.all([proxy.close(), affinity.close()]).then(() => undefined) };
}

/**
 * A loopback "service proxy" for the canary VIP: forwards to the port the canary slice names, DELAY_MS after it
 * changes; or, given `pick`, to the port it names at each connection.
 */
async function loopbackProxy(
  pick?: () => number | undefined,
): Promise<{ port: number; follow(port: number | undefined): void; close(): Promise<void> }> {
  let target: number | undefined;
  const server = net.createServer((c) => {
    c.on('error', () => undefined);
    const port = pick ? pick() : target;
    if (!port) return c.destroy();
    const up = net.connect({ host: '127.0.0.1', port });
    up.on('error', () => c.destroy());
    c.pipe(up).pipe(c);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    follow: (port) => void setTimeout(() => (target = port), DELAY_MS),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function freePorts(): Promise<[number, number]> {
  const s = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<net.Server>((r) => {
          const x = net.createServer();
          x.listen(0, '127.0.0.1', () => r(x));
        }),
    ),
  );
  const p = s.map((x) => (x.address() as AddressInfo).port);
  await Promise.all(s.map((x) => new Promise((r) => x.close(r))));
  return [p[0]!, p[1]!];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await canaryBench(), null, 2)}\n`);
}
