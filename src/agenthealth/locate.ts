// The effective provider's health endpoint, from its component's locator (the `health` entry of
// src/components/registry.ts, implemented in src/components/<name>/health.ts).
import type { ClusterSnapshot } from '../cluster/types.js';
import type { Verdict } from '../detect/types.js';
import { componentOf } from '../components/registry.js';
import type { HealthLocation } from './types.js';

/** The effective provider's endpoint; undefined when there is no provider (none/unknown) to ask. */
export function locateFor(verdict: Verdict | undefined, snap: ClusterSnapshot | undefined): HealthLocation | undefined {
  if (!verdict || !snap || verdict.provider === 'none' || verdict.provider === 'unknown') return undefined;
  const finding =
    verdict.findings.find((f) => f.type === verdict.provider && f.active) ?? verdict.findings.find((f) => f.type === verdict.provider);
  if (!finding) return undefined;
  try {
    return componentOf(finding.type).health(snap, finding);
  } catch (e) {
    return { served: false, reason: `locating the health endpoint failed: ${(e as Error)?.message ?? String(e)}` };
  }
}
