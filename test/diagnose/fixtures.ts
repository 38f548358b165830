// Diagnose inputs from scenario fixtures, built the way the exporter builds them (same catalog,
// slimming and detection), without a server.
import { loadScenario } from '../../testkit/scenarios.js';
import { snapshotFromObjects } from '../../testkit/objects/snapshot.js';
import { detect } from '../../src/components/decide.js';
import { buildReport, type DiagnoseInput, type DiagnoseReport, type Check } from '../../src/diagnose/index.js';

export const NOW = Date.parse('2025-11-08T12:00:00Z');

export function inputFor(scenario: string, extra: Partial<DiagnoseInput> = {}): DiagnoseInput {
  const sc = loadScenario(scenario);
  const snapshot = snapshotFromObjects(sc.objects, { installedCrds: sc.crds });
  const verdict = detect(snapshot);
  const sources = Object.fromEntries(Object.entries(snapshot.sources).map(([k, v]) => [k, { state: v }]));
  return { verdict, snapshot, sources, events: [], probes: undefined, probesSkipped: 'not under test', now: NOW, ...extra };
}

export function reportFor(scenario: string, extra: Partial<DiagnoseInput> = {}): DiagnoseReport {
  return buildReport(inputFor(scenario, extra));
}

export function check(r: DiagnoseReport, id: string): Check {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}; have ${r.checks.map((x) => x.id).join(', ')}`);
  return c;
}

export const failing = (r: DiagnoseReport): string[] => r.checks.filter((c) => c.status === 'fail').map((c) => c.id);

/** A core/v1 Warning event about a pod, as the API server returns it. */
export function warningEvent(
  ns: string,
  pod: string,
  reason: string,
  message: string,
  lastTimestamp: string,
  count = 1,
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { namespace: ns, name: `${pod}.${reason.toLowerCase()}`, creationTimestamp: lastTimestamp },
    involvedObject: { kind: 'Pod', namespace: ns, name: pod, apiVersion: 'v1' },
    type: 'Warning',
    reason,
    message,
    count,
    firstTimestamp: lastTimestamp,
    lastTimestamp,
    source: { component: 'kubelet' },
  };
}
