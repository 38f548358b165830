// A test service proxy standing in for kube-proxy (iptables mode): it lists and watches Services
// and EndpointSlices on an API server (the project's fake one; plain HTTP JSON watch) and programs
// them into a network namespace's nat table with the same rule builder the data-plane tests use
// (netns.ts: kubeServicePorts → syncKubeProxyRules, KUBE-SERVICES → KUBE-SVC → KUBE-SEP → DNAT, one
// iptables-restore --noflush per sync). Its programming latency and liveness are injectable, which is
// what a test of "does the data plane still take changes, and how fast" needs.
//
// API
//   const p = await startProgrammer({
//     apiUrl: 'http://127.0.0.1:PORT',   // or kubeconfigPath: a kubeconfig whose current context
//                                         // points at it (its bearer token is sent when present)
//     netns: pair.client,                 // the "node": where the nat rules go (needs root)
//     delayMs: 1000,                      // default 0: each observed change is programmed this long
//                                         // after it arrived on the watch
//     serviceSelector: (svc) => ...,      // SlimService → boolean; default every Service
//     onProgrammed: (ports, at) => ...,   // after each successful sync (at: Date.now())
//     onError: (err) => ...,              // a failed list/watch/iptables run (retried; default: ignored)
//   });
//   await p.ready            resolved by startProgrammer: the first list is programmed
//   p.setDelay(ms)           delay for changes observed from now on
//   p.freeze()               stop programming (queued changes included): changes are recorded, nothing
//                            is written, the rules already in place keep forwarding
//   p.thaw()                 resume: the current state is programmed at once (the backlog has waited
//                            long enough), later changes again after delayMs
//   p.frozen                 whether frozen
//   p.setConntrack(mode)     'clear' (default, as kube-proxy): after a sync that removed a UDP endpoint,
//                            delete the conntrack entries still DNATed to it (`conntrack -D`, Debian
//                            package conntrack); 'keep': never, so a long-lived UDP flow stays on the
//                            old endpoint (kubernetes#139628, the bug the canary's UDP flow catches)
//   p.conntrackCleared       conntrack entries deleted so far
//
// IPv6: a Service's IPv6 ClusterIP (spec.clusterIPs) with the IPv6 EndpointSlices is programmed into
// ip6tables the same way (a dual-stack Service gets both; ports with an IPv6 `vip` in programmed()).
//   p.setIpv6(false)         stop writing ip6tables (a proxier whose every IPv6 sync fails,
//                            kubernetes#116486): the IPv6 rules stay as they were
//   await p.synced()         resolves once the state the API server holds at the call (re-read then)
//                            is programmed; while frozen it waits for thaw()
//   p.programmed()           the KubeServicePort[] last written
//   p.syncs                  how many syncs were written
//   p.setHealthCheckAnswers(m)  'truthful' (kube-proxy's) or 'always-ok' (200 on every node: the
//                            health-check bug of cilium/cilium#11043)
//   await p.stop()           stops watching and timers and health-check servers; leaves the rules as they are
//
// Options for the bugs it can reproduce:
//   sessionAffinity: 'ignore' sessionAffinity: ClientIP Services balanced per connection as any other (the bug of
//                            cilium/cilium#35254); default 'honour', kube-proxy's `-m recent` rules
//   families: ['IPv4']        which IP families it programs (default both): a dual-stack Service
//                            programmed in one family only (kubernetes#116486)
//   healthCheck: { nodes: [{ node, address }], answers?: 'truthful' | 'always-ok' }
//                            serve every externalTrafficPolicy: Local LoadBalancer Service's healthCheckNodePort
//                            on these node addresses (local to this process's namespace), as kube-proxy's
//                            pkg/proxy/healthcheck does: 200 with a ready endpoint on that node, else 503,
//                            body {"service":{...},"localEndpoints":N,"serviceProxyHealthy":true}
//
// Semantics worth knowing: one change at t is programmed at t + delayMs with the whole state as it
// was at t (so two changes 100 ms apart with a 1 s delay land 1 s after each, in order); a sync
// that would write what is already there writes nothing. Services without a cluster IP, with only
// non-TCP/UDP ports or without ready endpoints get no rule (kube-proxy REJECTs the latter; not
// modelled: the VIP then times out via the client's route).
import { execFile, spawn } from 'node:child_process';
import { isIPv6 } from 'node:net';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { collectionPath, RESOURCES } from '../../src/cluster/catalog.js';
import { slimEndpointSlice, slimService } from '../../src/cluster/slim.js';
import type { SlimEndpointSlice, SlimService } from '../../src/cluster/types.js';
import { kubeProxyRestoreInput, kubeServicePorts, syncKubeProxyRules, type KubeServicePort } from './netns.js';

