// The canary pipeline's shell (the engine's parts are in src/canary/): listeners on both canary ports, the
// observer, the affinity canary and the behaviour checks, and — on the replica holding the Lease — the writers.
// `attachCanary` decides whether it runs at all and plugs it into the exporter; nothing else in the exporter
// knows its parts.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { ApiConnection } from '../cluster/connection.js';
import type { ReflectorOptions } from '../cluster/reflector.js';
import type { Settings } from '../config/options.js';
import type { Logger } from '../log.js';
import type { CanaryRecorder } from '../metrics/registry.js';
import { LeaseElector, type LeaseTiming } from '../canary/lease.js';
import { askIdentity, listenCanaryPorts, type CanaryListeners } from '../canary/listeners.js';
import { CanaryObserver } from '../canary/observer.js';
import { CanaryWriter } from '../canary/writer.js';
import { AffinityCanary } from '../canary/affinity.js';
import { BehaviourChecks } from '../canary/checks.js';
import type { BehaviourCheckView } from '../state/checks.js';
import { CANARY_NAME, CANARY_PROTOCOLS, familyOf, sliceName, type CanaryProtocol, type IpFamily } from '../canary/objects.js';
import type { CanaryView } from '../state/canary.js';

export type { CanaryView } from '../state/canary.js';

export { CANARY_NAME } from '../canary/objects.js';

export interface CanaryOptions {
  conn: ApiConnection;
  log: Logger;
  settings: Pick<
    Settings,
    'serviceNamespace' | 'podIp' | 'canaryPorts' | 'canaryIntervalMs' | 'canaryPollMs' | 'probeTimeoutMs' | 'probeIntervalMs'
  > & {
    podIps?: string[];
    nodeName?: string;
  };
  /** this pod's name, to find its node when NODE_NAME is not set (default $POD_NAME, from the downward API) */
  podName?: string;
  recorder: CanaryRecorder;
  /** the last probe round's service_lb_functional (hairpin is not judged while VIPs do not forward) */
  functional?: () => boolean | undefined;
  /** default: $POD_NAME (or the host name) and a random suffix, as client-go's examples do */
  identity?: string;
  timing?: Partial<LeaseTiming>;
  reflector?: ReflectorOptions;
}

/** Why the canary cannot run with these settings, or undefined when it can. */
export function canaryOffReason(s: Pick<Settings, 'canary' | 'podIp' | 'serviceNamespace'> & { podIps?: string[] }): string | undefined {
  if (s.canary === 'off') return '--canary off';
  if (!s.serviceNamespace) return 'no namespace (--service-namespace / POD_NAMESPACE)';
  if (canaryPodIps(s).length === 0) return 'no pod IP (--pod-ip / POD_IP from the downward API status.podIP)';
  return undefined;
}

/**
 * The pod's canary addresses, one per family: --pod-ip first (status.podIP, the primary family),
 * then the other family's from --pod-ips (status.podIPs) on a dual-stack pod.
 */
export function canaryPodIps(s: { podIp: string; podIps?: string[] }): string[] {
  const all = [s.podIp, ...(s.podIps ?? [])].filter(Boolean);
  const out: string[] = [];
  for (const ip of all) if (!out.some((x) => familyOf(x) === familyOf(ip))) out.push(ip);
  return out;
}

export class Canary {
  readonly observer: CanaryObserver;
  readonly elector: LeaseElector;
  readonly writer: CanaryWriter;
  /** the session-affinity canary's Service and slices */
  readonly affinity: AffinityCanary;
  /** session_affinity and hairpin (service_lb_check_success) */
  readonly checks: BehaviourChecks;
  private listeners?: CanaryListeners;
  private listening?: Promise<void>;
  private readonly o: CanaryOptions;
  /** this pod's canary addresses, one per family, the primary first */
  readonly podIps: string[];

