// Starts the wired exporter (wire.ts) and its HTTP server together, and stops them together. `serve`
// and `demo` both go through here, so the demo is the real exporter.
import type { ApiConnection } from '../cluster/connection.js';
import type { Router } from 'express';
import type { Exporter } from './exporter.js';
import type { Settings } from '../config/options.js';
import type { Logger } from '../log.js';
import type { ReflectorOptions } from '../cluster/reflector.js';
import { createApp, listen, type RunningServer } from '../http/server.js';
import { renderStatusPage } from '../http/status-page.js';
import type { ProbeEngine } from './probes.js';
import type { ProberTable } from '../probe/index.js';
import { wire, type Wired } from './wire.js';
import { ConfigError } from '../config/load.js';
import { WebConfigError, loadWebConfig, type WebConfig } from '../config/web-config.js';
import type { AgentHealthEngine, AgentHealthOptions } from './agent-health.js';
import type { Canary, CanaryOptions } from './canary.js';
import type { HealthCheckEngine, HealthCheckOptions } from './health-checks.js';

export interface RunningExporter {
  /** everything wire() put together */
  wired: Wired;
  exporter: Exporter;
  probes: ProbeEngine;
  /** undefined with --agent-health off */
  agentHealth?: AgentHealthEngine;
  /** undefined with --canary off (or without pod IP / namespace) */
  canary: Canary | undefined;
  /** undefined with --health-check-node-ports off */
  healthChecks: HealthCheckEngine | undefined;
  http: RunningServer;
  url: string;
  stop(): Promise<void>;
}

export interface RunOptions {
  settings: Settings;
  /** the Kubernetes API (src/cluster/connection.ts) */
  conn: ApiConnection;
  log: Logger;
  reflector?: ReflectorOptions;
  extraRoutes?: Router;
  /** for tests: another prober table */
  probers?: ProberTable;
  /** for tests: agent health engine options (another HTTP getter) */
  agentHealth?: AgentHealthOptions;
  /** for tests: health-check node port options (another HTTP getter) */
  healthChecks?: HealthCheckOptions;
  /** for tests: the canary's identity, Lease timing, watch options */
  canary?: Pick<CanaryOptions, 'identity' | 'timing' | 'reflector'>;
  /** --web-config-file, already read (serve reads it before connecting); else read here */
  web?: WebConfig;
  /** for tests: how often certificates are re-read (default 5s) */
  webReloadIntervalMs?: number;
}

export async function runExporter(o: RunOptions): Promise<RunningExporter> {
  const web = o.web ?? loadWebConfig(o.settings.webConfigFile);
  const wired = wire({
    settings: o.settings,
    conn: o.conn,
    log: o.log,
    ...(o.reflector ? { reflector: o.reflector } : {}),
    ...(o.probers ? { probers: o.probers } : {}),
    ...(o.agentHealth ? { agentHealth: o.agentHealth } : {}),
    ...(o.healthChecks ? { healthChecks: o.healthChecks } : {}),
    ...(o.canary ? { canary: o.canary } : {}),
    ...(web ? { web } : {}),
  });
  const { exporter } = wired;
  const probes = wired.probes!;
  const app = createApp({
    metrics: exporter.metrics.exposition,
    readiness: () => exporter.readiness(),
    // Both from cached state: a request costs the API server nothing.
    statusPage: () =>
      renderStatusPage({
        report: wired.report(),
        probes: probes.state,
        sources: wired.sources.statuses(),
        readiness: exporter.readiness(),
      }),
    diagnose: () => wired.report(),
    ...(o.extraRoutes ? { extra: o.extraRoutes } : {}),
  });
  let http: RunningServer;
  try {
    http = await listen(app, o.settings.listen, {
      ...(web ? { web } : {}),
      log: o.log,
      ...(o.webReloadIntervalMs !== undefined ? { reloadIntervalMs: o.webReloadIntervalMs } : {}),
    });
  } catch (e) {
    await wired.stop();
    if (e instanceof WebConfigError) throw new ConfigError(`--web-config-file: ${e.message}`);
    throw e;
  }
  wired.start();
  o.log.info('listening', {
    url: http.url,
    ...(web
      ? { webConfig: web.file, clientAuth: web.tls?.clientAuthType ?? 'none', basicAuthUsers: Object.keys(web.basicAuthUsers).length }
      : {}),
  });
  let stopping: Promise<void> | undefined;
  return {
    wired,
    exporter,
    probes,
    ...(wired.agentHealth ? { agentHealth: wired.agentHealth } : {}),
    canary: wired.canary,
    healthChecks: wired.healthChecks,
    http,
    url: http.url,
    stop: () => (stopping ??= Promise.all([http.close(), wired.stop()]).then(() => undefined)),
  };
}
