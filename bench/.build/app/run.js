import { Exporter } from './exporter.js';
import { createApp, listen } from '../http/server.js';
import { renderStatusPage } from '../http/status-page.js';
import { ProbeEngine } from './probes.js';
export async function runExporter(o) {
    const exporter = new Exporter({ settings: o.settings, kc: o.kc, log: o.log, ...(o.reflector ? { reflector: o.reflector } : {}) });
    const probes = new ProbeEngine(exporter, o.probers ? { probers: o.probers } : {});
    exporter.use(probes);
    const app = createApp({
        registry: exporter.metrics.registry,
        readiness: () => exporter.readiness(),
        statusPage: () => renderStatusPage(exporter.state, exporter.readiness()),
        diagnose: () => ({ verdict: exporter.state.verdict ?? null, sources: exporter.sources.statuses(), probes: probes.state }),
        ...(o.extraRoutes ? { extra: o.extraRoutes } : {}),
    });
    const http = await listen(app, o.settings.listen);
    exporter.start();
    o.log.info('listening', { url: http.url });
    let stopping;
    return {
        exporter,
        probes,
        http,
        url: http.url,
        stop: () => (stopping ??= Promise.all([http.close(), exporter.stop()]).then(() => undefined)),
    };
}
