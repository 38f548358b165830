// Turns the family table into a prom-client registry. State families read the exporter's state
// at scrape time; event families are handed to the probe recorder.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  CANARY_WRITE_ERROR_REASONS,
  CANARY_WRITE_RESOURCES,
  FAILURE_REASONS,
  FAMILIES,
  type ExporterState,
  type ProbePath,
  type FailureReason,
  type IpFamily,
} from './families.js';
import { Exposition, samplesToken } from './exposition.js';
import { MISMATCH_KINDS, type MismatchKind } from '../healthcheck/compare.js';
import { BEHAVIOUR_CHECKS, type BehaviourCheck } from '../state/checks.js';

export interface ProbeObservation {
  probe: string;
  path: ProbePath;
  family: IpFamily;
  success: boolean;
  durationSeconds: number;
  reason?: FailureReason;
}

export interface ProbeRecorder {
  observe(o: ProbeObservation): void;
  /** drop the series of a probe target that no longer exists */
  forget(probe: string, path: ProbePath, family: IpFamily): void;
  /** a probe's exception was caught by the crash guard (src/probe/guard.ts) */
  crashed(): void;
}

/** What the canary feeds into its event families. */
export interface CanaryRecorder {
  /** start the canary's counters at 0 (called when the canary is on) */
  init(): void;
  change(): void;
  programmed(seconds: number, protocol: 'tcp' | 'udp', family: 'ipv4' | 'ipv6'): void;
  writeError(resource: (typeof CANARY_WRITE_RESOURCES)[number], reason: (typeof CANARY_WRITE_ERROR_REASONS)[number]): void;
  /** a behaviour check's round failed (src/canary/checks.ts) */
  checkFailed(check: BehaviourCheck): void;
}

/** What the health-check node port pipeline (src/app/health-checks.ts) feeds. */
export interface HealthCheckRecorder {
  /** a Service is asked: its counters exist at 0 from now on */
  seen(probe: string): void;
  mismatch(probe: string, kind: MismatchKind): void;
  /** the Service is gone (deleted, no longer Local, over the limit): its series go */
  forget(probe: string): void;
}

export interface ExporterMetrics {
  registry: Registry;
  /** the /metrics body: the registry's text, each family formatted again only when it changed */
  exposition: Exposition;
  probes: ProbeRecorder;
  canary: CanaryRecorder;
  healthChecks: HealthCheckRecorder;
}