export interface ProgrammerOptions {
  /** the API server's base URL (http://host:port); or give kubeconfigPath */
  apiUrl?: string;
  kubeconfigPath?: string;
  /** network namespace whose nat table is programmed */
  netns: string;
  /** default 0 */
  delayMs?: number;
  serviceSelector?: (svc: SlimService) => boolean;
  onProgrammed?: (ports: KubeServicePort[], at: number) => void;
  onError?: (err: Error) => void;
  /** IP families programmed (default both) */
  families?: ('IPv4' | 'IPv6')[];
  /** serve health-check node ports on these node addresses */
  healthCheck?: { nodes: { node: string; address: string }[]; answers?: HealthCheckAnswers };
  /** default 'clear' */
  conntrack?: ConntrackMode;
  /** default 'honour' */
  sessionAffinity?: 'honour' | 'ignore';
}

export type HealthCheckAnswers = 'truthful' | 'always-ok';

export type ConntrackMode = 'clear' | 'keep';

export interface Programmer {
  /** resolves once the first lists are programmed */
  readonly ready: Promise<void>;
  setDelay(ms: number): void;
  freeze(): void;
  thaw(): void;
  readonly frozen: boolean;
  synced(): Promise<void>;
  programmed(): KubeServicePort[];
  readonly syncs: number;
  setHealthCheckAnswers(answers: HealthCheckAnswers): void;
  setConntrack(mode: ConntrackMode): void;
  setIpv6(on: boolean): void;
  readonly conntrackCleared: number;
  stop(): Promise<void>;
}

interface RawObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  [k: string]: unknown;
}

interface Connection {
  base: string;
  headers: Record<string, string>;
}

function connectionFrom(opts: ProgrammerOptions): Connection {
  if (opts.apiUrl) return { base: opts.apiUrl.replace(/\/+$/, ''), headers: {} };
  if (!opts.kubeconfigPath) throw new Error('startProgrammer: give apiUrl or kubeconfigPath');
  const kc = parseYaml(readFileSync(opts.kubeconfigPath, 'utf8')) as {
    'current-context'?: string;
    contexts?: { name: string; context: { cluster: string; user?: string } }[];
    clusters?: { name: string; cluster: { server: string } }[];
    users?: { name: string; user?: { token?: string } }[];
  };
  const ctx = kc.contexts?.find((c) => c.name === kc['current-context']) ?? kc.contexts?.[0];
  const cluster = kc.clusters?.find((c) => c.name === ctx?.context.cluster) ?? kc.clusters?.[0];
  if (!cluster?.cluster.server) throw new Error(`startProgrammer: no cluster server in ${opts.kubeconfigPath}`);
  const token = kc.users?.find((u) => u.name === ctx?.context.user)?.user?.token;
  return { base: cluster.cluster.server.replace(/\/+$/, ''), headers: token ? { Authorization: `Bearer ${token}` } : {} };
}

