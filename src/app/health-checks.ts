// The shell around src/healthcheck/: every --agent-health-interval (the same per-node HTTP cadence as
// agent health), plan which Local LoadBalancer Services and nodes to ask, GET each node's
// healthCheckNodePort /healthz spread over the interval, judge the answers against the EndpointSlices
// and publish: exporter.state.healthChecks (service_lb_health_check_consistent, status page, /diagnose)
// and service_lb_health_check_mismatches_total. Rounds never overlap.
import { httpGet, unreachableReason, type HealthGetter } from '../agenthealth/prober.js';
import type { SlimEndpointSlice, SlimNode } from '../cluster/types.js';
import {
  judgeService,
  planHealthChecks,
  type HealthCheckAnswer,
  type HealthCheckService,
  type HealthCheckView,
} from '../healthcheck/compare.js';
import { spreadRun } from '../healthcheck/spread.js';
import type { Exporter } from './exporter.js';
import type { ProbeEngine } from './probes.js';
import { spreadFor } from './agent-health.js';
import type { Pipeline } from './wire.js';

export interface HealthCheckOptions {
  /** for tests: another HTTP getter */
  get?: HealthGetter;
  /** spread starts over this many ms instead of the interval's share (diagnose's one round: 0) */
  spreadMs?: number;
}

/** How soon a round that had to wait for the sources is tried again. */
const RETRY_MS = 1000;

/** kube-proxy serves the health check on this path (any path answers the same). */
export const HEALTH_CHECK_PATH = '/healthz';

/** Emits `round` (HealthCheckView) after every round. */
export class HealthCheckEngine implements Pipeline {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort = new AbortController();
  private stopped = true;
  private asked = new Set<string>();
  private lastBad = '';
  private lastUnreachable = '';
  private readonly listeners = new Set<(v: HealthCheckView) => void>();

  constructor(
    private readonly ex: Exporter,
    private readonly probes: ProbeEngine,
    private readonly opts: HealthCheckOptions = {},
  ) {
    ex.state.healthChecks = { services: [], skipped: [] };
  }

  /** Calls `fn` after every published round; returns the function that stops it. */
  onRound(fn: (v: HealthCheckView) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.abort = new AbortController();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running;
  }

  /** Run a round now (or wait for the one running); resolves when it is published. */
  runNow(): Promise<void> {
    if (this.running) return this.running;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return this.tick();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), Math.max(0, delayMs));
    this.timer.unref();
  }

  private tick(): Promise<void> {
    if (this.running) return this.running;
    const started = Date.now();
    let complete = true;
    const run = this.round()
      .then((done) => void (complete = done))
      .catch((e: unknown) => {
        this.ex.log.error('health-check node port round failed', { error: String((e as Error)?.message ?? e) });
      })
      .finally(() => {
        this.running = undefined;
        // Drift-free: the next round starts one interval after this one started; a round that had to
        // wait for the sources (start-up, a new Service's slices) is retried soon instead.
        const interval = this.ex.settings.agentHealthIntervalMs;
        this.schedule(started + (complete ? interval : Math.min(interval, RETRY_MS)) - Date.now());
      });
    this.running = run;
    return run;
  }

  /** Resolves false when something could not be asked yet (sources or slices still being read). */
  private async round(): Promise<boolean> {
    const s = this.ex.settings;
    const src = this.ex.sources;
    const st = src.statuses();
    // Before the sources have listed, "no slice" would read as "no endpoint" and every 200 as a mismatch.
    if (!['endpointslices', 'nodes'].every((n) => st[n]?.state === 'synced')) return false;
    const started = Date.now();
    const plan = planHealthChecks({
      services: this.probes.serviceObjects(),
      endpointSlices: src.values<SlimEndpointSlice>('endpointslices'),
      nodes: src.values<SlimNode>('nodes'),
      maxTargets: s.maxProbeTargets,
      ...(s.mode === 'daemonset' && s.nodeName ? { nodeName: s.nodeName } : {}),
    });
    const skipped = [...plan.skipped];
    const ready: HealthCheckService[] = [];
    for (const svc of plan.services) {
      if (this.probes.slicesCover(svc.probe.slice(svc.probe.indexOf('/') + 1))) ready.push(svc);
      else skipped.push({ probe: svc.probe, why: 'its EndpointSlices are being read; asked from the next round on' });
    }
    const jobs = ready.flatMap((svc, si) => svc.asks.map((ask, ai) => ({ si, ai, ask })));
    const answers: HealthCheckAnswer[][] = ready.map((svc) => new Array<HealthCheckAnswer>(svc.asks.length));
    const get = this.opts.get ?? httpGet;
    await spreadRun(
      jobs,
      async ({ si, ai, ask }) => {
        let a: HealthCheckAnswer;
        if (!ask.address) a = { unreachable: 'node has no InternalIP' };
        else
          try {
            const r = await get(ask.address, ask.port, HEALTH_CHECK_PATH, s.agentHealthTimeoutMs, this.abort.signal);
            a = { status: r.status, body: r.body };
          } catch (e) {
            a = { unreachable: unreachableReason(e) };
          }
        answers[si]![ai] = a;
      },
      {
        concurrency: s.agentHealthConcurrency,
        spreadMs: this.opts.spreadMs ?? spreadFor(s.agentHealthIntervalMs, s.agentHealthTimeoutMs),
        signal: this.abort.signal,
      },
    );
    if (this.abort.signal.aborted) return true;
    const services = ready.map((svc, i) => judgeService(svc, answers[i]!));
    this.publish({ services, skipped, lastRound: { at: new Date(started).toISOString(), durationSeconds: (Date.now() - started) / 1000 } });
    return ready.length === plan.services.length;
  }

  private publish(view: HealthCheckView): void {
    const rec = this.ex.metrics.healthChecks;
    const now = new Set(view.services.map((v) => v.probe));
    for (const v of view.services) {
      rec.seen(v.probe);
      for (const n of v.nodes) if (n.kind) rec.mismatch(v.probe, n.kind);
    }
    for (const p of this.asked) if (!now.has(p)) rec.forget(p);
    this.asked = now;
    // One log line when the set of disagreeing (Service, node, kind) changes, and one when the unreachable set does.
    const bad = view.services
      .flatMap((v) => v.nodes.filter((n) => n.kind).map((n) => `${v.probe}@${n.node}:${n.kind}`))
      .sort()
      .join(',');
    if (bad !== this.lastBad) {
      const level = bad ? 'warn' : 'info';
      this.ex.log.log(
        level,
        bad ? 'health-check node ports disagree with the EndpointSlices' : 'health-check node ports agree with the EndpointSlices',
        {
          ...(bad ? { mismatches: bad.slice(0, 2000) } : {}),
        },
      );
      this.lastBad = bad;
    }
    const unreachable = view.services
      .flatMap((v) => v.nodes.filter((n) => n.unreachable).map((n) => `${v.probe}@${n.node}`))
      .sort()
      .join(',');
    if (unreachable !== this.lastUnreachable) {
      if (unreachable)
        this.ex.log.warn('health-check node ports unreachable (not counted as mismatches; NetworkPolicy or host firewall?)', {
          nodes: unreachable.slice(0, 2000),
        });
      this.lastUnreachable = unreachable;
    }
    this.ex.state.healthChecks = view;
    for (const fn of this.listeners) fn(view);
  }
}
