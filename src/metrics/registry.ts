// Turns the family table into a prom-client registry. State families read the exporter's state
// at scrape time; event families are handed to the probe recorder.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FAILURE_REASONS, FAMILIES, type ExporterState, type ProbePath, type FailureReason } from './families.js';

export interface ProbeObservation {
  probe: string;
  path: ProbePath;
  success: boolean;
  durationSeconds: number;
  reason?: FailureReason;
}

export interface ProbeRecorder {
  observe(o: ProbeObservation): void;
  /** drop the series of a probe target that no longer exists */
  forget(probe: string, path: ProbePath): void;
  /** a probe's exception was caught by the crash guard (src/probe/guard.ts) */
  crashed(): void;
}

export interface ExporterMetrics {
  registry: Registry;
  probes: ProbeRecorder;
}

export function createMetrics(getState: () => ExporterState, opts: { defaultMetrics?: boolean } = {}): ExporterMetrics {
  const registry = new Registry();
  const counters = new Map<string, Counter<string>>();
  const histograms = new Map<string, Histogram<string>>();
  for (const f of FAMILIES) {
    const common = { name: f.name, help: f.help, labelNames: [...f.labelNames], registers: [registry] };
    if (f.kind === 'state') {
      const collect = f.collect;
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
    } else if (f.type === 'counter') {
      counters.set(f.name, new Counter(common));
    } else {
      histograms.set(f.name, new Histogram({ ...common, buckets: f.buckets ?? [] }));
    }
  }
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const total = counters.get('service_lb_probes_total')!;
  const failures = counters.get('service_lb_probe_failures_total')!;
  const duration = histograms.get('service_lb_probe_duration_seconds')!;
  const crashes = counters.get('service_proxy_exporter_probe_crashes_total')!;
  // Present at 0 from the start, so an alert on increase() sees the first crash.
  crashes.inc(0);
  const known = new Set<string>();
  const probes: ProbeRecorder = {
    observe(o) {
      const labels = { probe: o.probe, path: o.path };
      const key = `${o.probe}\u0000${o.path}`;
      if (!known.has(key)) {
        // One series per known reason from the first probe on, so rate() sees the first failure.
        known.add(key);
        for (const reason of FAILURE_REASONS) failures.inc({ ...labels, reason }, 0);
      }
      total.inc(labels);
      duration.observe(labels, o.durationSeconds);
      if (!o.success) failures.inc({ ...labels, reason: o.reason ?? 'other' });
    },
    forget(probe, path) {
      const labels = { probe, path };
      known.delete(`${probe}\u0000${path}`);
      total.remove(labels);
      duration.remove(labels);
      for (const reason of FAILURE_REASONS) failures.remove({ ...labels, reason });
    },
    crashed() {
      crashes.inc();
    },
  };
  return { registry, probes };
}
