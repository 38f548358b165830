// The canary on a real data plane, for canary.test.ts. Runs inside the client namespace:
//   ip netns exec CLIENT node --import tsx test/dataplane/canary-driver.ts '<CanaryDriverConfig JSON>'
// Starts the fake API server on the namespace's loopback (the canary Service with VIP 198.18.100.50:80,
// the exporter's own Service for the me_service probe), the test programmer (a kube-proxy stand-in
// writing iptables DNAT into this namespace), and one or two real exporters (runExporter) whose pod IPs
// are addresses of this namespace. Then it plays one scenario and prints READY first, then one JSON line
// `{"type":"result",...}` with what it saw, and exits.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { openConnection } from '../../src/cluster/kubeconfig.js';
import winston from 'winston';
import { runExporter, type RunningExporter } from '../../src/app/run.js';
import { resolveSettings } from '../../src/config/load.js';
import { startFakeApiServer, writeKubeconfig, WRITE_VERBS, type FakeApiServer } from '../../testkit/apiserver/index.js';
import { AFFINITY_NAME, sliceTarget } from '../../src/canary/objects.js';
import { FAST_REFLECTOR } from '../helpers/exporter.js';
import { startProgrammer } from './programmer.js';
import { parseExposition } from './exporter-driver.js';

const run = promisify(execFile);

export interface CanaryDriverConfig {
  scenario: 'latency' | 'freeze' | 'takeover' | 'forbidden' | 'stale-conntrack' | 'dual-stack' | 'affinity';
  /** affinity: whether the programmer honours sessionAffinity: ClientIP */
  honourAffinity?: boolean;
  /** this namespace's name (the programmer writes its nat table) */
  netns: string;
  /** pod IPs: the first is the namespace's veth address, the others are added to lo */
  podIps: string[];
  dir: string;
  delayMs: number;
  intervalMs: number;
  pollMs: number;
  /** freeze: how far pending must climb before thawing (s) */
  thresholdSeconds?: number;
}

export const NS = 'service-proxy-exporter';
export const CANARY = 'service-proxy-exporter-canary';
export const VIP = '198.18.100.50';
/** dual-stack: the canary's IPv6 ClusterIP and the replica's IPv6 pod IP (ULA) */
export const VIP6 = 'fd00:100::50';
export const POD_IP6 = 'fd00::1';
const SELF_VIP = '198.18.100.60';
/** the session-affinity canary Service's ClusterIP (scenario affinity) */
const AFFINITY_VIP = '198.18.100.70';
const METRICS_PORT = 9808;
const TCP_PENDING = 'service_lb_programming_pending_seconds{protocol="tcp",family="ipv4"}';
const SLICES = `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`;

