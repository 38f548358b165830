// Turns the family table into a prom-client registry. State families read the exporter's state
// at scrape time; event families are handed to the probe recorder.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FAILURE_REASONS, FAMILIES } from './families.js';
export function createMetrics(getState, opts = {}) {
    const registry = new Registry();
    const counters = new Map();
    const histograms = new Map();
    for (const f of FAMILIES) {
        const common = { name: f.name, help: f.help, labelNames: [...f.labelNames], registers: [registry] };
        if (f.kind === 'state') {
            const collect = f.collect;
            new Gauge({
                ...common,
                collect() {
                    this.reset();
                    for (const s of collect(getState()))
                        this.set(s.labels, s.value);
                },
            });
        }
        else if (f.type === 'counter') {
            counters.set(f.name, new Counter(common));
        }
        else {
            histograms.set(f.name, new Histogram({ ...common, buckets: f.buckets ?? [] }));
        }
    }
    if (opts.defaultMetrics !== false)
        collectDefaultMetrics({ register: registry });
    const total = counters.get('service_lb_probes_total');
    const failures = counters.get('service_lb_probe_failures_total');
    const duration = histograms.get('service_lb_probe_duration_seconds');
    const known = new Set();
    const probes = {
        observe(o) {
            const labels = { probe: o.probe, path: o.path };
            const key = `${o.probe}\u0000${o.path}`;
            if (!known.has(key)) {
                // One series per known reason from the first probe on, so rate() sees the first failure.
                known.add(key);
                for (const reason of FAILURE_REASONS)
                    failures.inc({ ...labels, reason }, 0);
            }
            total.inc(labels);
            duration.observe(labels, o.durationSeconds);
            if (!o.success)
                failures.inc({ ...labels, reason: o.reason ?? 'other' });
        },
        forget(probe, path) {
            const labels = { probe, path };
            known.delete(`${probe}\u0000${path}`);
            total.remove(labels);
            duration.remove(labels);
            for (const reason of FAILURE_REASONS)
                failures.remove({ ...labels, reason });
        },
    };
    return { registry, probes };
}