  constructor(o: CanaryOptions) {
    this.o = o;
    const s = o.settings;
    const ns = s.serviceNamespace;
    const log = o.log;
    const identity = o.identity ?? `${process.env.POD_NAME || hostname()}_${randomBytes(4).toString('hex')}`;
    this.podIps = canaryPodIps(s);
    this.observer = new CanaryObserver({
      conn: o.conn,
      namespace: ns,
      pollMs: s.canaryPollMs,
      slices: this.podIps.map((ip, i) => ({ name: sliceName(i, ip), family: familyOf(ip) })),
      timeoutMs: s.probeTimeoutMs,
      ...(o.reflector ? { reflector: o.reflector } : {}),
    });
    this.elector = new LeaseElector({
      conn: o.conn,
      namespace: ns,
      identity,
      mayCreate: () => this.observer.vip !== undefined,
      ownerUid: () => this.observer.vip?.uid,
      ...(o.timing ? { timing: o.timing } : {}),
      ...(o.reflector ? { reflector: o.reflector } : {}),
    });
    this.writer = new CanaryWriter({
      conn: o.conn,
      namespace: ns,
      podIps: this.podIps,
      ports: s.canaryPorts,
      intervalMs: s.canaryIntervalMs,
      observer: this.observer,
      ...(s.nodeName ? { nodeName: s.nodeName } : {}),
      ...((o.podName ?? process.env.POD_NAME) ? { podName: o.podName ?? process.env.POD_NAME } : {}),
    });
    this.affinity = new AffinityCanary(
      {
        conn: o.conn,
        namespace: ns,
        podIps: this.podIps,
        ports: s.canaryPorts,
        timeoutMs: s.probeTimeoutMs,
        ...(o.reflector ? { reflector: o.reflector } : {}),
      },
      () => this.writer.node(),
    );
    this.checks = new BehaviourChecks(
      {
        writer: () => this.elector.isLeader,
        podIps: this.podIps,
        canaryVip: () => {
          const vip = this.observer.vip;
          if (!vip) return undefined;
          return {
            port: vip.port,
            families: this.observer.families.flatMap((f) => (f.clusterIp ? [{ family: f.family, clusterIp: f.clusterIp }] : [])),
          };
        },
        canaryTargetAddress: () => this.observer.tracker.view.target?.address,
        affinity: () => ({ synced: this.affinity.synced, svc: this.affinity.svc, slices: this.affinity.sliceObjects() }),
        ...(o.functional ? { functional: o.functional } : {}),
        beforeRound: () => this.affinity.reconcile(),
        ask: (host, port, signal) => askIdentity(host, port, s.probeTimeoutMs, signal),
      },
      o.recorder,
      s.probeIntervalMs,
    );

    // One flip moves every family's slice: counted once, on the primary family's.
    this.observer.on('change', (_t: unknown, family: IpFamily) => {
      if (family === this.observer.families[0]!.family) o.recorder.change();
    });
    this.observer.on('programmed', (seconds: number, protocol: CanaryProtocol, family: IpFamily) => {
      o.recorder.programmed(seconds, protocol, family);
      log.debug('canary change programmed', { seconds, protocol, family });
    });
    this.observer.on('vip', (vip?: { clusterIp: string; port: number }) => {
      if (vip) this.writer.vipKnown();
      else
        log.warn(
          'canary Service not found or without a ClusterIP; apply manifests/base/canary-service.yaml; no canary changes until it exists',
          { namespace: ns, service: CANARY_NAME },
        );
    });
    const watchState = (e: { name?: string; state: string; error: string }) => {
      if (e.state === 'forbidden')
        log.warn('canary watch forbidden: check the canary Role (manifests/base/canary-role.yaml)', {
          source: e.name ?? 'canary-lease',
          error: e.error,
        });
    };
    this.observer.on('source', watchState);
    this.affinity.on('source', watchState);
    this.elector.on('source', watchState);
    this.elector.on('leader', (on: boolean) => {
      log.info(on ? 'canary writer: this replica holds the canary Lease' : 'canary writer: this replica no longer holds the canary Lease', {
        identity,
      });
      this.writer.setActive(on);
      this.affinity.setActive(on);
    });
    this.elector.on('writeError', (reason: Parameters<CanaryRecorder['writeError']>[1]) => o.recorder.writeError('lease', reason));
    this.writer.on('writeError', (reason: Parameters<CanaryRecorder['writeError']>[1]) => o.recorder.writeError('endpointslice', reason));
    this.affinity.on('writeError', (reason: Parameters<CanaryRecorder['writeError']>[1]) => o.recorder.writeError('endpointslice', reason));
    // One line per episode: the role is given up, writes are retried with backoff, observing goes on.
    this.elector.on('forbidden', (error: string) => {
      log.warn('canary writes forbidden: not writing the canary, retrying with backoff; observing continues', { error });
    });
    this.elector.on('allowed', () => {
      log.info('canary writes allowed again');
    });
    this.writer.on('forbidden', (error: string) => this.elector.relinquish(error));
    this.affinity.on('forbidden', (error: string) => this.elector.relinquish(error));
    this.writer.on('wrote', () => this.elector.confirmWritable());
    o.recorder.init();
  }