const keyOf = (o: RawObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const rvOf = (o: RawObject | undefined): number => Number(o?.metadata?.resourceVersion ?? 0);

/** One resource's objects, kept current by list + watch. */
class Reflector {
  readonly objects = new Map<string, RawObject>();
  private rv = '0';
  private stopped = false;
  private abort = new AbortController();
  private firstList: Promise<void>;

  constructor(
    private readonly conn: Connection,
    private readonly path: string,
    private readonly onChange: () => void,
    private readonly onError: (err: Error) => void,
  ) {
    this.firstList = this.list();
    void this.firstList.then(
      () => this.loop(),
      () => this.loop(),
    );
  }

  started(): Promise<void> {
    return this.firstList;
  }

  /** A fresh consistent list, merged so that nothing newer the watch delivered is lost. Returns whether anything changed. */
  async reconcile(): Promise<boolean> {
    const { items, rv } = await this.fetchList();
    const listed = new Map(items.map((o) => [keyOf(o), o]));
    let changed = false;
    for (const [k, o] of listed) {
      if (rvOf(this.objects.get(k)) < rvOf(o)) {
        this.objects.set(k, o);
        changed = true;
      }
    }
    for (const [k, o] of [...this.objects]) {
      if (!listed.has(k) && rvOf(o) <= Number(rv)) {
        this.objects.delete(k);
        changed = true;
      }
    }
    return changed;
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  private async fetchList(): Promise<{ items: RawObject[]; rv: string }> {
    const res = await fetch(`${this.conn.base}${this.path}`, { headers: this.conn.headers, signal: this.abort.signal });
    if (!res.ok) throw new Error(`list ${this.path}: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { items?: RawObject[]; metadata?: { resourceVersion?: string } };
    return { items: body.items ?? [], rv: body.metadata?.resourceVersion ?? '0' };
  }

  private async list(): Promise<void> {
    const { items, rv } = await this.fetchList();
    this.objects.clear();
    for (const o of items) this.objects.set(keyOf(o), o);
    this.rv = rv;
    this.onChange();
  }

  private async loop(): Promise<void> {
    let backoff = 100;
    let needList = this.rv === '0';
    while (!this.stopped) {
      try {
        if (needList) await this.list();
        needList = false;
        const expired = await this.watchOnce();
        needList = expired;
        backoff = 100;
      } catch (err) {
        if (this.stopped) return;
        this.onError(err as Error);
        needList = true;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }

  /** Streams one watch until it ends; true when the server said the rv expired (relist). */
  private async watchOnce(): Promise<boolean> {
    const url = `${this.conn.base}${this.path}?watch=true&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(this.rv)}`;
    const res = await fetch(url, { headers: this.conn.headers, signal: this.abort.signal });
    if (!res.ok || !res.body) throw new Error(`watch ${this.path}: HTTP ${res.status}`);
    const dec = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        const ev = JSON.parse(line) as { type: string; object: RawObject & { code?: number } };
        if (ev.type === 'ERROR') return ev.object.code === 410;
        const rv = ev.object.metadata?.resourceVersion;
        if (rv) this.rv = rv;
        if (ev.type === 'BOOKMARK') continue;
        if (ev.type === 'DELETED') this.objects.delete(keyOf(ev.object));
        else this.objects.set(keyOf(ev.object), ev.object);
        this.onChange();
      }
    }
    return false;
  }
}

const execFileP = promisify(execFile);

/** The UDP endpoints `before` had that `after` no longer has, per Service port (VIP and port). */
export function removedUdpEndpoints(
  before: KubeServicePort[],
  after: KubeServicePort[],
): { vip: string; port: number; ip: string; epPort: number }[] {
  const out: { vip: string; port: number; ip: string; epPort: number }[] = [];
  for (const b of before) {
    if (b.protocol !== 'udp') continue;
    const a = after.find((x) => x.protocol === 'udp' && x.servicePortName === b.servicePortName && x.vip === b.vip);
    for (const ep of b.endpoints)
      if (!a?.endpoints.some((e) => e.ip === ep.ip && e.port === ep.port))
        out.push({ vip: b.vip, port: b.port, ip: ep.ip, epPort: ep.port });
  }
  return out;
}

/**
 * UDP Service ports that had no endpoint before and have one now: datagrams sent meanwhile left
 * conntrack entries without DNAT that would keep the flow off the new endpoint, so kube-proxy deletes
 * every entry to the VIP and port (its deleteStaleServiceConntrackEntries).
 */
export function gainedUdpServices(before: KubeServicePort[], after: KubeServicePort[]): { vip: string; port: number }[] {
  return after
    .filter((a) => a.protocol === 'udp' && a.endpoints.length > 0)
    .filter(
      (a) =>
        !before.some((b) => b.protocol === 'udp' && b.servicePortName === a.servicePortName && b.vip === a.vip && b.endpoints.length > 0),
    )
    .map((a) => ({ vip: a.vip, port: a.port }));
}

/**
 * kube-proxy's cleanup after an endpoint change: delete the UDP conntrack entries from the VIP to
 * an endpoint that is gone, so the flow's next datagram is NATed afresh. Returns how many went
 * (`conntrack -D` exits 1 when none matched).
 */
async function clearConntrack(netns: string, e: { vip: string; port: number; ip?: string; epPort?: number }): Promise<number> {
  const argv = ['netns', 'exec', netns, 'conntrack', '-D', ...(isIPv6(e.vip) ? ['-f', 'ipv6'] : [])];
  argv.push('-p', 'udp', '--orig-dst', e.vip, '--orig-port-dst', String(e.port));
  if (e.ip !== undefined) argv.push('--reply-src', e.ip, '--reply-port-src', String(e.epPort));
  const out = await execFileP('ip', argv, { timeout: 10_000 }).then(
    (r) => r.stderr,
    (err: { stderr?: string; code?: number }) => {
      if (err.code === 1 && /0 flow entries/.test(err.stderr ?? '')) return err.stderr ?? '';
      throw new Error(`conntrack -D: ${err.stderr?.trim() || String(err.code)}`);
    },
  );
  return Number(/(\d+) flow entries have been deleted/.exec(out)?.[1] ?? 0);
}

/** What kube-proxy's IPv6 proxier writes: the same chains in ip6tables (addresses /128, DNAT to [ip]:port). */
export function kubeProxyRestoreInput6(ports: KubeServicePort[], existingChains: string[] = []): string {
  return kubeProxyRestoreInput(ports, existingChains)
    .replace(/ -d ([0-9a-fA-F:]+)\/32 /g, ' -d $1/128 ')
    .replace(/--to-destination ([0-9a-fA-F:]+):(\d+)/g, '--to-destination [$1]:$2');
}

function ns6(netns: string, argv: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')} exited ${code}: ${err.trim()}`))));
    child.stdin.end(input);
  });
}

