// Starts an exporter and its HTTP server together, and stops them together. `serve` and `demo`
// both go through here, so the demo is the real exporter.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Router } from 'express';
import { Exporter } from './exporter.js';
import type { Settings } from '../config/options.js';
import type { Logger } from '../log.js';
import type { ReflectorOptions } from '../cluster/reflector.js';
import { createApp, listen, type RunningServer } from '../http/server.js';
import { renderStatusPage } from '../http/status-page.js';
import { ProbeEngine } from './probes.js';
import { attachDiagnoseSources, reportFromExporter } from '../diagnose/index.js';
import type { ProberTable } from '../probe/index.js';
import { attachCanary, type Canary, type CanaryOptions } from '../canary/index.js';

export interface RunningExporter {
  exporter: Exporter;
  probes: ProbeEngine;
  /** undefined with --canary off (or without pod IP / namespace) */
  canary: Canary | undefined;
  http: RunningServer;
  url: string;
  stop(): Promise<void>;
}

export interface RunOptions {
  settings: Settings;
  kc: KubeConfig;
  log: Logger;
  reflector?: ReflectorOptions;
  extraRoutes?: Router;
  /** for tests: another prober table */
  probers?: ProberTable;
  /** for tests: the canary's identity, Lease timing, watch options */
  canary?: Pick<CanaryOptions, 'identity' | 'timing' | 'reflector'>;
}

export async function runExporter(o: RunOptions): Promise<RunningExporter> {
  const exporter = new Exporter({ settings: o.settings, kc: o.kc, log: o.log, ...(o.reflector ? { reflector: o.reflector } : {}) });
  const probes = new ProbeEngine(exporter, o.probers ? { probers: o.probers } : {});
  exporter.use(probes);
  attachDiagnoseSources(exporter);
  const canary = attachCanary(exporter, o.kc, o.canary);
  const report = () => reportFromExporter(exporter, probes, canary ? { canary: canary.view } : {});
  const app = createApp({
    registry: exporter.metrics.registry,
    readiness: () => exporter.readiness(),
    // Both from cached state: a request costs the API server nothing.
    statusPage: () => renderStatusPage({ report: report(), probes: probes.state, sources: exporter.sources.statuses(), readiness: exporter.readiness() }),
    diagnose: report,
    ...(o.extraRoutes ? { extra: o.extraRoutes } : {}),
  });
  const http = await listen(app, o.settings.listen);
  exporter.start();
  o.log.info('listening', { url: http.url });
  let stopping: Promise<void> | undefined;
  return {
    exporter,
    probes,
    canary,
    http,
    url: http.url,
    stop: () => (stopping ??= Promise.all([http.close(), exporter.stop()]).then(() => undefined)),
  };
}
