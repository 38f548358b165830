// Both IP families and the health-check node ports on a real data plane, for families.test.ts. Runs
// inside the client namespace:
//   ip netns exec CLIENT node --import tsx test/dataplane/families-driver.ts '<FamiliesDriverConfig JSON>'
// Starts the backends on this namespace's own addresses (IPv4 and IPv6), the fake API server on its
// loopback, the test programmer (the kube-proxy stand-in: iptables and ip6tables DNAT into this
// namespace, health-check node port servers on the node addresses) and the real exporter. Plays one
// scenario; prints READY, then one JSON line `{"type":"result",...}`, and exits.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import winston from 'winston';
import { openConnection } from '../../src/cluster/kubeconfig.js';
import { runExporter, type RunningExporter } from '../../src/app/run.js';
import { resolveSettings } from '../../src/config/load.js';
import { eachVerdict } from '../../src/probe/differential.js';
import { ANNOTATIONS } from '../../src/probe/targets.js';
import { startFakeApiServer, writeKubeconfig } from '../../testkit/apiserver/index.js';
import { FAST_REFLECTOR } from '../helpers/exporter.js';
import { parseExposition } from './exporter-driver.js';
import { startProgrammer, type Programmer } from './programmer.js';

const run = promisify(execFile);

export interface FamiliesDriverConfig {
  scenario: 'dual-stack' | 'health-check';
  netns: string;
  dir: string;
  clientIP: string;
  clientIP6: string;
  /** a second node's address, added to this namespace's loopback */
  nodeBIP: string;
}

export const WEB_VIP = '198.18.100.31';
export const WEB_VIP6 = 'fd00:198:18:100::31';
export const LB_VIP = '198.18.100.41';
export const HC_PORT = 32100;
const BACKEND_PORT = 8080;
const METRICS_PORT = 9808;