async function syncKubeProxyRules6(netns: string, ports: KubeServicePort[]): Promise<void> {
  await ns6(netns, ['ip6tables', '-w', '-t', 'nat', '-N', 'KUBE-SERVICES']).catch(() => undefined);
  for (const chain of ['OUTPUT', 'PREROUTING']) {
    const rule = ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'];
    const present = await ns6(netns, ['ip6tables', '-w', '-t', 'nat', '-C', chain, ...rule]).then(
      () => true,
      () => false,
    );
    if (!present) await ns6(netns, ['ip6tables', '-w', '-t', 'nat', '-I', chain, ...rule]);
  }
  const existing = (await ns6(netns, ['ip6tables-save', '-t', 'nat']))
    .split('\n')
    .filter((l) => /^:KUBE-(SVC|SEP)-/.test(l))
    .map((l) => l.slice(1).split(' ')[0]!);
  await ns6(netns, ['ip6tables-restore', '-w', '--noflush'], kubeProxyRestoreInput6(ports, existing));
}

interface Pending {
  due: number;
  gen: number;
  ports: KubeServicePort[];
}

export async function startProgrammer(opts: ProgrammerOptions): Promise<Programmer> {
  const conn = connectionFrom(opts);
  const onError = opts.onError ?? (() => undefined);
  const select = opts.serviceSelector ?? (() => true);
  let delayMs = opts.delayMs ?? 0;
  let conntrack: ConntrackMode = opts.conntrack ?? 'clear';
  let conntrackCleared = 0;
  let ipv6 = true;
  let frozen = false;
  let stopped = false;
  let gen = 0;
  let programmedGen = -1;
  let lastWritten: KubeServicePort[] | undefined;
  let syncs = 0;
  const queue: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  const waiters: { gen: number; resolve: () => void }[] = [];

  const desired = (): KubeServicePort[] => {
    const services: SlimService[] = [...svcs.objects.values()].map(slimService).filter(select);
    const slices: SlimEndpointSlice[] = [...eps.objects.values()].map(slimEndpointSlice);
    // both families, as kube-proxy runs one proxier per family; `families` narrows it (kubernetes#116486)
    const ports = kubeServicePorts(services, slices, { families: opts.families ?? ['IPv4', 'IPv6'] });
    if (opts.sessionAffinity === 'ignore') return ports;
    const affinity = new Map<string, number>();
    for (const o of svcs.objects.values()) {
      const spec = o.spec as { sessionAffinity?: string; sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } } } | undefined;
      if (spec?.sessionAffinity === 'ClientIP') affinity.set(keyOf(o), spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10_800);
    }
    return ports.map((p) => {
      const seconds = affinity.get(p.servicePortName.slice(0, p.servicePortName.lastIndexOf(':')));
      return seconds === undefined ? p : { ...p, affinitySeconds: seconds };
    });
  };

  const settle = (): void => {
    for (const w of [...waiters]) {
      if (programmedGen >= w.gen) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };

  const write = async (p: Pending): Promise<void> => {
    if (frozen || stopped) return;
    if (lastWritten === undefined || JSON.stringify(lastWritten) !== JSON.stringify(p.ports)) {
      try {
        await syncKubeProxyRules(
          opts.netns,
          p.ports.filter((x) => !isIPv6(x.vip)),
        );
        const v6 = p.ports.filter((x) => isIPv6(x.vip));
        if (ipv6 && (v6.length > 0 || (lastWritten ?? []).some((x) => isIPv6(x.vip)))) await syncKubeProxyRules6(opts.netns, v6);
      } catch (err) {
        // as kube-proxy: the sync failed, the rules stay as they were; retried shortly unless a newer state is queued
        onError(err as Error);
        if (queue.length === 0) queue.push({ ...p, due: Date.now() + 500 });
        return;
      }
      const before = lastWritten ?? [];
      lastWritten = p.ports;
      syncs++;
      opts.onProgrammed?.(p.ports, Date.now());
      if (conntrack === 'clear')
        for (const e of [...gainedUdpServices(before, p.ports), ...removedUdpEndpoints(before, p.ports)]) {
          try {
            conntrackCleared += await clearConntrack(opts.netns, e);
          } catch (err) {
            onError(err as Error);
          }
        }
    }
    programmedGen = Math.max(programmedGen, p.gen);
    settle();
  };

  const pump = (): void => {
    if (timer || stopped || frozen || queue.length === 0) return;
    const wait = Math.max(0, queue[0]!.due - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      const now = Date.now();
      let latest: Pending | undefined;
      while (queue.length > 0 && queue[0]!.due <= now) latest = queue.shift();
      if (latest) {
        const p = latest;
        writing = writing.then(() => write(p));
      }
      void writing.then(pump);
    }, wait);
  };

  let starting = true;
  const changed = (): void => {
    if (health) void health.reconcile([...svcs.objects.values()].map(slimService), () => [...eps.objects.values()].map(slimEndpointSlice));
    gen++;
    if (frozen || stopped || starting) return;
    queue.push({ due: Date.now() + delayMs, gen, ports: desired() });
    pump();
  };

  const health = opts.healthCheck
    ? new HealthCheckServers(opts.healthCheck.nodes, opts.healthCheck.answers ?? 'truthful', onError)
    : undefined;
  const svcs = new Reflector(conn, collectionPath(RESOURCES.services), changed, onError);
  const eps = new Reflector(conn, collectionPath(RESOURCES.endpointslices), changed, onError);

  const waitFor = (g: number): Promise<void> =>
    programmedGen >= g ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ gen: g, resolve }));

  // Both first lists, then one sync of their union at once (as kube-proxy's first sync); ready once it is written.
  try {
    await Promise.all([svcs.started(), eps.started()]);
  } catch (err) {
    svcs.stop();
    eps.stop();
    throw err;
  }
  starting = false;
  const ready = waitFor(gen);
  queue.push({ due: Date.now(), gen, ports: desired() });
  pump();

  return {
    ready,
    setDelay(ms) {
      delayMs = Math.max(0, ms);
    },
    freeze() {
      frozen = true;
      queue.length = 0;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    thaw() {
      if (!frozen) return;
      frozen = false;
      queue.push({ due: Date.now(), gen, ports: desired() });
      pump();
    },
    get frozen() {
      return frozen;
    },
    get syncs() {
      return syncs;
    },
    setConntrack(mode) {
      conntrack = mode;
    },
    setIpv6(on) {
      ipv6 = on;
    },
    get conntrackCleared() {
      return conntrackCleared;
    },
    async synced() {
      const [a, b] = await Promise.all([svcs.reconcile(), eps.reconcile()]);
      if (a || b) changed();
      return waitFor(gen);
    },
    programmed() {
      return lastWritten ?? [];
    },
    setHealthCheckAnswers(answers) {
      if (health) health.answers = answers;
    },
    async stop() {
      stopped = true;
      await health?.close();
      if (timer) clearTimeout(timer);
      timer = undefined;
      svcs.stop();
      eps.stop();
      await writing.catch(() => undefined);
    },
  };
}