  get view(): CanaryView {
    const t = this.observer.tracker;
    const v = t.view;
    const pending = t.pendingSeconds(Date.now());
    const a = this.observer.lastAnswer;
    return {
      namespace: this.o.settings.serviceNamespace,
      identity: this.elector.identity,
      writer: this.elector.isLeader,
      holder: this.elector.holder,
      writesForbidden: this.elector.forbidden,
      ports: this.o.settings.canaryPorts,
      listening: this.listeners !== undefined,
      ...(this.observer.vip ? { vip: { clusterIp: this.observer.vip.clusterIp, port: this.observer.vip.port } } : {}),
      ...(v.target ? { target: v.target } : {}),
      changes: v.changes,
      ...(pending !== undefined ? { pendingSeconds: pending } : {}),
      ...(v.last ? { last: { seconds: v.last.seconds, at: new Date(v.last.at).toISOString() } } : {}),
      ...(a ? { lastAnswer: 'port' in a ? `port ${a.port}` : a.error } : {}),
      // each (protocol, family) measured here: the primary family's TCP always; another family's once it has a
      // ClusterIP; UDP where the Service has canary-udp and the family a ClusterIP
      flows: this.observer.families.flatMap((f, i) =>
        CANARY_PROTOCOLS.filter((p) => (p === 'tcp' ? i === 0 || f.clusterIp !== undefined : this.observer.udpMeasured(f))).map(
          (protocol) => {
            const t = protocol === 'tcp' ? f.tcp : f.udp;
            const p = t.pendingSeconds(Date.now());
            const answering = protocol === 'udp' ? f.udp.answering : undefined;
            return {
              protocol,
              family: f.family,
              ...(f.clusterIp ? { clusterIp: f.clusterIp } : {}),
              ...(p !== undefined ? { pendingSeconds: p } : {}),
              ...(t.view.last ? { lastSeconds: t.view.last.seconds } : {}),
              ...(answering !== undefined ? { answeringPort: answering } : {}),
            };
          },
        ),
      ),
      checks: this.checks.view.map((c): BehaviourCheckView => ({ ...c })),
    };
  }

  start(): void {
    const s = this.o.settings;
    this.listening = listenCanaryPorts(this.podIps, s.canaryPorts).then(
      (l) => {
        this.listeners = l;
      },
      (e: NodeJS.ErrnoException) => {
        this.o.log.warn('canary ports: cannot listen; this replica cannot be the canary target', {
          address: this.podIps.join(','),
          ports: s.canaryPorts.join(','),
          error: e.code ?? e.message,
        });
      },
    );
    this.observer.start();
    this.affinity.start();
    this.checks.start();
    // Only a replica that can answer on the canary ports may become the canary's target.
    void this.listening.then(() => {
      if (this.listeners) this.elector.start();
    });
  }

  async stop(): Promise<void> {
    await Promise.all([this.writer.stop(), this.checks.stop()]);
    await this.listening;
    await this.elector.stop({ release: true });
    await Promise.all([this.observer.stop(), this.affinity.stop(), this.listeners?.close()]);
  }

  /** For tests: stop as a crashed replica would — no Lease release, sockets gone. */
  async abandon(): Promise<void> {
    await Promise.all([this.writer.stop(), this.checks.stop()]);
    await this.listening;
    await this.elector.stop({ release: false });
    await Promise.all([this.observer.stop(), this.affinity.stop(), this.listeners?.close()]);
  }
}

/** The canary for an exporter, when it can run; logs one line saying why not otherwise. The caller starts and stops it. */
export function attachCanary(
  ex: {
    settings: Settings;
    log: Logger;
    metrics: { canary: CanaryRecorder };
    state: { canary?: CanaryView; probes?: { functional: boolean } | undefined };
  },
  conn: ApiConnection,
  opts: Pick<CanaryOptions, 'identity' | 'timing' | 'reflector'> = {},
): Canary | undefined {
  const off = canaryOffReason(ex.settings);
  if (off) {
    if (ex.settings.canary === 'on') ex.log.warn('canary off: service programming latency is not measured', { reason: off });
    return undefined;
  }
  const canary = new Canary({
    conn,
    log: ex.log,
    settings: ex.settings,
    recorder: ex.metrics.canary,
    functional: () => ex.state.probes?.functional,
    ...opts,
  });
  // What the metric families read: the canary's view (the behaviour checks' included) as of the scrape, the one thing
  // the status page and diagnose show too.
  Object.defineProperty(ex.state, 'canary', { get: () => canary.view, enumerable: true, configurable: true });
  return canary;
}
