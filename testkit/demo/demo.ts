// `demo`: the real exporter against a simulated cluster, so a newcomer sees live metrics with no
// cluster at all. Everything but the API server is the production code path.
import { openConnection, type ApiConnection } from '../../src/cluster/kubeconfig.js';
import { Router } from 'express';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { resolveSettings } from '../../src/config/load.js';
import type { Settings } from '../../src/config/options.js';
import { createLogger, type Logger } from '../../src/log.js';
import { runExporter, type RunningExporter } from '../../src/app/run.js';
import { startSimulatedCluster, type SimulatedCluster } from './cluster.js';
import { DEFAULT_SCENARIO } from '../scenarios.js';
import { startDemoDataPlane, type DemoDataPlane } from '../dataplane/index.js';
import { startDemoAgents, type DemoAgents, type DemoAgentState } from '../dataplane/agents.js';
import { startDemoHealthChecks, type DemoHealthChecks } from '../dataplane/health-checks.js';

export interface DemoOptions {
  scenario?: string;
  /** HOST:PORT for the exporter; default 127.0.0.1:9808 */
  listen?: string;
  probeInterval?: string;
  /** further flags, as on the command line (by long name) */
  flags?: Record<string, string | undefined>;
  /** how long the simulated service proxy takes to program a canary change; default 300 ms */
  canaryDelayMs?: number;
  log?: Logger;
}

export interface Demo {
  /** the exporter's base URL, e.g. http://127.0.0.1:9808 */
  url: string;
  /** the fake API server's URL */
  apiUrl: string;
  kubeconfigPath: string;
  scenario: string;
  description: string;
  cluster: SimulatedCluster;
  running: RunningExporter;
  /** the stand-in service proxy: break() and heal() it to watch service_lb_functional follow */
  dataPlane: DemoDataPlane;
  /** the agents' own health endpoints on the nodes' loopback InternalIPs */
  agents: DemoAgents;
  close(): Promise<void>;
}

export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const flags: Record<string, string | undefined> = {
    listen: opts.listen ?? '127.0.0.1:9808',
    'probe-interval': opts.probeInterval ?? '5s',
    'probe-timeout': '1s',
    'source-grace-period': '10s',
    // The canary: this "pod" is loopback; a change every 5 s so observations show within seconds.
    // A demo started from code (tests) gets free canary ports, so several can run at once.
    'pod-ip': '127.0.0.1',
    'canary-interval': '5s',
    ...(opts.listen ? { 'canary-ports': await freePortPair() } : {}),
    ...opts.flags,
  };
  // The demo ignores the caller's cluster settings: it always talks to its own simulated API.
  const env = { ...process.env, KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined };
  const settings: Settings = resolveSettings(flags, env);
  const cluster = await startSimulatedCluster(opts.scenario ?? DEFAULT_SCENARIO);
  const log = opts.log ?? createLogger({ level: settings.logLevel, format: settings.logFormat });
  const serviceNamespace = settings.serviceNamespace || 'service-proxy-exporter';
  let dataPlane: DemoDataPlane | undefined;
  let agents: DemoAgents | undefined;
  let healthChecks: DemoHealthChecks | undefined;
  let running: RunningExporter;
  let conn: ApiConnection | undefined;
  try {
    dataPlane = await startDemoDataPlane(cluster.api, {
      clusterDomain: settings.clusterDomain,
      canary: { namespace: serviceNamespace, ...(opts.canaryDelayMs !== undefined ? { delayMs: opts.canaryDelayMs } : {}) },
    });
    conn = await openConnection(cluster.kubeconfigPath);
    agents = await startDemoAgents(cluster.api);
    healthChecks = await startDemoHealthChecks(cluster.api, agents.addresses);
    const routes = demoControls(() => dataPlane!, log);
    routes.use(agentControls(agents, log));
    routes.use(healthCheckControls(healthChecks, log));
    running = await runExporter({
      settings: { ...settings, kubeconfig: cluster.kubeconfigPath, serviceNamespace },
      conn,
      log,
      extraRoutes: routes,
    });
    const u = new URL(running.url);
    await dataPlane.addSelfService({ namespace: serviceNamespace, name: settings.serviceName, host: u.hostname, port: Number(u.port) });
  } catch (e) {
    conn?.close();
    await healthChecks?.close();
    await agents?.close();
    await dataPlane?.close();
    await cluster.close();
    throw e;
  }
  const plane = dataPlane;
  const opened = conn!;
  const demoAgents = agents;
  const demoHealthChecks = healthChecks!;
  return {
    dataPlane: plane,
    agents: demoAgents,
    url: running.url,
    apiUrl: cluster.api.url,
    kubeconfigPath: cluster.kubeconfigPath,
    scenario: cluster.scenario.name,
    description: cluster.scenario.description,
    cluster,
    running,
    close: async () => {
      await running.stop();
      opened.close();
      await demoHealthChecks.close();
      await demoAgents.close();
      await plane.close();
      await cluster.close();
    },
  };
}

