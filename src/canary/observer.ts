// The observer, on every replica (the writer's included): watches the canary EndpointSlices (one
// per address family) and the canary Service by name, and measures each (protocol, family) on its
// own:
// - TCP: after each change of a family's slice target it connects to that family's ClusterIP every
//   poll interval until the answer names the new port. The time from the change arriving on the
//   watch to that first answer is the programming latency.
// - UDP: one socket per family on one local port for the observer's whole life sends a datagram
//   through the VIP every poll interval, changes or not. Its flow is what a node-local DNS cache or a
//   statsd client looks like to the data plane: a conntrack entry that survives an endpoint change
//   keeps its answers coming from the old target (kubernetes#139628, #125467, #48370), so UDP pends
//   while TCP, whose every attempt is a new connection, is done. See FlowTracker for when a change
//   counts as taken by the flow.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiConnection } from '../cluster/connection.js';
import type { Reflector, ReflectorOptions } from '../cluster/reflector.js';
import { canaryWatch } from './watch.js';
import {
  CANARY_NAME,
  IDENTITY_PREFIX,
  parseIdentity,
  serviceAddress,
  serviceFamilies,
  serviceUdpPort,
  sliceTarget,
  type CanaryProtocol,
  type IpFamily,
} from './objects.js';
import { askIdentity, type AskResult } from './listeners.js';
import { FlowTracker, ProgrammingTracker } from './tracker.js';

/** VIP connection attempts open at once while a change is pending. */
const MAX_IN_FLIGHT = 10;
/** What the UDP flow sends; a canary port answers any datagram with its identity line. */
const UDP_REQUEST = Buffer.from(`${IDENTITY_PREFIX}?\n`);

export interface ObserverOptions {
  conn: ApiConnection;
  namespace: string;
  pollMs: number;
  /** per connection attempt (the probe timeout) */
  timeoutMs: number;
  /** the slices to watch and the family each carries (default: the canary slice, IPv4) */
  slices?: readonly { name: string; family: IpFamily }[];
  reflector?: ReflectorOptions;
  now?: () => number;
}

export interface VipAddress {
  clusterIp: string;
  port: number;
  uid?: string;
}

/** One family's slice, VIP and trackers. */
export interface FamilyProbe {
  family: IpFamily;
  slice: string;
  /** this family's ClusterIP, when the Service has one */
  clusterIp?: string;
  tcp: ProgrammingTracker;
  udp: FlowTracker;
  /** the last TCP answer (or failure) while a change was pending */
  lastAnswer?: AskResult;
  /** the UDP flow's socket: bound once, kept for the observer's life */
  flow?: dgram.Socket;
  /** the flow's local port */
  flowPort?: number;
  listed: boolean;
}

/**
 * Emits `change` (target, family) for each canary change seen, `programmed` (seconds, protocol,
 * family) when the VIP shows it, `vip` (VipAddress | undefined) when the Service's address changes,
 * `source` ({name, state, error}) when a watch changes state.
 */
export class CanaryObserver extends EventEmitter {
  readonly families: FamilyProbe[];
  vip: VipAddress | undefined;
  /** the Service's UDP port (canary-udp), when it has one */
  udpPort: number | undefined;
  /** VIP connection attempts made */
  attempts = 0;
  /** UDP datagrams sent through the VIP */
  datagrams = 0;
  private readonly slices = new Map<string, Reflector>();
  private readonly services: Reflector;
  private serviceListed = false;
  private polling?: Promise<void>;
  private udpTimer?: NodeJS.Timeout;
  private readonly stopper = new AbortController();