const emit = (o: unknown): void => void process.stdout.write(`${typeof o === 'string' ? o : JSON.stringify(o)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, f: () => T | undefined | Promise<T | undefined>, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(everyMs);
  }
}

function node(name: string, ips: string[]) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: ips.map((address) => ({ type: 'InternalIP', address })),
    },
  };
}

function slice(service: string, addressType: 'IPv4' | 'IPv6', ip: string, nodeName: string) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: 'apps',
      name: `${service}-${addressType.toLowerCase()}`,
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType,
    ports: [{ name: 'http', port: BACKEND_PORT, protocol: 'TCP' }],
    endpoints: [{ addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, nodeName }],
  };
}

function objects(c: FamiliesDriverConfig): object[] {
  const nodes = [node('node-a', [c.clientIP, c.clientIP6]), node('node-b', [c.nodeBIP])];
  if (c.scenario === 'dual-stack')
    return [
      ...nodes,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { namespace: 'apps', name: 'web', uid: 'uid-web', annotations: { [ANNOTATIONS.probe]: 'true' } },
        spec: {
          type: 'ClusterIP',
          clusterIP: WEB_VIP,
          clusterIPs: [WEB_VIP, WEB_VIP6],
          ipFamilies: ['IPv4', 'IPv6'],
          ipFamilyPolicy: 'RequireDualStack',
          selector: { app: 'web' },
          ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: BACKEND_PORT }],
        },
      },
      slice('web', 'IPv4', c.clientIP, 'node-a'),
      slice('web', 'IPv6', c.clientIP6, 'node-a'),
    ];
  return [
    ...nodes,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'apps', name: 'lb', uid: 'uid-lb' },
      spec: {
        type: 'LoadBalancer',
        clusterIP: LB_VIP,
        clusterIPs: [LB_VIP],
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: HC_PORT,
        selector: { app: 'lb' },
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: BACKEND_PORT, nodePort: 30080 }],
      },
    },
    // the only endpoint runs on node-a
    slice('lb', 'IPv4', c.clientIP, 'node-a'),
  ];
}

async function listen(host: string): Promise<net.Server> {
  // a TCP probe closes at once: the reset it may cause is no error of the backend
  const server = net.createServer((s) => s.on('error', () => undefined).end('ok\n'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(BACKEND_PORT, host, () => resolve());
  });
  return server;
}

async function scrape(r: RunningExporter): Promise<Record<string, number>> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const s of parseExposition(text, (n) => n.startsWith('service_lb_'))) {
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    out[labels ? `${s.name}{${labels}}` : s.name] = s.value;
  }
  return out;
}

async function main(): Promise<void> {
  const c = JSON.parse(process.argv[2] ?? '{}') as FamiliesDriverConfig;
  await run('ip', ['addr', 'add', `${c.nodeBIP}/32`, 'dev', 'lo']);
  const backends = [await listen(c.clientIP), await listen(c.clientIP6)];
  const api = await startFakeApiServer({ host: '127.0.0.1' });
  for (const o of objects(c)) api.store.apply(o as never);
  const kubeconfig = join(c.dir, 'kubeconfig');
  writeKubeconfig(api.url, kubeconfig);
  const errors: string[] = [];
  const startKubeProxy = (families: ('IPv4' | 'IPv6')[]) =>
    startProgrammer({
      apiUrl: api.url,
      netns: c.netns,
      families,
      healthCheck: {
        nodes: [
          { node: 'node-a', address: c.clientIP },
          { node: 'node-b', address: c.nodeBIP },
        ],
        answers: 'always-ok',
      },
      onError: (e) => errors.push(e.message),
    });
  // A data plane that programs IPv4 only (and whose health-check servers answer 200 everywhere).
  let programmer: Programmer = await startKubeProxy(['IPv4']);
  await programmer.ready;
  const logs: { level: string; message: string }[] = [];
  const sink = new PassThrough();
  sink.on('data', (b: Buffer) => {
    for (const line of b.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as { level: string; message: string });
  });
  const log = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  const settings = resolveSettings(
    {
      kubeconfig,
      listen: `${c.clientIP}:${METRICS_PORT}`,
      'probe-interval': '1s',
      'probe-timeout': '500ms',
      'agent-health-interval': '1s',
      'agent-health-timeout': '500ms',
      canary: 'off',
    },
    {},
  );
  const running = await runExporter({ settings, conn: await openConnection(kubeconfig), log, reflector: FAST_REFLECTOR });
  emit('READY');
  const result: Record<string, unknown> = { type: 'result', scenario: c.scenario };
  try {
    if (c.scenario === 'dual-stack') {
      const families = () => eachVerdict(running.probes.state.lastRound?.classifications ?? {});
      // The first round may come before the opted-in Service's slices are read (no_endpoint): wait for
      // the round that compares both families with their endpoints (ipv4 reached).
      const compared = () =>
        (running.probes.state.lastRound?.results ?? []).filter((r) => r.target.path === 'endpoint').map((r) => r.target.family);
      const broken = await until('a round with both families compared', 20_000, () =>
        families().length === 2 && compared().includes('ipv4') && compared().includes('ipv6') ? families() : undefined,
      );
      result.broken = {
        verdicts: broken.map((v) => ({ family: v.family, verdict: v.verdict })),
        functional: running.probes.state.lastRound!.functional,
        metrics: await scrape(running),
        targets: running.probes.state.targets.map((t) => `${t.path}/${t.family} ${t.host}`),
      };
      // The same Service once both families are programmed: the ipv6 verdict heals on its own.
      await programmer.stop();
      programmer = await startKubeProxy(['IPv4', 'IPv6']);
      await programmer.ready;
      const since = Date.now();
      await until('a round with both families ok', 20_000, () => {
        const r = running.probes.state.lastRound;
        return r && Date.parse(r.at) > since && families().every((v) => v.verdict === 'ok') && r.functional ? true : undefined;
      });
      result.healed = { verdicts: families().map((v) => ({ family: v.family, verdict: v.verdict })), metrics: await scrape(running) };
    } else {
      const hc = running.healthChecks!;
      const view = () => running.exporter.state.healthChecks;
      const lb = () => view()?.services.find((s) => s.probe === 'apps/lb');
      await until('a health-check round judging apps/lb', 20_000, () => lb()?.consistent !== undefined || undefined);
      result.wrong = { service: lb(), metrics: await scrape(running), diagnose: await (await fetch(`${running.url}/diagnose`)).json() };
      result.statusPage = await (await fetch(`${running.url}/`)).text();
      programmer.setHealthCheckAnswers('truthful');
      const since = Date.now();
      await until('a round after the fix', 20_000, () => {
        const r = view()?.lastRound;
        return r && Date.parse(r.at) > since && lb()?.consistent !== undefined ? true : undefined;
      });
      result.fixed = { service: lb(), metrics: await scrape(running) };
      void hc;
    }
  } catch (err) {
    const round = running.probes.state.lastRound;
    result.error = `${String((err as Error)?.stack ?? err)}\nlast round: ${JSON.stringify(
      round?.results.map(
        (r) =>
          `${r.target.probe} ${r.target.path}/${r.target.family} ${r.target.host}: ${r.result.success ? 'ok' : `${r.result.reason} ${r.result.detail ?? ''}`}`,
      ),
    )}\nskipped: ${JSON.stringify(running.probes.state.skipped)}\nhealth checks: ${JSON.stringify(running.exporter.state.healthChecks)}`;
  }
  result.logs = logs.filter((l) => l.level !== 'debug').map((l) => JSON.stringify(l));
  result.programmerErrors = errors;
  emit(result);
  await running.stop().catch(() => undefined);
  await programmer.stop().catch(() => undefined);
  await api.close();
  for (const b of backends) b.close();
  process.exit(0);
}

// Only when run as a script: the test imports the config type and constants from here.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
