// The shell around the pure parts: a drift-free timer loop that, every --agent-health-interval,
// locates the effective provider's endpoint, asks every target node (its own node in daemonset
// mode) and publishes the view into the exporter's state. Rounds never overlap.
import { EventEmitter } from 'node:events';
import type { Exporter } from './exporter.js';
import type { Pipeline } from './wire.js';
import { locateFor } from '../agenthealth/locate.js';
import { runRound, type HealthGetter } from '../agenthealth/prober.js';
import { applyAgentHealth, notServed, summarize, targetsFor } from '../agenthealth/summary.js';
import { zeroCounts, type AgentHealthView, type HealthLocation } from '../agenthealth/types.js';

export interface AgentHealthOptions {
  /** for tests: another HTTP getter */
  get?: HealthGetter;
  /** spread starts over this many ms instead of the interval's share (diagnose's one round: 0) */
  spreadMs?: number;
}

/** Starts are spread over the interval, leaving room for the last requests' timeouts. */
export function spreadFor(intervalMs: number, timeoutMs: number): number {
  return Math.max(0, intervalMs * 0.8 - timeoutMs);
}

function describeLocation(l: HealthLocation | undefined): string {
  if (!l) return 'none';
  return l.served ? `:${l.port}${l.path}` : `not served: ${l.reason}`;
}

/** Emits `round` (AgentHealthView) after every round. */
export class AgentHealthEngine extends EventEmitter implements Pipeline {
  private viewState: AgentHealthView;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort = new AbortController();
  private stopped = true;
  private lastLocation = '';
  private lastBad = '';

  constructor(
    private readonly ex: Exporter,
    private readonly opts: AgentHealthOptions = {},
  ) {
    super();
    this.viewState = { provider: 'unknown', counts: zeroCounts(), nodes: [], intervalMs: ex.settings.agentHealthIntervalMs };
    ex.state.agentHealth = this.viewState;
    ex.adjustVerdict((v) => applyAgentHealth(v, this.viewState));
    // A new provider (the first one after start-up included) is asked at once, not one interval later.
    ex.onVerdict(() => {
      if (!this.running && this.providerChanged()) this.schedule(0);
    });
  }

  get view(): AgentHealthView {
    return this.viewState;
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

  private providerChanged(): boolean {
    const p = this.ex.state.verdict?.provider;
    return !this.stopped && p !== undefined && p !== 'unknown' && p !== this.viewState.provider;
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
    const run = this.round()
      .catch((e: unknown) => {
        this.ex.log.error('agent health round failed', { error: String((e as Error)?.message ?? e) });
      })
      .finally(() => {
        this.running = undefined;
        const interval = this.ex.settings.agentHealthIntervalMs;
        // Drift-free: the next round starts one interval after this one started.
        this.schedule(this.providerChanged() ? 0 : started + interval - Date.now());
      });
    this.running = run;
    return run;
  }

  private async round(): Promise<void> {
    const s = this.ex.settings;
    const started = Date.now();
    const verdict = this.ex.state.verdict;
    const snap = this.ex.snapshot;
    const provider = verdict?.provider ?? 'unknown';
    const location = locateFor(verdict, snap);
    const targets = targetsFor(verdict, snap);
    const at = new Date(started).toISOString();
    let nodes: AgentHealthView['nodes'] = [];
    if (location && !location.served) nodes = notServed(targets, location.reason, at);
    else if (location?.served) {
      nodes = await runRound(targets, {
        location,
        timeoutMs: s.agentHealthTimeoutMs,
        concurrency: s.agentHealthConcurrency,
        spreadMs: this.opts.spreadMs ?? spreadFor(s.agentHealthIntervalMs, s.agentHealthTimeoutMs),
        signal: this.abort.signal,
        ...(this.opts.get ? { get: this.opts.get } : {}),
      });
    }
    if (this.abort.signal.aborted) return;
    const sum = summarize(nodes);
    const view: AgentHealthView = {
      provider,
      ...(location ? { location } : {}),
      counts: sum.counts,
      ...(sum.maxSyncAgeSeconds !== undefined ? { maxSyncAgeSeconds: sum.maxSyncAgeSeconds } : {}),
      nodes,
      lastRound: { at, durationSeconds: (Date.now() - started) / 1000 },
      intervalMs: s.agentHealthIntervalMs,
    };
    this.publish(view);
  }

  private publish(view: AgentHealthView): void {
    const log = this.ex.log;
    const where = describeLocation(view.location);
    if (where !== this.lastLocation) {
      log.info('agent health endpoint', { provider: view.provider, endpoint: where });
      this.lastLocation = where;
    }
    const bad = view.nodes
      .filter((n) => n.state === 'unhealthy')
      .map((n) => n.node)
      .sort()
      .join(',');
    const prevBad = this.lastBad;
    this.lastBad = bad;
    const unreach = view.counts.unreachable;
    if ((prevBad === '') !== (bad === '') || (this.viewState.counts.unreachable === 0) !== (unreach === 0)) {
      log.log(bad || unreach ? 'warn' : 'info', bad || unreach ? 'agent health endpoints failing' : 'agent health endpoints healthy', {
        ...view.counts,
      });
    }
    this.viewState = view;
    this.ex.state.agentHealth = view;
    // Only a changed set of unhealthy nodes changes the verdict (proxy_provider_agents).
    if (bad !== prevBad && this.ex.state.verdict) this.ex.evaluate();
    this.emit('round', view);
  }
}
