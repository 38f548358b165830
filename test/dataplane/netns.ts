// A real Service data plane in two network namespaces, for tests that must see the kernel do what
// kube-proxy makes it do. `client` is the node the exporter runs on: it holds the iptables nat rules
// that turn a ClusterIP into an endpoint, exactly in kube-proxy's iptables-mode shape
// (KUBE-SERVICES → KUBE-SVC-<hash> → KUBE-SEP-<hash> → DNAT, written with iptables-restore --noflush
// as kube-proxy's syncProxyRules does). `server` holds the backends. A veth pair joins them.
// Addresses come from 198.18.0.0/15 (RFC 2544 benchmarking space) and never leave the namespaces.
//
// Needs root, `ip` (iproute2) and `iptables`. Every resource is named with a random suffix and
// removed by destroy(), which is safe to call more than once and after a partial setup.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { SlimEndpointSlice, SlimService } from '../../src/cluster/types.js';
import type { ProbeTarget } from '../../src/probe/types.js';
import type { ProbeRunOutput } from './run-probes.js';

const execFileP = promisify(execFile);

/** Repository root: child processes run here so `--import tsx` resolves. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function run(argv: string[], input?: string): Promise<string> {
  if (input === undefined) {
    try {
      const { stdout } = await execFileP(argv[0]!, argv.slice(1), { timeout: 30_000 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${argv.join(' ')}: ${e.stderr?.trim() || e.message}`, { cause: err });
    }
  }
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')} exited ${code}: ${err.trim()}`))));
    child.stdin.end(input);
  });
}

const nsRun = (ns: string, argv: string[], input?: string): Promise<string> => run(['ip', 'netns', 'exec', ns, ...argv], input);

// ---------------------------------------------------------------------------------------------
// Availability

/**
 * Why the data-plane tests cannot run here, or undefined when they can. Checks what the harness
 * needs: root, `ip`, `iptables`, `iptables-restore`, and that a namespace can really be created.
 */
export async function dataplaneUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'not root: network namespaces and iptables need root (run as root, or in CI)';
  for (const tool of ['ip', 'iptables', 'iptables-restore']) {
    try {
      await run(['sh', '-c', `command -v ${tool}`]);
    } catch {
      return `\`${tool}\` is missing (Debian: apt-get install iproute2 iptables)`;
    }
  }
  const probe = `spe-chk-${randomBytes(3).toString('hex')}`;
  try {
    await run(['ip', 'netns', 'add', probe]);
    await nsRun(probe, ['iptables', '-t', 'nat', '-L', '-n']);
  } catch (err) {
    return `cannot create a network namespace with iptables in it: ${(err as Error).message}`;
  } finally {
    await run(['ip', 'netns', 'del', probe]).catch(() => undefined);
  }
  return undefined;
}

/**
 * For node:test: the `skip` value for a data-plane suite. Undefined when it can run; a message when
 * it cannot — except under CI=true, where not being able to run is itself the failure (throws).
 */
export async function dataplaneSkip(): Promise<string | undefined> {
  const why = await dataplaneUnavailable();
  if (!why) return undefined;
  if (process.env.CI === 'true') throw new Error(`data-plane test cannot run under CI=true: ${why}`);
  return `data-plane test skipped: ${why}`;
}

// ---------------------------------------------------------------------------------------------
// Namespaces

export interface NetnsPair {
  /** random suffix shared by every resource of this pair */
  id: string;
  /** the "node": where probes (or the exporter) run and kube-proxy's rules live */
  client: string;
  /** where the backends run */
  server: string;
  clientIP: string;
  serverIP: string;
  /** with `ipv6: true`: the ULA addresses of the veth pair (fd00:198:18::1 and ::2) */
  clientIP6?: string;
  serverIP6?: string;
  /** processes started in either namespace; destroy() kills them */
  processes: Set<ChildProcess>;
  /** kills the processes and deletes both namespaces (the veth pair goes with them); idempotent */
  destroy(): Promise<void>;
}