const emit = (o: unknown): void => void process.stdout.write(`${typeof o === 'string' ? o : JSON.stringify(o)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Replica {
  ip: string;
  running: RunningExporter;
  logs: { level: string; message: string; [k: string]: unknown }[];
  /** TCP observations (the programming latency proper) */
  programmed: { seconds: number; at: number }[];
  /** the long-lived UDP flow's */
  udp: { seconds: number; at: number }[];
}

function objects(podIp: string, dualStack = false): object[] {
  const meta = (name: string) => ({ name, namespace: NS });
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(CANARY),
      spec: {
        type: 'ClusterIP',
        clusterIP: VIP,
        clusterIPs: dualStack ? [VIP, VIP6] : [VIP],
        ...(dualStack ? { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] } : {}),
        ports: [
          { name: 'canary', port: 80, protocol: 'TCP' },
          { name: 'canary-udp', port: 80, protocol: 'UDP' },
        ],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('service-proxy-exporter'),
      spec: {
        type: 'ClusterIP',
        clusterIP: SELF_VIP,
        clusterIPs: [SELF_VIP],
        selector: { app: 'x' },
        ports: [{ name: 'metrics', port: METRICS_PORT, protocol: 'TCP', targetPort: METRICS_PORT }],
      },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { ...meta('service-proxy-exporter-abcde'), labels: { 'kubernetes.io/service-name': 'service-proxy-exporter' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [podIp], conditions: { ready: true } }],
      ports: [{ name: 'metrics', port: METRICS_PORT, protocol: 'TCP' }],
    },
  ];
}

async function startReplica(api: FakeApiServer, kubeconfig: string, ip: string, c: CanaryDriverConfig, identity: string): Promise<Replica> {
  const logs: Replica['logs'] = [];
  const sink = new PassThrough();
  sink.on('data', (b: Buffer) => {
    for (const line of b.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Replica['logs'][number]);
  });
  const log = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  const settings = resolveSettings(
    {
      kubeconfig,
      listen: `${ip}:${METRICS_PORT}`,
      'service-namespace': NS,
      'pod-ip': ip,
      ...(c.scenario === 'dual-stack' && ip === c.podIps[0] ? { 'pod-ips': `${ip},${POD_IP6}` } : {}),
      'canary-interval': `${c.intervalMs}ms`,
      'canary-poll': `${c.pollMs}ms`,
      'probe-interval': '1s',
      'probe-timeout': '500ms',
    },
    {},
  );
  const conn = await openConnection(kubeconfig);
  const running = await runExporter({
    settings,
    conn,
    log,
    reflector: FAST_REFLECTOR,
    canary: {
      identity,
      // short enough for a test; production uses 15 s / 5 s / 10 s / 2 s (src/canary/lease.ts)
      timing: {
        leaseDurationMs: 2_000,
        renewPeriodMs: 500,
        renewDeadlineMs: 1_500,
        retryPeriodMs: 300,
        forbiddenBackoff: { initialMs: 500, maxMs: 1_000 },
      },
      reflector: FAST_REFLECTOR,
    },
  });
  const programmed: Replica['programmed'] = [];
  const udp: Replica['udp'] = [];
  running.canary!.observer.on('programmed', (seconds: number, protocol: string) =>
    (protocol === 'udp' ? udp : programmed).push({ seconds, at: Date.now() }),
  );
  void api;
  return { ip, running, logs, programmed, udp };
}

async function scrape(r: Replica): Promise<Record<string, number>> {
  const text = await (await fetch(`${r.running.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const s of parseExposition(text, (n) => n.startsWith('service_lb_') || n.startsWith('service_proxy_exporter_canary'))) {
    const key = Object.keys(s.labels).length
      ? `${s.name}{${Object.entries(s.labels)
          .map(([k, v]) => `${k}="${v}"`)
          .join(',')}}`
      : s.name;
    out[key] = s.value;
  }
  return out;
}

async function until<T>(what: string, ms: number, f: () => T | undefined | Promise<T | undefined>, everyMs = 20): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(everyMs);
  }
}

