// The probe pipeline: keeps probe targets fresh from the Service/EndpointSlice watches, runs
// rounds on the schedule, and publishes its view to the application state and its results to the
// metrics. It sees the rest of the exporter only through ProbeHost (wired in src/app/wire.ts).
import { EventEmitter } from 'node:events';
import { RESOURCES } from '../cluster/catalog.js';
import { slimEndpointSlice, slimService } from '../cluster/slim.js';
import type { SourceRegistry } from '../cluster/sources.js';
import type { SlimEndpointSlice, SlimNode, SlimService } from '../cluster/types.js';
import type { Settings } from '../config/options.js';
import { acceptsClientsWithoutCert, type WebConfig } from '../config/web-config.js';
import type { ConfigCheck } from '../detect/types.js';
import type { Logger } from '../log.js';
import type { ExporterMetrics } from '../metrics/registry.js';
import type { ExporterState } from '../state/exporter.js';
import {
  classifyRound,
  createScheduler,
  discoverTargets,
  installProbeCrashGuard,
  functional,
  isOptedIn,
  ANNOTATIONS,
  verdictChanges,
  eachVerdict,
  type IpFamily,
  type ProbePath,
  type ProbeScheduler,
  type TargetResult,
  type ProberTable,
  PROBE_SWITCH_NAMES,
  disabledBuiltins,
} from '../probe/index.js';
import type { ProbeView } from '../state/probes.js';
import type { ReflectorSpec } from '../cluster/reflector.js';
import { hasHealthCheckNodePort } from '../healthcheck/compare.js';

export type { ProbeView } from '../state/probes.js';

/** Where cluster DNS lives across distributions, in order of preference. */
const DNS_SERVICES = [
  { namespace: 'kube-system', name: 'kube-dns' },
  { namespace: 'kube-system', name: 'rke2-coredns-rke2-coredns' },
  { namespace: 'kube-system', name: 'coredns' },
  { namespace: 'openshift-dns', name: 'dns-default' },
];

/** What the probe pipeline may touch: its sources, its metrics, and the state it publishes to. */
export interface ProbeHost {
  settings: Settings;
  log: Logger;
  sources: SourceRegistry;
  metrics: ExporterMetrics['probes'];
  /** the round summary service_lb_* are computed from (undefined: no VIP probed) */
  publish(summary: ExporterState['probes']): void;
  /** raise or clear a config check (probe_targets_over_limit) in the verdict */
  raiseIssue(check: ConfigCheck, on: boolean): void;
}

/** Label that opts a Service in like the annotation does; unlike an annotation it can be selected by the API server. */
export const PROBE_LABEL_SELECTOR = `${ANNOTATIONS.probe}=true`;

/**
 * The Service sources. Deployment mode watches every Service: opting in by annotation needs them all,
 * and there is one replica. Daemonset mode must not: every replica would list and hold every Service
 * of the cluster. It watches the built-in targets by name (default/kubernetes, the DNS candidates,
 * its own Service) and opted-in Services by the label, so what a replica reads does not grow with
 * the cluster (docs/deploy.md "Opting Services in").
 */
export function serviceSources(s: Pick<Settings, 'mode' | 'serviceNamespace' | 'serviceName'>): ReflectorSpec[] {
  const base = { ref: RESOURCES.services, optional: true, slim: slimService } as const;
  if (s.mode !== 'daemonset') return [{ name: 'services', ...base }];
  const named = [
    { namespace: 'default', name: 'kubernetes' },
    ...DNS_SERVICES,
    ...(s.serviceNamespace ? [{ namespace: s.serviceNamespace, name: s.serviceName }] : []),
  ];
  const seen = new Set<string>();
  const specs: ReflectorSpec[] = [];
  for (const { namespace, name } of named) {
    const key = `${namespace}/${name}`;
    if (!name || seen.has(key)) continue;
    seen.add(key);
    specs.push({ name: `services/${key}`, ...base, fieldSelector: `metadata.namespace=${namespace},metadata.name=${name}` });
  }
  specs.push({ name: 'services/opted-in', ...base, labelSelector: PROBE_LABEL_SELECTOR });
  return specs;
}

/** How the me_service probe reaches this exporter's own HTTP server (--web-config-file). */
export interface SelfProbe {
  scheme?: 'http' | 'https';
  unprobeable?: string;
}

/** The me_service probe for a web config: https with TLS; skipped when every client needs a certificate. */
export function selfProbeFor(web: WebConfig | undefined): SelfProbe {
  if (!web?.tls) return {};
  if (!acceptsClientsWithoutCert(web))
    return {
      scheme: 'https',
      unprobeable: `the exporter requires client certificates (web config client_auth_type ${web.tls.clientAuthType}); the probe has none`,
    };
  return { scheme: 'https' };
}

