// The detectors are the components' (src/components/registry.ts): one row per component there; a
// config key can switch a detector off by name.
import type { ClusterSnapshot } from '../cluster/types.js';
import { COMPONENTS } from './registry.js';
import type { Finding } from '../detect/types.js';

export interface Detector {
  /** the name the `disabledDetectors` config key turns it off by */
  name: string;
  detect: (snap: ClusterSnapshot) => Finding | null;
  enabledByDefault: boolean;
}

export const DETECTORS: readonly Detector[] = COMPONENTS.map((c) => ({
  name: c.name,
  detect: c.detect,
  enabledByDefault: c.enabledByDefault,
}));

export const DETECTOR_NAMES = DETECTORS.map((d) => d.name);

/**
 * The detectors to run: defaults, minus `disabled`, plus `enabled` (for one that is off by
 * default). Unknown names are ignored here; configuration validation reports them.
 */
export function activeDetectors(opts: { disabled?: string[]; enabled?: string[] } = {}): Detector[] {
  const off = new Set(opts.disabled ?? []);
  const on = new Set(opts.enabled ?? []);
  return DETECTORS.filter((d) => !off.has(d.name) && (d.enabledByDefault || on.has(d.name)));
}
