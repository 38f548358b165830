// `demo`: the real exporter against a simulated cluster, so a newcomer sees live metrics with no
// cluster at all. Everything but the API server is the production code path.
import { KubeConfig } from '@kubernetes/client-node';
import { Router } from 'express';
import { resolveSettings } from '../config/load.js';
import { createLogger } from '../log.js';
import { runExporter } from '../app/run.js';
import { startSimulatedCluster } from './cluster.js';
import { DEFAULT_SCENARIO } from './scenarios.js';
import { startDemoDataPlane } from './dataplane/index.js';
export async function startDemo(opts = {}) {
    const flags = {
        listen: opts.listen ?? '127.0.0.1:9808',
        'probe-interval': opts.probeInterval ?? '5s',
        'probe-timeout': '1s',
        'source-grace-period': '10s',
        ...opts.flags,
    };
    // The demo ignores the caller's cluster settings: it always talks to its own simulated API.
    const env = { ...process.env, KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined };
    const settings = resolveSettings(flags, env);
    const cluster = await startSimulatedCluster(opts.scenario ?? DEFAULT_SCENARIO);
    const log = opts.log ?? createLogger({ level: settings.logLevel, format: settings.logFormat });
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    const serviceNamespace = settings.serviceNamespace || 'service-proxy-exporter';
    let dataPlane;
    let running;
    try {
        dataPlane = await startDemoDataPlane(cluster.api, { clusterDomain: settings.clusterDomain });
        running = await runExporter({
            settings: { ...settings, kubeconfig: cluster.kubeconfigPath, serviceNamespace },
            kc,
            log,
            extraRoutes: demoControls(() => dataPlane, log),
        });
        const u = new URL(running.url);
        await dataPlane.addSelfService({ namespace: serviceNamespace, name: settings.serviceName, host: u.hostname, port: Number(u.port) });
    }
    catch (e) {
        await dataPlane?.close();
        await cluster.close();
        throw e;
    }
    const plane = dataPlane;
    return {
        dataPlane: plane,
        url: running.url,
        apiUrl: cluster.api.url,
        kubeconfigPath: cluster.kubeconfigPath,
        scenario: cluster.scenario.name,
        description: cluster.scenario.description,
        cluster,
        running,
        close: async () => {
            await running.stop();
            await plane.close();
            await cluster.close();
        },
    };
}
/** POST /demo/break, POST /demo/heal, GET /demo: the newcomer's handle on the simulated service proxy. */
function demoControls(plane, log) {
    const r = Router();
    const state = () => ({ broken: plane().broken, services: plane().describe() });
    r.get('/demo', (_req, res) => {
        res.json(state());
    });
    r.post('/demo/break', async (_req, res) => {
        await plane().break();
        log.warn('demo: service proxy broken (VIPs no longer forward); watch service_lb_functional go to 0');
        res.json(state());
    });
    r.post('/demo/heal', async (_req, res) => {
        try {
            await plane().heal();
            log.info('demo: service proxy healed');
            res.json(state());
        }
        catch (e) {
            res.status(500).json({ error: String(e.message) });
        }
    });
    return r;
}