/** Emits `round` (ProbeView) after every published round. */
export class ProbeEngine extends EventEmitter {
  private readonly scheduler: ProbeScheduler;
  private view: ProbeView;
  private sliceServices = '';
  /** the Service names the slice source's current reflector selects (set once a replacement is in place) */
  private sliceCovered = new Set<string>();
  private published = new Set<string>();
  private firstRoundDone = false;
  private serviceSourceNames: string[];
  private uninstallGuard: (() => void) | undefined;
  private readonly selfProbe: SelfProbe;

  constructor(
    private readonly ex: ProbeHost,
    opts: { probers?: ProberTable; self?: SelfProbe } = {},
  ) {
    super();
    this.selfProbe = opts.self ?? {};
    const s = ex.settings;
    for (const p of s.disabledProbes) {
      if (!(PROBE_SWITCH_NAMES as readonly string[]).includes(p))
        ex.log.warn('unknown probe in disabledProbes; ignored', { probe: p, known: PROBE_SWITCH_NAMES.join(',') });
    }
    // optional: an API server that does not serve them (404) leaves probes without targets, not the exporter unready
    this.serviceSourceNames = [];
    for (const spec of serviceSources(s)) {
      ex.sources.declare(spec);
      this.serviceSourceNames.push(spec.name);
    }
    this.sliceServices = this.sliceSelectorNames([]);
    this.sliceCovered = new Set(this.sliceServices.split(','));
    ex.sources.declare(this.sliceSpec(this.sliceServices));
    this.scheduler = createScheduler({
      intervalMs: s.probeIntervalMs,
      round: { concurrency: s.probeConcurrency, timeoutMs: s.probeTimeoutMs, ...(opts.probers ? { probers: opts.probers } : {}) },
      targets: () => this.view.targets,
      onRound: (round) => this.publish(round.results, round.startedAt, round.durationSeconds),
      onSkippedTick: () => ex.log.debug('probe tick skipped: previous round still running'),
      onError: (err) => ex.log.error('probe round failed', { error: String((err as Error)?.message ?? err) }),
    });
    this.view = { schedule: this.scheduler.schedule, targets: [], skipped: [], overLimit: false };
    ex.sources.onChange(this.probeSources(), () => this.refresh());
  }

  get state(): ProbeView {
    return this.view;
  }

  start(): void {
    const sch = this.scheduler.schedule;
    if (sch.note) this.ex.log.info(sch.note);
    // A probe must never take the exporter down (it exists for the moment the data plane breaks):
    // an exception one lets escape is counted and logged, and that probe fails with reason other.
    this.uninstallGuard = installProbeCrashGuard({
      onCrash: (err, label) => {
        this.ex.metrics.crashed();
        this.ex.log.error('probe crashed; counted in service_proxy_exporter_probe_crashes_total, the exporter goes on', {
          ...(label ? { probe: label } : {}),
          error: String((err as Error)?.stack ?? err).slice(0, 2000),
        });
      },
    });
    this.scheduler.start();
  }

  async stop(): Promise<void> {
    await this.scheduler.stop();
    this.uninstallGuard?.();
    this.uninstallGuard = undefined;
  }

  /** Run a round now (diagnose, tests); resolves with the published view. */
  async runNow(): Promise<ProbeView> {
    await this.scheduler.runNow();
    return this.view;
  }

  private sliceSelectorNames(services: SlimService[]): string {
    const s = this.ex.settings;
    const annotated = services.filter(isOptedIn);
    // The health-check node ports (src/app/health-checks.ts) compare with these Services' slices too.
    const local =
      s.healthCheckNodePorts === 'on'
        ? services
            .filter(hasHealthCheckNodePort)
            .map((x) => `${x.namespace}/${x.name}`)
            .sort()
            .slice(0, Math.max(0, s.maxProbeTargets))
            .map((k) => k.slice(k.indexOf('/') + 1))
        : [];
    const names = new Set<string>([
      'kubernetes',
      s.serviceName,
      ...DNS_SERVICES.map((d) => d.name),
      ...annotated.map((a) => a.name),
      ...local,
    ]);
    return [...names].filter(Boolean).sort().join(',');
  }

  /**
   * Whether the EndpointSlice source holds the current slices of Services named `name`: its selector
   * covers the name and it has listed since. Right after a Service appears, the source is re-listed
   * with a wider selector; until then "no slice" means "not read yet", not "no endpoint".
   */
  slicesCover(name: string): boolean {
    return this.sliceCovered.has(name) && this.ex.sources.statuses().endpointslices?.state === 'synced';
  }

  /** Every Service the probe sources hold (deployment: all; daemonset: the built-in and opted-in ones). */
  serviceObjects(): SlimService[] {
    return this.services();
  }

  private sliceSpec(names: string) {
    return {
      name: 'endpointslices',
      ref: RESOURCES.endpointslices,
      optional: true,
      // Only the slices of Services we probe: all slices of a large cluster would cost memory for nothing.
      labelSelector: `kubernetes.io/service-name in (${names})`,
      slim: slimEndpointSlice,
    };
  }