export function createMetrics(getState: () => ExporterState, opts: { defaultMetrics?: boolean } = {}): ExporterMetrics {
  const registry = new Registry();
  const counters = new Map<string, Counter<string>>();
  const histograms = new Map<string, Histogram<string>>();
  // What each of our families' text depends on (src/metrics/exposition.ts): state families their
  // samples, event families a revision bumped on every change. Default metrics: none, always fresh.
  const revisionOf = new Map<string, () => string | number>();
  const revisions = new Map<string, number>();
  const changed = (...names: string[]) => {
    for (const n of names) revisions.set(n, (revisions.get(n) ?? 0) + 1);
  };
  // The canary's event families are registered by canary.init(): with --canary off they are absent.
  const CANARY_EVENT_FAMILIES = new Set([
    'service_lb_programming_duration_seconds',
    'service_lb_programming_changes_total',
    'service_proxy_exporter_canary_write_errors_total',
    'service_lb_check_failures_total',
  ]);
  for (const f of FAMILIES) {
    const common = {
      name: f.name,
      help: f.help,
      labelNames: [...f.labelNames],
      registers: CANARY_EVENT_FAMILIES.has(f.name) ? [] : [registry],
    };
    if (f.kind === 'state') {
      const collect = f.collect;
      revisionOf.set(f.name, () => samplesToken(collect(getState())));
      new Gauge({
        ...common,
        collect() {
          this.reset();
          const samples = collect(getState());
          // prom-client gives a label-less gauge a 0 sample after reset(); a family with no
          // samples (service_lb_functional before the first round) must be absent, not 0.
          if (samples.length === 0) this.remove({});
          for (const s of samples) this.set(s.labels, s.value);
        },
      });
    } else {
      revisions.set(f.name, 0);
      revisionOf.set(f.name, () => revisions.get(f.name)!);
      if (f.type === 'counter') counters.set(f.name, new Counter(common));
      else histograms.set(f.name, new Histogram({ ...common, buckets: f.buckets ?? [] }));
    }
  }
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const [TOTAL, FAILURES, DURATION, CRASHES] = [
    'service_lb_probes_total',
    'service_lb_probe_failures_total',
    'service_lb_probe_duration_seconds',
    'service_proxy_exporter_probe_crashes_total',
  ];
  const total = counters.get(TOTAL)!;
  const failures = counters.get(FAILURES)!;
  const duration = histograms.get(DURATION)!;
  const crashes = counters.get(CRASHES)!;
  // Present at 0 from the start, so an alert on increase() sees the first crash.
  crashes.inc(0);
  const known = new Set<string>();
  const probes: ProbeRecorder = {
    observe(o) {
      changed(TOTAL, FAILURES, DURATION);
      const labels = { probe: o.probe, path: o.path, family: o.family };
      const key = `${o.probe}\u0000${o.path}\u0000${o.family}`;
      if (!known.has(key)) {
        // One series per known reason from the first probe on, so rate() sees the first failure.
        known.add(key);
        for (const reason of FAILURE_REASONS) failures.inc({ ...labels, reason }, 0);
      }
      total.inc(labels);
      duration.observe(labels, o.durationSeconds);
      if (!o.success) failures.inc({ ...labels, reason: o.reason ?? 'other' });
    },
    forget(probe, path, family) {
      changed(TOTAL, FAILURES, DURATION);
      const labels = { probe, path, family };
      known.delete(`${probe}\u0000${path}\u0000${family}`);
      total.remove(labels);
      duration.remove(labels);
      for (const reason of FAILURE_REASONS) failures.remove({ ...labels, reason });
    },
    crashed() {
      changed(CRASHES);
      crashes.inc();
    },
  };
  const [CHANGES, PROGRAMMING, WRITE_ERRORS, CHECK_FAILURES] = [
    'service_lb_programming_changes_total',
    'service_lb_programming_duration_seconds',
    'service_proxy_exporter_canary_write_errors_total',
    'service_lb_check_failures_total',
  ];
  const changes = counters.get(CHANGES)!;
  const programming = histograms.get(PROGRAMMING)!;
  const writeErrors = counters.get(WRITE_ERRORS)!;
  const checkFailures = counters.get(CHECK_FAILURES)!;
  const canary: CanaryRecorder = {
    init() {
      for (const [name, m] of [
        ['service_lb_programming_duration_seconds', programming],
        ['service_lb_programming_changes_total', changes],
        ['service_proxy_exporter_canary_write_errors_total', writeErrors],
        ['service_lb_check_failures_total', checkFailures],
      ] as const) {
        if (!registry.getSingleMetric(name)) registry.registerMetric(m);
      }
      changed(CHANGES, PROGRAMMING, WRITE_ERRORS, CHECK_FAILURES);
      changes.inc(0);
      for (const check of BEHAVIOUR_CHECKS) checkFailures.inc({ check }, 0);
      for (const resource of CANARY_WRITE_RESOURCES)
        for (const reason of CANARY_WRITE_ERROR_REASONS) writeErrors.inc({ resource, reason }, 0);
    },
    change: () => {
      changed(CHANGES);
      changes.inc();
    },
    programmed: (seconds, protocol, family) => {
      changed(PROGRAMMING);
      programming.observe({ protocol, family }, seconds);
    },
    writeError: (resource, reason) => {
      changed(WRITE_ERRORS);
      writeErrors.inc({ resource, reason });
    },
    checkFailed: (check) => {
      changed(CHECK_FAILURES);
      checkFailures.inc({ check });
    },
  };
  const MISMATCHES = 'service_lb_health_check_mismatches_total';
  const mismatches = counters.get(MISMATCHES)!;
  const hcSeen = new Set<string>();
  const healthChecks: HealthCheckRecorder = {
    seen(probe) {
      if (hcSeen.has(probe)) return;
      hcSeen.add(probe);
      changed(MISMATCHES);
      // every kind at 0 from the first round, so increase() sees the first mismatch
      for (const kind of MISMATCH_KINDS) mismatches.inc({ probe, kind }, 0);
    },
    mismatch(probe, kind) {
      healthChecks.seen(probe);
      changed(MISMATCHES);
      mismatches.inc({ probe, kind });
    },
    forget(probe) {
      if (!hcSeen.delete(probe)) return;
      changed(MISMATCHES);
      for (const kind of MISMATCH_KINDS) mismatches.remove({ probe, kind });
    },
  };
  const exposition = new Exposition(registry, (name) => revisionOf.get(name)?.());
  return { registry, exposition, probes, canary, healthChecks };
}
