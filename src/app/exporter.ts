// The detection pipeline and the application state: the detection sources (declared into the
// source registry) feed snapshots to detection, the verdict is published to the state, metrics and
// HTTP read the state. Nothing here decides anything; it only moves data and logs changes.
// src/app/wire.ts builds it beside the other pipelines.
import type { ApiConnection } from '../cluster/connection.js';
import type { SourceSpec } from '../cluster/catalog.js';
import { detectionSources } from '../components/registry.js';
import { SourceGroup, assembleSnapshot, nextGraceExpiry } from '../cluster/sources.js';
import type { ReflectorOptions } from '../cluster/reflector.js';
import type { ClusterSnapshot } from '../cluster/types.js';
import { detect } from '../components/decide.js';
import { CONFIG_CHECKS, type ConfigCheck, type Verdict } from '../detect/types.js';
import type { ExporterState } from '../metrics/families.js';
import { createMetrics, type ExporterMetrics } from '../metrics/registry.js';
import type { Settings } from '../config/options.js';
import type { Logger } from '../log.js';
import { buildInfo } from './build-info.js';

export interface ExporterDeps {
  settings: Settings;
  /** the Kubernetes API (src/cluster/connection.ts) */
  conn: ApiConnection;
  log: Logger;
  reflector?: ReflectorOptions;
  now?: () => number;
  /** the source registry shared by every pipeline (wire() passes it); one of its own otherwise */
  sources?: SourceGroup;
}

export class Exporter {
  readonly sources: SourceGroup;
  readonly metrics: ExporterMetrics;
  readonly specs: SourceSpec[];
  readonly state: ExporterState;
  snapshot: ClusterSnapshot | undefined;
  private graceTimer?: NodeJS.Timeout;
  private readonly listeners: ((v: Verdict) => void)[] = [];
  private stopped = false;
  /** a verdict computed while every source had synced is in the state (/readyz) */
  private publishedFromSynced = false;
  /** config checks raised by other pipelines (probe_targets_over_limit), merged into every verdict */
  private readonly externalIssues = new Map<ConfigCheck, boolean>();
  /** plugins' rules applied to every verdict, in order (agent health: Ready but unhealthy → unready) */
  private readonly adjusters: ((v: Verdict) => Verdict)[] = [];

  constructor(private readonly deps: ExporterDeps) {
    const { settings } = deps;
    this.specs = detectionSources({
      mode: settings.mode,
      ...(settings.nodeName ? { nodeName: settings.nodeName } : {}),
    });
    this.sources =
      deps.sources ??
      new SourceGroup(deps.conn, deps.log, {
        ...(deps.reflector ? { reflector: deps.reflector } : {}),
        ...(deps.now ? { now: deps.now } : {}),
      });
    for (const spec of this.specs) this.sources.declare(spec);
    this.state = { verdict: undefined, sources: this.sources.states(), probes: undefined, build: buildInfo() };
    // source_up reads the sources live: a source that syncs without changing any object (an empty
    // optional one) triggers no evaluation, and must not show 0 until something else changes
    this.metrics = createMetrics(() => ({ ...this.state, sources: this.sources.states() }));
    // the state's copy follows every source too (other pipelines' sources included)
    this.sources.on('state', () => (this.state.sources = this.sources.states()));
    // Detection re-runs only when one of its own sources changed.
    this.sources.onChange(
      this.specs.map((s) => s.name),
      () => this.evaluate(),
    );
  }

  get settings(): Settings {
    return this.deps.settings;
  }