/**
 * Two namespaces and a veth pair: client 198.18.0.1/24, server 198.18.0.2/24, and in the client a
 * route for the rest of 198.18.0.0/15 via the server — the way a node sends ClusterIP traffic to its
 * gateway when no service proxy rewrites it (so a VIP without rules times out, as in a real cluster).
 */
export async function createNetnsPair(opts: { clientIP?: string; serverIP?: string; ipv6?: boolean } = {}): Promise<NetnsPair> {
  const id = randomBytes(3).toString('hex');
  const clientIP = opts.clientIP ?? '198.18.0.1';
  const serverIP = opts.serverIP ?? '198.18.0.2';
  const pair: NetnsPair = {
    id,
    client: `spe-c-${id}`,
    server: `spe-s-${id}`,
    clientIP,
    serverIP,
    processes: new Set(),
    async destroy() {
      await Promise.all([...pair.processes].map(stopProcess));
      pair.processes.clear();
      for (const ns of [pair.client, pair.server]) await run(['ip', 'netns', 'del', ns]).catch(() => undefined);
    },
  };
  try {
    await run(['ip', 'netns', 'add', pair.client]);
    await run(['ip', 'netns', 'add', pair.server]);
    const vc = `spc${id}`;
    const vs = `sps${id}`;
    // Created inside the client namespace, peer straight into the server's: never in the host's.
    await run(['ip', '-n', pair.client, 'link', 'add', vc, 'type', 'veth', 'peer', 'name', vs, 'netns', pair.server]);
    await run(['ip', '-n', pair.client, 'addr', 'add', `${clientIP}/24`, 'dev', vc]);
    await run(['ip', '-n', pair.server, 'addr', 'add', `${serverIP}/24`, 'dev', vs]);
    for (const [ns, dev] of [
      [pair.client, vc],
      [pair.server, vs],
    ] as const) {
      await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      await run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    }
    await run(['ip', '-n', pair.client, 'route', 'add', '198.18.0.0/15', 'via', serverIP]);
    if (opts.ipv6) {
      // A ULA prefix of our own (RFC 4193 space, never routed off the machine). `nodad`: usable at once,
      // not after duplicate address detection; the client routes the rest of fd00:198:18::/48 (the IPv6
      // Service CIDR) via the server, as the IPv4 side does.
      pair.clientIP6 = IPV6.client;
      pair.serverIP6 = IPV6.server;
      await run(['ip', '-n', pair.client, 'addr', 'add', `${IPV6.client}/64`, 'dev', vc, 'nodad']);
      await run(['ip', '-n', pair.server, 'addr', 'add', `${IPV6.server}/64`, 'dev', vs, 'nodad']);
      await run(['ip', '-n', pair.client, '-6', 'route', 'add', 'fd00:198:18::/48', 'via', IPV6.server]);
    }
  } catch (err) {
    await pair.destroy();
    throw err;
  }
  return pair;
}

/** The IPv6 side of a pair made with `ipv6: true`; Service VIPs come from fd00:198:18:100::/64. */
export const IPV6 = { client: 'fd00:198:18::1', server: 'fd00:198:18::2', serviceCidr: 'fd00:198:18:100::/64' } as const;

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface SpawnOptions {
  /** every stdout line but the READY one, from the first on (none is lost around READY) */
  onLine?: (line: string) => void;
}

/**
 * The whole exporter (exporter-driver.ts) in the client namespace against `objects`, listening on
 * `listen`, with quick probe rounds and a 1 s source grace period; `flags` adds or overrides.
 */
export function spawnExporterDriver(
  pair: NetnsPair,
  o: { objects: object[]; dir: string; listen: string; intervalMs: number; timeoutMs: number; flags?: Record<string, string> },
  opts: SpawnOptions = {},
): Promise<ChildProcess> {
  const config = {
    objects: o.objects,
    flags: {
      listen: o.listen,
      'probe-interval': `${o.intervalMs}ms`,
      'probe-timeout': `${o.timeoutMs}ms`,
      'source-grace-period': '1s',
      ...o.flags,
    },
    dir: o.dir,
  };
  return spawnInNamespace(
    pair,
    pair.client,
    fileURLToPath(new URL('./exporter-driver.ts', import.meta.url)),
    [JSON.stringify(config)],
    opts,
  );
}

