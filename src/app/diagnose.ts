// The shell side of diagnose: what the running exporter already holds (snapshot, verdict, source
// states, cached events, the probe engine's last round) turned into a DiagnoseInput. No API call.
import { once } from 'node:events';
import { diagnoseSources } from '../cluster/catalog.js';
import type { SlimEvent } from '../cluster/slim.js';
import type { SourceRegistry } from '../cluster/sources.js';
import type { Settings } from '../config/options.js';
import { buildReport, type DiagnoseInput, type DiagnoseReport, type SourceInfo } from '../diagnose/index.js';
import type { ProbeView } from '../state/probes.js';
import type { Exporter } from './exporter.js';
import type { ProbeEngine } from './probes.js';
import { canaryOffReason } from './canary.js';
import type { CanaryView } from '../state/canary.js';

/** Declare the diagnose-only sources (Warning events) into the source registry, before start(). */
export function declareDiagnoseSources(settings: Settings, sources: SourceRegistry): void {
  for (const spec of diagnoseSources({ mode: settings.mode, ...(settings.nodeName ? { nodeName: settings.nodeName } : {}) }))
    sources.declare(spec);
}

/** Add the diagnose-only sources to an exporter's source registry, before start(). */
export function attachDiagnoseSources(exporter: Exporter): void {
  declareDiagnoseSources(exporter.settings, exporter.sources);
}

export function inputFromExporter(
  exporter: Exporter,
  probes: { state: ProbeView } | undefined,
  opts: { probesSkipped?: string; now?: number; canary?: CanaryView; canaryOff?: string } = {},
): DiagnoseInput {
  const statuses = exporter.sources.statuses();
  const sources: Record<string, SourceInfo> = {};
  for (const [name, st] of Object.entries(statuses))
    sources[name] = st.error && st.state !== 'synced' && st.state !== 'absent' ? { state: st.state, error: st.error } : { state: st.state };
  const ev = statuses.events;
  let events: SlimEvent[] | undefined;
  let eventsNote: string | undefined;
  if (!ev)
    eventsNote =
      exporter.settings.mode === 'daemonset' ? 'daemonset mode does not watch events (run diagnose from the CLI)' : 'no events source';
  else if (ev.everSynced) events = exporter.sources.values<SlimEvent>('events');
  else
    eventsNote =
      ev.state === 'forbidden'
        ? 'listing events is forbidden (RBAC: get/list/watch events)'
        : `the events source is ${ev.state}${ev.error ? ` (${ev.error})` : ''}`;
  return {
    verdict: exporter.state.verdict,
    snapshot: exporter.snapshot,
    sources,
    events,
    ...(eventsNote ? { eventsNote } : {}),
    probes: probes?.state,
    ...(opts.probesSkipped ? { probesSkipped: opts.probesSkipped } : {}),
    ...(exporter.state.agentHealth ? { agentHealth: exporter.state.agentHealth } : {}),
    ...(exporter.state.healthChecks ? { healthChecks: exporter.state.healthChecks } : {}),
    now: opts.now ?? Date.now(),
    ...(opts.canary
      ? { canary: opts.canary }
      : {
          canaryOff: opts.canaryOff ?? canaryOffReason(exporter.settings) ?? 'the canary runs in the serving exporter (see its /diagnose)',
        }),
  };
}

export function reportFromExporter(
  exporter: Exporter,
  probes: { state: ProbeView } | undefined,
  opts: { probesSkipped?: string; now?: number; canary?: CanaryView } = {},
): DiagnoseReport {
  return buildReport(inputFromExporter(exporter, probes, opts));
}

/** Start a probe round now and resolve true once one is published (false after timeoutMs). */
export async function nextProbeRound(probes: ProbeEngine, timeoutMs: number): Promise<boolean> {
  const published = once(probes, 'round', { signal: AbortSignal.timeout(timeoutMs) }).then(
    () => true,
    () => false,
  );
  void probes.runNow();
  return published;
}