  constructor(private readonly o: ObserverOptions) {
    super();
    const wanted = o.slices ?? [{ name: CANARY_NAME, family: 'ipv4' as const }];
    this.families = wanted.map((w) => ({
      family: w.family,
      slice: w.name,
      tcp: new ProgrammingTracker(),
      udp: new FlowTracker(),
      listed: false,
    }));
    for (const f of this.families) {
      const source = f.slice === CANARY_NAME ? 'canary-endpointslice' : `canary-endpointslice-${f.family}`;
      const r = canaryWatch(o.conn, source, 'endpointslices', o.namespace, { name: f.slice }, o.reflector);
      r.on('change', () => this.onSlice(f));
      this.slices.set(f.slice, r);
    }
    this.services = canaryWatch(o.conn, 'canary-service', 'services', o.namespace, { name: CANARY_NAME }, o.reflector);
    this.services.on('change', () => this.onService());
    for (const r of [...this.slices.values(), this.services])
      r.on('state', (e: { state: string; error: string }) => this.emit('source', { name: r.name, ...e }));
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** The primary family's TCP tracker (what the status page's headline and the writer's hold read). */
  get tracker(): ProgrammingTracker {
    return this.families[0]!.tcp;
  }

  /** The primary family's last TCP answer while a change was pending. */
  get lastAnswer(): AskResult | undefined {
    return this.families[0]!.lastAnswer;
  }

  /** The primary canary slice as last seen (whole object), once the first list is in. */
  get slice(): unknown {
    return this.sliceNamed(this.families[0]!.slice);
  }

  sliceNamed(name: string): unknown {
    return this.slices.get(name)?.values()[0];
  }

  /** Every slice watch has listed at least once (its cache can stand in for a GET). */
  get synced(): boolean {
    return this.families.every((f) => f.listed);
  }

  /** A TCP change is pending in some family (the writer holds its flip: UDP does not hold it). */
  get pending(): boolean {
    return this.families.some((f) => f.tcp.view.pendingSince !== undefined);
  }

  /** The family's UDP flow can run: the Service has canary-udp and a ClusterIP of this family. */
  udpMeasured(f: FamilyProbe): boolean {
    return this.udpPort !== undefined && f.clusterIp !== undefined;
  }

  start(): void {
    this.services.start();
    for (const r of this.slices.values()) r.start();
    this.udpTimer = setInterval(() => this.sendFlows(), this.o.pollMs);
    this.udpTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    if (this.udpTimer) clearInterval(this.udpTimer);
    for (const f of this.families) {
      const s = f.flow;
      delete f.flow;
      if (s) await new Promise<void>((r) => s.close(() => r()));
    }
    await Promise.all([...[...this.slices.values()].map((r) => r.stop()), this.services.stop(), this.polling]);
  }

  private onSlice(f: FamilyProbe): void {
    const target = sliceTarget(this.sliceNamed(f.slice));
    if (!f.listed) {
      // The slice as found at start was set before we looked: whether the data plane shows it is
      // unknown, and it is not a change we saw. The next one is.
      f.listed = true;
      f.tcp.baseline(target);
      f.udp.baseline(target);
      return;
    }
    const at = this.now();
    // UDP is measured only where the Service has the UDP port and this family's ClusterIP: a
    // canary Service from before UDP must not show a UDP flow pending for ever
    if (this.udpMeasured(f)) f.udp.change(target, at);
    else f.udp.baseline(target);
    // a second family without a ClusterIP of its own (a single-stack canary Service on a dual-stack
    // pod) cannot show a change: tracking it would pend for ever and hold every flip
    if (f !== this.families[0] && f.clusterIp === undefined) {
      f.tcp.baseline(target);
      return;
    }
    if (f.tcp.change(target, at)) {
      this.emit('change', target, f.family);
      this.poll();
    }
  }

  private onService(): void {
    const obj = this.services.values()[0];
    const next = serviceAddress(obj);
    const ips = serviceFamilies(obj);
    for (const f of this.families) {
      const ip = ips.find((x) => x.family === f.family)?.clusterIp;
      if (ip) f.clusterIp = ip;
      else delete f.clusterIp;
    }
    this.udpPort = serviceUdpPort(obj);
    const first = !this.serviceListed;
    this.serviceListed = true;
    const same = next && this.vip && next.clusterIp === this.vip.clusterIp && next.port === this.vip.port && next.uid === this.vip.uid;
    if (same || (!next && !this.vip && !first)) return;
    this.vip = next;
    this.emit('vip', next);
    if (next && this.pending) this.poll();
  }

  private poll(): void {
    this.polling ??= this.pollLoop().finally(() => {
      this.polling = undefined;
      // a change that came in as the loop ended
      if (this.pending && !this.stopper.signal.aborted) this.poll();
    });
  }

  /**
   * One TCP attempt per pending family every poll interval, each bounded by the timeout. Attempts
   * overlap when the VIP hangs (a VIP without rules drops the SYN), so a hung attempt never delays
   * the next one; at most MAX_IN_FLIGHT are open at once.
   */
  private async pollLoop(): Promise<void> {
    const signal = this.stopper.signal;
    let inFlight = 0;
    while (!signal.aborted && this.pending) {
      const started = this.now();
      const port = this.vip?.port;
      for (const f of this.families) {
        if (f.tcp.view.pendingSince === undefined || !f.clusterIp || port === undefined || inFlight >= MAX_IN_FLIGHT) continue;
        inFlight++;
        this.attempts++;
        void askIdentity(f.clusterIp, port, this.o.timeoutMs, signal).then((r) => {
          inFlight--;
          if (signal.aborted) return;
          f.lastAnswer = r;
          if ('port' in r) {
            const seconds = f.tcp.answer(r.port, this.now());
            if (seconds !== undefined) this.emit('programmed', seconds, 'tcp' satisfies CanaryProtocol, f.family);
          }
        });
      }
      const wait = started + this.o.pollMs - this.now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
  }

  /** The UDP flows: one datagram per family through its VIP, every poll, on the family's one socket. */
  private sendFlows(): void {
    const port = this.udpPort;
    if (port === undefined || this.stopper.signal.aborted) return;
    for (const f of this.families) {
      const vip = f.clusterIp;
      if (!vip) continue;
      const s = this.flowSocket(f);
      if (!s) continue;
      this.datagrams++;
      // An unconnected socket: a send error (no route) comes to this callback, never as a throw or
      // an 'error' event, and the ICMP unreachable of a VIP without rules is not reported at all.
      s.send(UDP_REQUEST, port, vip, () => undefined);
    }
  }

  private flowSocket(f: FamilyProbe): dgram.Socket | undefined {
    if (f.flow) return f.flow;
    const s = dgram.createSocket(f.family === 'ipv6' ? 'udp6' : 'udp4');
    f.flow = s;
    s.on('error', () => {
      // A socket that failed (bind refused): the next poll makes a new one, on a new local port.
      if (f.flow === s) delete f.flow;
      delete f.flowPort;
      s.close();
    });
    s.on('message', (msg, rinfo) => {
      if (rinfo.address !== f.clusterIp || rinfo.port !== this.udpPort) return;
      const p = parseIdentity(msg.toString('utf8'));
      if (p === undefined) return;
      const seconds = f.udp.answer(p, this.now());
      if (seconds !== undefined) this.emit('programmed', seconds, 'udp' satisfies CanaryProtocol, f.family);
    });
    s.bind(0, () => {
      f.flowPort = s.address().port;
    });
    return s;
  }
}