/**
 * Starts `node --import tsx <script> <args>` inside `ns` and resolves once it printed a line
 * `READY` (or rejects when it exits first). The process is owned by `pair` (killed on destroy).
 * Its other stdout lines go to `opts.onLine` when given (and are drained either way).
 */
export async function spawnInNamespace(
  pair: NetnsPair,
  ns: string,
  script: string,
  args: string[] = [],
  opts: SpawnOptions = {},
): Promise<ChildProcess> {
  // `ip netns exec` setns()es then execs, so the child's pid is node's own: killing it kills node.
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', script, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pair.processes.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    let ready = false;
    const onExit = (code: number | null): void => reject(new Error(`${script} in ${ns} exited (${code}) before READY: ${stderr.trim()}`));
    // One listener for the process's whole life: lines after READY in the same chunk are kept.
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        if (!ready && line === 'READY') {
          ready = true;
          child.off('exit', onExit);
          resolve();
        } else {
          opts.onLine?.(line);
        }
      }
    });
    child.once('exit', onExit);
  });
  return child;
}

// ---------------------------------------------------------------------------------------------
// Backends

export interface BackendConfig {
  host: string;
  /** plain HTTP servers answering 200 everywhere (also TCP targets) */
  http?: number[];
  /** plain HTTP servers answering `status` everywhere: an application that fails (HTTP 500) */
  httpStatus?: { port: number; status: number }[];
  /** HTTPS servers (self-signed) answering `status`, standing in for the API server */
  https?: { port: number; status: number }[];
  /** a DNS server on UDP and TCP answering kubernetes.default.svc.<domain> with `address` */
  dns?: { port: number; address: string; domain?: string };
  /** TCP servers that answer every connection with `<port>\n` and close: which target a VIP reached */
  identity?: number[];
}

/** Starts the backends in the server namespace; resolves once all listen. */
export function startBackends(pair: NetnsPair, config: Omit<BackendConfig, 'host'>): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./backend.ts', import.meta.url));
  return spawnInNamespace(pair, pair.server, script, [JSON.stringify({ ...config, host: pair.serverIP })]);
}

// ---------------------------------------------------------------------------------------------
// kube-proxy (iptables mode)

export interface KubeServicePort {
  /** kube-proxy's ServicePortName: `<namespace>/<name>:<port name>` */
  servicePortName: string;
  /** which proxier programs it (kube-proxy runs one per family: iptables and ip6tables); default IPv4 */
  family?: 'IPv4' | 'IPv6';
  protocol: 'tcp' | 'udp';
  vip: string;
  port: number;
  endpoints: { ip: string; port: number }[];
  /** sessionAffinity: ClientIP, honoured: how long a client stays on its endpoint (kube-proxy's `-m recent`) */
  affinitySeconds?: number;
}