async function freePortPair(): Promise<string> {
  const servers = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<Server>((resolve, reject) => {
          const srv = createServer();
          srv.once('error', reject);
          srv.listen(0, '127.0.0.1', () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports.join(',');
}

/**
 * POST /demo/break, /demo/heal, /demo/freeze, /demo/thaw, /demo/stale-conntrack, /demo/flush-conntrack,
 * GET /demo: the newcomer's handle on the simulated service proxy.
 */
function demoControls(plane: () => DemoDataPlane, log: Logger): Router {
  const r = Router();
  const state = () => ({
    broken: plane().broken,
    frozen: plane().frozen,
    staleConntrack: plane().conntrackStale,
    canary: plane().canary() ?? null,
    services: plane().describe(),
  });
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
    } catch (e) {
      res.status(500).json({ error: String((e as Error).message) });
    }
  });
  r.post('/demo/freeze', (_req, res) => {
    plane().freeze();
    log.warn(
      'demo: service proxy frozen (no more programming; existing VIPs keep forwarding); watch service_lb_programming_pending_seconds grow',
    );
    res.json(state());
  });
  r.post('/demo/thaw', (_req, res) => {
    plane().thaw();
    log.info('demo: service proxy thawed (programming resumes)');
    res.json(state());
  });
  r.post('/demo/stale-conntrack', (_req, res) => {
    plane().staleConntrack(true);
    log.warn(
      'demo: service proxy no longer clears UDP conntrack after a change (kubernetes#139628); watch service_lb_programming_pending_seconds{protocol="udp"} grow while tcp stays 0',
    );
    res.json(state());
  });
  r.post('/demo/flush-conntrack', (_req, res) => {
    plane().staleConntrack(false);
    log.info('demo: stale UDP conntrack entries flushed; the proxy clears them after each change again');
    res.json(state());
  });
  return r;
}

/** POST /demo/health-check?answers=truthful|always-ok: the demo LoadBalancer Service's health-check node port. */
function healthCheckControls(hc: DemoHealthChecks, log: Logger): Router {
  const r = Router();
  r.post('/demo/health-check', (req, res) => {
    const answers = String(req.query.answers ?? '');
    if (answers !== 'truthful' && answers !== 'always-ok') {
      res.status(400).json({ error: 'use ?answers=truthful|always-ok' });
      return;
    }
    hc.answers = answers;
    log.warn(`demo: health-check node port of demo/echo-local answers ${answers}; watch service_lb_health_check_consistent`);
    res.json({ answers });
  });
  return r;
}

/** POST /demo/agent?node=NAME&state=healthy|stale|down: one simulated agent's health endpoint. */
function agentControls(agents: DemoAgents, log: Logger): Router {
  const r = Router();
  r.post('/demo/agent', async (req, res) => {
    const node = String(req.query.node ?? '');
    const state = String(req.query.state ?? '') as DemoAgentState;
    if (!agents.addresses.has(node) || !['healthy', 'stale', 'down'].includes(state)) {
      res.status(400).json({ error: `use ?node=<one of ${[...agents.addresses.keys()].join(', ')}>&state=healthy|stale|down` });
      return;
    }
    await agents.set(node, state);
    log.warn(`demo: agent health endpoint on ${node} is now ${state}; watch proxy_provider_agent_health`);
    res.json(agents.states());
  });
  return r;
}