  private ready(): boolean {
    const st = this.ex.sources.statuses();
    return this.probeSources().every((n) => st[n]?.everSynced);
  }

  /** The sources target discovery reads; a change of any other source does not touch the targets. */
  private probeSources(): string[] {
    return [...this.serviceSourceNames, 'endpointslices', 'nodes'];
  }

  /** Every Service the sources hold, once each (daemonset mode: a built-in one may also be labelled). */
  private services(): SlimService[] {
    if (this.serviceSourceNames.length === 1) return this.ex.sources.values<SlimService>(this.serviceSourceNames[0]!);
    const byKey = new Map<string, SlimService>();
    for (const name of this.serviceSourceNames)
      for (const svc of this.ex.sources.values<SlimService>(name)) byKey.set(`${svc.namespace}/${svc.name}`, svc);
    return [...byKey.values()];
  }

  /** Targets follow the watches: recomputed on every change, never polled. */
  private refresh(): void {
    const s = this.ex.settings;
    const services = this.services();
    const wanted = this.sliceSelectorNames(services);
    if (wanted !== this.sliceServices) {
      this.sliceServices = wanted;
      this.sliceCovered = new Set();
      void this.ex.sources.replace(this.sliceSpec(wanted)).then(
        () => {
          if (this.sliceServices === wanted) this.sliceCovered = new Set(wanted.split(','));
        },
        () => undefined,
      );
    }
    if (!this.ready()) return;
    const disabled = disabledBuiltins(s.disabledProbes);
    const dnsService = DNS_SERVICES.find((d) => services.some((x) => x.namespace === d.namespace && x.name === d.name));
    const namespace = s.serviceNamespace;
    const found = discoverTargets({
      services: s.disabledProbes.includes('annotated') ? services.filter((x) => !isOptedIn(x)) : services,
      endpointSlices: this.ex.sources.values<SlimEndpointSlice>('endpointslices'),
      nodes: this.ex.sources.values<SlimNode>('nodes'),
      ...(namespace ? { self: { namespace, service: s.serviceName, ...this.selfProbe } } : {}),
      clusterDomain: s.clusterDomain,
      maxTargets: s.maxProbeTargets,
      ...(s.mode === 'daemonset' && s.nodeName ? { nodeName: s.nodeName } : {}),
      ...(dnsService ? { dnsService } : {}),
      disabled,
    });
    this.view = { ...this.view, targets: found.targets, skipped: found.skipped, overLimit: found.overLimit };
    this.ex.raiseIssue('probe_targets_over_limit', found.overLimit);
    if (!this.firstRoundDone) {
      // First round as soon as there is something to probe, not a full interval later.
      this.firstRoundDone = true;
      void this.scheduler.runNow();
    }
  }

  private publish(results: TargetResult[], startedAt: Date, durationSeconds: number): void {
    const metrics = this.ex.metrics;
    const now = new Set<string>();
    for (const { target, result } of results) {
      now.add(`${target.probe}\u0000${target.path}\u0000${target.family}`);
      metrics.observe({
        probe: target.probe,
        path: target.path,
        family: target.family,
        success: result.success,
        durationSeconds: result.durationSeconds,
        ...(result.reason ? { reason: result.reason } : {}),
      });
    }
    for (const key of this.published) {
      if (!now.has(key)) {
        // a family that went away (a Service made single-stack) loses its series like a deleted Service
        const [probe, path, family] = key.split('\u0000') as [string, ProbePath, IpFamily];
        metrics.forget(probe, path, family);
      }
    }
    this.published = now;
    const classifications = classifyRound(results);
    const previous = this.view.lastRound;
    for (const change of verdictChanges(previous?.classifications ?? {}, classifications)) {
      const level = change.to && change.to.verdict !== 'ok' ? 'warn' : 'info';
      this.ex.log.log(level, 'service load-balancing verdict changed', {
        probe: change.probe,
        family: change.family,
        from: change.from ?? 'none',
        to: change.to?.verdict ?? 'gone',
        ...(change.to ? { explanation: change.to.explanation } : {}),
      });
    }
    const hasVip = results.some((r) => r.target.path === 'vip');
    const ok = functional(results);
    this.view = {
      ...this.view,
      lastRound: { at: startedAt.toISOString(), durationSeconds, functional: ok, results, classifications },
    };
    this.ex.publish(
      hasVip
        ? {
            functional: ok,
            results: results.map((r) => ({
              probe: r.target.probe,
              path: r.target.path,
              family: r.target.family,
              success: r.result.success,
            })),
            verdicts: eachVerdict(classifications).map((c) => ({ probe: c.probe, family: c.family, verdict: c.verdict })),
          }
        : undefined,
    );
    this.emit('round', this.view);
  }
}