function chainHash(s: string): string {
  // kube-proxy: base32(sha256(...))[:16], upper case.
  const digest = createHash('sha256').update(s).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export const svcChain = (p: KubeServicePort): string => `KUBE-SVC-${chainHash(p.servicePortName + p.protocol)}`;
export const sepChain = (p: KubeServicePort, ep: { ip: string; port: number }): string =>
  `KUBE-SEP-${chainHash(`${p.servicePortName}${p.protocol}${ep.ip}:${ep.port}`)}`;

/**
 * What kube-proxy would program for these Services: each TCP/UDP port of a Service with a cluster IP,
 * to its ready endpoints (EndpointSlice port matched by name, as kube-proxy does) — once per IP family
 * in `families` (default IPv4 only) for which the Service has a cluster IP, with that family's slices.
 * A data plane that leaves a family out is the dual-stack bug of kubernetes#116486.
 */
export function kubeServicePorts(
  services: SlimService[],
  endpointSlices: SlimEndpointSlice[],
  opts: { families?: readonly ('IPv4' | 'IPv6')[] } = {},
): KubeServicePort[] {
  const families = opts.families ?? ['IPv4'];
  const out: KubeServicePort[] = [];
  for (const svc of services) {
    if (!svc.clusterIP || svc.clusterIP === 'None') continue;
    for (const family of families) {
      const vip = [svc.clusterIP, ...svc.clusterIPs].find((ip) => (family === 'IPv6' ? ip.includes(':') : /^\d+\.\d+\.\d+\.\d+$/.test(ip)));
      if (!vip) continue;
      for (const port of svc.ports) {
        const protocol = port.protocol.toLowerCase();
        if (protocol !== 'tcp' && protocol !== 'udp') continue;
        const endpoints: { ip: string; port: number }[] = [];
        for (const slice of endpointSlices) {
          if (slice.namespace !== svc.namespace || slice.serviceName !== svc.name || slice.addressType !== family) continue;
          const sp = slice.ports.find((p) => p.name === port.name && p.protocol === port.protocol);
          if (!sp) continue;
          for (const ep of slice.endpoints) if (ep.ready && ep.addresses[0]) endpoints.push({ ip: ep.addresses[0], port: sp.port });
        }
        const name = `${svc.namespace}/${svc.name}:${port.name}`;
        out.push({ servicePortName: name, ...(family === 'IPv6' ? { family } : {}), protocol, vip, port: port.port, endpoints });
      }
    }
  }
  return out;
}

/** The jumps kube-proxy keeps in the built-in chains: locally generated and forwarded traffic. */
export async function installKubeProxyJumps(ns: string, cmd: 'iptables' | 'ip6tables' = 'iptables'): Promise<void> {
  await nsRun(ns, [cmd, '-w', '-t', 'nat', '-N', 'KUBE-SERVICES']).catch(() => undefined);
  for (const chain of ['OUTPUT', 'PREROUTING']) {
    const rule = ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'];
    const present = await nsRun(ns, [cmd, '-w', '-t', 'nat', '-C', chain, ...rule]).then(
      () => true,
      () => false,
    );
    if (!present) await nsRun(ns, [cmd, '-w', '-t', 'nat', '-I', chain, ...rule]);
  }
}

/**
 * One full sync, as kube-proxy's syncProxyRules: the whole nat state for `ports` in one
 * iptables-restore --noflush (a `:CHAIN` line flushes that chain), stale KUBE-SVC/SEP chains deleted.
 * A Service port without endpoints gets no rule here (kube-proxy REJECTs it in the filter table;
 * not modelled).
 */
export async function syncKubeProxyRules(ns: string, ports: KubeServicePort[]): Promise<void> {
  const v6 = ports.filter((p) => p.family === 'IPv6');
  const v4 = ports.filter((p) => p.family !== 'IPv6');
  await syncTable(ns, 'iptables', v4);
  // ip6tables only once IPv6 was asked for: IPv4-only tests need no ip6tables on the machine
  if (v6.length > 0 || ipv6Synced.has(ns)) {
    ipv6Synced.add(ns);
    await syncTable(ns, 'ip6tables', v6);
  }
}

/** Namespaces whose ip6tables nat table we have written (their stale IPv6 chains must go too). */
const ipv6Synced = new Set<string>();

async function syncTable(ns: string, cmd: 'iptables' | 'ip6tables', ports: KubeServicePort[]): Promise<void> {
  await installKubeProxyJumps(ns, cmd);
  const existing = (await nsRun(ns, [`${cmd}-save`, '-t', 'nat']))
    .split('\n')
    .filter((l) => /^:KUBE-(SVC|SEP)-/.test(l))
    .map((l) => l.slice(1).split(' ')[0]!);
  await nsRun(ns, [`${cmd}-restore`, '-w', '--noflush'], kubeProxyRestoreInput(ports, existing));
}

/**
 * The rule builder: the iptables-restore input of one full sync for `ports`, given the KUBE-SVC/SEP
 * chains that exist now (those no longer needed are flushed and deleted). Pure, so the shape can be
 * asserted without a kernel.
 */
export function kubeProxyRestoreInput(ports: KubeServicePort[], existingChains: string[] = []): string {
  const chains = new Set<string>(['KUBE-SERVICES']);
  const rules: string[] = [];
  for (const p of ports) {
    if (p.endpoints.length === 0) continue;
    const svc = svcChain(p);
    chains.add(svc);
    const v6 = p.family === 'IPv6';
    rules.push(
      `-A KUBE-SERVICES -d ${p.vip}/${v6 ? 128 : 32} -p ${p.protocol} -m comment --comment "${p.servicePortName} cluster IP" -m ${p.protocol} --dport ${p.port} -j ${svc}`,
    );
    // ClientIP affinity as kube-proxy writes it (pkg/proxy/iptables/proxier.go): a client whose source address is in an
    // endpoint's `recent` list goes back to that endpoint; the endpoint's chain adds the client to its list on the way in
    const mask = v6 ? 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' : '255.255.255.255';
    const recent = (sep: string, how: string) => `-m recent --name ${sep} --mask ${mask} --rsource ${how}`;
    if (p.affinitySeconds !== undefined)
      for (const ep of p.endpoints) {
        const sep = sepChain(p, ep);
        rules.push(
          `-A ${svc} -m comment --comment "${p.servicePortName} -> ${ep.ip}:${ep.port}" ${recent(sep, `--rcheck --seconds ${p.affinitySeconds} --reap`)} -j ${sep}`,
        );
      }
    p.endpoints.forEach((ep, i) => {
      const sep = sepChain(p, ep);
      chains.add(sep);
      const left = p.endpoints.length - i;
      const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
      rules.push(`-A ${svc} -m comment --comment "${p.servicePortName} -> ${ep.ip}:${ep.port}"${pick} -j ${sep}`);
      const set = p.affinitySeconds !== undefined ? ` ${recent(sep, '--set')}` : '';
      rules.push(
        `-A ${sep} -p ${p.protocol} -m comment --comment "${p.servicePortName}"${set} -m ${p.protocol} -j DNAT --to-destination ${v6 ? `[${ep.ip}]` : ep.ip}:${ep.port}`,
      );
    });
  }
  const stale = existingChains.filter((c) => !chains.has(c));
  return ['*nat', ...[...chains, ...stale].map((c) => `:${c} - [0:0]`), ...rules, ...stale.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
}

/** The service proxy breaks: no Service rule matches any more (the chains stay, unreachable). */
export async function flushKubeProxyRules(ns: string): Promise<void> {
  await nsRun(ns, ['iptables', '-w', '-t', 'nat', '-F', 'KUBE-SERVICES']);
}

/** The current nat table, for failure messages. */
export function natTable(ns: string): Promise<string> {
  return nsRun(ns, ['iptables-save', '-t', 'nat']);
}

/**
 * Drops every packet the client sends to ip[:port] (filter OUTPUT runs after nat OUTPUT, so this
 * also catches VIP traffic DNATed to it). Returns the function that removes the rule again.
 */
export async function blackhole(ns: string, target: { ip: string; port?: number; protocol?: 'tcp' | 'udp' }): Promise<() => Promise<void>> {
  const spec = ['-d', `${target.ip}/32`];
  if (target.port !== undefined) spec.push('-p', target.protocol ?? 'tcp', '--dport', String(target.port));
  spec.push('-m', 'comment', '--comment', 'spe-test blackhole', '-j', 'DROP');
  await nsRun(ns, ['iptables', '-w', '-I', 'OUTPUT', ...spec]);
  return async () => {
    await nsRun(ns, ['iptables', '-w', '-D', 'OUTPUT', ...spec]).catch(() => undefined);
  };
}

/** One more address on the server's veth (reached from the client through its 198.18.0.0/15 route). */
export async function addServerAddress(pair: NetnsPair, ip: string): Promise<void> {
  await run(['ip', '-n', pair.server, 'addr', 'add', `${ip}/32`, 'dev', `sps${pair.id}`]);
}

/**
 * A filter rule for packets to `ip`: DROP, or REJECT with `tcp-reset` (TCP only),
 * `icmp-host-unreachable` or `icmp-port-unreachable`. In the client's OUTPUT it is the node's own
 * firewall (kube-proxy's REJECT for a Service without endpoints sits there); in the server's INPUT
 * it is the far end (or a hop on the way) answering or swallowing the packet.
 */
export async function firewall(
  ns: string,
  rule: {
    chain: 'INPUT' | 'OUTPUT';
    ip: string;
    protocol?: 'tcp' | 'udp';
    action: 'DROP' | 'tcp-reset' | 'icmp-host-unreachable' | 'icmp-port-unreachable';
  },
): Promise<void> {
  const spec = ['-d', `${rule.ip}/32`];
  if (rule.protocol) spec.push('-p', rule.protocol);
  const jump = rule.action === 'DROP' ? ['-j', 'DROP'] : ['-j', 'REJECT', '--reject-with', rule.action];
  await nsRun(ns, ['iptables', '-w', '-I', rule.chain, ...spec, '-m', 'comment', '--comment', 'spe-test fault', ...jump]);
}

/**
 * Lets `ns` answer every packet with ICMP (net.ipv4.icmp_ratelimit=0, namespace-local): the kernel
 * otherwise sends about one unreachable a second per peer after a short burst, and a test running
 * many probes at once would see timeouts where a real, less busy peer answers at once.
 */
export async function unlimitedIcmp(ns: string): Promise<void> {
  await nsRun(ns, ['sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=0']);
}

/**
 * Makes `cidr` unroutable from `ns` (a `throw` route: the lookup ends as if no route existed, so a
 * connect or send fails at once with ENETUNREACH and no packet leaves) — a node whose Service CIDR
 * is not routed.
 */
export async function unroutable(ns: string, cidr: string): Promise<void> {
  await run(['ip', '-n', ns, 'route', 'add', 'throw', cidr]);
}

// ---------------------------------------------------------------------------------------------
// Probes from inside the client namespace

/**
 * Runs one round of `targets` inside `ns` (a separate node process: this one cannot enter a
 * namespace) and returns its output: the round, the differential per probe, `functional`.
 */
export async function runProbesInNamespace(
  ns: string,
  targets: ProbeTarget[],
  opts: { timeoutMs: number; concurrency: number },
): Promise<ProbeRunOutput> {
  const script = fileURLToPath(new URL('./run-probes.ts', import.meta.url));
  const out = await run(['ip', 'netns', 'exec', ns, process.execPath, '--import', 'tsx', script], JSON.stringify({ targets, ...opts }));
  return JSON.parse(out) as ProbeRunOutput;
}

/**
 * One TCP connection from inside `ns` to host:port; resolves with what the peer sent before closing
 * (an identity backend: its port) or the error code (ECONNREFUSED, ETIMEDOUT, …). Never rejects.
 */
export async function connectInNamespace(
  ns: string,
  host: string,
  port: number,
  timeoutMs = 1000,
): Promise<{ ok: true; data: string } | { ok: false; code: string }> {
  // plain node, no tsx: this runs often and must be quick
  const script = `const s=require('net').connect({host:${JSON.stringify(host)},port:${port}});let d='';
s.setTimeout(${timeoutMs},()=>{console.log(JSON.stringify({ok:false,code:'ETIMEDOUT'}));process.exit(0)});
s.on('data',c=>d+=c);s.on('end',()=>{console.log(JSON.stringify({ok:true,data:d}));process.exit(0)});
s.on('error',e=>{console.log(JSON.stringify({ok:false,code:e.code||String(e)}));process.exit(0)});`;
  const out = await run(['ip', 'netns', 'exec', ns, process.execPath, '-e', script]);
  return JSON.parse(out.trim()) as { ok: true; data: string } | { ok: false; code: string };
}
