// The shell side of diagnose: what the running exporter already holds (snapshot, verdict, source
// states, cached events, the probe engine's last round) turned into a DiagnoseInput. No API call.
import { diagnoseSources } from '../cluster/catalog.js';
import type { Exporter } from '../app/exporter.js';
import { once } from 'node:events';
import type { ProbeEngine, ProbeView } from '../app/probes.js';
import type { SlimEvent } from './events.js';
import { buildReport } from './report.js';
import type { DiagnoseInput, DiagnoseReport, SourceInfo } from './types.js';
import { canaryOffReason, type CanaryView } from '../canary/index.js';

/** Add the diagnose-only sources (Warning events) to an exporter's SourceGroup, before start(). */
export function attachDiagnoseSources(exporter: Exporter): void {
  const s = exporter.settings;
  for (const spec of diagnoseSources({ mode: s.mode, ...(s.nodeName ? { nodeName: s.nodeName } : {}) })) exporter.sources.add(spec);
}

export function inputFromExporter(
  exporter: Exporter,
  probes: { state: ProbeView } | undefined,
  opts: { probesSkipped?: string; now?: number; canary?: CanaryView; canaryOff?: string } = {},
): DiagnoseInput {
  const statuses = exporter.sources.statuses();
  const sources: Record<string, SourceInfo> = {};
  for (const [name, st] of Object.entries(statuses)) sources[name] = st.error && st.state !== 'synced' && st.state !== 'absent' ? { state: st.state, error: st.error } : { state: st.state };
  const ev = statuses.events;
  let events: SlimEvent[] | undefined;
  let eventsNote: string | undefined;
  if (!ev) eventsNote = exporter.settings.mode === 'daemonset' ? 'daemonset mode does not watch events (run diagnose from the CLI)' : 'no events source';
  else if (ev.everSynced) events = exporter.sources.values<SlimEvent>('events');
  else eventsNote = ev.state === 'forbidden' ? 'listing events is forbidden (RBAC: get/list/watch events)' : `the events source is ${ev.state}${ev.error ? ` (${ev.error})` : ''}`;
  return {
    verdict: exporter.state.verdict,
    snapshot: exporter.snapshot,
    sources,
    events,
    ...(eventsNote ? { eventsNote } : {}),
    probes: probes?.state,
    ...(opts.probesSkipped ? { probesSkipped: opts.probesSkipped } : {}),
    now: opts.now ?? Date.now(),
    ...(opts.canary ? { canary: opts.canary } : { canaryOff: opts.canaryOff ?? canaryOffReason(exporter.settings) ?? 'canary not started' }),
  };
}

export function reportFromExporter(exporter: Exporter, probes: { state: ProbeView } | undefined, opts: { probesSkipped?: string; now?: number; canary?: CanaryView } = {}): DiagnoseReport {
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