  get log(): Logger {
    return this.deps.log;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Another pipeline raises or clears a config check; the verdict is recomputed when it changes. */
  setIssue(check: ConfigCheck, on: boolean): void {
    if ((this.externalIssues.get(check) ?? false) === on) return;
    this.externalIssues.set(check, on);
    if (this.state.verdict) this.evaluate();
  }

  /** A plugin adjusts every verdict from now on (pure: verdict in, verdict out). */
  adjustVerdict(fn: (v: Verdict) => Verdict): void {
    this.adjusters.push(fn);
  }

  /** Calls fn after every published verdict; returns the function that stops it. */
  onVerdict(fn: (v: Verdict) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  start(): void {
    this.deps.log.info('exporter starting', {
      mode: this.settings.mode,
      ...(this.settings.nodeName ? { node: this.settings.nodeName } : {}),
      sources: this.specs.length,
    });
    this.sources.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    await this.sources.stop();
  }

  /**
   * /readyz: every source has synced once (a forbidden optional source counts: it never will) and a verdict
   * computed from them is published. Sources sync before the coalesced re-evaluation runs (50 ms, about a
   * second at 5,000 nodes), and in that gap /metrics still says proxy_provider{type="unknown"}.
   */
  readiness(): { ready: boolean; waitingFor: string[] } {
    const waitingFor = this.unsettledSources();
    if (waitingFor.length === 0 && !this.publishedFromSynced) waitingFor.push('the first verdict from the synced sources');
    return { ready: waitingFor.length === 0, waitingFor };
  }

  private unsettledSources(): string[] {
    const optional = new Set(this.specs.filter((s) => !s.required).map((s) => s.name));
    return this.sources.unsettled((n) => optional.has(n) || !this.specs.some((s) => s.name === n));
  }

  /** Resolves true once /readyz would answer 200, false after timeoutMs. */
  whenReady(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.readiness().ready) return resolve(true);
      // readiness changes on a source's state change or when a verdict is published: nothing polls
      const check = () => {
        if (this.readiness().ready) done(true);
      };
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.sources.off('state', check);
        offVerdict();
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.sources.on('state', check);
      const offVerdict = this.onVerdict(check);
    });
  }

  /** Recompute the verdict from what the sources hold now. */
  evaluate(): Verdict {
    const now = this.now();
    // detection's own sources: the probe engine's (Services, EndpointSlices) do not feed this verdict
    const detectionNames = new Set(this.specs.map((s) => s.name));
    const fromSynced = !this.unsettledSources().some((n) => detectionNames.has(n));
    const snap = assembleSnapshot(this.sources, this.specs, {
      ...(this.settings.mode === 'daemonset' && this.settings.nodeName ? { nodeName: this.settings.nodeName } : {}),
      graceMs: this.settings.sourceGracePeriodMs,
      now,
    });
    this.snapshot = snap;
    let verdict = detect(snap, { disabled: this.settings.disabledDetectors });
    for (const [check, on] of this.externalIssues) verdict.issues[check] = on;
    for (const fn of this.adjusters) verdict = fn(verdict);
    const previous = this.state.verdict;
    this.state.verdict = verdict;
    this.state.sources = this.sources.states();
    if (fromSynced) this.publishedFromSynced = true;
    this.logChanges(previous, verdict);
    this.armGraceTimer(now);
    for (const fn of [...this.listeners]) fn(verdict);
    return verdict;
  }

  /** Re-evaluate when a failing source's grace period runs out, so `unknown` shows on time. */
  private armGraceTimer(now: number): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    if (this.stopped) return;
    const expiry = nextGraceExpiry(this.sources, this.settings.sourceGracePeriodMs);
    if (expiry === undefined || expiry < now) return;
    this.graceTimer = setTimeout(() => this.evaluate(), expiry - now + 5);
    this.graceTimer.unref();
  }

  private logChanges(prev: Verdict | undefined, next: Verdict): void {
    const log = this.deps.log;
    const describe = (v: Verdict) => [v.provider, v.mode, v.version, v.flavor].filter(Boolean).join(' ');
    // At start-up the verdict is `unknown` until the sources sync: not worth a line.
    const startingUp = !prev && next.provider === 'unknown';
    if (!startingUp && (!prev || describe(prev) !== describe(next))) {
      log.info('service proxy detected', {
        provider: next.provider,
        mode: next.mode,
        version: next.version,
        flavor: next.flavor,
        ...(prev ? { previous: prev.provider } : {}),
        reason: next.reasons[0] ?? '',
      });
    }
    if ((prev?.conflict ?? false) !== next.conflict) {
      log.log(next.conflict ? 'warn' : 'info', next.conflict ? 'service proxy conflict' : 'service proxy conflict resolved', {
        components: next.findings.filter((f) => f.active).map((f) => f.type),
      });
    }
    for (const check of CONFIG_CHECKS) {
      const was = prev?.issues[check] ?? false;
      if (was !== next.issues[check]) {
        log.log(next.issues[check] ? 'warn' : 'info', next.issues[check] ? 'config issue raised' : 'config issue cleared', { check });
      }
    }
    const agents = (v: Verdict | undefined) => (v ? `${v.agents.ready}/${v.agents.unready}/${v.agents.missing}` : '');
    if (agents(prev) !== agents(next)) log.debug('agents changed', { ...next.agents });
  }
}