async function main(): Promise<void> {
  const c = JSON.parse(process.argv[2] ?? '{}') as CanaryDriverConfig;
  for (const ip of c.podIps.slice(1)) await run('ip', ['addr', 'add', `${ip}/32`, 'dev', 'lo']);
  const api = await startFakeApiServer({ host: '127.0.0.1' });
  const dual = c.scenario === 'dual-stack';
  if (dual) {
    await run('ip', ['-6', 'addr', 'add', `${POD_IP6}/128`, 'dev', 'lo', 'nodad']);
    // a route for the IPv6 VIP (as the node's default route would be): the DNAT happens in nat OUTPUT
    await run('ip', ['-6', 'route', 'add', 'fd00:100::/64', 'dev', 'lo']);
  }
  for (const o of objects(c.podIps[0]!, dual)) api.store.apply(o as never);
  if (c.scenario === 'affinity')
    api.store.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: AFFINITY_NAME, namespace: NS },
      spec: {
        type: 'ClusterIP',
        clusterIP: AFFINITY_VIP,
        clusterIPs: [AFFINITY_VIP],
        sessionAffinity: 'ClientIP',
        ports: [{ name: 'canary', port: 80, protocol: 'TCP' }],
      },
    } as never);
  const kubeconfig = join(c.dir, 'kubeconfig');
  writeKubeconfig(api.url, kubeconfig);
  // when the programmer really wrote each canary target (after its delay and its iptables-restore)
  const written: { port: number; at: number }[] = [];
  const programmer = await startProgrammer({
    apiUrl: api.url,
    netns: c.netns,
    delayMs: c.delayMs,
    ...(c.scenario === 'affinity' ? { sessionAffinity: c.honourAffinity ? ('honour' as const) : ('ignore' as const) } : {}),
    onProgrammed: (ports, at) => {
      const port = ports.find((p) => p.servicePortName === `${NS}/${CANARY}:canary`)?.endpoints[0]?.port;
      if (port !== undefined && written.at(-1)?.port !== port) written.push({ port, at });
    },
  });
  await programmer.ready;
  emit('READY');
  const replicas: Replica[] = [];
  const result: Record<string, unknown> = { type: 'result', scenario: c.scenario };
  try {
    if (c.scenario === 'forbidden') api.faults.set({ verb: WRITE_VERBS }, { status: 403 });
    for (const [i, ip] of c.podIps.entries()) replicas.push(await startReplica(api, kubeconfig, ip, c, `replica-${i}`));
    const a = replicas[0]!;

    if (c.scenario === 'latency') {
      await until('four programmed changes', 30_000, () => a.programmed.length >= 4 || undefined, 100);
      result.observations = a.programmed.map((p) => p.seconds);
      // how long after the rules were written the observer saw the new target
      result.lagsMs = a.programmed.map((p) => p.at - (written.filter((w) => w.at <= p.at).at(-1)?.at ?? NaN));
      result.metrics = await scrape(a);
    }

    if (c.scenario === 'freeze') {
      await until('a first programmed change', 15_000, () => a.programmed.length >= 1 || undefined, 50);
      await until('service_lb_functional', 10_000, async () => (await scrape(a)).service_lb_functional !== undefined || undefined, 200);
      programmer.freeze();
      const samples: { pending: number; functional: number | undefined }[] = [];
      await until(
        'pending past the threshold',
        60_000,
        async () => {
          const m = await scrape(a);
          samples.push({ pending: m[TCP_PENDING] ?? -1, functional: m.service_lb_functional });
          return (m[TCP_PENDING] ?? 0) > c.thresholdSeconds! || undefined;
        },
        250,
      );
      const changesWhileFrozen = (await scrape(a)).service_lb_programming_changes_total;
      const before = a.programmed.length;
      const thawedAt = Date.now();
      programmer.thaw();
      await until('programmed after thaw', 10_000, () => a.programmed.length > before || undefined, 5);
      const seenAt = a.programmed.at(-1)!.at;
      const after = await scrape(a);
      result.samples = samples;
      result.thawToProgrammedMs = seenAt - thawedAt;
      result.pendingAfterThaw = after[TCP_PENDING];
      result.latencyAfterThaw = a.programmed.at(-1)!.seconds;
      result.changesFrozen = { atThreshold: changesWhileFrozen, firstFrozen: samples.length };
    }

    if (c.scenario === 'stale-conntrack') {
      const pend = (m: Record<string, number>, protocol: string) =>
        m[`service_lb_programming_pending_seconds{protocol="${protocol}",family="ipv4"}`];
      // healthy first (the programmer clears stale UDP entries as kube-proxy does): UDP follows every flip
      await until('two changes taken by the UDP flow', 15_000, () => a.udp.length >= 2 || undefined, 50);
      result.healthyUdp = a.udp.map((p) => p.seconds);
      result.healthyTcp = a.programmed.map((p) => p.seconds);
      programmer.setConntrack('keep');
      const faultAt = Date.now();
      const tcpBefore = a.programmed.length;
      const udpBefore = a.udp.length;
      const samples: { t: number; tcp: number; udp: number }[] = [];
      await until(
        'UDP pending past the threshold',
        60_000,
        async () => {
          const m = await scrape(a);
          samples.push({ t: Date.now() - faultAt, tcp: pend(m, 'tcp') ?? -1, udp: pend(m, 'udp') ?? -1 });
          return (pend(m, 'udp') ?? 0) > c.thresholdSeconds! || undefined;
        },
        250,
      );
      result.samples = samples;
      result.tcpDuringFault = a.programmed.length - tcpBefore;
      result.udpDuringFault = a.udp.length - udpBefore;
      result.metricsFault = await scrape(a);
      result.stuckOn = a.running.canary!.observer.families[0]!.udp.answering;
      result.target = sliceTarget(await (await fetch(`${api.url}${SLICES}/${CANARY}`)).json());
      // heal: the programmer clears again; the next flip that removes the stuck endpoint frees the flow
      programmer.setConntrack('clear');
      const healedAt = Date.now();
      await until('the UDP flow follows again', 15_000, () => a.udp.length > udpBefore || undefined, 20);
      result.healToUdpMs = Date.now() - healedAt;
      result.udpLatencyAfterHeal = a.udp.at(-1)!.seconds;
      result.faultMs = healedAt - faultAt;
      result.metricsHealed = await scrape(a);
      result.conntrackCleared = programmer.conntrackCleared;
    }

    if (c.scenario === 'dual-stack') {
      const key = (m: string, protocol: string, family: string) => `${m}{protocol="${protocol}",family="${family}"}`;
      const combos = ['tcp', 'udp'].flatMap((p) => ['ipv4', 'ipv6'].map((f) => [p, f] as const));
      let m: Record<string, number> = {};
      await until(
        'two changes programmed for each protocol and family',
        30_000,
        async () => {
          m = await scrape(a);
          return combos.every(([p, f]) => (m[key('service_lb_programming_duration_seconds_count', p, f)] ?? 0) >= 2) || undefined;
        },
        200,
      );
      result.metrics = m;
      result.slices = (
        (await (await fetch(`${api.url}${SLICES}`)).json()) as { items: { metadata: { name: string }; addressType: string }[] }
      ).items.map((x) => `${x.metadata.name} ${x.addressType} ${JSON.stringify(sliceTarget(x))}`);
      result.v6Rules = programmer.programmed().filter((p) => p.vip === VIP6).length;
      // the IPv6 half stops being programmed: that family pends on its own (the writer holds its flip)
      programmer.setIpv6(false);
      const samples: { v4: number; v6: number }[] = [];
      await until(
        'IPv6 TCP pending past 3 s',
        30_000,
        async () => {
          const x = await scrape(a);
          samples.push({
            v4: x[key('service_lb_programming_pending_seconds', 'tcp', 'ipv4')]!,
            v6: x[key('service_lb_programming_pending_seconds', 'tcp', 'ipv6')]!,
          });
          return samples.at(-1)!.v6 > 3 || undefined;
        },
        250,
      );
      result.v6Samples = samples;
    }

    if (c.scenario === 'affinity') {
      let m: Record<string, number> = {};
      // three conclusive rounds (probe interval 1 s): one lucky round of a proxy ignoring affinity cannot pass them all
      await until(
        'both checks judged three times',
        30_000,
        async () => {
          m = await scrape(a);
          const rounds = a.running.canary!.checks.view.filter((v) => v.success !== undefined).length;
          return (rounds === 2 && a.running.canary!.checks.rounds >= 4) || undefined;
        },
        200,
      );
      result.metrics = m;
      result.checks = a.running.canary!.checks.view;
      result.affinityRules = programmer.programmed().filter((p) => p.vip === AFFINITY_VIP);
    }

    if (c.scenario === 'takeover') {
      const writers = () => replicas.filter((r) => r.running.canary!.elector.isLeader);
      await until('a writer', 10_000, () => writers().length === 1 || undefined);
      const counts: number[] = [];
      for (let i = 0; i < 20; i++) {
        const m = await Promise.all(replicas.map(scrape));
        counts.push(m.reduce((n, x) => n + (x.service_proxy_exporter_canary_writer ?? 0), 0));
        await sleep(100);
      }
      const first = writers()[0]!;
      const other = replicas.find((r) => r !== first)!;
      await until('the survivor observed a change', 15_000, () => other.programmed.length >= 1 || undefined, 50);
      const killedAt = Date.now();
      await first.running.canary!.abandon(); // as a crash: no Lease release
      await first.running.stop();
      await until('the survivor writes', 10_000, () => other.running.canary!.elector.isLeader || undefined, 5);
      const tookOverMs = Date.now() - killedAt;
      const n = other.programmed.length;
      await until(
        'a change by the new writer programmed',
        15_000,
        async () => {
          const t = sliceTarget(await (await fetch(`${api.url}${SLICES}/${CANARY}`)).json());
          return (other.programmed.length > n && t?.address === other.ip) || undefined;
        },
        50,
      );
      result.writerCounts = counts;
      result.tookOverMs = tookOverMs;
      result.firstWriter = first.ip;
      result.newTarget = sliceTarget(await (await fetch(`${api.url}${SLICES}/${CANARY}`)).json());
      replicas.splice(replicas.indexOf(first), 1);
    }

    if (c.scenario === 'forbidden') {
      await until('a forbidden write', 10_000, () => a.logs.some((l) => l.message.startsWith('canary writes forbidden')) || undefined, 50);
      // someone else moves the slice (an admin; the server's own store): still observed
      api.store.apply({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: CANARY,
          namespace: NS,
          labels: { 'kubernetes.io/service-name': CANARY, 'endpointslice.kubernetes.io/managed-by': 'service-proxy-exporter.io' },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: [a.ip], conditions: { ready: true } }],
        ports: [{ name: 'canary', port: 9811, protocol: 'TCP' }],
      } as never);
      await until('the foreign change programmed', 15_000, () => a.programmed.length >= 1 || undefined, 50);
      await sleep(3_000); // several backoff retries
      const m = await scrape(a);
      result.forbiddenLines = a.logs.filter((l) => l.message.startsWith('canary writes forbidden')).length;
      result.observations = a.programmed.map((p) => p.seconds);
      result.writer = m.service_proxy_exporter_canary_writer;
      result.forbiddenErrors = Object.entries(m)
        .filter(([k]) => k.startsWith('service_proxy_exporter_canary_write_errors_total') && k.includes('reason="forbidden"'))
        .reduce((n, [, v]) => n + v, 0);
      result.attempts = api.requests.filter((r) => r.status === 403).length;
    }
  } catch (e) {
    const o = replicas[0]?.running.canary?.observer;
    const f = o?.families[0];
    result.error = `${String((e as Error).stack ?? e)}\nobserver: ${JSON.stringify({ datagrams: o?.datagrams, udpPort: o?.udpPort, vip: f?.clusterIp, flowPort: f?.flowPort, answering: f?.udp.answering, udp: f?.udp.view, programmed: programmer.programmed() })}`;
  }
  result.logs = replicas.flatMap((r) => r.logs.filter((l) => l.level !== 'debug').map((l) => `${r.ip} ${l.level} ${l.message}`)).slice(-60);
  emit(result);
  await Promise.all(replicas.map((r) => r.running.stop()));
  await programmer.stop();
  await api.close();
  process.exit(0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    emit({ type: 'result', error: String((e as Error).stack ?? e) });
    process.exit(1);
  });
}
