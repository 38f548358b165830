// The composition root: the one place the exporter's parts are put together. `serve`, `demo` (through
// runExporter) and `diagnose` all call wire(), so they run the same pipelines on the same sources.
//
//   source registry (SourceGroup)   every pipeline declares the sources it reads here, up front
//     ├─ detection (Exporter)        re-run when a detection source changes; publishes the verdict
//     ├─ probes (ProbeEngine)        re-run when services/endpointslices/nodes change; publishes its view
//     ├─ agent health (AgentHealthEngine)  every --agent-health-interval, asks each node's agent on its own
//     │                              health endpoint from detection's verdict/snapshot; adjusts the verdict
//     └─ diagnose-only sources       Warning events, read by the report
//   application state (ExporterState, ProbeView)  what the pipelines publish
//   metrics, HTTP, diagnose report                read the state, never the pipelines' internals
//
// A new pipeline: take the registry (`wired.sources`) and declare its sources with
// `sources.declare(spec)`, subscribe with `sources.onChange([names], fn)`, publish into the state,
// and join `pipelines` below so start/stop cover it.
import type { ApiConnection } from '../cluster/connection.js';
import type { ReflectorOptions } from '../cluster/reflector.js';
import { SourceGroup } from '../cluster/sources.js';
import type { Settings } from '../config/options.js';
import type { DiagnoseReport } from '../diagnose/index.js';
import type { Logger } from '../log.js';
import type { ProberTable } from '../probe/index.js';
import type { ExporterState } from '../state/exporter.js';
import { declareDiagnoseSources, reportFromExporter } from './diagnose.js';
import { Exporter } from './exporter.js';
import { ProbeEngine, selfProbeFor, type ProbeHost } from './probes.js';
import type { WebConfig } from '../config/web-config.js';
import { AgentHealthEngine, type AgentHealthOptions } from './agent-health.js';
import { HealthCheckEngine, type HealthCheckOptions } from './health-checks.js';
import { attachCanary, type Canary, type CanaryOptions } from './canary.js';

/** A part that runs on the shared sources and publishes into the state. */
export interface Pipeline {
  start(): void;
  stop(): Promise<void>;
}

export interface WireOptions {
  settings: Settings;
  /** the Kubernetes API (src/cluster/connection.ts) */
  conn: ApiConnection;
  log: Logger;
  reflector?: ReflectorOptions;
  now?: () => number;
  /** run the probe pipeline (default true; diagnose outside the cluster turns it off) */
  probes?: boolean;
  /** run probe rounds on the interval (default true); diagnose runs one round on demand instead */
  scheduleProbes?: boolean;
  /** for tests: another prober table */
  probers?: ProberTable;
  /** for tests: agent health options (another HTTP getter). The pipeline runs with --agent-health on
   *  wherever probes run, and is scheduled when probes are (diagnose: one unspread round on demand). */
  agentHealth?: AgentHealthOptions;
  /** for tests: health-check node port options (another HTTP getter); runs like agent health, with --health-check-node-ports on */
  healthChecks?: HealthCheckOptions;
  /**
   * the canary pipeline (default: run when the settings allow); false: never (diagnose); for tests: its
   * identity, Lease timing, watch options
   */
  canary?: false | Pick<CanaryOptions, 'identity' | 'timing' | 'reflector'>;
  /** --web-config-file: how the me_service probe reaches the exporter's own server */
  web?: WebConfig;
}

export interface Wired {
  /** the source registry every pipeline declared into */
  sources: SourceGroup;
  /** the detection pipeline, holder of the application state */
  exporter: Exporter;
  /** the probe pipeline, when it runs */
  probes: ProbeEngine | undefined;
  /** the agent health pipeline, when it runs (--agent-health on, probes not off) */
  agentHealth: AgentHealthEngine | undefined;
  /** the health-check node port pipeline, when it runs (--health-check-node-ports on, probes not off) */
  healthChecks: HealthCheckEngine | undefined;
  /** the canary pipeline, when it runs (src/canary/) */
  canary: Canary | undefined;
  /** what metrics are computed from */
  state: ExporterState;
  /** the diagnose report from what the pipelines hold now (no API call) */
  report(opts?: { probesSkipped?: string }): DiagnoseReport;
  start(): void;
  stop(): Promise<void>;
}

/** The probe pipeline's narrow view of the exporter. */
function probeHost(exporter: Exporter): ProbeHost {
  return {
    settings: exporter.settings,
    log: exporter.log,
    sources: exporter.sources,
    metrics: exporter.metrics.probes,
    publish: (summary) => (exporter.state.probes = summary),
    raiseIssue: (check, on) => exporter.setIssue(check, on),
  };
}

export function wire(o: WireOptions): Wired {
  const sources = new SourceGroup(o.conn, o.log, {
    ...(o.reflector ? { reflector: o.reflector } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  const exporter = new Exporter({ settings: o.settings, conn: o.conn, log: o.log, sources, ...(o.now ? { now: o.now } : {}) });
  const probes =
    o.probes === false
      ? undefined
      : new ProbeEngine(probeHost(exporter), { ...(o.probers ? { probers: o.probers } : {}), self: selfProbeFor(o.web) });
  const onDemand = o.scheduleProbes === false;
  const agentHealth =
    o.settings.agentHealth === 'on' && o.probes !== false
      ? new AgentHealthEngine(exporter, { ...(onDemand ? { spreadMs: 0 } : {}), ...o.agentHealth })
      : undefined;
  const healthChecks =
    o.settings.healthCheckNodePorts === 'on' && probes
      ? new HealthCheckEngine(exporter, probes, { ...(onDemand ? { spreadMs: 0 } : {}), ...o.healthChecks })
      : undefined;
  declareDiagnoseSources(o.settings, sources);
  // Started with the sources. A new pipeline (canary, node health) is built here from `sources` (it
  // declares its sources in its constructor) and closures that publish into `exporter.state`, and
  // joins this list.
  const pipelines: Pipeline[] = probes && o.scheduleProbes !== false ? [probes] : [];
  if (agentHealth && !onDemand) pipelines.push(agentHealth);
  if (healthChecks && !onDemand) pipelines.push(healthChecks);
  // the canary: its own namespaced watches (Lease, slice, Service) and writes; publishes exporter.state.canary
  const canary =
    o.canary === false
      ? undefined
      : attachCanary({ settings: o.settings, log: o.log, metrics: exporter.metrics, state: exporter.state }, o.conn, o.canary ?? {});
  if (canary) pipelines.push(canary);
  // stopped at the end: every pipeline, started or only run on demand (diagnose's probe round)
  const all = new Set<Pipeline>([
    ...pipelines,
    ...(probes ? [probes] : []),
    ...(agentHealth ? [agentHealth] : []),
    ...(healthChecks ? [healthChecks] : []),
  ]);
  let stopping: Promise<void> | undefined;
  return {
    sources,
    exporter,
    probes,
    agentHealth,
    healthChecks,
    canary,
    state: exporter.state,
    report: (opts = {}) => reportFromExporter(exporter, probes, { ...opts, ...(canary ? { canary: canary.view } : {}) }),
    start() {
      exporter.start();
      for (const p of pipelines) p.start();
    },
    stop: () => (stopping ??= Promise.all([exporter.stop(), ...[...all].map((p) => p.stop())]).then(() => undefined)),
  };
}