/**
 * kube-proxy's health-check node port servers (pkg/proxy/healthcheck/service_health.go), one per
 * (node address, healthCheckNodePort) of every externalTrafficPolicy: Local LoadBalancer Service. The
 * answer is computed at request time from the slices: the distinct ready endpoint addresses on that node.
 */
class HealthCheckServers {
  private readonly servers = new Map<string, http.Server>();
  private services = new Map<number, SlimService>();
  private slices: () => SlimEndpointSlice[] = () => [];

  constructor(
    private readonly nodes: { node: string; address: string }[],
    public answers: HealthCheckAnswers,
    private readonly onError: (err: Error) => void,
  ) {}

  async reconcile(services: SlimService[], slices: () => SlimEndpointSlice[]): Promise<void> {
    this.slices = slices;
    this.services = new Map(
      services
        .filter((s) => s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local' && s.healthCheckNodePort)
        .map((s) => [s.healthCheckNodePort!, s]),
    );
    for (const port of this.services.keys())
      for (const n of this.nodes) {
        const key = `${n.address}|${port}`;
        if (this.servers.has(key)) continue;
        const server = http.createServer((req, res) => this.answer(n.node, port, res));
        this.servers.set(key, server);
        await new Promise<void>((resolve) => {
          server.once('error', (err) => (this.onError(err), resolve()));
          server.listen(port, n.address, () => resolve());
        });
      }
  }

  private answer(node: string, port: number, res: http.ServerResponse): void {
    const svc = this.services.get(port);
    if (!svc) return void res.writeHead(404).end();
    const ips = new Set<string>();
    for (const sl of this.slices())
      if (sl.namespace === svc.namespace && sl.serviceName === svc.name && sl.addressType === 'IPv4')
        for (const ep of sl.endpoints) if (ep.ready && ep.nodeName === node && ep.addresses[0]) ips.add(ep.addresses[0]);
    const count = ips.size;
    const ok = this.answers === 'always-ok' || count > 0;
    res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
    res.end(JSON.stringify({ service: { namespace: svc.namespace, name: svc.name }, localEndpoints: count, serviceProxyHealthy: true }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers.clear();
  }
}
